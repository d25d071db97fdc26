//! The one envelope of sync files and QR codes:
//!
//! ```text
//! magic "PTGE" (4 bytes) | format version (u8) | kind (u8) | postcard body
//! ```
//!
//! The header is read before anything else, so a reader says what is wrong in words a person
//! understands (not a Partage file, made by a newer or older version, a summary where a bundle
//! was expected) instead of "damaged". The size is checked before parsing; lists are bounded
//! while parsing (see [`super::wire`]). See `docs/adr/0008-one-replication-path.md`.

use super::wire::{OverLimit, WireBundles, WireSummary, bounded};
use crate::ids::NeighbourhoodId;
use crate::node::{DocBundle, MAX_DOC_HEADS};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt;

/// The first bytes of every sync file.
pub const MAGIC: [u8; 4] = *b"PTGE";
/// The format this build writes. Bump it on any change to a body's bytes, and keep reading the
/// versions before it (down to [`OLDEST_READABLE_VERSION`]).
pub const FORMAT_VERSION: u8 = 1;
/// The oldest format this build still reads.
pub const OLDEST_READABLE_VERSION: u8 = 1;
/// Magic, version, kind.
pub const HEADER_LEN: usize = MAGIC.len() + 2;
/// Largest sync file of any kind (the core refuses any one document over 64 MiB on its own).
pub const MAX_ENVELOPE_BYTES: usize = 256 * 1024 * 1024;
/// Largest summary: the most documents, each with the most heads (about 34 MB; a real one is a
/// few hundred kilobytes at most).
pub const MAX_SUMMARY_BYTES: usize =
    HEADER_LEN + 40 + super::wire::MAX_SUMMARY_DOCS * (33 + 3 + 32 * MAX_DOC_HEADS);

/// What a sync file holds. The byte values are part of the format; new kinds take new values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// What a device has of a neighbourhood ([`WireSummary`]).
    Summary,
    /// Documents for the device that sent a summary ([`WireBundles`]).
    Bundle,
}

impl Kind {
    /// The kind's byte in the header.
    pub fn code(self) -> u8 {
        match self {
            Kind::Summary => 1,
            Kind::Bundle => 2,
        }
    }

    /// The kind whose header byte is `code`, if there is one.
    pub fn from_code(code: u8) -> Option<Kind> {
        match code {
            1 => Some(Kind::Summary),
            2 => Some(Kind::Bundle),
            _ => None,
        }
    }

    /// Largest file of this kind.
    pub fn max_bytes(self) -> usize {
        match self {
            Kind::Summary => MAX_SUMMARY_BYTES,
            Kind::Bundle => MAX_ENVELOPE_BYTES,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Summary => "sync summary",
            Kind::Bundle => "sync bundle",
        })
    }
}

/// Why a sync file cannot be read (or written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// The bytes do not start with the sync file magic.
    #[error("this is not a Partage sync file")]
    NotPartage,
    /// A format newer than this build reads.
    #[error(
        "this sync file was made by a newer version of Partage (format {found}, this build reads up to {newest}): update the app"
    )]
    Newer {
        /// The file's format version.
        found: u8,
        /// The newest format this build reads.
        newest: u8,
    },
    /// A format older than this build still reads.
    #[error(
        "this sync file was made by an older version of Partage that this build no longer reads (format {found}, oldest readable {oldest}): update the app on the other device"
    )]
    Older {
        /// The file's format version.
        found: u8,
        /// The oldest format this build reads.
        oldest: u8,
    },
    /// A file of the other kind (a summary where a bundle was expected, or the reverse).
    #[error("this is a {found}, not a {expected}")]
    WrongKind {
        /// The kind expected.
        expected: Kind,
        /// The kind the file holds.
        found: Kind,
    },
    /// A kind byte this build does not know.
    #[error(
        "this sync file holds something this version of Partage does not know (kind {0}): update the app"
    )]
    UnknownKind(u8),
    /// The body does not decode.
    #[error("the {kind} is damaged or incomplete ({reason})")]
    Damaged {
        /// The file's kind.
        kind: Kind,
        /// Why.
        reason: String,
    },
    /// The file is larger than its kind allows.
    #[error("the {kind} is too large ({size} bytes, at most {max})")]
    TooLarge {
        /// The file's kind.
        kind: Kind,
        /// Its size, in bytes.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// A list in the body is longer than allowed.
    #[error("the {kind} lists too many {what} (at most {max})")]
    TooMany {
        /// The file's kind.
        kind: Kind,
        /// Which list.
        what: &'static str,
        /// The limit.
        max: usize,
    },
    /// The file is for another neighbourhood than the one asked for.
    #[error("the {kind} is for another neighbourhood ({}), not {}", .found.short(), .expected.short())]
    OtherNeighbourhood {
        /// The file's kind.
        kind: Kind,
        /// The neighbourhood expected.
        expected: NeighbourhoodId,
        /// The neighbourhood the file is for.
        found: NeighbourhoodId,
    },
    /// Writing the file failed.
    #[error("could not write the {kind}: {reason}")]
    Encode {
        /// The file's kind.
        kind: Kind,
        /// Why.
        reason: String,
    },
}

