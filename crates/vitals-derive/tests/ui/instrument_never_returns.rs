#[vitals::instrument]
fn serve_forever() -> ! {
    loop {}
}

fn main() {}
