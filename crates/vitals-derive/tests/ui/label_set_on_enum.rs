#[derive(vitals::LabelSet)]
enum Method {
    Get,
    Post,
}

fn main() {}
