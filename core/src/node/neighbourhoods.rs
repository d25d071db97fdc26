//! Creating, joining, listing and leaving neighbourhoods; invites and revocations.

use super::{Node, st_commit_change};
use crate::admission::MAX_INVITE_USES;
use crate::clock::{DAY_MS, now_ms};
use crate::doc::MemberDoc;
use crate::error::{ChainError, Error, Result, ValidationError};
use crate::events::Event;
use crate::identity::{DeviceRevocation, SecretKey};
use crate::ids::{DeviceId, MemberId, NeighbourhoodId};
use crate::membership::{Cert, CertKind, Revocation, RevocationSet, verify_chain};
use crate::model::validate_neighbourhood_name;
use crate::store::{MemberRecord, NeighbourhoodRecord};
use crate::ticket::InviteTicket;

/// A neighbourhood as listed to the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NeighbourhoodSummary {
    /// Its id.
    pub id: NeighbourhoodId,
    /// Its name.
    pub name: String,
    /// Whether this device holds the root key (can revoke members).
    pub admin: bool,
    /// Members known here (this one included).
    pub members: usize,
    /// Items known here.
    pub items: usize,
    /// When this member joined (or founded) it, in milliseconds since the Unix epoch.
    pub joined_at: u64,
    /// A member has witnessed this device's ticket: until then nothing of the neighbourhood
    /// flows here ("waiting for a member to confirm").
    pub confirmed: bool,
}

/// A member as listed to the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberSummary {
    /// The member.
    pub member: MemberId,
    /// Their display name.
    pub name: String,
    /// Whether it is this identity.
    pub is_me: bool,
    /// How they joined: `None` for the founder (or when the admission is not known here).
    pub joined: Option<JoinedVia>,
}

/// The invite a member came through, who issued it, and who confirmed them, when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoinedVia {
    /// The invite key (hex prefixes of it identify a ticket).
    pub invite: [u8; 32],
    pub inviter: MemberId,
    pub witness: MemberId,
    /// The witness's clock when it confirmed the redemption (ms since the epoch).
    pub confirmed_at: u64,
}

impl Node {
    /// Creates a neighbourhood; this device becomes its founder and admin.
    pub fn create_neighbourhood(&self, name: &str) -> Result<NeighbourhoodSummary> {
        let name = validate_neighbourhood_name(name)?;
        let root = SecretKey::generate()?;
        let ns = NeighbourhoodId(root.public());
        let now = now_ms();
        let mut st = self.lock()?;
        let me = st.identity()?.member_id();
        let chain = vec![Cert::member(&root, ns, &name, me.0, now)];
        let rec = NeighbourhoodRecord {
            id: ns,
            name,
            chain,
            root_secret: Some(root.to_bytes()),
            joined_at: now,
            revocations: Vec::new(),
            known_addrs: Vec::new(),
            // Known only to members (tickets carry it): the sync handshake proves it first.
            shared_secret: Some(crate::identity::random_bytes::<32>()?),
        };
        self.enter(&mut st, rec)
    }

