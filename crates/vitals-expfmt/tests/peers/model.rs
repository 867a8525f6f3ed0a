//! What a parser reads from an exposition (families of samples), for both what we expect and
//! what the Python parsers report, and the comparison of the two.

use std::collections::BTreeMap;
use std::fmt;

/// Label name to unescaped label value.
pub(crate) type Labels = BTreeMap<String, String>;

/// A sample value. Integers are kept apart from floats so that a large counter is compared
/// exactly, not through an `f64` that would round it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Value {
    Int(i128),
    Float(f64),
}

impl Value {
    /// Reads a value as the parse script prints it: an integer, a float, `NaN`, `+Inf`, `-Inf`.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text {
            "NaN" => Some(Self::Float(f64::NAN)),
            "+Inf" => Some(Self::Float(f64::INFINITY)),
            "-Inf" => Some(Self::Float(f64::NEG_INFINITY)),
            _ => text
                .parse::<i128>()
                .map(Self::Int)
                .ok()
                .or_else(|| text.parse::<f64>().ok().map(Self::Float)),
        }
    }

    /// Whether `self` (expected) equals `parsed` exactly: same integer, or the same float bit
    /// for bit up to the sign of zero, NaN equal to NaN. A parser may read an integral float
    /// written without a point as an integer and the other way round; that is still equal.
    pub(crate) fn matches(self, parsed: Self) -> bool {
        match (self, parsed) {
            (Self::Int(a), Self::Int(b)) => a == b,
            (Self::Int(i), Self::Float(f)) | (Self::Float(f), Self::Int(i)) => {
                int_equals_float(i, f)
            }
            (Self::Float(a), Self::Float(b)) => (a.is_nan() && b.is_nan()) || a == b,
        }
    }
}

/// Whether the float is exactly the integer (no rounding either way).
fn int_equals_float(i: i128, f: f64) -> bool {
    // `as` saturates and truncates; compare both directions so that neither hides a rounding.
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)] // checked both ways
    let exact = f.fract() == 0.0 && (f as i128) == i && (i as f64) == f;
    exact
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Int(i) => write!(f, "{i}"),
            Self::Float(v) => write!(f, "{v:?}"),
        }
    }
}

/// One sample: name, labels, value, and the exemplar after it (OpenMetrics only).
#[derive(Debug, Clone)]
pub(crate) struct Sample {
    pub(crate) name: String,
    pub(crate) labels: Labels,
    pub(crate) value: Value,
    pub(crate) exemplar: Option<Exemplar>,
}

impl Sample {
    fn key(&self) -> String {
        format!("{}{:?}", self.name, self.labels)
    }
}

/// An exemplar: its labels, its value and its timestamp in seconds.
#[derive(Debug, Clone)]
pub(crate) struct Exemplar {
    pub(crate) labels: Labels,
    pub(crate) value: Value,
    pub(crate) timestamp: Option<f64>,
}

impl Exemplar {
    /// What a parser must read back from a recorded exemplar.
    pub(crate) fn recorded(e: &vitals_core::Exemplar) -> Self {
        Self {
            labels: e
                .labels()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            value: Value::Float(e.value()),
            timestamp: Some(e.timestamp()),
        }
    }

    /// Why `parsed` differs from `self` (expected), if it does: the labels, the value (as
    /// [`Value::matches`]) and the timestamp, exactly.
    fn difference(&self, parsed: &Self) -> Option<String> {
        let same = self.labels == parsed.labels
            && self.value.matches(parsed.value)
            && self.timestamp.map(f64::to_bits) == parsed.timestamp.map(f64::to_bits);
        (!same).then(|| format!("exemplar {parsed:?}, recorded {self:?}"))
    }

    fn from_json(json: &serde_json::Value) -> Option<Self> {
        if json.is_null() {
            return None;
        }
        let text = |v: &serde_json::Value| {
            v.as_str()
                .unwrap_or_else(|| panic!("not a string in exemplar {json}"))
                .to_owned()
        };
        let value = text(&json["value"]);
        let timestamp = match &json["timestamp"] {
            serde_json::Value::Null => None,
            t => {
                let t = text(t);
                Some(
                    t.parse::<f64>()
                        .unwrap_or_else(|_| panic!("unreadable exemplar timestamp {t:?}")),
                )
            }
        };
        Some(Self {
            labels: json["labels"]
                .as_object()
                .unwrap_or_else(|| panic!("no labels object in exemplar {json}"))
                .iter()
                .map(|(k, v)| (k.clone(), text(v)))
                .collect(),
            value: Value::parse(&value)
                .unwrap_or_else(|| panic!("unreadable exemplar value {value:?}")),
            timestamp,
        })
    }
}

