#[derive(vitals::LabelValue)]
enum Method {
    Get,
    Post,
    #[label(rename = "get")]
    Fetch,
}

fn main() {}
