#[derive(vitals::LabelSet)]
struct Request {
    method: &'static str,
    ratio: f64,
}

fn main() {}
