#[derive(vitals::LabelSet)]
struct Labels {
    __name: &'static str,
}

fn main() {}
