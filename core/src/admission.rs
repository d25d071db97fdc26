//! Invites the neighbourhood enforces: admissions witnessed by members.
//!
//! A ticket lets a joiner sign their own membership certificate offline, but that certificate is
//! dated by the joiner's clock, so it proves nothing about expiry or how often the ticket was
//! used. A joiner is therefore only *pending* until a confirmed member witnesses the redemption:
//! the witness checks the invite's expiry against its own clock and the number of people already
//! admitted through it against the replicated records, then signs an [`Admission`] (its own
//! time, its own device key) and writes it into its own document, from where it spreads to every
//! member. Every member counts the admissions of an invite from those records, the same way: the
//! first `uses` admissions (by witnessed time, then member id) count, later ones do not. See
//! `docs/adr/0007-invites-enforced-by-members.md` for partitions and the threats this answers.

use crate::error::ChainError;
use crate::identity::{DeviceCert, SecretKey, domain, hex_bytes, verify};
use crate::ids::{MemberId, NeighbourhoodId};
use crate::membership::{Cert, CertKind, Chain, Revocation, RevocationSet, verify_chain};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Uses of an invite when none are asked for: a ticket is usually sent to one person.
pub const DEFAULT_INVITE_USES: u32 = 1;
/// Most uses one invite may have (a flyer for a large building).
pub const MAX_INVITE_USES: u32 = 500;
/// Admissions carried with one proof or one document bundle (the member's own, then those of
/// its inviters and witnesses, nearest first).
pub const MAX_CARRIED_ADMISSIONS: usize = 32;

/// Admissions read from one member's document at most (a member witnesses each joiner once).
pub const MAX_WITNESSED_PER_DOC: usize = 1_000;

/// "I, a confirmed member, saw `member` redeem invite `invite` at `witnessed_at` (my clock)."
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Admission {
    /// The neighbourhood.
    pub neighbourhood: NeighbourhoodId,
    /// The public key of the invite redeemed.
    #[serde(with = "hex_bytes")]
    pub invite: [u8; 32],
    /// The member who joined with it.
    pub member: MemberId,
    /// When the witness saw it, in milliseconds since the Unix epoch (the witness's clock).
    pub witnessed_at: u64,
    /// The joiner's member certificate, signed with the invite's key: only someone who held
    /// the ticket can have one, so a witness cannot admit made-up members.
    pub joined: Cert,
    /// The witness's membership chain and the certificate of the device that signed.
    pub witness_chain: Chain,
    /// The certificate of the witness's device that signed.
    pub witness_device: DeviceCert,
    /// The witness device's signature over the admission.
    #[serde(with = "hex_bytes")]
    pub sig: [u8; 64],
}

impl Admission {
    /// An admission of the member certified by `joined` through `invite`, witnessed at
    /// `witnessed_at` (ms since the Unix epoch) and signed with this device's key.
    pub fn issue(
        device_key: &SecretKey,
        witness_chain: Chain,
        witness_device: DeviceCert,
        invite: &Cert,
        joined: &Cert,
        witnessed_at: u64,
    ) -> Self {
        let mut a = Admission {
            neighbourhood: invite.neighbourhood,
            invite: invite.subject,
            member: MemberId(joined.subject),
            witnessed_at,
            joined: joined.clone(),
            witness_chain,
            witness_device,
            sig: [0; 64],
        };
        let at = witnessed_at.to_be_bytes();
        a.sig = device_key.sign(domain::ADMISSION, &a.signed_parts(&at));
        a
    }

    fn signed_parts<'a>(&'a self, at: &'a [u8; 8]) -> [&'a [u8]; 4] {
        [&self.neighbourhood.0, &self.invite, &self.member.0, at]
    }

    fn verifies(&self) -> bool {
        let at = self.witnessed_at.to_be_bytes();
        let j = &self.joined;
        j.kind == CertKind::Member
            && j.neighbourhood == self.neighbourhood
            && j.issuer == self.invite
            && j.subject == self.member.0
            && j.signature_valid()
            && self.witness_device.is_valid()
            && verify(&self.witness_device.device.0, domain::ADMISSION, &self.signed_parts(&at), &self.sig)
    }

    /// Orders admissions of one member: the earliest witnessed counts.
    fn rank(&self) -> (u64, MemberId, [u8; 32]) {
        (self.witnessed_at, self.member, self.witness_device.member.0)
    }
}

/// The admissions this device trusts in one neighbourhood, one per member (the earliest).
#[derive(Clone, Debug, Default)]
pub struct AdmissionBook {
    by_member: HashMap<MemberId, Admission>,
    /// Bumped on every change, so judgements made from the book can be cached.
    version: u64,
}

