//! The passphrase-encrypted export ("sealed" file): XChaCha20-Poly1305 under a key derived from
//! the passphrase with Argon2id. See docs/adr/0012-encrypted-exports.md.
//!
//! Layout (integers little-endian): a 72-byte header, then the ciphertext and its 16-byte tag.
//!
//! ```text
//! offset size
//!      0   18  magic "partage-encrypted\n"
//!     18    1  format version (1)
//!     19    1  KDF (1 = Argon2id, version 0x13)
//!     20    4  Argon2 memory, KiB
//!     24    4  Argon2 iterations (passes)
//!     28    4  Argon2 lanes
//!     32   16  salt (random)
//!     48   24  XChaCha20 nonce (random)
//!     72    *  ciphertext of the plain JSON export, then the Poly1305 tag (16)
//! ```
//!
//! (The exact offsets are the constants below; the whole header is the AEAD's associated
//! data, so changing any byte of it, the KDF parameters included, makes decryption fail.)
//!
//! On reading, everything the file can make us spend is bounded *before* it is spent: the file's
//! size before it is read, the KDF's memory, iterations and lanes before the key is derived.

use crate::error::{Error, Result};
use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

/// First bytes of an encrypted export (readable by `head`, unlike any JSON).
pub const MAGIC: &[u8; 18] = b"partage-encrypted\n";
/// The only version written and read so far.
pub const SEALED_VERSION: u8 = 1;
/// KDF identifier: Argon2id (RFC 9106), version 0x13.
pub const KDF_ARGON2ID: u8 = 1;
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const VERSION_AT: usize = MAGIC.len();
const KDF_AT: usize = VERSION_AT + 1;
const PARAMS_AT: usize = KDF_AT + 1;
const SALT_AT: usize = PARAMS_AT + 12;
const NONCE_AT: usize = SALT_AT + SALT_LEN;
/// Length of the header (the associated data): magic, version, KDF, params, salt, nonce.
pub const HEADER_LEN: usize = NONCE_AT + NONCE_LEN;

/// Bounds on the KDF parameters a file may ask for. Our own exports use [`KdfParams::DEFAULT`];
/// the bounds leave room to raise it (4x the memory, or more passes) without letting a hostile
/// file make a phone allocate gigabytes or compute for minutes.
pub const MAX_MEMORY_KIB: u32 = 256 * 1024;
/// Most Argon2id passes a file may ask for.
pub const MAX_ITERATIONS: u32 = 10;
/// Most Argon2id lanes a file may ask for.
pub const MAX_LANES: u32 = 4;
/// Bound on memory x iterations (KiB passes): four times the default's work.
pub const MAX_WORK_KIB: u64 = 4 * (64 * 1024 * 3);

/// The Argon2id cost parameters. Stored in each encrypted file (and authenticated with it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over the memory.
    pub iterations: u32,
    /// Degree of parallelism (lanes). The derivation itself runs on one thread.
    pub lanes: u32,
}

impl KdfParams {
    /// 64 MiB, 3 passes, 1 lane: RFC 9106's second recommended option with 3 passes, a cost a
    /// phone pays in well under a second in a release build (docs/adr/0012-encrypted-exports.md).
    pub const DEFAULT: KdfParams = KdfParams { memory_kib: 64 * 1024, iterations: 3, lanes: 1 };

    /// Refuses parameters outside the bounds (what a file may make us spend), before any work.
    pub fn check(&self) -> Result<()> {
        let refuse = |what: String| Err(Error::UnlockTooCostly(what));
        if self.memory_kib > MAX_MEMORY_KIB {
            return refuse(format!(
                "{} MiB of memory (at most {} MiB)",
                self.memory_kib / 1024,
                MAX_MEMORY_KIB / 1024
            ));
        }
        if self.iterations > MAX_ITERATIONS {
            return refuse(format!("{} passes (at most {MAX_ITERATIONS})", self.iterations));
        }
        if self.lanes > MAX_LANES {
            return refuse(format!("{} lanes (at most {MAX_LANES})", self.lanes));
        }
        if u64::from(self.memory_kib) * u64::from(self.iterations) > MAX_WORK_KIB {
            return refuse(format!("{} MiB x {} passes of work", self.memory_kib / 1024, self.iterations));
        }
        if self.iterations == 0 || self.lanes == 0 || self.memory_kib < 8 * self.lanes {
            return Err(Error::CorruptExport("its key derivation parameters are invalid".into()));
        }
        Ok(())
    }

