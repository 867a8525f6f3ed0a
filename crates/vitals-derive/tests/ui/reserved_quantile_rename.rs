#[derive(vitals::LabelSet)]
struct Labels {
    #[label(rename = "quantile")]
    q: bool,
}

fn main() {}
