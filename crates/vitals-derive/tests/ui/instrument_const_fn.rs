#[vitals::instrument]
const fn work() -> u32 {
    1
}

fn main() {}
