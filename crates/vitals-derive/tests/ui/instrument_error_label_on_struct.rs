#[derive(vitals::instrument::ErrorLabel)]
struct Failure;

fn main() {}