/// A body that travels in an envelope, and its kind.
pub trait Body: Serialize + DeserializeOwned {
    /// The kind written in the header.
    const KIND: Kind;
    /// The limits a reader enforces, checked before writing.
    fn check_limits(&self) -> Result<(), OverLimit>;
}

impl Body for WireSummary {
    const KIND: Kind = Kind::Summary;
    fn check_limits(&self) -> Result<(), OverLimit> {
        WireSummary::check_limits(self)
    }
}

impl Body for WireBundles {
    const KIND: Kind = Kind::Bundle;
    fn check_limits(&self) -> Result<(), OverLimit> {
        WireBundles::check_limits(self)
    }
}

/// Writes `body` in an envelope of its kind.
pub fn encode<T: Body>(body: &T) -> Result<Vec<u8>, EnvelopeError> {
    let kind = T::KIND;
    body.check_limits().map_err(|OverLimit { what, max }| EnvelopeError::TooMany { kind, what, max })?;
    let mut out = Vec::with_capacity(HEADER_LEN + 64);
    out.extend_from_slice(&MAGIC);
    out.push(FORMAT_VERSION);
    out.push(kind.code());
    let out =
        postcard::to_extend(body, out).map_err(|e| EnvelopeError::Encode { kind, reason: e.to_string() })?;
    if out.len() > kind.max_bytes() {
        return Err(EnvelopeError::TooLarge { kind, size: out.len(), max: kind.max_bytes() });
    }
    Ok(out)
}

/// Reads an envelope that must hold a `T`: the size first, then the header, then the body.
pub fn decode<T: Body>(bytes: &[u8]) -> Result<T, EnvelopeError> {
    let expected = T::KIND;
    if bytes.len() > MAX_ENVELOPE_BYTES {
        return Err(EnvelopeError::TooLarge { kind: expected, size: bytes.len(), max: MAX_ENVELOPE_BYTES });
    }
    let found = peek(bytes)?;
    if found != expected {
        return Err(EnvelopeError::WrongKind { expected, found });
    }
    if bytes.len() > expected.max_bytes() {
        return Err(EnvelopeError::TooLarge { kind: expected, size: bytes.len(), max: expected.max_bytes() });
    }
    let body = bytes.get(HEADER_LEN..).unwrap_or_default();
    let damaged = |reason: String| EnvelopeError::Damaged { kind: expected, reason };
    let _stale = bounded::take_refusal();
    match postcard::take_from_bytes::<T>(body) {
        Ok((value, [])) => Ok(value),
        Ok((_, rest)) => Err(damaged(format!("{} unexpected bytes after the end", rest.len()))),
        Err(e) => Err(match bounded::take_refusal() {
            Some(bounded::Refusal::TooMany { what, max }) => {
                EnvelopeError::TooMany { kind: expected, what, max }
            }
            Some(bounded::Refusal::Invalid(reason)) => damaged(reason),
            None => damaged(e.to_string()),
        }),
    }
}