/// One family as a parser reports it.
#[derive(Debug, Clone)]
pub(crate) struct Family {
    pub(crate) name: String,
    pub(crate) typ: String,
    /// The unit; empty when none (and always empty from the 0.0.4 parser).
    pub(crate) unit: String,
    pub(crate) help: String,
    pub(crate) samples: Vec<Sample>,
}

/// A family read back by a Python parser.
pub(crate) type ParsedFamily = Family;

impl Family {
    /// A family with no samples yet.
    pub(crate) fn new(name: &str, typ: &str, unit: Option<&str>, help: &str) -> Self {
        Self {
            name: name.to_owned(),
            typ: typ.to_owned(),
            unit: unit.unwrap_or_default().to_owned(),
            help: help.to_owned(),
            samples: Vec::new(),
        }
    }

    /// Adds a sample with `labels` plus the `extra` ones (`le`, `quantile`, a state).
    pub(crate) fn push(
        &mut self,
        name: &str,
        labels: &Labels,
        extra: &[(&str, &str)],
        value: Value,
    ) {
        let mut labels = labels.clone();
        for (k, v) in extra {
            labels.insert((*k).to_owned(), (*v).to_owned());
        }
        self.samples.push(Sample {
            name: name.to_owned(),
            labels,
            value,
            exemplar: None,
        });
    }

    /// Gives the sample pushed last this exemplar (when there is one).
    pub(crate) fn with_exemplar(&mut self, exemplar: Option<&vitals_core::Exemplar>) {
        if let (Some(sample), Some(e)) = (self.samples.last_mut(), exemplar) {
            sample.exemplar = Some(Exemplar::recorded(e));
        }
    }

    /// Reads the parse script's JSON (see `parse_exposition.py`).
    pub(crate) fn from_json(json: &serde_json::Value) -> Vec<Self> {
        let text = |v: &serde_json::Value, what: &str| -> String {
            v.as_str()
                .unwrap_or_else(|| panic!("{what} is not a string in {json}"))
                .to_owned()
        };
        json["families"]
            .as_array()
            .unwrap_or_else(|| panic!("no families array in {json}"))
            .iter()
            .map(|f| Self {
                name: text(&f["name"], "family name"),
                typ: text(&f["type"], "family type"),
                unit: text(&f["unit"], "family unit"),
                help: text(&f["documentation"], "family documentation"),
                samples: f["samples"]
                    .as_array()
                    .unwrap_or_else(|| panic!("no samples array in {f}"))
                    .iter()
                    .map(|s| {
                        let labels = s[1]
                            .as_object()
                            .unwrap_or_else(|| panic!("no labels object in {s}"))
                            .iter()
                            .map(|(k, v)| (k.clone(), text(v, "label value")))
                            .collect();
                        let value = text(&s[2], "sample value");
                        Sample {
                            name: text(&s[0], "sample name"),
                            labels,
                            value: Value::parse(&value)
                                .unwrap_or_else(|| panic!("unreadable sample value {value:?}")),
                            exemplar: Exemplar::from_json(&s[3]),
                        }
                    })
                    .collect(),
            })
            .collect()
    }
}

