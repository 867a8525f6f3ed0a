#[derive(vitals::LabelValue)]
#[label(crate = "vitals core")]
enum Method {
    Get,
}

fn main() {}