    /// Makes an invite ticket valid for `expires_in_days` days that may admit `uses` people
    /// (both judged by the members who confirm joiners, not by the joiner's device).
    /// `addrs` are this device's addresses, so the joiner can find the inviter.
    ///
    /// ```
    /// use partage::Node;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let (a, b) = (tempfile::tempdir()?, tempfile::tempdir()?);
    /// let (alice, bob) = (Node::open(a.path())?, Node::open(b.path())?);
    /// alice.init("Alice")?;
    /// bob.init("Bob")?;
    /// let street = alice.create_neighbourhood("Rue des Lilas")?;
    /// let ticket = alice.invite(&street.id, 7, 1, vec!["/ip4/192.168.1.20/tcp/4001".into()])?;
    /// assert!(ticket.starts_with("partage2"));
    ///
    /// // Joining works offline: the ticket carries what the joiner needs.
    /// let joined = bob.join(&ticket)?;
    /// assert_eq!((joined.id, joined.name.as_str(), joined.admin), (street.id, "Rue des Lilas", false));
    /// assert_eq!(bob.join("hello").unwrap_err().kind(), partage::ErrorKind::BadTicket);
    /// # Ok(())
    /// # }
    /// ```
    pub fn invite(
        &self,
        ns: &NeighbourhoodId,
        expires_in_days: u32,
        uses: u32,
        addrs: Vec<String>,
    ) -> Result<String> {
        if !(1..=365).contains(&expires_in_days) {
            return Err(ValidationError::ExpiryDays(expires_in_days).into());
        }
        if !(1..=MAX_INVITE_USES).contains(&uses) {
            return Err(ValidationError::InviteUses(uses).into());
        }
        let st = self.lock()?;
        let identity = st.identity()?;
        let rec = st.neighbourhood(ns)?;
        let invite = SecretKey::generate()?;
        let now = st.now();
        let expires = now.saturating_add(u64::from(expires_in_days).saturating_mul(DAY_MS));
        let cert = Cert::issue(
            identity.member_key()?,
            CertKind::Invite,
            *ns,
            &rec.name,
            invite.public(),
            now,
            Some(expires),
            uses,
        );
        // Home nodes serving the neighbourhood go in too: the joiner reaches them from anywhere.
        let mut addrs = addrs;
        for a in super::home_nodes::home_node_addresses(&st.store, ns)? {
            if !addrs.contains(&a) {
                addrs.push(a);
            }
        }
        Ok(InviteTicket::new(rec.chain.clone(), cert, invite.to_bytes(), addrs, rec.secret()).encode())
    }

    /// Joins with a ticket, offline: the invite secret signs this member's certificate.
    pub fn join(&self, ticket: &str) -> Result<NeighbourhoodSummary> {
        let now = now_ms();
        let ticket = InviteTicket::decode(ticket, now)?;
        let mut st = self.lock()?;
        let me = st.identity()?.member_id();
        let ns = ticket.neighbourhood();
        if let Some(rec) = st.neighbourhoods.get(&ns) {
            return Err(Error::AlreadyMember { name: rec.name.clone() });
        }
        let name = ticket.neighbourhood_name().to_owned();
        let invite = SecretKey::from_bytes(&ticket.invite_secret);
        let mut chain = ticket.chain();
        chain.push(Cert::member(&invite, ns, &name, me.0, now));
        let proven = verify_chain(&chain, &ns, &RevocationSet::default())?;
        if proven != me {
            return Err(ChainError::WrongMember { expected: me, found: proven }.into());
        }
        let rec = NeighbourhoodRecord {
            id: ns,
            name,
            chain,
            root_secret: None,
            joined_at: now,
            revocations: Vec::new(),
            known_addrs: ticket.addrs.clone(),
            shared_secret: Some(ticket.neighbourhood_secret),
        };
        self.enter(&mut st, rec)
    }

    /// Stores a new membership and this member's first document (their profile).
    fn enter(&self, st: &mut super::State, rec: NeighbourhoodRecord) -> Result<NeighbourhoodSummary> {
        let identity = st.identity()?.clone();
        let me = identity.member_id();
        let (doc, genesis) = MemberDoc::create(identity.device_id(), &identity.name)?;
        let member = MemberRecord {
            neighbourhood: rec.id,
            member: me,
            name: identity.name.clone(),
            chain: rec.chain.clone(),
            devices: vec![identity.device_cert.clone()],
            revoked_devices: Vec::new(),
        };
        st.store.write(|w| {
            w.put_neighbourhood(&rec)?;
            w.put_member(&member)?;
            st_commit_change(w, &identity, &rec.id, &genesis)?;
            w.put_heads(&rec.id, &me, &[genesis.hash().0])
        })?;
        let ns = rec.id;
        let name = rec.name.clone();
        st.docs.insert((ns, me), doc);
        st.heads.insert((ns, me), vec![genesis.hash().0]);
        st.unsnapshotted.insert((ns, me), 1);
        st.read.set_name(ns, me, identity.name.clone());
        st.members.insert((ns, me), member);
        st.neighbourhoods.insert(ns, rec);
        self.emit(Event::NeighbourhoodJoined { neighbourhood: ns, name });
        summary(st, &ns)
    }

