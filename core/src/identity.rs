//! Keys and signatures. A *member key* is the person; a *device key* is one phone, certified by
//! the member key. Every signed message starts with a domain tag so a signature made for one
//! purpose can never be replayed as another.

use crate::error::{Error, Result};
use crate::ids::{DeviceId, MemberId};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

/// Domain tags, one per kind of signed statement.
pub(crate) mod domain {
    pub const DEVICE_CERT: &[u8] = b"partage/device-cert/v1\0";
    pub const MEMBERSHIP_CERT: &[u8] = b"partage/membership-cert/v1\0";
    pub const REVOCATION: &[u8] = b"partage/revocation/v1\0";
    pub const CHANGE: &[u8] = b"partage/change/v1\0";
    pub const ADMISSION: &[u8] = b"partage/admission/v1\0";
    pub const DEVICE_REVOCATION: &[u8] = b"partage/device-revocation/v1\0";
}

/// Fills an array from the OS random generator.
pub fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|e| Error::Random(e.to_string()))?;
    Ok(out)
}

/// An ed25519 secret key with the helpers Partage needs.
#[derive(Clone)]
pub struct SecretKey(SigningKey);

impl SecretKey {
    /// A new random key. Fails only if the operating system's random generator does.
    pub fn generate() -> Result<Self> {
        Ok(Self::from_bytes(&random_bytes::<32>()?))
    }

    /// The key with these 32 secret bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        SecretKey(SigningKey::from_bytes(bytes))
    }

    /// The 32 secret bytes. Keep them secret: whoever holds them signs as this key.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The public key (what member and device ids are made of).
    pub fn public(&self) -> [u8; 32] {
        self.0.verifying_key().to_bytes()
    }

    /// Signs `domain || parts...`.
    pub fn sign(&self, domain: &[u8], parts: &[&[u8]]) -> [u8; 64] {
        self.0.sign(&message(domain, parts)).to_bytes()
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey(public={})", hex::encode(self.public()))
    }
}

fn message(domain: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut msg = Vec::with_capacity(domain.len() + parts.iter().map(|p| p.len() + 4).sum::<usize>());
    msg.extend_from_slice(domain);
    for p in parts {
        // Length-prefix each part so that no two different part lists give the same message.
        msg.extend_from_slice(&(p.len() as u32).to_be_bytes());
        msg.extend_from_slice(p);
    }
    msg
}

/// Checks a signature made by [`SecretKey::sign`]. Returns false for any malformed input.
pub fn verify(public: &[u8; 32], domain: &[u8], parts: &[&[u8]], sig: &[u8; 64]) -> bool {
    let Ok(key) = VerifyingKey::from_bytes(public) else {
        return false;
    };
    if key.is_weak() {
        return false;
    }
    let msg = message(domain, parts);
    let fingerprint = crate::verified_sigs::fingerprint(public, &msg, sig);
    if crate::verified_sigs::seen(&fingerprint) {
        return true;
    }
    let valid = key.verify(&msg, &Signature::from_bytes(sig)).is_ok();
    if valid {
        crate::verified_sigs::remember(fingerprint);
    }
    valid
}

/// Forgets the signatures this process remembers as verified (ADR 0021): the next checks verify
/// again. For benchmarks of a device that meets the signatures for the first time while other
/// nodes in the same process (the sending side of the benchmark) have verified them already.
pub fn forget_verified_signatures() {
    crate::verified_sigs::forget();
}

/// "This device speaks for this member", signed by the member key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceCert {
    /// The member the device speaks for (whose key signed this).
    pub member: MemberId,
    /// The certified device.
    pub device: DeviceId,
    /// When it was issued, in milliseconds since the Unix epoch.
    pub issued_at: u64,
    /// The member key's signature over member, device and `issued_at`.
    #[serde(with = "hex_bytes")]
    pub sig: [u8; 64],
}

impl DeviceCert {
    /// Certifies `device` for the member whose key is `member_key`.
    pub fn issue(member_key: &SecretKey, device: DeviceId, issued_at: u64) -> Self {
        let member = MemberId(member_key.public());
        let sig = member_key.sign(domain::DEVICE_CERT, &[&member.0, &device.0, &issued_at.to_be_bytes()]);
        DeviceCert { member, device, issued_at, sig }
    }

