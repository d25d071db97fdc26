//! Errors of the network layer, each with a message for the person holding the phone.

/// What can go wrong when starting, steering or querying the network.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("{0}")]
    Node(#[from] partage::Error),
    #[error("\"{0}\" is not a usable peer address (expected a multiaddr such as /ip4/192.168.1.20/tcp/4001)")]
    BadAddress(String),
    #[error("cannot listen on {addr}: {reason}")]
    Listen { addr: String, reason: String },
    #[error("cannot dial {addr}: {reason}")]
    Dial { addr: String, reason: String },
    #[error("could not set up the network: {0}")]
    Setup(String),
    #[error("the network is paused: resume it first")]
    Paused,
    #[error("the network is stopped")]
    Stopped,
    #[error("the network is busy: try again")]
    Busy,
}

impl NetError {
    /// A stable, short name for the error kind (for the FFI layer and `--json` output).
    pub fn kind(&self) -> &'static str {
        match self {
            NetError::Node(e) => e.kind(),
            NetError::BadAddress(_) => "invalid_input",
            NetError::Listen { .. } | NetError::Dial { .. } | NetError::Setup(_) => "network",
            NetError::Paused => "paused",
            NetError::Stopped => "stopped",
            NetError::Busy => "busy",
        }
    }
}
