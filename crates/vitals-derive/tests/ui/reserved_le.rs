#[derive(vitals::LabelSet)]
struct Bucket {
    route: &'static str,
    le: bool,
}

fn main() {}
