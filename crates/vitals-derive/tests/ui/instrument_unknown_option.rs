#[vitals::instrument(histogram = "x")]
fn work() {}

fn main() {}
