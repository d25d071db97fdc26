//! Target `frame`: the sync protocol's framing and message decoding (`partage_net::wire`), the
//! first code that touches bytes from an unauthenticated peer.
//!
//! The input is used twice: as one frame body for `wire::decode`, and as a byte stream of
//! length-prefixed frames read with `read_len` / `read_body` (as a session reads them) and
//! decoded one by one. Checked: no panic; a message that decodes is within every limit
//! (`Msg::validate`), re-encodes, and decodes back to the same message; the pre-proof kind check
//! (`check_pre_auth_kind`, on the first byte only) agrees with the decoded kind.

use futures::executor::block_on;
use partage_net::wire::{self, Msg, WireError};

/// Frame size limit for the stream half (the real pre-authentication limit is 256 KiB).
const STREAM_MAX: usize = 256 * 1024;

/// Kinds a peer may send before proving membership.
const PRE_AUTH: [&str; 3] = ["hello", "proof", "denied"];

fn check(msg: &Msg, body: &[u8]) {
    // The pre-proof check reads only the first byte. A byte under 0x80 is the whole variant index
    // (postcard varint) and must agree with the decoded kind. A longer, non-canonical encoding
    // of the index (0x80 0x00 for 0) still decodes, but the check refuses it: stricter, so fine.
    let check = wire::check_pre_auth_kind(body);
    match body.first() {
        Some(b) if *b < 0x80 => match check {
            Ok(()) => {
                assert!(PRE_AUTH.contains(&msg.name()), "{} let through before a proof", msg.name())
            }
            Err(WireError::BeforeProof(name)) => {
                assert_eq!(name, msg.name(), "pre-proof check names the wrong kind");
                assert!(!PRE_AUTH.contains(&name), "{name} refused before a proof");
            }
            Err(e) => panic!("pre-proof check refuses a {} message: {e}", msg.name()),
        },
        _ => assert!(check.is_err(), "pre-proof check lets a non-canonical kind through"),
    }
    if let Err(e) = msg.validate() {
        panic!("decode returned a message over a limit: {e}");
    }
    let _ = msg.name();
    let frame = match wire::encode(msg, usize::MAX) {
        Ok(f) => f,
        Err(e) => panic!("a decoded message does not re-encode: {e}"),
    };
    let body = frame.get(wire::PREFIX..).unwrap_or_default();
    match wire::decode(body) {
        Ok(back) => assert_eq!(&back, msg, "re-encoded message decodes differently"),
        Err(e) => panic!("a re-encoded message does not decode: {e}"),
    }
}

pub fn run(data: &[u8]) {
    match wire::decode(data) {
        Ok(msg) => check(&msg, data),
        Err(e) => {
            let _ = (e.to_string(), e.is_misbehaviour());
        }
    }
    if let Err(e) = wire::check_pre_auth_kind(data) {
        assert!(e.is_misbehaviour(), "a refused kind is not counted as misbehaviour: {e}");
    }
    let mut r = futures::io::Cursor::new(data);
    for _ in 0..64 {
        let len = match block_on(wire::read_len(&mut r, STREAM_MAX)) {
            Ok(Some(len)) => len,
            Ok(None) => break,
            Err(e) => {
                let _ = e.to_string();
                break;
            }
        };
        assert!(len <= STREAM_MAX, "read_len let a {len}-byte frame through");
        let body = match block_on(wire::read_body(&mut r, len)) {
            Ok(body) => body,
            Err(_) => break,
        };
        assert_eq!(body.len(), len, "read_body returned a short body");
        if let Ok(msg) = wire::decode(&body) {
            check(&msg, &body);
        }
    }
}
