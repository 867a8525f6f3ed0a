//! Turning a variant name into its label value: `#[label(rename_all = "...")]`.
//!
//! Words are split the way people read Rust type names: a new word starts at an upper-case
//! letter that follows a lower-case letter or digit (`GetUser` = `Get` `User`), and at the last
//! upper-case letter of an acronym followed by lower case (`HTTPServer` = `HTTP` `Server`).
//! Digits stay with the word before them (`HTTP2` = `HTTP2`, `V1Api` = `V1` `Api`), and
//! underscores separate words too (`Not_Found` = `Not` `Found`).

/// A casing rule for label values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RenameRule {
    /// `get_user`: the default, as Prometheus label values are conventionally written.
    SnakeCase,
    /// `getuser`.
    LowerCase,
    /// `GETUSER`.
    UpperCase,
    /// `GET_USER`.
    ScreamingSnakeCase,
    /// `get-user`.
    KebabCase,
    /// `GetUser`: the variant name unchanged.
    Verbatim,
}

impl RenameRule {
    /// Every rule with the name `rename_all` accepts for it, in the order errors list them.
    pub(crate) const ALL: &'static [(&'static str, RenameRule)] = &[
        ("snake_case", RenameRule::SnakeCase),
        ("lowercase", RenameRule::LowerCase),
        ("UPPERCASE", RenameRule::UpperCase),
        ("SCREAMING_SNAKE_CASE", RenameRule::ScreamingSnakeCase),
        ("kebab-case", RenameRule::KebabCase),
        ("verbatim", RenameRule::Verbatim),
    ];

    /// The rule named `name`, if there is one.
    pub(crate) fn from_name(name: &str) -> Option<RenameRule> {
        Self::ALL
            .iter()
            .find(|(candidate, _)| *candidate == name)
            .map(|(_, rule)| *rule)
    }

    /// `name` (a variant's identifier) written in this rule.
    pub(crate) fn apply(self, name: &str) -> String {
        let words = split_words(name);
        match self {
            RenameRule::SnakeCase => join_lower(&words, "_"),
            RenameRule::LowerCase => join_lower(&words, ""),
            RenameRule::UpperCase => words.concat().to_uppercase(),
            RenameRule::ScreamingSnakeCase => words.join("_").to_uppercase(),
            RenameRule::KebabCase => join_lower(&words, "-"),
            RenameRule::Verbatim => name.to_owned(),
        }
    }
}

/// The words lower-cased and joined by `separator`.
fn join_lower(words: &[&str], separator: &str) -> String {
    words.join(separator).to_lowercase()
}

/// Splits an identifier into words by the rules in the module docs. Never yields an empty word.
fn split_words(name: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = name.char_indices().collect();
    let mut words = Vec::new();
    let mut start = 0;
    for (i, &(at, c)) in chars.iter().enumerate() {
        if c == '_' {
            if start < at {
                words.push(&name[start..at]);
            }
            start = at + c.len_utf8();
            continue;
        }
        let previous = i.checked_sub(1).map(|p| chars[p].1);
        let next = chars.get(i + 1).map(|&(_, n)| n);
        let boundary = c.is_uppercase()
            && match previous {
                Some(p) if p.is_lowercase() || p.is_numeric() => true,
                // The last capital of an acronym begins the next word: `HTTPServer`.
                Some(p) if p.is_uppercase() => next.is_some_and(char::is_lowercase),
                _ => false,
            };
        if boundary && start < at {
            words.push(&name[start..at]);
            start = at;
        }
    }
    if start < name.len() {
        words.push(&name[start..]);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_words_as_people_read_them() {
        for (name, words) in [
            ("Get", &["Get"][..]),
            ("GetUser", &["Get", "User"]),
            ("HTTP2", &["HTTP2"]),
            ("HTTPServer", &["HTTP", "Server"]),
            ("Http2Get", &["Http2", "Get"]),
            ("V1Api", &["V1", "Api"]),
            ("IOError", &["IO", "Error"]),
            ("A", &["A"]),
            ("AB", &["AB"]),
            ("ABc", &["A", "Bc"]),
            ("Not_Found", &["Not", "Found"]),
            ("__Odd__Name_", &["Odd", "Name"]),
            ("lower", &["lower"]),
            ("ÉtéChaud", &["Été", "Chaud"]),
        ] {
            assert_eq!(split_words(name), words, "{name}");
        }
    }

    #[test]
    fn every_rule() {
        for (rule, expected) in [
            ("snake_case", "get_http2_user"),
            ("lowercase", "gethttp2user"),
            ("UPPERCASE", "GETHTTP2USER"),
            ("SCREAMING_SNAKE_CASE", "GET_HTTP2_USER"),
            ("kebab-case", "get-http2-user"),
            ("verbatim", "GetHTTP2User"),
        ] {
            let rule = RenameRule::from_name(rule).expect(rule);
            assert_eq!(rule.apply("GetHTTP2User"), expected, "{rule:?}");
        }
        assert_eq!(RenameRule::from_name("camelCase"), None);
        assert_eq!(RenameRule::SnakeCase.apply("HTTP2"), "http2");
        assert_eq!(RenameRule::SnakeCase.apply("GetUser"), "get_user");
    }
}
