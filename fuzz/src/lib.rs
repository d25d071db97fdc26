//! The fuzz harnesses, one module per target. Each `run` takes the fuzzer's raw bytes and
//! panics only when it finds a bug: a panic inside the library, or a broken invariant that the
//! harness checks after the call (round trips, a rejected import that changed state, a node that
//! stops working). The binaries in `src/bin/` only hand AFL's input to these functions, so the
//! same code runs under `replay` (no AFL) to reproduce and minimise a crash.

pub mod bundle;
pub mod chunk;
pub mod export;
pub mod frame;
pub mod session;
pub mod ticket;
pub mod work;

/// Reads an input front to back; every read is total (short input gives zeros or less data).
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Input { data }
    }

    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((b, rest)) => {
                self.data = rest;
                *b
            }
            None => 0,
        }
    }

    /// A little-endian u16 length, then that many bytes (or what is left).
    pub fn piece(&mut self) -> &'a [u8] {
        let len = usize::from(u16::from_le_bytes([self.byte(), self.byte()]));
        let (piece, rest) = self.data.split_at(len.min(self.data.len()));
        self.data = rest;
        piece
    }

    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.data)
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// The inverse of [`Input::piece`], for writing seeds.
pub fn encode_pieces(pieces: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in pieces {
        let len = u16::try_from(p.len()).expect("seed piece under 64 KiB");
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(p);
    }
    out
}