    fn argon2(&self) -> Result<argon2::Argon2<'static>> {
        self.check()?;
        let params = argon2::Params::new(self.memory_kib, self.iterations, self.lanes, Some(32))
            .map_err(|e| Error::CorruptExport(format!("its key derivation parameters are invalid: {e}")))?;
        Ok(argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params))
    }

    /// Derives the 32-byte key (wiped when dropped).
    pub fn derive(&self, passphrase: &[u8], salt: &[u8]) -> Result<Zeroizing<[u8; 32]>> {
        let argon2 = self.argon2()?;
        let mut key = Zeroizing::new([0u8; 32]);
        argon2
            .hash_password_into(passphrase, salt, key.as_mut())
            .map_err(|e| Error::CorruptExport(format!("key derivation failed: {e}")))?;
        Ok(key)
    }
}

/// Whether `bytes` (the start of a file) is an encrypted export.
pub fn is_sealed(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// Encrypts `plaintext` (taken, and encrypted in place) under `passphrase`: header + ciphertext.
pub fn seal(plaintext: Vec<u8>, passphrase: &str, params: KdfParams) -> Result<Vec<u8>> {
    let mut salt = [0u8; SALT_LEN];
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut salt).map_err(|e| Error::Random(e.to_string()))?;
    getrandom::fill(&mut nonce).map_err(|e| Error::Random(e.to_string()))?;
    let mut header = Vec::with_capacity(HEADER_LEN);
    header.extend_from_slice(MAGIC);
    header.push(SEALED_VERSION);
    header.push(KDF_ARGON2ID);
    header.extend_from_slice(&params.memory_kib.to_le_bytes());
    header.extend_from_slice(&params.iterations.to_le_bytes());
    header.extend_from_slice(&params.lanes.to_le_bytes());
    header.extend_from_slice(&salt);
    header.extend_from_slice(&nonce);
    debug_assert_eq!(header.len(), HEADER_LEN);

    let key = params.derive(passphrase.as_bytes(), &salt)?;
    let cipher = XChaCha20Poly1305::new(key.as_ref().into());
    // The buffer holds the plaintext (secret keys) until it is encrypted in place; if encryption
    // fails it is wiped on the way out.
    let mut buffer = Zeroizing::new(plaintext);
    buffer.reserve_exact(TAG_LEN);
    cipher
        .encrypt_in_place(XNonce::from_slice(&nonce), &header, &mut *buffer)
        .map_err(|_| Error::Corrupt("encryption failed".into()))?;
    header.extend_from_slice(&buffer);
    Ok(header)
}

/// The parsed header of an encrypted export.
#[derive(Debug, PartialEq, Eq)]
pub struct SealedHeader {
    /// The key derivation's cost parameters.
    pub params: KdfParams,
    salt: [u8; SALT_LEN],
    nonce: [u8; NONCE_LEN],
}

/// Reads and checks the header: magic, version, KDF, and the bounds on its parameters. No key is
/// derived here; whatever this refuses costs nothing.
pub fn parse_header(file: &[u8]) -> Result<SealedHeader> {
    let truncated = || Error::CorruptExport("the encrypted file is truncated".into());
    let mut rest = file
        .strip_prefix(MAGIC.as_slice())
        .ok_or_else(|| Error::CorruptExport("not an encrypted Partage export".into()))?;
    if file.len() < HEADER_LEN + TAG_LEN {
        return Err(truncated());
    }
    let mut take = |n: usize| -> Result<&[u8]> {
        let (head, tail) = rest.split_at_checked(n).ok_or_else(truncated)?;
        rest = tail;
        Ok(head)
    };
    let u32_le = |b: &[u8]| -> Result<u32> { Ok(u32::from_le_bytes(b.try_into().map_err(|_| truncated())?)) };
    let [version, kdf] = take(2)? else { return Err(truncated()) };
    if *version != SEALED_VERSION {
        return Err(Error::CorruptExport(format!(
            "unsupported encrypted export version {version} (update Partage)"
        )));
    }
    if *kdf != KDF_ARGON2ID {
        return Err(Error::CorruptExport(format!("unknown key derivation function {kdf}")));
    }
    let params =
        KdfParams { memory_kib: u32_le(take(4)?)?, iterations: u32_le(take(4)?)?, lanes: u32_le(take(4)?)? };
    params.check()?;
    let salt: [u8; SALT_LEN] = take(SALT_LEN)?.try_into().map_err(|_| truncated())?;
    let nonce: [u8; NONCE_LEN] = take(NONCE_LEN)?.try_into().map_err(|_| truncated())?;
    Ok(SealedHeader { params, salt, nonce })
}

