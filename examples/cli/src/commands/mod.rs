//! One function per command. Each opens the data directory once and prints through [`Out`].

mod device;
mod identity;
mod item;
mod loan;
mod neighbourhood;
mod network;
mod photo;
mod transfer;

use crate::args::{Cli, Command};
use crate::error::{CliError, CliResult};
use crate::output::Out;
use partage::Node;
use std::path::PathBuf;

pub fn run(cli: Cli) -> CliResult {
    let mut out = Out::new(cli.json);
    if let Command::Demo = cli.command {
        return crate::demo::run(&mut out);
    }
    let dir = data_dir(cli.data_dir)?;
    crate::private_files::create_private_dir(&dir)?;
    // While `partage run` holds the store, status comes from what it shows.
    if let Command::Status { .. } = cli.command
        && let Some(live) = crate::live_status::read_running(&dir)
    {
        return network::live_status(&live, &mut out);
    }
    let node = Node::open(&dir)?;
    crate::private_files::restrict_files(&dir)?;
    // Tests of expiry across processes simulate days passing on one node (never set in use).
    if let Some(days) = std::env::var(CLOCK_SHIFT_VAR).ok().and_then(|d| d.trim().parse::<i64>().ok()) {
        node.shift_clock_days(days)?;
    }
    match cli.command {
        Command::Init { name } => identity::init(&node, &name, &mut out),
        Command::Whoami => identity::whoami(&node, &mut out),
        Command::Neighbourhood(cmd) => neighbourhood::run(&node, cmd, &mut out),
        Command::Item(cmd) => item::run(&node, cmd, &mut out),
        Command::Device(cmd) => device::run(&node, cmd, &mut out),
        Command::Loan(cmd) => loan::run(&node, cmd, &mut out),
        Command::Reminders { on } => loan::reminders(&node, on.as_deref(), &mut out),
        Command::Export { file, encrypt, data_only } => {
            transfer::export(&node, &file, transfer::ExportMode::new(encrypt, data_only), &mut out)
        }
        Command::Import { file } => transfer::import(&node, &file, &mut out),
        Command::Run(args) => network::run(&node, &dir, args, &mut out),
        Command::Sync { peers, timeout } => network::sync(&node, &peers, timeout, &mut out),
        Command::Peers => network::peers(&node, &mut out),
        Command::Status { listen } => network::status(&node, &listen, &mut out),
        Command::Demo => crate::demo::run(&mut out),
    }
}

/// Test-only: days added to this process's clock for the node's judgements (expiry of invites
/// it witnesses, overdue loans).
const CLOCK_SHIFT_VAR: &str = "PARTAGE_TEST_CLOCK_SHIFT_DAYS";

/// `--data-dir`, or the platform's data directory for Partage.
fn data_dir(flag: Option<PathBuf>) -> CliResult<PathBuf> {
    if let Some(dir) = flag {
        return Ok(dir);
    }
    directories::ProjectDirs::from("org", "Partage", "partage")
        .map(|dirs| dirs.data_dir().to_path_buf())
        .ok_or_else(|| CliError::msg("could not find a home directory for the data; pass --data-dir DIR"))
}
