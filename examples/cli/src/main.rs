//! `partage`: the command-line front end of the Partage library.
//!
//! Every command opens the data directory, does one thing through [`partage::Node`] and prints
//! the result (plain text, or JSON with `--json`). On failure it prints exactly one line,
//! `error: <message>`, on stderr and exits with status 1 (2 for command-line usage errors).

mod args;
mod catalogue;
mod commands;
mod demo;
mod error;
mod live_status;
mod net_events;
mod output;
mod private_files;
mod resolve;

use clap::Parser;
use clap::error::ErrorKind;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", one_line(&e.to_string()));
            ExitCode::FAILURE
        }
    }
}

/// Help and version go to stdout as clap prints them; usage errors become one line on stderr.
fn usage_error(e: clap::Error) -> ExitCode {
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            // Nothing sensible is left to do if printing the help itself fails.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            eprintln!("error: a command or subcommand is missing (see `partage --help`)");
            return ExitCode::from(2);
        }
        _ => {}
    }
    let rendered = e.render().to_string();
    let first = rendered.lines().find(|l| !l.trim().is_empty()).unwrap_or("invalid command line");
    let message = first.strip_prefix("error: ").unwrap_or(first);
    eprintln!("error: {} (see `partage --help`)", one_line(message));
    ExitCode::from(2)
}

/// Keeps the promise of a single stderr line even if a message carries a newline.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}
