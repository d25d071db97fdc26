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
            pub const LEN: usize = $len;

            pub fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }

            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }

            /// First 8 hex characters, enough to tell ids apart in a message.
            pub fn short(&self) -> String {
                let mut s = self.to_hex();
                s.truncate(8);
                s
            }

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
    /// One phone or computer of a member: its device public key (also its libp2p identity).
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

impl ItemId {
    pub fn random() -> crate::Result<Self> {
        Ok(ItemId(crate::identity::random_bytes()?))
    }
}

impl LoanId {
    pub fn random() -> crate::Result<Self> {
        Ok(LoanId(crate::identity::random_bytes()?))
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
