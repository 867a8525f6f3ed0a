//! The grouping key in the URL path: `/metrics/job/<job>{/<label>/<value>}`, with the
//! Pushgateway's `@base64` form where a plain path segment cannot carry the value.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// Appends `/<name>/<value>` or `/<name>@base64/<encoded>` to `path`.
///
/// The base64url form is used, as client_golang does, for an empty value (`=`: an empty path
/// segment would be lost) and for a value containing `/`; also for `.` and `..`, which URL
/// libraries and proxies may resolve as dot segments. Other values are percent-encoded, every
/// byte but the RFC 3986 unreserved characters, so non-ASCII text arrives intact.
pub(crate) fn push_component(path: &mut String, name: &str, value: &str) {
    path.push('/');
    path.push_str(name);
    if value.is_empty() {
        path.push_str("@base64/=");
    } else if value.contains('/') || value == "." || value == ".." {
        path.push_str("@base64/");
        path.push_str(&URL_SAFE_NO_PAD.encode(value));
    } else {
        path.push('/');
        for byte in value.bytes() {
            if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
                path.push(char::from(byte));
            } else {
                path.push_str(&format!("%{byte:02X}"));
            }
        }
    }
}

/// `/metrics/job/<job>{/<label>/<value>}` for a job and its grouping labels.
pub(crate) fn grouping_path(job: &str, grouping: &[(String, String)]) -> String {
    let mut path = String::from("/metrics");
    push_component(&mut path, "job", job);
    for (name, value) in grouping {
        push_component(&mut path, name, value);
    }
    path
}

#[cfg(test)]
mod tests {
    use super::grouping_path;

    fn path(job: &str, grouping: &[(&str, &str)]) -> String {
        let grouping: Vec<(String, String)> = grouping
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        grouping_path(job, &grouping)
    }

    #[test]
    fn table() {
        // (job, grouping, expected path)
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
        let cases: &[Case<'_>] = &[
            ("batch", &[], "/metrics/job/batch"),
            (
                "batch",
                &[("instance", "host1")],
                "/metrics/job/batch/instance/host1",
            ),
            (
                "batch",
                &[("instance", "host1"), ("zone", "eu-1")],
                "/metrics/job/batch/instance/host1/zone/eu-1",
            ),
            // client_golang and the Pushgateway README: `/` forces base64url, unpadded.
            (
                "batch",
                &[("path", "/var/tmp")],
                "/metrics/job/batch/path@base64/L3Zhci90bXA",
            ),
            (
                "batch",
                &[("instance", "a/b")],
                "/metrics/job/batch/instance@base64/YS9i",
            ),
            // An empty value: `=`, as the README says.
            (
                "batch",
                &[("instance", "")],
                "/metrics/job/batch/instance@base64/=",
            ),
            // The job is encoded the same way.
            ("a/b", &[], "/metrics/job@base64/YS9i"),
            (
                "directory/with/slashes",
                &[],
                "/metrics/job@base64/ZGlyZWN0b3J5L3dpdGgvc2xhc2hlcw",
            ),
            ("", &[], "/metrics/job@base64/="),
            // The URL-safe alphabet: `-` and `_`, never `+` and `/`.
            (
                "batch",
                &[("v", "/>>?")],
                "/metrics/job/batch/v@base64/Lz4-Pw",
            ),
            (
                "batch",
                &[("v", "/??~")],
                "/metrics/job/batch/v@base64/Lz8_fg",
            ),
            // Percent-encoding for everything but unreserved characters.
            ("my job", &[], "/metrics/job/my%20job"),
            (
                "batch",
                &[("q", "a?b#c%d")],
                "/metrics/job/batch/q/a%3Fb%23c%25d",
            ),
            ("batch", &[("v", "x.y-z_~")], "/metrics/job/batch/v/x.y-z_~"),
            (
                "batch",
                &[("v", "a+b=c@d")],
                "/metrics/job/batch/v/a%2Bb%3Dc%40d",
            ),
            // Non-ASCII: UTF-8 bytes percent-encoded, or in base64 when a `/` is present.
            (
                "batch",
                &[("city", "Zürich")],
                "/metrics/job/batch/city/Z%C3%BCrich",
            ),
            ("jöb", &[], "/metrics/job/j%C3%B6b"),
            (
                "batch",
                &[("city", "Zürich/Genève")],
                "/metrics/job/batch/city@base64/WsO8cmljaC9HZW7DqHZl",
            ),
            // Dot segments would be resolved away by URL handling: base64.
            ("batch", &[("v", ".")], "/metrics/job/batch/v@base64/Lg"),
            ("..", &[], "/metrics/job@base64/Li4"),
            ("batch", &[("v", "...")], "/metrics/job/batch/v/..."),
        ];
        for (job, grouping, expected) in cases {
            assert_eq!(
                path(job, grouping),
                *expected,
                "job {job:?}, grouping {grouping:?}"
            );
        }
    }

    #[test]
    fn base64_round_trips() {
        use base64::Engine;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        for value in ["a/b", "Zürich/Genève", "/", "//x//", "\u{1F600}/x"] {
            let path = path("j", &[("v", value)]);
            let encoded = path.rsplit('/').next().unwrap();
            let decoded = engine.decode(encoded).unwrap();
            assert_eq!(String::from_utf8(decoded).unwrap(), value);
        }
    }
}
