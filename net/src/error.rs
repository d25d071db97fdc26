//! Errors of the network layer, each with a message for the person holding the phone.

use partage::ErrorKind;

/// What can go wrong when starting, steering or querying the network.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The core refused or failed (see [`partage::Error`]).
    #[error("{0}")]
    Node(#[from] partage::Error),
    /// Text that is not a multiaddr.
    #[error("\"{0}\" is not a usable peer address (expected a multiaddr such as /ip4/192.168.1.20/tcp/4001)")]
    BadAddress(String),
    /// An address could not be listened on.
    #[error("cannot listen on {addr}: {reason}")]
    Listen {
        /// The address.
        addr: String,
        /// Why.
        reason: String,
    },
    /// A peer could not be dialed.
    #[error("cannot dial {addr}: {reason}")]
    Dial {
        /// The address.
        addr: String,
        /// Why.
        reason: String,
    },
    /// The swarm could not be built or started.
    #[error("could not set up the network: {0}")]
    Setup(String),
    /// The network is paused ([`crate::Network::pause`]): resume it first.
    #[error("the network is paused: resume it first")]
    Paused,
    /// The network was stopped, or its task ended.
    #[error("the network is stopped")]
    Stopped,
    /// The network is busy: try again. (Nothing in this version returns it.)
    #[error("the network is busy: try again")]
    Busy,
    /// Linking a new device over the network failed.
    #[error("linking failed: {0} (are both devices on the same network, with the code still shown?)")]
    Link(String),
    /// [`crate::NetConfig::mdns`] is on, but this build was made without the `mdns` feature (the
    /// phone libraries are): nothing was started. Only returned by such builds.
    #[error(
        "this build has no mDNS (made without the `mdns` feature, like the phone libraries): turn mDNS off and use the platform's discovery (Bonjour, Android NSD) or peer addresses"
    )]
    NoMdns,
    /// A QUIC address was given to listen on (nothing was started) or to dial (it was skipped),
    /// but this build was made without the `quic` feature (the phone libraries are: TCP only).
    /// Only returned by such builds.
    #[error(
        "this build has no QUIC (made without the `quic` feature, like the phone libraries): {addr} cannot be used, give a TCP address (/tcp/...) instead"
    )]
    NoQuic {
        /// The QUIC address that was given.
        addr: String,
    },
}

impl NetError {
    /// The kind of this error, in the core's one taxonomy (for the FFI layer and `--json` output).
    pub fn kind(&self) -> ErrorKind {
        match self {
            NetError::Node(e) => e.kind(),
            NetError::BadAddress(_) => ErrorKind::InvalidInput,
            NetError::Listen { .. }
            | NetError::Dial { .. }
            | NetError::Setup(_)
            | NetError::Link(_)
            | NetError::NoMdns
            | NetError::NoQuic { .. } => ErrorKind::Network,
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
        assert_eq!(NetError::NoMdns.kind(), ErrorKind::Network);
        assert_eq!(NetError::Node(partage::Error::NoIdentity).kind(), ErrorKind::NoIdentity);
    }
}
