#[derive(vitals::LabelValue)]
enum Status {
    Ok,
    Error(u16),
}

fn main() {}
