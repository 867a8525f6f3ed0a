#[derive(vitals::LabelSet)]
struct Request(bool, u16);

fn main() {}
