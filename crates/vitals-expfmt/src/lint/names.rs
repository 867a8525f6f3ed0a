//! The rules that read only a name: units, abbreviations, percentages, type words, colons,
//! case. Each returns the problem's message, or `None`.
//!
//! Names are split into their `_`-separated words and the words compared whole, so that
//! `thermometers` is not read as `meters` nor `status` as `s`.

/// Units and the base unit each should be expressed in. Base units map to themselves. The
/// list is promlint's (client_golang), which follows the Prometheus naming documentation.
const UNITS: &[(&str, &str)] = &[
    ("amperes", "amperes"),
    ("bytes", "bytes"),
    ("celsius", "celsius"),
    ("grams", "grams"),
    ("joules", "joules"),
    ("kelvin", "kelvin"),
    ("meters", "meters"),
    ("metres", "metres"),
    ("seconds", "seconds"),
    ("volts", "volts"),
    ("minutes", "seconds"),
    ("hours", "seconds"),
    ("days", "seconds"),
    ("weeks", "seconds"),
    ("kelvins", "kelvin"),
    ("fahrenheit", "celsius"),
    ("rankine", "celsius"),
    ("inches", "meters"),
    ("yards", "meters"),
    ("miles", "meters"),
    ("bits", "bytes"),
    ("calories", "joules"),
    ("pounds", "grams"),
    ("ounces", "grams"),
];

/// SI and binary prefixes: a prefixed unit is never a base unit (`kilobytes`, `milliseconds`).
/// `mibi` is promlint's spelling, kept beside the correct `mebi`.
const PREFIXES: &[&str] = &[
    "pico", "nano", "micro", "milli", "centi", "deci", "deca", "hecto", "kilo", "kibi", "mega",
    "mebi", "mibi", "giga", "gibi", "tera", "tebi", "peta", "pebi",
];

/// Abbreviated units, what each stands for, and the spelled-out base unit to use instead.
/// promlint's list, plus the binary-prefixed and `*sec` forms.
const ABBREVIATIONS: &[(&str, &str, &str)] = &[
    ("s", "seconds", "seconds"),
    ("ms", "milliseconds", "seconds"),
    ("us", "microseconds", "seconds"),
    ("ns", "nanoseconds", "seconds"),
    ("sec", "seconds", "seconds"),
    ("secs", "seconds", "seconds"),
    ("msec", "milliseconds", "seconds"),
    ("usec", "microseconds", "seconds"),
    ("nsec", "nanoseconds", "seconds"),
    ("b", "bytes", "bytes"),
    ("kb", "kilobytes", "bytes"),
    ("mb", "megabytes", "bytes"),
    ("gb", "gigabytes", "bytes"),
    ("tb", "terabytes", "bytes"),
    ("pb", "petabytes", "bytes"),
    ("kib", "kibibytes", "bytes"),
    ("mib", "mebibytes", "bytes"),
    ("gib", "gibibytes", "bytes"),
    ("tib", "tebibytes", "bytes"),
    (
        "m",
        "meters or minutes",
        "meters (or seconds, for a duration)",
    ),
    ("h", "hours", "seconds"),
    ("d", "days", "seconds"),
];

/// The type words a name should not contain (`gauge_histogram` is how client_golang's data
/// model spells gauge histograms; `untyped`/`unknown` and `info` are left alone, `info`
/// because `*_info` is the convention for info metrics).
const TYPE_WORDS: &[&str] = &[
    "counter",
    "gauge",
    "histogram",
    "summary",
    "gauge_histogram",
    "gaugehistogram",
    "stateset",
];

/// The name with the word at `index` replaced by `with`.
fn replace_word(name: &str, index: usize, with: &str) -> String {
    name.split('_')
        .enumerate()
        .map(|(i, w)| if i == index { with } else { w })
        .collect::<Vec<_>>()
        .join("_")
}

/// `base-unit`: a word that is a known unit other than its base unit.
pub(crate) fn base_unit(name: &str) -> Option<String> {
    for (index, word) in name.split('_').enumerate() {
        let lower = word.to_ascii_lowercase();
        let found = UNITS
            .iter()
            .find(|(unit, _)| lower == *unit)
            .or_else(|| {
                PREFIXES.iter().find_map(|prefix| {
                    let rest = lower.strip_prefix(prefix)?;
                    UNITS.iter().find(|(unit, _)| rest == *unit)
                })
            })
            .map(|(_, base)| *base);
        if let Some(base) = found {
            if lower != base {
                return Some(format!(
                    "unit \"{word}\" is not a base unit: use {base} and scale the values \
                     (rename to {})",
                    replace_word(name, index, base)
                ));
            }
        }
    }
    None
}

