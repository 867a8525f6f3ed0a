#[derive(vitals::LabelSet)]
struct Request {
    #[label(rename = "http-method")]
    method: &'static str,
}

fn main() {}
