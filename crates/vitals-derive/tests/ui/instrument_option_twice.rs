#[vitals::instrument(calls = "a", calls = "b")]
fn work() {}

fn main() {}
