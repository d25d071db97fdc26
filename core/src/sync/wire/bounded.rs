//! Decoding lists under a limit. An announced length is never trusted: a list longer than its
//! limit is refused as soon as its length is read (or its entry one past the limit is met), and
//! at most a few entries are allocated ahead, so a small file cannot claim huge memory.
//!
//! postcard drops the text of a custom serde error, so the reason is also left in a
//! thread-local slot, which [`take_refusal`] reads to give the caller a typed error.

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serializer};
use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;

/// Entries allocated ahead of reading them, whatever length a list announces.
const PREALLOC: usize = 64;

/// Why a value was refused while decoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    TooMany { what: &'static str, max: usize },
    Invalid(String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::TooMany { what, max } => write!(f, "more than {max} {what}"),
            Refusal::Invalid(reason) => f.write_str(reason),
        }
    }
}

thread_local! {
    static LAST_REFUSAL: Cell<Option<Refusal>> = const { Cell::new(None) };
}

fn refuse<E: de::Error>(r: Refusal) -> E {
    let e = E::custom(&r);
    LAST_REFUSAL.with(|slot| slot.set(Some(r)));
    e
}

/// The refusal noted by the last failed decode on this thread (and clears it).
pub(crate) fn take_refusal() -> Option<Refusal> {
    LAST_REFUSAL.with(Cell::take)
}

/// A list of at most `max` entries.
pub(crate) fn seq<'de, D, T>(d: D, max: usize, what: &'static str) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Bounded<T> {
        max: usize,
        what: &'static str,
        entry: PhantomData<T>,
    }
    impl<'de, T: Deserialize<'de>> Visitor<'de> for Bounded<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a list of at most {} {}", self.max, self.what)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let too_many = || refuse(Refusal::TooMany { what: self.what, max: self.max });
            let announced = seq.size_hint().unwrap_or(0);
            if announced > self.max {
                return Err(too_many());
            }
            let mut out = Vec::with_capacity(announced.min(PREALLOC));
            while let Some(entry) = seq.next_element()? {
                if out.len() >= self.max {
                    return Err(too_many());
                }
                out.push(entry);
            }
            Ok(out)
        }
    }
    d.deserialize_seq(Bounded { max, what, entry: PhantomData })
}

/// Declares `fn $name(d) -> Vec<$t>` decoding at most `$max` entries, for
/// `#[serde(deserialize_with = ...)]`.
macro_rules! bounded_list {
    ($($name:ident: $t:ty, $max:expr, $what:literal;)*) => {$(
        pub(crate) fn $name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<$t>, D::Error> {
            $crate::sync::wire::bounded::seq(d, $max, $what)
        }
    )*};
}
pub(crate) use bounded_list;

/// A byte string (a document snapshot), read in one piece.
pub(crate) mod bytes {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }
            fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(v)
            }
        }
        d.deserialize_byte_buf(V)
    }
}

/// One automerge change chunk: anything shorter than `min` is not a change, and refusing it
/// while decoding keeps a list's decoded size within a small factor of its wire size.
pub(crate) struct ChangeBytes(pub(crate) Vec<u8>);

impl<'de> Deserialize<'de> for ChangeBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let bytes = bytes::deserialize(d)?;
        let min = crate::node::MIN_CHANGE_BYTES;
        if bytes.len() < min {
            return Err(refuse(Refusal::Invalid(format!(
                "a change of {} bytes is too short (at least {min})",
                bytes.len()
            ))));
        }
        Ok(ChangeBytes(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    bounded_list! { three: u8, 3, "numbers"; }

    #[derive(Debug, Deserialize)]
    struct Three(#[serde(deserialize_with = "three")] Vec<u8>);

    #[test]
    fn lists_over_their_limit_are_refused_with_a_reason() {
        let ok: Three = postcard::from_bytes(&[3, 1, 2, 3]).unwrap();
        assert_eq!(ok.0, vec![1, 2, 3]);
        let _ = take_refusal();
        assert!(postcard::from_bytes::<Three>(&[4, 1, 2, 3, 4]).is_err());
        assert_eq!(take_refusal(), Some(Refusal::TooMany { what: "numbers", max: 3 }));
        assert_eq!(take_refusal(), None, "taking the refusal clears it");
    }

    #[test]
    fn an_announced_length_beyond_the_limit_is_refused_before_reading_entries() {
        let mut announced = Vec::new();
        let mut n: u32 = 1_000_000;
        while n >= 0x80 {
            announced.push((n as u8) | 0x80);
            n >>= 7;
        }
        announced.push(n as u8);
        // The entries are there: refused on the length alone.
        let mut full = announced.clone();
        full.resize(announced.len() + 1_000_000, 1);
        assert!(postcard::from_bytes::<Three>(&full).is_err());
        assert_eq!(take_refusal(), Some(Refusal::TooMany { what: "numbers", max: 3 }));
        // A length the input cannot hold is not believed: the input runs out (damaged).
        assert!(postcard::from_bytes::<Three>(&announced).is_err());
        assert_eq!(take_refusal(), None);
    }

    #[test]
    fn short_changes_are_refused() {
        assert!(postcard::from_bytes::<ChangeBytes>(&[1, 0]).is_err());
        assert!(matches!(take_refusal(), Some(Refusal::Invalid(_))));
        let ok: ChangeBytes = postcard::from_bytes(&[16; 17]).unwrap();
        assert_eq!(ok.0.len(), 16);
    }
}
