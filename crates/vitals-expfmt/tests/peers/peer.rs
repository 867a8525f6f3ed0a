//! Finding the peers (promtool, the Python `prometheus_client`), the rule for when one is
//! missing, and running them.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::model::ParsedFamily;

/// The workspace root, where `scripts/test` puts the venv.
const WORKSPACE_ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// The script that runs the Python parsers, committed beside this file.
const PARSE_SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/peers/parse_exposition.py"
);

/// What to do about a missing peer: where peers are required the test fails, since a green
/// run that skipped its peers proves nothing; elsewhere it prints a one-line notice and the
/// caller returns. Peers are required when `CI` is set (CI sets it) or `VITALS_REQUIRE_PEERS`
/// is (`scripts/test` sets it, having installed them). Every test goes through here.
pub(crate) fn missing(notice: &str) {
    for variable in ["CI", "VITALS_REQUIRE_PEERS"] {
        assert!(
            std::env::var_os(variable).is_none(),
            "{notice}, and {variable} is set: peer tests must not be skipped here"
        );
    }
    eprintln!("skipping: {notice}");
}

/// A usable `promtool`, or `None` after [`missing`] when there is none on `PATH`.
pub(crate) fn promtool() -> Option<PathBuf> {
    match Command::new("promtool").arg("--version").output() {
        Ok(out) if out.status.success() => Some(PathBuf::from("promtool")),
        _ => {
            missing(
                "promtool not found (install the Debian package prometheus, or run scripts/test)",
            );
            None
        }
    }
}

/// A Python interpreter that can `import prometheus_client`, or `None` after [`missing`].
/// Tried: `$VITALS_PYTHON`, else the workspace's `.venv`, else `python3`.
pub(crate) fn python() -> Option<PathBuf> {
    let python = match std::env::var_os("VITALS_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => {
            let venv = Path::new(WORKSPACE_ROOT).join(".venv/bin/python");
            if venv.exists() {
                venv
            } else {
                PathBuf::from("python3")
            }
        }
    };
    let imports = Command::new(&python)
        .args(["-c", "import prometheus_client"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if imports {
        Some(python)
    } else {
        missing(&format!(
            "python prometheus_client not found with {} (set VITALS_PYTHON, or run scripts/test)",
            python.display()
        ));
        None
    }
}

/// Runs `promtool check metrics < file` on `exposition`, written to a temporary file first.
pub(crate) fn promtool_check(promtool: &Path, exposition: &str, tag: &str) -> Output {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("peers-{}-{tag}.prom", std::process::id()));
    std::fs::write(&path, exposition).expect("write the exposition to a temporary file");
    let file = std::fs::File::open(&path).expect("reopen the temporary exposition");
    let output = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(file)
        .output()
        .expect("run promtool check metrics");
    let _ = std::fs::remove_file(&path);
    output
}

/// Which of the two Python parsers to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parser {
    /// `prometheus_client.parser`, for Prometheus text 0.0.4.
    Text,
    /// `prometheus_client.openmetrics.parser`.
    OpenMetrics,
}

/// Runs the parse script on `exposition`: the families it read, or the parser's complaint.
pub(crate) fn python_parse(
    python: &Path,
    parser: Parser,
    exposition: &str,
) -> Result<Vec<ParsedFamily>, String> {
    let arg = match parser {
        Parser::Text => "text",
        Parser::OpenMetrics => "openmetrics",
    };
    let mut child = Command::new(python)
        .arg(PARSE_SCRIPT)
        .arg(arg)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the Python parse script");
    let mut stdin = child.stdin.take().expect("the child's stdin is piped");
    // Written from a thread: a large exposition could fill the pipe while the child waits for
    // us to read its output.
    let input = exposition.as_bytes().to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child
        .wait_with_output()
        .expect("wait for the Python parse script");
    writer
        .join()
        .expect("the stdin writer thread panicked")
        .expect("write the exposition to the Python parse script");
    if !output.status.success() {
        return Err(format!(
            "{} (status {})",
            String::from_utf8_lossy(&output.stderr).trim(),
            output.status
        ));
    }
    let json: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("the parse script prints JSON");
    Ok(ParsedFamily::from_json(&json))
}
