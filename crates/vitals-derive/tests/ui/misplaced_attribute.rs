#[derive(vitals::LabelSet)]
#[label(rename_all = "kebab-case")]
struct Request {
    method: &'static str,
}

fn main() {}
