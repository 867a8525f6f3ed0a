#[vitals::instrument]
struct Work;

fn main() {}
