//! The duplicate-family check run on every exposition before it is written.
//!
//! Each registry guarantees its own families are unique, but two registries rendered into one
//! file know nothing of each other. node_exporter parses a textfile with client_golang's text
//! parser, which fails the whole file ("second TYPE line for metric name ..." or samples that
//! land in the wrong family) when a family is declared twice, so the writer refuses such an
//! exposition instead of replacing a good file with one node_exporter drops.

use std::collections::HashMap;

/// Checks the `# TYPE` lines of a Prometheus text 0.0.4 exposition: no family name twice, and
/// no family named like another's histogram or summary samples (`foo_count` beside a histogram
/// `foo`). Returns a sentence describing the first clash.
///
/// Only TYPE lines are read because the vitals encoder writes one for every family; HELP texts
/// and label values escape newlines, so a `# TYPE` at the start of a line is always a real one.
pub(crate) fn check_unique_families(text: &[u8]) -> Result<(), String> {
    // Every sample name a family produces -> that family. Both sides of a clash register
    // their names, so one pass catches it whichever family comes first.
    let mut produced: HashMap<String, &str> = HashMap::new();
    for line in text.split(|b| *b == b'\n') {
        let Some(rest) = line.strip_prefix(b"# TYPE ") else {
            continue;
        };
        // The encoder writes ASCII names and type words; anything else cannot be a clash.
        let Ok(rest) = std::str::from_utf8(rest) else {
            continue;
        };
        let (name, kind) = rest.split_once(' ').unwrap_or((rest, ""));
        let suffixes: &[&str] = match kind {
            "histogram" => &["", "_bucket", "_count", "_sum"],
            "summary" => &["", "_count", "_sum"],
            _ => &[""],
        };
        for suffix in suffixes {
            let sample = format!("{name}{suffix}");
            if let Some(owner) = produced.insert(sample.clone(), name) {
                return Err(if owner == name {
                    format!("the family `{name}` appears in more than one registry")
                } else {
                    format!(
                        "the families `{owner}` and `{name}` both produce samples named \
                         `{sample}`"
                    )
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_unique_families;

    #[test]
    fn table() {
        let cases: &[(&str, bool)] = &[
            ("", true),
            (
                "# TYPE a gauge\na 1\n# TYPE b_total counter\nb_total 1\n",
                true,
            ),
            ("# TYPE a gauge\na 1\n# TYPE a gauge\na 2\n", false),
            ("# TYPE a_total counter\n# TYPE a_total gauge\n", false),
            ("# TYPE h histogram\n# TYPE h_count gauge\n", false),
            ("# TYPE h_count gauge\n# TYPE h histogram\n", false),
            ("# TYPE s summary\n# TYPE s_sum gauge\n", false),
            ("# TYPE s_sum gauge\n# TYPE s summary\n", false),
            ("# TYPE h histogram\n# TYPE h_bucket_x gauge\n", true),
            // A HELP text mentioning TYPE is not a TYPE line.
            ("# HELP a see # TYPE a gauge\n# TYPE a gauge\n", true),
        ];
        for (text, ok) in cases {
            assert_eq!(
                check_unique_families(text.as_bytes()).is_ok(),
                *ok,
                "{text:?}"
            );
        }
    }
}
