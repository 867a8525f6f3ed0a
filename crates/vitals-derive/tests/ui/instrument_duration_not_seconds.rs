#[vitals::instrument(duration = "work_duration_ms")]
fn work() {}

fn main() {}
