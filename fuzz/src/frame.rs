//! Target `frame`: the sync protocol's framing and message decoding (`partage_net::wire`), the
//! first code that touches bytes from an unauthenticated peer.
//!
//! The input is used twice: as one frame body for `wire::decode`, and as a byte stream of
//! length-prefixed frames read with `read_len` / `read_body` (as a session reads them) and
//! decoded one by one. Checked: no panic; a message that decodes is within every limit
//! (`Msg::validate`), re-encodes, and decodes back to the same message.

use futures::executor::block_on;
use partage_net::wire::{self, Msg};

/// Frame size limit for the stream half (the real pre-authentication limit is 256 KiB).
const STREAM_MAX: usize = 256 * 1024;

fn check(msg: &Msg) {
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
        Ok(msg) => check(&msg),
        Err(e) => {
            let _ = (e.to_string(), e.is_misbehaviour());
        }
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
            check(&msg);
        }
    }
}