/// What a sync file holds, from its header alone (for an app that received "a file").
pub fn peek(bytes: &[u8]) -> Result<Kind, EnvelopeError> {
    let Some((magic, rest)) = bytes.split_first_chunk::<4>() else {
        return Err(EnvelopeError::NotPartage);
    };
    if *magic != MAGIC {
        // The first offline messages (bindings only, before this envelope) started with a
        // version byte 1 and the neighbourhood id (postcard: length 32, then 32 bytes).
        return Err(if bytes.len() > 34 && bytes.starts_with(&[1, 32]) {
            EnvelopeError::Older { found: 0, oldest: OLDEST_READABLE_VERSION }
        } else {
            EnvelopeError::NotPartage
        });
    }
    let Some((&version, rest)) = rest.split_first() else {
        return Err(EnvelopeError::NotPartage);
    };
    if version > FORMAT_VERSION {
        return Err(EnvelopeError::Newer { found: version, newest: FORMAT_VERSION });
    }
    if version < OLDEST_READABLE_VERSION {
        return Err(EnvelopeError::Older { found: version, oldest: OLDEST_READABLE_VERSION });
    }
    let Some(&code) = rest.first() else {
        return Err(EnvelopeError::NotPartage);
    };
    Kind::from_code(code).ok_or(EnvelopeError::UnknownKind(code))
}

impl WireBundles {
    /// The documents as domain bundles, each checked to be of the file's neighbourhood.
    pub fn into_domain(self) -> Result<(NeighbourhoodId, Vec<DocBundle>), EnvelopeError> {
        let ns = self.neighbourhood;
        if let Some(other) = self.bundles.iter().find(|b| b.neighbourhood != ns) {
            return Err(EnvelopeError::OtherNeighbourhood {
                kind: Kind::Bundle,
                expected: ns,
                found: other.neighbourhood,
            });
        }
        Ok((ns, self.bundles.into_iter().map(DocBundle::from).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::MemberId;
    use crate::node::DocSummary;

    fn summary() -> WireSummary {
        WireSummary::new(
            NeighbourhoodId([7; 32]),
            &[DocSummary { owner: MemberId([1; 32]), heads: vec![[2; 32]] }],
        )
    }

    #[test]
    fn a_summary_round_trips() {
        let bytes = encode(&summary()).unwrap();
        assert!(bytes.starts_with(b"PTGE\x01\x01"));
        assert_eq!(peek(&bytes), Ok(Kind::Summary));
        assert_eq!(decode::<WireSummary>(&bytes).unwrap(), summary());
    }

    #[test]
    fn header_errors_are_named() {
        let good = encode(&summary()).unwrap();
        assert_eq!(decode::<WireSummary>(b""), Err(EnvelopeError::NotPartage));
        assert_eq!(decode::<WireSummary>(b"PTG"), Err(EnvelopeError::NotPartage));
        assert_eq!(decode::<WireSummary>(b"PTGE"), Err(EnvelopeError::NotPartage));
        assert_eq!(decode::<WireSummary>(b"PTGE\x01"), Err(EnvelopeError::NotPartage));
        let mut v0 = good.clone();
        v0[4] = 0;
        assert_eq!(decode::<WireSummary>(&v0), Err(EnvelopeError::Older { found: 0, oldest: 1 }));
        let mut unknown = good.clone();
        unknown[5] = 200;
        assert_eq!(decode::<WireSummary>(&unknown), Err(EnvelopeError::UnknownKind(200)));
        let mut trailing = good;
        trailing.push(0);
        assert!(matches!(decode::<WireSummary>(&trailing), Err(EnvelopeError::Damaged { .. })));
    }

    #[test]
    fn the_first_unversioned_format_is_recognised_as_older() {
        let mut legacy = vec![1, 32];
        legacy.extend([7; 32]);
        legacy.push(0);
        assert_eq!(decode::<WireSummary>(&legacy), Err(EnvelopeError::Older { found: 0, oldest: 1 }));
    }

    #[test]
    fn messages_are_for_people() {
        let e = EnvelopeError::WrongKind { expected: Kind::Bundle, found: Kind::Summary };
        assert_eq!(e.to_string(), "this is a sync summary, not a sync bundle");
    }
}