/// Every difference between what we expect and what the parser read: family order, names,
/// types, units, help text (byte for byte), and each sample (name, labels, value, exemplar),
/// both ways.
pub(crate) fn differences(expected: &[Family], parsed: &[Family]) -> Vec<String> {
    let mut problems = Vec::new();
    let names = |fs: &[Family]| fs.iter().map(|f| f.name.clone()).collect::<Vec<_>>();
    if names(expected) != names(parsed) {
        problems.push(format!(
            "families differ:\n  expected {:?}\n  parsed   {:?}",
            names(expected),
            names(parsed)
        ));
    }
    for want in expected {
        let Some(got) = parsed.iter().find(|f| f.name == want.name) else {
            continue; // reported above
        };
        let name = &want.name;
        if got.typ != want.typ {
            problems.push(format!(
                "{name}: type {:?}, expected {:?}",
                got.typ, want.typ
            ));
        }
        if got.unit != want.unit {
            problems.push(format!(
                "{name}: unit {:?}, expected {:?}",
                got.unit, want.unit
            ));
        }
        if got.help != want.help {
            problems.push(format!(
                "{name}: help {:?}, expected {:?}",
                got.help, want.help
            ));
        }
        let mut got_samples: BTreeMap<String, &Sample> = BTreeMap::new();
        for sample in &got.samples {
            if got_samples.insert(sample.key(), sample).is_some() {
                problems.push(format!("{name}: sample {} appears twice", sample.key()));
            }
        }
        for sample in &want.samples {
            match got_samples.remove(&sample.key()) {
                None => problems.push(format!(
                    "{name}: missing sample {} = {}",
                    sample.key(),
                    sample.value
                )),
                Some(g) if !sample.value.matches(g.value) => problems.push(format!(
                    "{name}: sample {} = {}, recorded {}",
                    sample.key(),
                    g.value,
                    sample.value
                )),
                Some(g) => match (&sample.exemplar, &g.exemplar) {
                    (None, None) => {}
                    (Some(want), None) => problems.push(format!(
                        "{name}: sample {} lost its exemplar {want:?}",
                        sample.key()
                    )),
                    (None, Some(got)) => problems.push(format!(
                        "{name}: sample {} has an unexpected exemplar {got:?}",
                        sample.key()
                    )),
                    (Some(want), Some(got)) => {
                        if let Some(why) = want.difference(got) {
                            problems.push(format!("{name}: sample {}: {why}", sample.key()));
                        }
                    }
                },
            }
        }
        for (key, sample) in got_samples {
            problems.push(format!(
                "{name}: unexpected sample {key} = {}",
                sample.value
            ));
        }
    }
    problems
}

#[test]
fn comparison_catches_each_kind_of_difference() {
    let labels: Labels = [("a".to_owned(), "x\n\"y\"".to_owned())].into();
    let mut want = Family::new("f", "gauge", Some("bytes"), "help");
    want.push("f", &labels, &[], Value::Float(f64::NAN));
    want.push("f", &Labels::new(), &[], Value::Int((1 << 60) + 1));
    let exemplar = vitals_core::Exemplar::new(&[("trace_id", "abc")], 0.5).unwrap();
    want.with_exemplar(Some(&exemplar));
    assert!(differences(&[want.clone()], &[want.clone()]).is_empty());

    type Mutation = (&'static str, fn(&mut Family));
    let mutations: [Mutation; 13] = [
        ("name", |f| f.name.push('x')),
        ("type", |f| f.typ = "counter".into()),
        ("unit", |f| f.unit.clear()),
        ("help", |f| f.help.push(' ')),
        ("value", |f| f.samples[0].value = Value::Float(0.0)),
        ("rounded integer", |f| {
            f.samples[1].value = Value::Float(2f64.powi(60))
        }),
        ("label", |f| {
            f.samples[0].labels.insert("a".into(), "x\n\"y\" ".into());
        }),
        ("extra sample", |f| f.samples.push(f.samples[0].clone())),
        ("lost exemplar", |f| f.samples[1].exemplar = None),
        ("extra exemplar", |f| {
            f.samples[0].exemplar = f.samples[1].exemplar.clone();
        }),
        ("exemplar label", |f| {
            let e = f.samples[1].exemplar.as_mut().unwrap();
            e.labels.insert("trace_id".into(), "abd".into());
        }),
        ("exemplar value", |f| {
            f.samples[1].exemplar.as_mut().unwrap().value = Value::Float(0.25);
        }),
        ("exemplar timestamp", |f| {
            let e = f.samples[1].exemplar.as_mut().unwrap();
            e.timestamp = e.timestamp.map(|t| t + 1e-6);
        }),
    ];
    for (what, mutate) in mutations {
        let mut got = want.clone();
        mutate(&mut got);
        assert!(
            !differences(&[want.clone()], &[got]).is_empty(),
            "a changed {what} went unnoticed"
        );
    }
    let mut fewer = want.clone();
    fewer.samples.pop();
    assert!(
        !differences(&[want], &[fewer]).is_empty(),
        "a missing sample went unnoticed"
    );
}
