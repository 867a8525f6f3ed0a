#[derive(vitals::LabelSet)]
struct Request {
    #[label(name = "verb")]
    method: &'static str,
}

fn main() {}