    /// The neighbourhoods this member is in (not those left, whose departure is still kept).
    pub fn neighbourhoods(&self) -> Result<Vec<NeighbourhoodSummary>> {
        let st = self.lock()?;
        let me = st.identity.as_ref().map(|i| i.member_id());
        st.neighbourhoods
            .keys()
            .filter(|ns| me.is_none_or(|me| !st.departed.contains_key(&(**ns, me))))
            .map(|ns| summary(&st, ns))
            .collect()
    }

    /// The summary of neighbourhood `ns`. Fails with [`Error::UnknownNeighbourhood`] if this node is
    /// not a member.
    pub fn neighbourhood(&self, ns: &NeighbourhoodId) -> Result<NeighbourhoodSummary> {
        let st = self.lock()?;
        summary(&st, ns)
    }

    /// Members known in `ns` (those whose documents reached this device, and me).
    pub fn members(&self, ns: &NeighbourhoodId) -> Result<Vec<MemberSummary>> {
        let st = self.lock()?;
        st.neighbourhood(ns)?;
        let me = st.identity()?.member_id();
        let mut out: Vec<MemberSummary> = st
            .members
            .values()
            .filter(|m| m.neighbourhood == *ns && !st.departed.contains_key(&(*ns, m.member)))
            .filter(|m| m.member == me || st.confirm(ns, &m.chain).is_ok())
            .map(|m| MemberSummary {
                member: m.member,
                name: m.name.clone(),
                is_me: m.member == me,
                joined: joined_via(&st, ns, &m.chain),
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name).then(a.member.cmp(&b.member)));
        Ok(out)
    }

    /// Leaves `ns`, telling the neighbours (see [`Node::leave_neighbourhood`]).
    pub fn leave(&self, ns: &NeighbourhoodId) -> Result<()> {
        self.leave_neighbourhood(ns, false)
    }

    /// Leaves `ns` and erases what this member published there, on every peer that syncs
    /// (items, profile name; loans keep a minimal record for the other party). See
    /// [`Node::leave_neighbourhood`].
    pub fn erase(&self, ns: &NeighbourhoodId) -> Result<()> {
        self.leave_neighbourhood(ns, true)
    }

    /// Erases everything this device stored about `ns`.
    pub(super) fn forget_neighbourhood(&self, st: &mut super::State, ns: &NeighbourhoodId) -> Result<()> {
        let items: Vec<_> =
            st.read.all().filter(|i| i.neighbourhood == *ns).map(|i| (i.owner, i.id)).collect();
        st.store.write(|w| {
            w.delete_neighbourhood(ns, &items)?;
            w.delete_loans_in(ns)
        })?;
        st.neighbourhoods.remove(ns);
        st.members.retain(|(n, _), _| n != ns);
        st.docs.retain(|(n, _), _| n != ns);
        st.heads.retain(|(n, _), _| n != ns);
        st.unsnapshotted.retain(|(n, _), _| n != ns);
        st.read.remove_neighbourhood(*ns);
        st.loans.remove_neighbourhood(*ns);
        st.admissions.remove(ns);
        st.gone_reported.retain(|(n, _)| n != ns);
        st.departed.retain(|(n, _), _| n != ns);
        // Judgements keyed by versions that restart with the neighbourhood: forget them.
        st.standing.borrow_mut().clear();
        self.emit(Event::NeighbourhoodLeft { neighbourhood: *ns });
        Ok(())
    }

