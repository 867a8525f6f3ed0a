// Every bad field is reported in one build, not one per attempt.
#[derive(vitals::LabelSet)]
struct Labels {
    le: bool,
    route: &'static str,
    __shard: u8,
    #[label(rename = "route")]
    path: &'static str,
}

fn main() {}
