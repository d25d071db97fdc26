//! Linking a new device to an identity (a tablet, a new phone).
//!
//! A device that holds the member key shows a short-lived *link code* (`partagelink1…`, for a QR
//! code). The new device generates its own device key, connects to the device the code names
//! (the transport authenticates that device's key, so nobody can stand in for it) and presents
//! the code's one-time secret. The offering device then certifies the new device's key and sends
//! a [`LinkGrant`]: the identity's name, the certificate, the memberships and the documents it
//! holds. The member key itself travels only when the user asked for a full transfer.
//!
//! Code body (postcard): [`LinkCode`], then a 4-byte BLAKE3 checksum for copy-paste damage.

use crate::clock::now_ms;
use crate::error::LinkError;
use crate::export::ExportedDoc;
use crate::identity::DeviceCert;
use crate::ids::{DeviceId, MemberId};
use crate::store::{MemberRecord, NeighbourhoodRecord};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// What every device link code starts with.
pub const PREFIX: &str = "partagelink1";
/// How long a link code can be used after it is shown.
pub const LINK_TTL_MS: u64 = 10 * 60 * 1000;
/// Link codes longer than this are refused before decoding (a real one is about 300 bytes).
pub const MAX_LINK_CODE_LEN: usize = 4 * 1024;
/// Addresses carried in a code, at most.
pub const MAX_LINK_ADDRS: usize = 8;
/// Version of [`LinkGrant`]'s layout.
pub const GRANT_VERSION: u32 = 1;
const CHECKSUM_LEN: usize = 4;

/// A decoded link code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkCode {
    /// The identity to link to.
    pub member: MemberId,
    /// Its name, to show "Link this device to Ada?" before connecting.
    pub name: String,
    /// The offering device. On the wire it shows a transport key for its network (ADR 0016),
    /// which `addrs` carry: the new device talks to that key and no other.
    pub device: DeviceId,
    /// Presented once by the new device; the offering device keeps only its hash.
    #[serde(with = "crate::identity::hex_bytes")]
    pub secret: [u8; 32],
    /// By the offering device's clock.
    pub expires_at: u64,
    /// Where the offering device listens (multiaddrs ending in its transport peer id).
    pub addrs: Vec<String>,
}

impl LinkCode {
    /// The code as text: [`PREFIX`], then the URL-safe base64 of the code and a checksum.
    pub fn encode(&self) -> String {
        // Serialising a plain struct into a Vec cannot fail.
        let mut bytes = postcard::to_allocvec(self).unwrap_or_default();
        let sum = blake3::hash(&bytes);
        bytes.extend_from_slice(sum.as_bytes().first_chunk::<CHECKSUM_LEN>().unwrap_or(&[0; CHECKSUM_LEN]));
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Parses a code. A code that looks expired by this device's clock is refused early; the
    /// offering device judges again by its own.
    pub fn decode(text: &str) -> Result<Self, LinkError> {
        let text = text.trim();
        if text.len() > MAX_LINK_CODE_LEN {
            return Err(LinkError::Damaged);
        }
        let payload = text.strip_prefix(PREFIX).ok_or(LinkError::WrongPrefix)?;
        let bytes = URL_SAFE_NO_PAD.decode(payload).map_err(|_| LinkError::Damaged)?;
        let split = bytes.len().checked_sub(CHECKSUM_LEN).filter(|n| *n > 0).ok_or(LinkError::Damaged)?;
        let (body, sum) = bytes.split_at(split);
        if blake3::hash(body).as_bytes().get(..CHECKSUM_LEN) != Some(sum) {
            return Err(LinkError::Damaged);
        }
        let code: LinkCode = postcard::from_bytes(body).map_err(|_| LinkError::Damaged)?;
        if code.addrs.len() > MAX_LINK_ADDRS || code.name.chars().count() > crate::model::MAX_NAME_CHARS {
            return Err(LinkError::Damaged);
        }
        if code.expires_at <= now_ms() {
            return Err(LinkError::Expired { expired_at_ms: code.expires_at });
        }
        Ok(code)
    }

    /// The hash the offering device keeps of the secret.
    pub fn secret_hash(secret: &[u8; 32]) -> [u8; 32] {
        *blake3::Hasher::new_derive_key("partage/link/1 secret").update(secret).finalize().as_bytes()
    }
}

/// What the offering device sends the new one.
#[derive(Serialize, Deserialize)]
pub struct LinkGrant {
    /// The layout's version ([`GRANT_VERSION`]).
    pub version: u32,
    /// The member's display name.
    pub name: String,
    /// The new device's certificate, signed by the member key.
    pub device_cert: DeviceCert,
    /// Only for a full transfer.
    #[serde(with = "crate::identity::hex_bytes::option")]
    pub member_secret: Option<[u8; 32]>,
    /// Memberships (admin root secrets only for a full transfer).
    pub neighbourhoods: Vec<NeighbourhoodRecord>,
    /// The members of those neighbourhoods, as the offering device knows them.
    pub members: Vec<MemberRecord>,
    /// Every document the offering device holds, as in an export.
    pub documents: Vec<ExportedDoc>,
}

/// One device of this member, as `Node::devices` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceSummary {
    /// The device.
    pub device: DeviceId,
    /// When the member key certified it (ms since the epoch).
    pub certified_at: u64,
    /// Whether it is the device this node runs on.
    pub is_this_device: bool,
    /// Whether the member revoked it.
    pub revoked: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code() -> LinkCode {
        LinkCode {
            member: MemberId([1; 32]),
            name: "Ada".into(),
            device: DeviceId([2; 32]),
            secret: [3; 32],
            expires_at: now_ms() + LINK_TTL_MS,
            addrs: vec!["/ip4/127.0.0.1/tcp/4001".into()],
        }
    }

    #[test]
    fn a_code_round_trips_and_damage_is_caught() {
        let c = code();
        let text = c.encode();
        assert!(text.starts_with(PREFIX));
        assert_eq!(LinkCode::decode(&text).unwrap(), c);
        let mut damaged = text.clone().into_bytes();
        let last = damaged.len() - 3;
        damaged[last] = if damaged[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(LinkCode::decode(std::str::from_utf8(&damaged).unwrap()), Err(LinkError::Damaged));
        assert_eq!(LinkCode::decode("partage1abc"), Err(LinkError::WrongPrefix));
        let long = format!("{PREFIX}{}", "A".repeat(MAX_LINK_CODE_LEN));
        assert_eq!(LinkCode::decode(&long), Err(LinkError::Damaged));
    }

    #[test]
    fn an_expired_code_is_refused() {
        let c = LinkCode { expires_at: 5, ..code() };
        assert_eq!(LinkCode::decode(&c.encode()), Err(LinkError::Expired { expired_at_ms: 5 }));
    }
}
