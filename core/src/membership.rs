//! Membership certificates and their verification.
//!
//! A neighbourhood's id is the public key of a root keypair made by its founder. Membership is a
//! chain of certificates that starts at that root: `root → member` for the founder, and
//! `… → member → invite → member` for everyone who joined with a ticket (the joiner signs their own
//! certificate with the invite secret carried in the ticket, so joining works offline).
//! [`verify_chain`] is a pure function over (chain, neighbourhood, revocations).

use crate::error::ChainError;
use crate::identity::{SecretKey, domain, hex_bytes, verify};
use crate::ids::{MemberId, NeighbourhoodId};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Longest chain accepted: eight generations of "a member invited a member".
pub const MAX_CHAIN_LEN: usize = 16;

/// What a certificate's subject is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CertKind {
    /// The subject is a member of the neighbourhood.
    Member,
    /// The subject is a one-off invite key that may certify new members until `expires_at`.
    Invite,
}

/// One link of a membership chain, signed by `issuer`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cert {
    /// Whether the subject is a member or an invite key.
    pub kind: CertKind,
    /// The neighbourhood it is for.
    pub neighbourhood: NeighbourhoodId,
    /// The neighbourhood's display name as the issuer knew it (signed, so tickets can't lie).
    pub neighbourhood_name: String,
    /// The public key that signed it: the root, a member, or an invite key.
    #[serde(with = "hex_bytes")]
    pub issuer: [u8; 32],
    /// The public key it certifies (a member key or an invite key).
    #[serde(with = "hex_bytes")]
    pub subject: [u8; 32],
    /// When it was issued, in milliseconds since the Unix epoch.
    pub issued_at: u64,
    /// For an invite: until when it may certify members (ms since the Unix epoch). `None` for a
    /// member certificate.
    pub expires_at: Option<u64>,
    /// For an invite: how many people it may admit (judged by members, see
    /// `crate::admission`). 0 for a member certificate.
    pub uses: u32,
    /// The issuer's signature over every other field.
    #[serde(with = "hex_bytes")]
    pub sig: [u8; 64],
}

impl Cert {
    /// A member certificate (no expiry, no uses).
    pub fn member(
        issuer: &SecretKey,
        neighbourhood: NeighbourhoodId,
        neighbourhood_name: &str,
        subject: [u8; 32],
        issued_at: u64,
    ) -> Self {
        Self::issue(issuer, CertKind::Member, neighbourhood, neighbourhood_name, subject, issued_at, None, 0)
    }

    /// A certificate of `kind` for `subject`, signed by `issuer`. Times are in milliseconds since
    /// the Unix epoch.
    #[allow(clippy::too_many_arguments)]
    pub fn issue(
        issuer: &SecretKey,
        kind: CertKind,
        neighbourhood: NeighbourhoodId,
        neighbourhood_name: &str,
        subject: [u8; 32],
        issued_at: u64,
        expires_at: Option<u64>,
        uses: u32,
    ) -> Self {
        let mut cert = Cert {
            kind,
            neighbourhood,
            neighbourhood_name: neighbourhood_name.to_owned(),
            issuer: issuer.public(),
            subject,
            issued_at,
            expires_at,
            uses,
            sig: [0; 64],
        };
        let parts = cert.signed_parts();
        let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        cert.sig = issuer.sign(domain::MEMBERSHIP_CERT, &refs);
        cert
    }

    fn signed_parts(&self) -> [Vec<u8>; 8] {
        [
            vec![match self.kind {
                CertKind::Member => 1,
                CertKind::Invite => 2,
            }],
            self.neighbourhood.0.to_vec(),
            self.neighbourhood_name.as_bytes().to_vec(),
            self.issuer.to_vec(),
            self.subject.to_vec(),
            self.issued_at.to_be_bytes().to_vec(),
            self.expires_at.map(|e| e.to_be_bytes().to_vec()).unwrap_or_default(),
            self.uses.to_be_bytes().to_vec(),
        ]
    }

    /// Whether the issuer's signature over the certificate's fields verifies (the chain rules are
    /// checked by [`verify_chain`]).
    pub fn signature_valid(&self) -> bool {
        let parts = self.signed_parts();
        let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        verify(&self.issuer, domain::MEMBERSHIP_CERT, &refs, &self.sig)
    }
}

/// A proof of membership: certificates from the root to the member.
pub type Chain = Vec<Cert>;

/// "This key is no longer welcome", signed by the neighbourhood root (held by admins).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    /// The neighbourhood whose root signed it.
    pub neighbourhood: NeighbourhoodId,
    /// The revoked key (a member key or an invite key).
    #[serde(with = "hex_bytes")]
    pub subject: [u8; 32],
    /// When it was issued, in milliseconds since the Unix epoch.
    pub issued_at: u64,
    /// The root's signature over neighbourhood, subject and `issued_at`.
    #[serde(with = "hex_bytes")]
    pub sig: [u8; 64],
}

