//! # vitals
//!
//! The `vitals` command-line tool.
//!
//! | subcommand | what it does |
//! | --- | --- |
//! | `vitals demo [--listen ADDR]` | serves `/metrics` for a simulated job-processing service instrumented with every metric type |
//!
//! Exit codes: 0 on success (the demo after Ctrl-C or SIGTERM), 2 for a usage error (bad
//! arguments, an address that cannot be bound), 1 for any other failure.

mod demo;

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
}

fn main() -> ExitCode {
    // Clap prints its own message and exits with 2 on a usage error, 0 for --help.
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("vitals: {err:#}");
            exit_code(&err)
        }
    }
}

/// Runs one subcommand.
fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Demo(args) => demo::run(&args)?,
    }
    Ok(())
}

/// 2 for errors the user can fix by changing the arguments, 1 for the rest.
fn exit_code(err: &anyhow::Error) -> ExitCode {
    match err.downcast_ref::<demo::Error>() {
        Some(e) if e.is_usage() => ExitCode::from(2),
        _ => ExitCode::FAILURE,
    }
}
