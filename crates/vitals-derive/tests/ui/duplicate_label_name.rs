#[derive(vitals::LabelSet)]
struct Request {
    method: &'static str,
    #[label(rename = "method")]
    verb: &'static str,
}

fn main() {}
