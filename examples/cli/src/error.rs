//! The CLI's error: either a core error (shown with its own message) or a CLI-level problem
//! (an id prefix that matches nothing, no data directory, a failed write to stdout).

use std::fmt;

#[derive(Debug)]
pub enum CliError {
    Core(partage::Error),
    Message(String),
    /// Writing to stdout failed; a closed pipe (`partage item list | head`) is not an error.
    Output(std::io::Error),
}

pub type CliResult<T = ()> = Result<T, CliError>;

impl CliError {
    pub fn msg(msg: impl Into<String>) -> CliError {
        CliError::Message(msg.into())
    }

    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, CliError::Output(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Core(partage::Error::NoIdentity) => {
                write!(f, "{}: run `partage init --name NAME`", partage::Error::NoIdentity)
            }
            CliError::Core(e) => write!(f, "{e}"),
            CliError::Message(msg) => f.write_str(msg),
            CliError::Output(e) => write!(f, "could not write output: {e}"),
        }
    }
}

impl From<partage::Error> for CliError {
    fn from(e: partage::Error) -> Self {
        CliError::Core(e)
    }
}

impl From<partage::ValidationError> for CliError {
    fn from(e: partage::ValidationError) -> Self {
        CliError::Core(e.into())
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::Output(e)
    }
}
