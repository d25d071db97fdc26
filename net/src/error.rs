//! Errors of the network layer, each with a message for the person holding the phone.

use partage::ErrorKind;

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
    #[error("linking failed: {0} (are both devices on the same network, with the code still shown?)")]
    Link(String),
}

impl NetError {
    /// The kind of this error, in the core's one taxonomy (for the FFI layer and `--json` output).
    pub fn kind(&self) -> ErrorKind {
        match self {
            NetError::Node(e) => e.kind(),
            NetError::BadAddress(_) => ErrorKind::InvalidInput,
            NetError::Listen { .. } | NetError::Dial { .. } | NetError::Setup(_) | NetError::Link(_) => {
                ErrorKind::Network
            }
            NetError::Paused => ErrorKind::Paused,
            NetError::Stopped => ErrorKind::Stopped,
            NetError::Busy => ErrorKind::Busy,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn net_errors_map_to_the_core_kinds() {
        assert_eq!(NetError::Paused.kind(), ErrorKind::Paused);
        assert_eq!(NetError::Stopped.kind().as_str(), "stopped");
        assert_eq!(NetError::Busy.kind(), ErrorKind::Busy);
        assert_eq!(NetError::Setup("x".into()).kind(), ErrorKind::Network);
        assert_eq!(NetError::BadAddress("x".into()).kind(), ErrorKind::InvalidInput);
        assert_eq!(NetError::Node(partage::Error::NoIdentity).kind(), ErrorKind::NoIdentity);
    }
}
