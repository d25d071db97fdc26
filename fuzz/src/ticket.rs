//! Target `ticket`: `partage::ticket::InviteTicket::decode`, which a joiner runs on text pasted
//! from anywhere.
//!
//! Each input is decoded three ways: as the ticket text itself (when it is UTF-8); as
//! `partage2` + base64url of the raw bytes; and as `partage2` + base64url of the bytes followed
//! by their correct 4-byte checksum, which gets past the checksum to the postcard body and the
//! certificate checks. Checked: no panic; a ticket that decodes re-encodes to one that decodes
//! to the same ticket, and is refused as expired one millisecond after its expiry.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use partage::TicketError;
use partage::ticket::{InviteTicket, PREFIX};

fn decode(text: &str) {
    match InviteTicket::decode(text, 0) {
        Ok(t) => {
            let _ = (t.neighbourhood(), t.neighbourhood_name(), t.uses(), t.chain());
            let again = t.encode();
            match InviteTicket::decode(&again, 0) {
                Ok(back) => assert_eq!(back, t, "re-encoded ticket decodes differently"),
                Err(e) => panic!("a re-encoded ticket does not decode: {e}"),
            }
            let expires = t.expires_at();
            if let Some(after) = expires.checked_add(1) {
                match InviteTicket::decode(text, after) {
                    Err(TicketError::Expired { expired_at_ms }) => assert_eq!(expired_at_ms, expires),
                    other => panic!("ticket not refused after its expiry: {other:?}"),
                }
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// `partage2` + base64url of `body` and its checksum (as `InviteTicket::encode` makes it).
pub fn with_checksum(body: &[u8]) -> String {
    let mut bytes = body.to_vec();
    bytes.extend_from_slice(&blake3::hash(body).as_bytes()[..4]);
    format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

pub fn run(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        decode(text);
    }
    decode(&format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(data)));
    decode(&with_checksum(data));
}
