#[vitals::instrument(labels(le = "1"))]
fn work() {}

fn main() {}
