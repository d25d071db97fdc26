//! `partage export FILE [--encrypt | --data-only]` and `partage import FILE`.

use crate::error::{CliError, CliResult};
use crate::output::Out;
use partage::{Error, Node};
use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::Path;
use zeroize::Zeroizing;

/// The environment variable a passphrase is read from (else one line of stdin).
pub const PASSPHRASE_VAR: &str = "PARTAGE_PASSPHRASE";
/// Longest line read as a passphrase (the core accepts at most 1024 characters).
const MAX_PASSPHRASE_LINE: u64 = 4096 + 2;

/// What `export` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportMode {
    Plain,
    Encrypted,
    DataOnly,
}

impl ExportMode {
    /// From the flags (clap refuses both together).
    pub fn new(encrypt: bool, data_only: bool) -> ExportMode {
        match (encrypt, data_only) {
            (_, true) => ExportMode::DataOnly,
            (true, false) => ExportMode::Encrypted,
            (false, false) => ExportMode::Plain,
        }
    }
}

pub fn export(node: &Node, file: &Path, mode: ExportMode, out: &mut Out) -> CliResult {
    match mode {
        ExportMode::Plain => {
            let summary = node.export_to_file(file)?;
            out.transfer("exported", &summary)?;
            if !out.json {
                out.line(format_args!(
                    "{} contains your secret keys: keep it somewhere safe (or use --encrypt)",
                    file.display()
                ))?;
            }
        }
        ExportMode::Encrypted => {
            let passphrase = read_passphrase("Passphrase for the new backup")?;
            let summary = node.export_encrypted(file, &passphrase)?;
            out.transfer("exported", &summary)?;
            if !out.json {
                out.line(format_args!(
                    "{} is encrypted: it cannot be restored without the passphrase",
                    file.display()
                ))?;
            }
        }
        ExportMode::DataOnly => {
            let s = node.export_data_only(file)?;
            if out.json {
                return out.write_json(&serde_json::json!({
                    "data_only": true,
                    "neighbourhoods": s.neighbourhoods,
                    "items": s.items,
                    "loans": s.loans,
                }));
            }
            out.line(format_args!(
                "wrote your data: {} neighbourhood(s), {} item(s), {} loan(s) (no secret keys; not a backup)",
                s.neighbourhoods, s.items, s.loans
            ))?;
        }
    }
    Ok(())
}

/// The core refuses a non-empty data directory and verifies the whole file before writing. The
/// passphrase is asked for only if the file turns out to be encrypted.
pub fn import(node: &Node, file: &Path, out: &mut Out) -> CliResult {
    let summary = match node.import_from_file(file) {
        Err(Error::PassphraseRequired) => {
            let passphrase = read_passphrase("Passphrase of the backup")?;
            node.import_from_file_with_passphrase(file, Some(&passphrase))?
        }
        other => other?,
    };
    out.transfer("imported", &summary)
}

/// `PARTAGE_PASSPHRASE` if set, otherwise one line of stdin (without its line ending). A prompt
/// goes to stderr when stdin is a terminal.
fn read_passphrase(prompt: &str) -> CliResult<Zeroizing<String>> {
    if let Some(value) = std::env::var_os(PASSPHRASE_VAR) {
        let value = Zeroizing::new(
            value.into_string().map_err(|_| CliError::msg(format!("{PASSPHRASE_VAR} is not valid UTF-8")))?,
        );
        return Ok(value);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let mut err = std::io::stderr();
        // Best effort: a prompt that cannot be shown does not stop the command.
        let _ = write!(err, "{prompt} (shown as you type; {PASSPHRASE_VAR} avoids that): ");
        let _ = err.flush();
    }
    let mut line = Zeroizing::new(String::new());
    let read = stdin
        .lock()
        .take(MAX_PASSPHRASE_LINE)
        .read_line(&mut line)
        .map_err(|e| CliError::msg(format!("could not read the passphrase from standard input: {e}")))?;
    if read == 0 {
        return Err(CliError::msg(format!(
            "this needs a passphrase: set {PASSPHRASE_VAR} or give it as one line on standard input"
        )));
    }
    let trimmed = line.trim_end_matches(['\n', '\r']).len();
    line.truncate(trimmed);
    Ok(line)
}
