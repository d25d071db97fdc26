//! Identifiers. Keys are shown as lowercase hex; `short()` gives the first 8 characters for messages.

use crate::error::ValidationError;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

macro_rules! hex_id {
    ($(#[$doc:meta])* $name:ident, $len:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            /// Length of the id, in bytes.
            pub const LEN: usize = $len;

            /// The id's bytes.
            pub fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }

            /// The id in lowercase hex (what `Display` and serde's human-readable form show).
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }

            /// First 8 hex characters, enough to tell ids apart in a message.
            pub fn short(&self) -> String {
                let mut s = self.to_hex();
                s.truncate(8);
                s
            }

            /// The id made of `bytes`; `None` unless there are exactly [`Self::LEN`] of them.
            pub fn from_slice(bytes: &[u8]) -> Option<Self> {
                <[u8; $len]>::try_from(bytes).ok().map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.short())
            }
        }

        impl FromStr for $name {
            type Err = ValidationError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let bad = || ValidationError::BadId(s.chars().take(80).collect());
                let bytes = hex::decode(s.trim()).map_err(|_| bad())?;
                Self::from_slice(&bytes).ok_or_else(bad)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                if s.is_human_readable() {
                    s.serialize_str(&self.to_hex())
                } else {
                    s.serialize_bytes(&self.0)
                }
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                use serde::de::Error as _;
                if d.is_human_readable() {
                    let s = String::deserialize(d)?;
                    s.parse().map_err(D::Error::custom)
                } else {
                    let b: serde_bytes_compat::Bytes = Deserialize::deserialize(d)?;
                    Self::from_slice(&b.0).ok_or_else(|| D::Error::custom("wrong id length"))
                }
            }
        }
    };
}

hex_id!(
    /// A neighbourhood: the public key of its root keypair.
    NeighbourhoodId, 32
);
hex_id!(
    /// A person: their member public key.
    MemberId, 32
);
hex_id!(
    /// One phone or computer of a member: its device public key (its libp2p identity is a
    /// transport key derived per network from it: ADR 0016).
    DeviceId, 32
);
hex_id!(
    /// An item in the shared inventory (random).
    ItemId, 16
);

hex_id!(
    /// A loan: chosen at random by the borrower when requesting.
    LoanId, 16
);

/// The random part of an owner-bound id, stored beside the record it names.
pub type IdNonce = [u8; 16];

/// `blake3(domain ‖ neighbourhood ‖ owner ‖ nonce)[..16]`: an id that only its owner's document
/// can carry. Another member who copies the id into their own document cannot find a nonce that
/// binds it to themselves (a 128-bit second preimage), so the record is not read. See
/// `docs/adr/0007-owner-bound-ids.md`.
fn bound_id(domain: &str, ns: &NeighbourhoodId, owner: &MemberId, nonce: &IdNonce) -> [u8; 16] {
    let mut h = blake3::Hasher::new_derive_key(domain);
    h.update(&ns.0);
    h.update(&owner.0);
    h.update(nonce);
    let mut out = [0u8; 16];
    h.finalize_xof().fill(&mut out);
    out
}

const ITEM_ID_DOMAIN: &str = "partage 2026 item id v1";
const LOAN_ID_DOMAIN: &str = "partage 2026 loan id v1";

impl ItemId {
    /// A fresh id for an item of `owner` in `ns`, and the nonce its document must store.
    pub fn new_bound(ns: &NeighbourhoodId, owner: &MemberId) -> crate::Result<(Self, IdNonce)> {
        let nonce: IdNonce = crate::identity::random_bytes()?;
        Ok((Self::bound(ns, owner, &nonce), nonce))
    }

    /// The id that `nonce` binds to `owner` in `ns`.
    pub fn bound(ns: &NeighbourhoodId, owner: &MemberId, nonce: &IdNonce) -> Self {
        ItemId(bound_id(ITEM_ID_DOMAIN, ns, owner, nonce))
    }

    /// Whether this id belongs to `owner`'s document in `ns`, given the stored nonce.
    pub fn is_bound_to(&self, ns: &NeighbourhoodId, owner: &MemberId, nonce: &IdNonce) -> bool {
        bound_id(ITEM_ID_DOMAIN, ns, owner, nonce) == self.0
    }
}

impl LoanId {
    /// A fresh id for a loan requested by `borrower` in `ns`, and the nonce to store with it.
    pub fn new_bound(ns: &NeighbourhoodId, borrower: &MemberId) -> crate::Result<(Self, IdNonce)> {
        let nonce: IdNonce = crate::identity::random_bytes()?;
        Ok((Self::bound(ns, borrower, &nonce), nonce))
    }

    /// The id that `nonce` binds to `borrower` in `ns`.
    pub fn bound(ns: &NeighbourhoodId, borrower: &MemberId, nonce: &IdNonce) -> Self {
        LoanId(bound_id(LOAN_ID_DOMAIN, ns, borrower, nonce))
    }

    /// Whether this id belongs to `borrower`'s document in `ns`, given the stored nonce.
    pub fn is_bound_to(&self, ns: &NeighbourhoodId, borrower: &MemberId, nonce: &IdNonce) -> bool {
        bound_id(LOAN_ID_DOMAIN, ns, borrower, nonce) == self.0
    }
}

/// Minimal byte-buffer deserialisation that accepts both `bytes` and `seq` encodings.
mod serde_bytes_compat {
    use serde::de::{Deserialize, Deserializer, SeqAccess, Visitor};
    use std::fmt;

    pub struct Bytes(pub Vec<u8>);

    impl<'de> Deserialize<'de> for Bytes {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Bytes;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("bytes")
                }
                fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Bytes, E> {
                    Ok(Bytes(v.to_vec()))
                }
                fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Bytes, E> {
                    Ok(Bytes(v))
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Bytes, A::Error> {
                    let mut out = Vec::new();
                    while let Some(b) = seq.next_element::<u8>()? {
                        out.push(b);
                    }
                    Ok(Bytes(out))
                }
            }
            d.deserialize_bytes(V)
        }
    }
}
