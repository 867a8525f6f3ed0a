//! # vitals
//!
//! The `vitals` command-line tool.
//!
//! | subcommand | what it does |
//! | --- | --- |
//! | `vitals demo [--listen ADDR]` | serves `/metrics` for a simulated job-processing service instrumented with every metric type |
//! | `vitals lint [--input auto\|openmetrics\|prometheus] [--syntax-only] [--json] [FILE\|URL\|-]` | checks an exposition: syntax, naming rules, cardinality |
//!
//! Exit codes: 0 on success (the demo after Ctrl-C or SIGTERM), 2 for a usage error (bad
//! arguments, an address that cannot be bound), 1 for any other failure. `vitals lint` has its
//! own: 0 clean, 1 problems found, 2 the input could not be read.

mod demo;
mod lint;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The command line.
#[derive(Debug, Parser)]
#[command(
    name = "vitals",
    version,
    about = "Prometheus metrics tooling for vitals."
)]
struct Cli {
    /// What to do.
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Serve live metrics from a simulated job-processing service, one of every metric type.
    Demo(demo::DemoArgs),
    /// Check an exposition (file, URL or stdin): syntax, naming rules, cardinality.
    ///
    /// Exit 0 when clean, 1 on problems, 2 when the input cannot be read.
    Lint(lint::LintArgs),
}

fn main() -> ExitCode {
    // Clap prints its own message and exits with 2 on a usage error, 0 for --help.
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("vitals: {err:#}");
            exit_code(&err)
        }
    }
}

/// Runs one subcommand.
fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Demo(args) => demo::run(&args)?,
        // Lint reports its own findings and errors: its exit code is its answer.
        Command::Lint(args) => return Ok(lint::run(&args)),
    }
    Ok(ExitCode::SUCCESS)
}

/// 2 for errors the user can fix by changing the arguments, 1 for the rest.
fn exit_code(err: &anyhow::Error) -> ExitCode {
    match err.downcast_ref::<demo::Error>() {
        Some(e) if e.is_usage() => ExitCode::from(2),
        _ => ExitCode::FAILURE,
    }
}
