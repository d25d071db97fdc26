//! libp2p keys and Partage keys: every Partage key is ed25519, so a [`PeerId`] and a
//! [`DeviceId`]-shaped key name the same public key. A node's own peer id is its transport key
//! for the network it is on (`crate::transport`), not its device key; a linking device's is its
//! device key (`crate::link`).

use crate::error::NetError;
use libp2p::PeerId;
use libp2p::identity::{Keypair, PublicKey, ed25519};
use partage::DeviceId;

/// Multihash code of the identity hash, which peer ids of ed25519 keys use.
const IDENTITY_MULTIHASH: u64 = 0;

/// The libp2p keypair of a 32-byte ed25519 secret.
pub fn keypair(mut secret: [u8; 32]) -> Result<Keypair, NetError> {
    Keypair::ed25519_from_bytes(&mut secret).map_err(|e| NetError::Setup(format!("transport key: {e}")))
}

/// The peer id of an ed25519 public key.
pub fn peer_id_of(device: &DeviceId) -> Option<PeerId> {
    let key = ed25519::PublicKey::try_from_bytes(&device.0).ok()?;
    Some(PublicKey::from(key).to_peer_id())
}

/// The ed25519 public key behind a peer id, if it is one (every Partage peer's is): a
/// transport key, not a device id, unless the peer is a linking device.
pub fn device_of(peer: &PeerId) -> Option<DeviceId> {
    let hash: &libp2p::multihash::Multihash<64> = peer.as_ref();
    if hash.code() != IDENTITY_MULTIHASH {
        return None;
    }
    let key = PublicKey::try_decode_protobuf(hash.digest()).ok()?.try_into_ed25519().ok()?;
    Some(DeviceId(key.to_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_and_peer_ids_round_trip() {
        let kp = keypair([7; 32]).unwrap();
        let peer = kp.public().to_peer_id();
        let device = device_of(&peer).unwrap();
        assert_eq!(peer_id_of(&device), Some(peer));
        assert_eq!(device_of(&PeerId::random()), None);
    }
}
