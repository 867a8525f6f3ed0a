#[derive(vitals::LabelValue)]
enum Never {}

fn main() {}