/// The facts every judgement of membership reads.
pub struct Judge<'a> {
    /// The neighbourhood judged.
    pub neighbourhood: NeighbourhoodId,
    /// The keys revoked in it.
    pub revoked: &'a RevocationSet,
    /// Its revocations themselves (their dates matter to some judgements).
    pub revocations: &'a [Revocation],
}

impl AdmissionBook {
    /// The admission kept for `member`, if any.
    pub fn get(&self, member: &MemberId) -> Option<&Admission> {
        self.by_member.get(member)
    }

    /// Every admission kept, in no particular order.
    pub fn all(&self) -> impl Iterator<Item = &Admission> {
        self.by_member.values()
    }

    /// Keeps `a` if it is the earliest known for its member; `true` if the book changed.
    /// The caller has checked it (see `Judge::trusted`).
    pub fn insert(&mut self, a: Admission) -> bool {
        match self.by_member.get(&a.member) {
            Some(old) if old.rank() <= a.rank() => false,
            _ => {
                self.by_member.insert(a.member, a);
                self.version = self.version.wrapping_add(1);
                true
            }
        }
    }

    /// Changes whenever the book does.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// How many members have an admission here.
    pub fn len(&self) -> usize {
        self.by_member.len()
    }

    /// Whether the book is empty.
    pub fn is_empty(&self) -> bool {
        self.by_member.is_empty()
    }
}