impl Revocation {
    /// Revokes `subject` in the neighbourhood whose root key is `root`.
    pub fn issue(root: &SecretKey, subject: [u8; 32], issued_at: u64) -> Self {
        let neighbourhood = NeighbourhoodId(root.public());
        let sig = root.sign(domain::REVOCATION, &[&neighbourhood.0, &subject, &issued_at.to_be_bytes()]);
        Revocation { neighbourhood, subject, issued_at, sig }
    }

    /// Whether the root's signature verifies.
    pub fn is_valid(&self) -> bool {
        verify(
            &self.neighbourhood.0,
            domain::REVOCATION,
            &[&self.neighbourhood.0, &self.subject, &self.issued_at.to_be_bytes()],
            &self.sig,
        )
    }
}

/// The keys revoked in one neighbourhood; built only from revocations whose signature verifies.
#[derive(Clone, Debug, Default)]
pub struct RevocationSet(HashSet<[u8; 32]>);

impl RevocationSet {
    /// The keys revoked in `neighbourhood` by those of `revocations` that are for it and verify
    /// (the others are ignored).
    pub fn from_revocations<'a>(
        neighbourhood: &NeighbourhoodId,
        revocations: impl IntoIterator<Item = &'a Revocation>,
    ) -> Self {
        RevocationSet(
            revocations
                .into_iter()
                .filter(|r| r.neighbourhood == *neighbourhood && r.is_valid())
                .map(|r| r.subject)
                .collect(),
        )
    }

    /// Whether `key` is revoked.
    pub fn contains(&self, key: &[u8; 32]) -> bool {
        self.0.contains(key)
    }
}

