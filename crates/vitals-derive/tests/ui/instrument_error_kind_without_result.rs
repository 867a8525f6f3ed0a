#[vitals::instrument(error_kind)]
fn work() -> u32 {
    1
}

fn main() {}
