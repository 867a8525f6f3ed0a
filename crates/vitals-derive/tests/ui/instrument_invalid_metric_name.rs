#[vitals::instrument(calls = "jobs-run")]
fn work() {}

fn main() {}
