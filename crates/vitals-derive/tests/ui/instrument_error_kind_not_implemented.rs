#[derive(Debug)]
struct Plain;

#[vitals::instrument(error_kind)]
fn work() -> Result<(), Plain> {
    Ok(())
}

fn main() {}