    /// Whether the signature is the member key's over this certificate's fields.
    pub fn is_valid(&self) -> bool {
        verify(
            &self.member.0,
            domain::DEVICE_CERT,
            &[&self.member.0, &self.device.0, &self.issued_at.to_be_bytes()],
            &self.sig,
        )
    }
}

/// "This device no longer speaks for me" (a lost or stolen phone), signed by the member key.
/// Replicas that know it refuse every change that device signs from then on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRevocation {
    /// The member whose device it was (whose key signed this).
    pub member: MemberId,
    /// The revoked device.
    pub device: DeviceId,
    /// When it was revoked, in milliseconds since the Unix epoch.
    pub revoked_at: u64,
    /// The member key's signature over member, device and `revoked_at`.
    #[serde(with = "hex_bytes")]
    pub sig: [u8; 64],
}

impl DeviceRevocation {
    /// Revokes `device` for the member whose key is `member_key`.
    pub fn issue(member_key: &SecretKey, device: DeviceId, revoked_at: u64) -> Self {
        let member = MemberId(member_key.public());
        let sig =
            member_key.sign(domain::DEVICE_REVOCATION, &[&member.0, &device.0, &revoked_at.to_be_bytes()]);
        DeviceRevocation { member, device, revoked_at, sig }
    }

    /// Whether the signature is the member key's over this revocation's fields.
    pub fn is_valid(&self) -> bool {
        verify(
            &self.member.0,
            domain::DEVICE_REVOCATION,
            &[&self.member.0, &self.device.0, &self.revoked_at.to_be_bytes()],
            &self.sig,
        )
    }
}

/// The local identity of this installation: this device's key and its certificate, and the
/// member key on the device that created the identity (a linked device has none: it cannot
/// certify or revoke devices, nor issue invites).
#[derive(Clone, Debug)]
pub struct Identity {
    /// The member key: on the device that created the identity only (`None` on a linked device).
    pub member_key: Option<SecretKey>,
    /// This device's key, which signs every change made here.
    pub device_key: SecretKey,
    /// The member key's certificate for this device.
    pub device_cert: DeviceCert,
    /// The display name.
    pub name: String,
}

impl Identity {
    /// A new identity: a new member key, a new device key, and the device certificate issued at
    /// `now` (milliseconds since the Unix epoch).
    pub fn generate(name: String, now: u64) -> Result<Self> {
        let member_key = SecretKey::generate()?;
        let device_key = SecretKey::generate()?;
        let device_cert = DeviceCert::issue(&member_key, DeviceId(device_key.public()), now);
        Ok(Identity { member_key: Some(member_key), device_key, device_cert, name })
    }

    /// The member this identity is.
    pub fn member_id(&self) -> MemberId {
        self.device_cert.member
    }

    /// The member key, for what only the person's own key may sign.
    pub fn member_key(&self) -> Result<&SecretKey> {
        self.member_key.as_ref().ok_or(Error::NoMemberKey)
    }

    /// This device.
    pub fn device_id(&self) -> DeviceId {
        DeviceId(self.device_key.public())
    }
}