    /// Admin only: revokes `member`. Their data is dropped here and refused from now on.
    pub fn revoke(&self, ns: &NeighbourhoodId, member: &MemberId) -> Result<()> {
        let mut st = self.lock()?;
        let mut rec = st.neighbourhood(ns)?.clone();
        let root = rec.root_secret.ok_or_else(|| Error::NotAdmin { name: rec.name.clone() })?;
        let root = SecretKey::from_bytes(&root);
        let now = st.now();
        rec.revocations.push(Revocation::issue(&root, member.0, now));
        // The invite they came through, if nobody else used it: revoked as a key, so no new
        // identity can come back with the same ticket. (A shared invite is closed instead,
        // see `Judge::closed_at`; the invites they issued fall with them, as their chains
        // contain the revoked member.)
        let sole_invite = st.admissions.get(ns).and_then(|book| {
            let invite = book.get(member)?.invite;
            let others = book.all().filter(|a| a.invite == invite && a.member != *member).count();
            (others == 0).then_some(invite)
        });
        if let Some(invite) = sole_invite {
            rec.revocations.push(Revocation::issue(&root, invite, now));
        }
        self.store_revocations(&mut st, rec)?;
        Ok(())
    }
}

impl Node {
    /// Stores `rec` (with its revocations) and drops the items of every member whose
    /// membership no longer verifies: revoking an invite revokes who joined through it.
    pub(super) fn store_revocations(&self, st: &mut super::State, rec: NeighbourhoodRecord) -> Result<()> {
        let ns = rec.id;
        let was_confirmed = st.confirmed(&ns);
        st.store.write(|w| w.put_neighbourhood(&rec))?;
        st.neighbourhoods.insert(ns, rec);
        self.settle_members(st, &ns, was_confirmed)
    }
}

/// How the member with `chain` joined, from the admission known here.
fn joined_via(st: &super::State, ns: &NeighbourhoodId, chain: &[Cert]) -> Option<JoinedVia> {
    let [.., invite, joined] = chain else { return None };
    let a = st.admissions.get(ns)?.get(&MemberId(joined.subject))?;
    Some(JoinedVia {
        invite: invite.subject,
        inviter: MemberId(invite.issuer),
        witness: a.witness_device.member,
        confirmed_at: a.witnessed_at,
    })
}

impl Node {
    /// Revokes one of this member's devices (a lost or stolen phone) in every neighbourhood:
    /// from when a replica learns of it, nothing new that device signs is accepted, and it can
    /// no longer prove membership. The revocation travels with this member's document.
    pub fn revoke_device(&self, device: &DeviceId) -> Result<()> {
        let mut st = self.lock()?;
        let identity = st.identity()?.clone();
        if *device == identity.device_id() {
            return Err(ValidationError::RevokeOwnDevice.into());
        }
        let me = identity.member_id();
        let revocation = DeviceRevocation::issue(identity.member_key()?, *device, st.now());
        let nss: Vec<NeighbourhoodId> = st.neighbourhoods.keys().copied().collect();
        for ns in nss {
            let Some(mut rec) = st.members.get(&(ns, me)).cloned() else { continue };
            if rec.revoked_devices.iter().any(|r| r.device == *device) {
                continue;
            }
            rec.revoked_devices.push(revocation.clone());
            // A change in the document moves its heads, so peers fetch it and the revocation
            // travels with it.
            let change = st.doc_mut(&ns, &me)?.note_device_revoked(&revocation)?;
            match change {
                Some(change) => st.commit_local(ns, &change, |w| w.put_member(&rec))?,
                None => st.store.write(|w| w.put_member(&rec))?,
            }
            st.members.insert((ns, me), rec);
        }
        Ok(())
    }
}

fn summary(st: &super::State, ns: &NeighbourhoodId) -> Result<NeighbourhoodSummary> {
    let rec = st.neighbourhood(ns)?;
    Ok(NeighbourhoodSummary {
        id: rec.id,
        name: rec.name.clone(),
        admin: rec.root_secret.is_some(),
        members: st.members.keys().filter(|(n, _)| n == ns).count(),
        items: st.read.all().filter(|i| i.neighbourhood == *ns).count(),
        joined_at: rec.joined_at,
        confirmed: st.confirmed(ns),
    })
}