/// Decrypts an encrypted export. `None` passphrase: [`Error::PassphraseRequired`]. A wrong
/// passphrase and a damaged file are the same failure to the AEAD: [`Error::WrongPassphrase`].
pub fn open(file: Vec<u8>, passphrase: Option<&str>) -> Result<Zeroizing<Vec<u8>>> {
    let header = parse_header(&file)?;
    let Some(passphrase) = passphrase else {
        return Err(Error::PassphraseRequired);
    };
    let key = header.params.derive(passphrase.as_bytes(), &header.salt)?;
    let cipher = XChaCha20Poly1305::new(key.as_ref().into());
    let mut file = Zeroizing::new(file);
    let mut body = Zeroizing::new(file.split_off(HEADER_LEN));
    cipher
        .decrypt_in_place(XNonce::from_slice(&header.nonce), file.as_slice(), &mut *body)
        .map_err(|_| Error::WrongPassphrase)?;
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHEAP: KdfParams = KdfParams { memory_kib: 64, iterations: 1, lanes: 1 };

    #[test]
    fn seals_and_opens_and_refuses_the_wrong_passphrase() {
        let sealed = seal(b"{\"secret\":1}".to_vec(), "correct horse", CHEAP).unwrap();
        assert!(is_sealed(&sealed));
        assert_eq!(sealed.len(), HEADER_LEN + 12 + TAG_LEN);
        assert_eq!(&open(sealed.clone(), Some("correct horse")).unwrap()[..], b"{\"secret\":1}");
        assert!(matches!(open(sealed.clone(), Some("correct horse ")), Err(Error::WrongPassphrase)));
        assert!(matches!(open(sealed, None), Err(Error::PassphraseRequired)));
    }

    #[test]
    fn the_header_is_where_the_constants_say() {
        let sealed = seal(Vec::new(), "pw", CHEAP).unwrap();
        assert_eq!(HEADER_LEN, 18 + 1 + 1 + 12 + 16 + 24);
        assert_eq!(parse_header(&sealed).unwrap().params, CHEAP);
    }

    #[test]
    fn hostile_parameters_are_refused_before_any_derivation() {
        for (what, p) in [
            ("4 GiB", KdfParams { memory_kib: 4 * 1024 * 1024, ..KdfParams::DEFAULT }),
            ("1000 passes", KdfParams { iterations: 1000, ..KdfParams::DEFAULT }),
            ("lanes", KdfParams { lanes: 64, memory_kib: 64 * 1024, iterations: 1 }),
            ("work", KdfParams { memory_kib: MAX_MEMORY_KIB, iterations: MAX_ITERATIONS, lanes: 1 }),
            ("zero passes", KdfParams { iterations: 0, ..CHEAP }),
        ] {
            let refused = p.check().unwrap_err();
            assert!(
                matches!(refused, Error::UnlockTooCostly(_) | Error::CorruptExport(_)),
                "{what}: {refused}"
            );
            assert!(p.derive(b"pw", &[0; 16]).is_err(), "{what}");
        }
        KdfParams::DEFAULT.check().unwrap();
        KdfParams { memory_kib: MAX_MEMORY_KIB, iterations: 3, lanes: MAX_LANES }.check().unwrap();
    }
}