/// Checks a membership chain and returns the member it proves.
///
/// Rules: it starts at the root; every certificate is signed by the subject of the previous one;
/// kinds alternate so that only members issue invites and an invite only certifies a member; the
/// chain ends with a member; a member's certificate is dated no later than the expiry of the
/// invite that issued it; no key in the chain is revoked.
pub fn verify_chain(
    chain: &[Cert],
    neighbourhood: &NeighbourhoodId,
    revoked: &RevocationSet,
) -> Result<MemberId, ChainError> {
    let first = chain.first().ok_or(ChainError::Empty)?;
    if chain.len() > MAX_CHAIN_LEN {
        return Err(ChainError::TooLong(chain.len()));
    }
    if first.issuer != neighbourhood.0 {
        return Err(ChainError::WrongRoot);
    }
    let mut previous: Option<&Cert> = None;
    for (i, cert) in chain.iter().enumerate() {
        if cert.neighbourhood != *neighbourhood {
            return Err(ChainError::WrongNeighbourhood);
        }
        if previous.is_some_and(|p| cert.issuer != p.subject) {
            return Err(ChainError::BrokenLink(i));
        }
        if !cert.signature_valid() {
            return Err(ChainError::BadSignature(i));
        }
        let expected = if i % 2 == 0 { CertKind::Member } else { CertKind::Invite };
        if cert.kind != expected {
            return Err(ChainError::Malformed("certificates must alternate member and invite"));
        }
        if let Some(invite) = previous.filter(|p| p.kind == CertKind::Invite) {
            let expiry = invite.expires_at.ok_or(ChainError::Malformed("invite without expiry"))?;
            if cert.issued_at > expiry {
                return Err(ChainError::InviteExpired(expiry));
            }
        }
        previous = Some(cert);
    }
    if chain.iter().any(|c| revoked.contains(&c.subject)) {
        return Err(ChainError::Revoked);
    }
    // Alternation starting with Member means an odd length ends with a member.
    let last = previous.unwrap_or(first);
    if last.kind != CertKind::Member {
        return Err(ChainError::Malformed("does not end with a member"));
    }
    Ok(MemberId(last.subject))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixture {
        root: SecretKey,
        ns: NeighbourhoodId,
        founder: SecretKey,
        invite: SecretKey,
        joiner: SecretKey,
    }

    const EXPIRY: u64 = 10_000;

    fn fixture() -> (Fixture, Chain) {
        let root = SecretKey::generate().unwrap();
        let ns = NeighbourhoodId(root.public());
        let founder = SecretKey::generate().unwrap();
        let invite = SecretKey::generate().unwrap();
        let joiner = SecretKey::generate().unwrap();
        let chain = vec![
            Cert::issue(&root, CertKind::Member, ns, "Rue Haute", founder.public(), 1, None, 0),
            Cert::issue(&founder, CertKind::Invite, ns, "Rue Haute", invite.public(), 2, Some(EXPIRY), 1),
            Cert::issue(&invite, CertKind::Member, ns, "Rue Haute", joiner.public(), 3, None, 0),
        ];
        (Fixture { root, ns, founder, invite, joiner }, chain)
    }

    #[test]
    fn valid_chains_verify() {
        let (f, chain) = fixture();
        let none = RevocationSet::default();
        assert_eq!(verify_chain(&chain, &f.ns, &none), Ok(MemberId(f.joiner.public())));
        assert_eq!(verify_chain(&chain[..1], &f.ns, &none), Ok(MemberId(f.founder.public())));
    }

    #[test]
    fn empty_chain() {
        let (f, _) = fixture();
        assert_eq!(verify_chain(&[], &f.ns, &RevocationSet::default()), Err(ChainError::Empty));
    }

    #[test]
    fn wrong_root() {
        let (f, chain) = fixture();
        let other = NeighbourhoodId(SecretKey::generate().unwrap().public());
        assert_eq!(verify_chain(&chain, &other, &RevocationSet::default()), Err(ChainError::WrongRoot));
        // A chain rooted at a stranger's key but claiming our neighbourhood.
        let stranger = SecretKey::generate().unwrap();
        let fake = vec![Cert::issue(&stranger, CertKind::Member, f.ns, "x", f.joiner.public(), 1, None, 0)];
        assert_eq!(verify_chain(&fake, &f.ns, &RevocationSet::default()), Err(ChainError::WrongRoot));
    }

    #[test]
    fn bad_signature_and_tampering() {
        let (f, mut chain) = fixture();
        chain[2].subject = SecretKey::generate().unwrap().public();
        assert_eq!(verify_chain(&chain, &f.ns, &RevocationSet::default()), Err(ChainError::BadSignature(2)));
        let (f, mut chain) = fixture();
        chain[1].expires_at = Some(u64::MAX);
        assert_eq!(verify_chain(&chain, &f.ns, &RevocationSet::default()), Err(ChainError::BadSignature(1)));
        let (f, mut chain) = fixture();
        chain[0].neighbourhood_name = "Other".into();
        assert_eq!(verify_chain(&chain, &f.ns, &RevocationSet::default()), Err(ChainError::BadSignature(0)));
    }

    #[test]
    fn broken_link() {
        let (f, mut chain) = fixture();
        let stranger = SecretKey::generate().unwrap();
        chain[2] = Cert::issue(&stranger, CertKind::Member, f.ns, "Rue Haute", f.joiner.public(), 3, None, 0);
        assert_eq!(verify_chain(&chain, &f.ns, &RevocationSet::default()), Err(ChainError::BrokenLink(2)));
    }

    #[test]
    fn expired_invite() {
        let (f, mut chain) = fixture();
        chain[2] = Cert::issue(
            &f.invite,
            CertKind::Member,
            f.ns,
            "Rue Haute",
            f.joiner.public(),
            EXPIRY + 1,
            None,
            0,
        );
        assert_eq!(
            verify_chain(&chain, &f.ns, &RevocationSet::default()),
            Err(ChainError::InviteExpired(EXPIRY))
        );
    }

    #[test]
    fn revoked_member_or_invite() {
        let (f, chain) = fixture();
        for subject in [f.joiner.public(), f.invite.public(), f.founder.public()] {
            let r = Revocation::issue(&f.root, subject, 5);
            let set = RevocationSet::from_revocations(&f.ns, [&r]);
            assert_eq!(verify_chain(&chain, &f.ns, &set), Err(ChainError::Revoked));
        }
    }

    #[test]
    fn revocation_not_signed_by_root_is_ignored() {
        let (f, chain) = fixture();
        let mut r = Revocation::issue(&f.founder, f.joiner.public(), 5);
        r.neighbourhood = f.ns;
        let set = RevocationSet::from_revocations(&f.ns, [&r]);
        assert!(verify_chain(&chain, &f.ns, &set).is_ok());
    }

    #[test]
    fn invite_cannot_be_last_or_issue_invites() {
        let (f, chain) = fixture();
        assert!(matches!(
            verify_chain(&chain[..2], &f.ns, &RevocationSet::default()),
            Err(ChainError::Malformed(_))
        ));
        let other = SecretKey::generate().unwrap();
        let bad = vec![
            chain[0].clone(),
            chain[1].clone(),
            Cert::issue(&f.invite, CertKind::Invite, f.ns, "Rue Haute", other.public(), 3, Some(EXPIRY), 1),
        ];
        assert!(matches!(
            verify_chain(&bad, &f.ns, &RevocationSet::default()),
            Err(ChainError::Malformed(_))
        ));
    }

    #[test]
    fn wrong_neighbourhood_field() {
        let (f, mut chain) = fixture();
        let other = NeighbourhoodId([9; 32]);
        chain[1] = Cert::issue(
            &f.founder,
            CertKind::Invite,
            other,
            "Rue Haute",
            f.invite.public(),
            2,
            Some(EXPIRY),
            1,
        );
        assert_eq!(
            verify_chain(&chain, &f.ns, &RevocationSet::default()),
            Err(ChainError::WrongNeighbourhood)
        );
    }

    #[test]
    fn too_long() {
        let (f, chain) = fixture();
        let long: Chain = chain.iter().cycle().take(MAX_CHAIN_LEN + 1).cloned().collect();
        assert_eq!(
            verify_chain(&long, &f.ns, &RevocationSet::default()),
            Err(ChainError::TooLong(MAX_CHAIN_LEN + 1))
        );
    }
}
