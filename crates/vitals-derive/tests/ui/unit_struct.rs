#[derive(vitals::LabelSet)]
struct Request;

fn main() {}