/// `unit-abbreviation`: a word after the first that is an abbreviated unit.
pub(crate) fn unit_abbreviation(name: &str) -> Option<String> {
    for (index, word) in name.split('_').enumerate().skip(1) {
        let lower = word.to_ascii_lowercase();
        if let Some((abbr, means, base)) = ABBREVIATIONS.iter().find(|(a, _, _)| lower == *a) {
            let rename = match *abbr {
                "m" => String::new(),
                _ => format!(" (rename to {})", replace_word(name, index, base)),
            };
            return Some(format!(
                "abbreviated unit \"{word}\" ({means}): spell the unit out, in base units: \
                 {base}{rename}"
            ));
        }
    }
    None
}

/// `percent`: a percentage word.
pub(crate) fn percent(name: &str) -> Option<String> {
    for (index, word) in name.split('_').enumerate() {
        let lower = word.to_ascii_lowercase();
        if matches!(lower.as_str(), "percent" | "percentage" | "pct") {
            return Some(format!(
                "\"{word}\": expose a ratio from 0 to 1 instead of a percentage, named with \
                 _ratio (rename to {})",
                replace_word(name, index, "ratio")
            ));
        }
    }
    None
}

/// `type-in-name`: `_counter`, `_gauge`... as a word after the first.
pub(crate) fn type_in_name(name: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    let found: Vec<&str> = TYPE_WORDS
        .iter()
        .copied()
        .filter(|t| lower.ends_with(&format!("_{t}")) || lower.contains(&format!("_{t}_")))
        .collect();
    // `x_gauge_histogram` matches three words; name the longest, the one meant.
    let word = found.iter().max_by_key(|t| t.len())?;
    let stripped = lower
        .replacen(&format!("_{word}_"), "_", 1)
        .trim_end_matches(&format!("_{word}"))
        .to_owned();
    Some(format!(
        "the name contains the type \"{word}\": the TYPE line says that already; drop it from \
         the name (for example {stripped})"
    ))
}

/// `colon-in-name`.
pub(crate) fn colon_in_name(name: &str) -> Option<String> {
    name.contains(':').then(|| {
        format!(
            "colons are reserved for recording rules (level:metric:operations); exported \
             metrics use underscores (rename to {})",
            name.replace(':', "_")
        )
    })
}

/// `snake-case-name` and `snake-case-label`: upper-case letters.
pub(crate) fn not_snake_case(name: &str) -> Option<String> {
    name.bytes()
        .any(|b| b.is_ascii_uppercase())
        .then(|| snake_case(name))
}

/// `fooBar` → `foo_bar`, `HTTPRequests` → `http_requests`, `Foo_Bar` → `foo_bar`.
pub(crate) fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            let boundary = prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower);
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_conversions() {
        for (from, to) in [
            ("fooBar", "foo_bar"),
            ("HTTPRequests", "http_requests"),
            ("queueDepth_total", "queue_depth_total"),
            ("Foo_Bar", "foo_bar"),
            ("ioWait2Seconds", "io_wait2_seconds"),
            ("a1B", "a1_b"),
            ("already_snake", "already_snake"),
        ] {
            assert_eq!(snake_case(from), to, "{from}");
        }
    }

    #[test]
    fn units_are_matched_as_whole_words() {
        assert!(base_unit("room_thermometers").is_none());
        assert!(base_unit("disk_kilobytes").unwrap().contains("disk_bytes"));
        assert!(base_unit("latency_milliseconds")
            .unwrap()
            .contains("latency_seconds"));
        assert!(base_unit("uptime_Hours").is_some());
        assert!(base_unit("size_bytes").is_none());
        assert!(unit_abbreviation("status").is_none());
        assert!(
            unit_abbreviation("s_total").is_none(),
            "the first word is never a unit"
        );
        assert!(unit_abbreviation("latency_ms")
            .unwrap()
            .contains("rename to latency_seconds"));
    }

    #[test]
    fn type_words() {
        assert!(type_in_name("rpc_duration_histogram")
            .unwrap()
            .contains("rpc_duration"));
        assert!(type_in_name("x_gauge_histogram")
            .unwrap()
            .contains("\"gauge_histogram\""));
        assert!(type_in_name("requests_counter_total")
            .unwrap()
            .contains("requests_total"));
        assert!(type_in_name("counter_resets").is_none());
        assert!(type_in_name("build_info").is_none());
    }
}
