#[vitals::instrument(in_flight = 3)]
fn work() {}

fn main() {}
