#[derive(vitals::LabelValue)]
enum Code {
    #[label(rename = 404)]
    NotFound,
}

fn main() {}