impl Judge<'_> {
    /// The member `chain` proves, if every member in it who came through an invite was admitted
    /// through that invite according to `book`.
    pub fn confirm(&self, chain: &[Cert], book: &AdmissionBook) -> Result<MemberId, ChainError> {
        let member = verify_chain(chain, &self.neighbourhood, self.revoked)?;
        for pair in chain.windows(2) {
            if let [invite, joined] = pair
                && invite.kind == CertKind::Invite
            {
                self.admitted_through(invite, &MemberId(joined.subject), book)?;
            }
        }
        Ok(member)
    }

    /// Whether `member` is among those `invite` admitted, by the records in `book`.
    pub fn admitted_through(
        &self,
        invite: &Cert,
        member: &MemberId,
        book: &AdmissionBook,
    ) -> Result<(), ChainError> {
        let own = book.get(member).filter(|a| a.invite == invite.subject).ok_or(ChainError::NotConfirmed)?;
        let expires = invite.expires_at.ok_or(ChainError::Malformed("invite without expiry"))?;
        if own.witnessed_at > expires {
            return Err(ChainError::InviteExpired(expires));
        }
        if self.counted(invite, book).iter().any(|m| m == member) {
            Ok(())
        } else if self.closed_at(invite, book).is_some_and(|t| own.witnessed_at >= t) {
            Err(ChainError::InviteClosed)
        } else {
            Err(ChainError::InviteUsedUp { uses: invite.uses })
        }
    }

    /// The members `invite` admitted: the first `uses` admissions witnessed before it expired
    /// and before it was closed, by (witnessed time, member id).
    pub fn counted(&self, invite: &Cert, book: &AdmissionBook) -> Vec<MemberId> {
        let expires = invite.expires_at.unwrap_or(0);
        let closed = self.closed_at(invite, book).unwrap_or(u64::MAX);
        let mut redeemed: Vec<&Admission> = book
            .all()
            .filter(|a| a.invite == invite.subject && a.witnessed_at <= expires && a.witnessed_at < closed)
            .collect();
        redeemed.sort_by_key(|a| (a.witnessed_at, a.member));
        redeemed.into_iter().take(invite.uses as usize).map(|a| a.member).collect()
    }

    /// An invite through which a since-revoked member came admits nobody after that
    /// revocation (so the revoked member cannot come back under a new identity).
    fn closed_at(&self, invite: &Cert, book: &AdmissionBook) -> Option<u64> {
        self.revocations
            .iter()
            .filter(|r| book.get(&MemberId(r.subject)).is_some_and(|a| a.invite == invite.subject))
            .map(|r| r.issued_at)
            .min()
    }

    /// Whether a confirmed member may now admit `member` through `invite` (the witness's own
    /// judgement: its clock `now`, its records).
    pub fn may_admit(
        &self,
        invite: &Cert,
        member: &MemberId,
        now: u64,
        book: &AdmissionBook,
    ) -> Result<(), ChainError> {
        let expires = invite.expires_at.ok_or(ChainError::Malformed("invite without expiry"))?;
        if now > expires {
            return Err(ChainError::InviteExpired(expires));
        }
        if self.closed_at(invite, book).is_some() || self.revoked.contains(&invite.subject) {
            return Err(ChainError::InviteClosed);
        }
        let counted = self.counted(invite, book);
        if !counted.contains(member) && counted.len() >= invite.uses as usize {
            return Err(ChainError::InviteUsedUp { uses: invite.uses });
        }
        Ok(())
    }

    /// Checks admissions received from outside and adds to `book` those it can trust: a valid
    /// signature by a device of a witness who is a confirmed member (by the book as it grows,
    /// so an admission may vouch for the witness of another). Returns those added.
    /// Callers bound `incoming` ([`MAX_CARRIED_ADMISSIONS`], [`MAX_WITNESSED_PER_DOC`]).
    pub fn learn(&self, book: &mut AdmissionBook, incoming: &[Admission]) -> Vec<Admission> {
        let mut pending: Vec<&Admission> = incoming
            .iter()
            .filter(|a| a.neighbourhood == self.neighbourhood && book.get(&a.member) != Some(*a))
            .collect();
        let mut added = Vec::new();
        loop {
            // Witnesses confirmed in this pass (most admissions share a witness).
            let mut confirmed: Vec<(&Chain, MemberId)> = Vec::new();
            let before = pending.len();
            let mut still = Vec::new();
            for a in pending {
                let known = confirmed.iter().find(|(c, _)| **c == a.witness_chain).map(|(_, m)| *m);
                let witness = match known {
                    Some(m) => Some(m),
                    None => self.confirm(&a.witness_chain, book).ok().inspect(|m| {
                        confirmed.push((&a.witness_chain, *m));
                    }),
                };
                let ok = witness.is_some_and(|w| {
                    w != a.member
                        && a.witness_device.member == w
                        && !self.revoked.contains(&a.witness_device.device.0)
                        && a.verifies()
                });
                if ok {
                    if book.insert(a.clone()) {
                        added.push(a.clone());
                    }
                } else {
                    still.push(a);
                }
            }
            pending = still;
            if pending.len() == before || pending.is_empty() {
                return added;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Identity;

    struct World {
        root: SecretKey,
        ns: NeighbourhoodId,
        founder: Identity,
        founder_chain: Chain,
    }

    fn world() -> World {
        let root = SecretKey::generate().unwrap();
        let ns = NeighbourhoodId(root.public());
        let founder = Identity::generate("F".into(), 1).unwrap();
        let founder_chain = vec![Cert::member(&root, ns, "Rue", founder.member_id().0, 1)];
        World { root, ns, founder, founder_chain }
    }

    fn invite(w: &World, uses: u32, expires: u64) -> (SecretKey, Cert) {
        let key = SecretKey::generate().unwrap();
        let cert = Cert::issue(
            w.founder.member_key().unwrap(),
            CertKind::Invite,
            w.ns,
            "Rue",
            key.public(),
            2,
            Some(expires),
            uses,
        );
        (key, cert)
    }

    fn joiner(w: &World, key: &SecretKey, cert: &Cert) -> (Identity, Chain) {
        let id = Identity::generate("J".into(), 1).unwrap();
        let mut chain = w.founder_chain.clone();
        chain.push(cert.clone());
        chain.push(Cert::member(key, w.ns, "Rue", id.member_id().0, 3));
        (id, chain)
    }

    /// The founder's admission of whoever `chain` (ending with their certificate) proves.
    fn admit(w: &World, cert: &Cert, chain: &Chain, at: u64) -> Admission {
        Admission::issue(
            &w.founder.device_key,
            w.founder_chain.clone(),
            w.founder.device_cert.clone(),
            cert,
            chain.last().unwrap(),
            at,
        )
    }

    #[test]
    fn pending_until_witnessed_and_counted_in_order() {
        let w = world();
        let none = RevocationSet::default();
        let judge = Judge { neighbourhood: w.ns, revoked: &none, revocations: &[] };
        let (key, cert) = invite(&w, 1, 100);
        let (a, chain_a) = joiner(&w, &key, &cert);
        let (b, chain_b) = joiner(&w, &key, &cert);
        let mut book = AdmissionBook::default();
        assert_eq!(judge.confirm(&chain_a, &book), Err(ChainError::NotConfirmed));
        assert_eq!(judge.confirm(&w.founder_chain, &book), Ok(w.founder.member_id()));
        // Two witnesses in a partition each admitted one: the earlier one counts everywhere.
        let late = admit(&w, &cert, &chain_b, 60);
        let early = admit(&w, &cert, &chain_a, 50);
        assert_eq!(judge.learn(&mut book, &[late, early]).len(), 2);
        assert_eq!(judge.confirm(&chain_a, &book), Ok(a.member_id()));
        assert_eq!(judge.confirm(&chain_b, &book), Err(ChainError::InviteUsedUp { uses: 1 }));
        assert_eq!(
            judge.may_admit(&cert, &b.member_id(), 70, &book),
            Err(ChainError::InviteUsedUp { uses: 1 })
        );
        assert_eq!(judge.may_admit(&cert, &a.member_id(), 70, &book), Ok(()));
        assert_eq!(judge.may_admit(&cert, &a.member_id(), 101, &book), Err(ChainError::InviteExpired(100)));
    }

    #[test]
    fn witnessed_after_expiry_does_not_count() {
        let w = world();
        let none = RevocationSet::default();
        let judge = Judge { neighbourhood: w.ns, revoked: &none, revocations: &[] };
        let (key, cert) = invite(&w, 5, 100);
        let (_, chain_a) = joiner(&w, &key, &cert);
        let mut book = AdmissionBook::default();
        judge.learn(&mut book, &[admit(&w, &cert, &chain_a, 101)]);
        assert_eq!(judge.confirm(&chain_a, &book), Err(ChainError::InviteExpired(100)));
    }

    #[test]
    fn unconfirmed_or_forged_witnesses_are_not_trusted() {
        let w = world();
        let none = RevocationSet::default();
        let judge = Judge { neighbourhood: w.ns, revoked: &none, revocations: &[] };
        let (key, cert) = invite(&w, 5, 100);
        let (a, chain_a) = joiner(&w, &key, &cert);
        let (b, chain_b) = joiner(&w, &key, &cert);
        let joined = |c: &Chain| c.last().unwrap().clone();
        // A pending joiner vouching for a sock puppet, and the puppet for them: neither counts.
        let by_a = Admission::issue(
            &a.device_key,
            chain_a.clone(),
            a.device_cert.clone(),
            &cert,
            &joined(&chain_b),
            10,
        );
        let by_b = Admission::issue(
            &b.device_key,
            chain_b.clone(),
            b.device_cert.clone(),
            &cert,
            &joined(&chain_a),
            10,
        );
        let mut book = AdmissionBook::default();
        assert!(judge.learn(&mut book, &[by_a.clone(), by_b]).is_empty());
        // Tampered time: the signature no longer verifies.
        let mut moved = admit(&w, &cert, &chain_a, 500);
        moved.witnessed_at = 10;
        assert!(judge.learn(&mut book, &[moved]).is_empty());
        // Once the founder admits A, A's admission of B is trusted (and counts).
        assert_eq!(judge.learn(&mut book, &[by_a, admit(&w, &cert, &chain_a, 5)]).len(), 2);
        assert!(book.get(&b.member_id()).is_some());
    }

    #[test]
    fn a_witness_cannot_admit_made_up_members() {
        let w = world();
        let none = RevocationSet::default();
        let judge = Judge { neighbourhood: w.ns, revoked: &none, revocations: &[] };
        let (key, cert) = invite(&w, 1, 100);
        let (a, chain_a) = joiner(&w, &key, &cert);
        // A confirmed (hostile) witness backdates an admission of a puppet to use up the invite,
        // without the ticket: the puppet's certificate is not signed with the invite's key.
        let stranger = SecretKey::generate().unwrap();
        let by_founder = |joined: &Cert| {
            Admission::issue(
                &w.founder.device_key,
                w.founder_chain.clone(),
                w.founder.device_cert.clone(),
                &cert,
                joined,
                1,
            )
        };
        let puppet = Cert::member(&stranger, w.ns, "Rue", [9; 32], 1);
        let mut claimed = puppet.clone();
        claimed.issuer = cert.subject; // claims the invite's key, but cannot sign with it
        let fakes = [by_founder(&puppet), by_founder(&claimed)];
        let mut book = AdmissionBook::default();
        assert!(judge.learn(&mut book, &fakes).is_empty());
        judge.learn(&mut book, &[admit(&w, &cert, &chain_a, 50)]);
        assert_eq!(judge.confirm(&chain_a, &book), Ok(a.member_id()));
    }

    #[test]
    fn revoking_a_redeemer_closes_a_shared_invite() {
        let w = world();
        let (key, cert) = invite(&w, 10, 1_000);
        let (a, chain_a) = joiner(&w, &key, &cert);
        let (b, chain_b) = joiner(&w, &key, &cert);
        let none = RevocationSet::default();
        let mut book = AdmissionBook::default();
        Judge { neighbourhood: w.ns, revoked: &none, revocations: &[] }
            .learn(&mut book, &[admit(&w, &cert, &chain_a, 10)]);
        let revocations = vec![Revocation::issue(&w.root, a.member_id().0, 20)];
        let revoked = RevocationSet::from_revocations(&w.ns, &revocations);
        let judge = Judge { neighbourhood: w.ns, revoked: &revoked, revocations: &revocations };
        assert_eq!(judge.may_admit(&cert, &b.member_id(), 30, &book), Err(ChainError::InviteClosed));
        judge.learn(&mut book, &[admit(&w, &cert, &chain_b, 30)]);
        assert_eq!(judge.confirm(&chain_b, &book), Err(ChainError::InviteClosed));
    }
}
