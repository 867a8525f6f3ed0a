#[derive(vitals::LabelValue)]
struct Method {
    name: &'static str,
}

fn main() {}
