#[vitals::instrument(labels(result = "x"))]
fn work() {}

fn main() {}