/// Serialises fixed-size byte arrays (keys, signatures) as hex in JSON and as bytes in postcard.
pub(crate) mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer, const N: usize>(bytes: &[u8; N], s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() { s.serialize_str(&hex::encode(bytes)) } else { s.serialize_bytes(bytes) }
    }

    pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(d: D) -> Result<[u8; N], D::Error> {
        use serde::de::Error;
        let bytes: Vec<u8> = if d.is_human_readable() {
            hex::decode(String::deserialize(d)?).map_err(D::Error::custom)?
        } else {
            d.deserialize_bytes(BytesVisitor)?
        };
        <[u8; N]>::try_from(bytes.as_slice())
            .map_err(|_| D::Error::custom(format!("expected {N} bytes, got {}", bytes.len())))
    }

    struct BytesVisitor;

    impl<'de> serde::de::Visitor<'de> for BytesVisitor {
        type Value = Vec<u8>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("bytes")
        }
        fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
            Ok(v.to_vec())
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
            let mut out = Vec::new();
            while let Some(b) = seq.next_element::<u8>()? {
                out.push(b);
            }
            Ok(out)
        }
    }

    /// The same for `Option<[u8; N]>`.
    pub mod option {
        use serde::{Deserialize, Deserializer, Serialize, Serializer};

        #[derive(Serialize, Deserialize)]
        struct Wrap<const N: usize>(#[serde(with = "super")] [u8; N]);

        pub fn serialize<S: Serializer, const N: usize>(
            v: &Option<[u8; N]>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            v.map(Wrap).serialize(s)
        }

        pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
            d: D,
        ) -> Result<Option<[u8; N]>, D::Error> {
            Ok(Option::<Wrap<N>>::deserialize(d)?.map(|w| w.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_cert_verifies_and_detects_tampering() {
        let id = Identity::generate("Ada".into(), 1).unwrap();
        assert!(id.device_cert.is_valid());
        let mut forged = id.device_cert.clone();
        forged.device = DeviceId([7; 32]);
        assert!(!forged.is_valid());
    }

    #[test]
    fn signatures_are_domain_separated() {
        let k = SecretKey::generate().unwrap();
        let sig = k.sign(domain::CHANGE, &[b"abc"]);
        assert!(verify(&k.public(), domain::CHANGE, &[b"abc"], &sig));
        assert!(!verify(&k.public(), domain::REVOCATION, &[b"abc"], &sig));
        assert!(!verify(&k.public(), domain::CHANGE, &[b"ab", b"c"], &sig));
    }

    #[test]
    fn a_remembered_signature_vouches_only_for_its_own_key_message_and_signature() {
        let _cache = crate::verified_sigs::TEST_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let k = SecretKey::generate().unwrap();
        let other = SecretKey::generate().unwrap();
        let sig = k.sign(domain::CHANGE, &[b"lend the drill"]);
        // Verified once (and so remembered), then checked again from the cache.
        assert!(verify(&k.public(), domain::CHANGE, &[b"lend the drill"], &sig));
        assert!(crate::verified_sigs::len() > 0);
        assert!(verify(&k.public(), domain::CHANGE, &[b"lend the drill"], &sig));
        // Nothing near the remembered triple passes because of it.
        assert!(!verify(&other.public(), domain::CHANGE, &[b"lend the drill"], &sig));
        assert!(!verify(&k.public(), domain::CHANGE, &[b"lend the drill!"], &sig));
        assert!(!verify(&k.public(), domain::REVOCATION, &[b"lend the drill"], &sig));
        let mut flipped = sig;
        flipped[0] ^= 1;
        assert!(!verify(&k.public(), domain::CHANGE, &[b"lend the drill"], &flipped));
        // A failure is not remembered as a success either.
        assert!(!verify(&k.public(), domain::CHANGE, &[b"lend the drill"], &flipped));
    }

    #[test]
    fn forgotten_signatures_are_verified_again() {
        let _cache = crate::verified_sigs::TEST_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let k = SecretKey::generate().unwrap();
        let sig = k.sign(domain::CHANGE, &[b"forget me"]);
        assert!(verify(&k.public(), domain::CHANGE, &[b"forget me"], &sig));
        forget_verified_signatures();
        let fp =
            crate::verified_sigs::fingerprint(&k.public(), &message(domain::CHANGE, &[b"forget me"]), &sig);
        assert!(!crate::verified_sigs::seen(&fp), "forgotten");
        assert!(verify(&k.public(), domain::CHANGE, &[b"forget me"], &sig), "and verified again");
        assert!(!verify(&k.public(), domain::CHANGE, &[b"forget you"], &sig));
    }

    #[test]
    fn the_verified_signatures_cache_stays_bounded() {
        let _cache = crate::verified_sigs::TEST_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let k = SecretKey::generate().unwrap();
        for i in 0..crate::verified_sigs::MAX_ENTRIES + 10 {
            let part = (i as u64).to_be_bytes();
            let sig = k.sign(domain::CHANGE, &[&part]);
            assert!(verify(&k.public(), domain::CHANGE, &[&part], &sig));
            assert!(crate::verified_sigs::len() <= crate::verified_sigs::MAX_ENTRIES);
        }
    }
}
