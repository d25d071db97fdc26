//! Creating, joining, listing and leaving neighbourhoods; invites and revocations.

use super::{Node, st_commit_change};
use crate::clock::{DAY_MS, now_ms};
use crate::doc::MemberDoc;
use crate::error::{ChainError, Error, Result, ValidationError};
use crate::events::Event;
use crate::identity::SecretKey;
use crate::ids::{MemberId, NeighbourhoodId};
use crate::membership::{Cert, CertKind, Revocation, RevocationSet, verify_chain};
use crate::model::validate_neighbourhood_name;
use crate::store::{MemberRecord, NeighbourhoodRecord};
use crate::ticket::InviteTicket;

/// A neighbourhood as listed to the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NeighbourhoodSummary {
    pub id: NeighbourhoodId,
    pub name: String,
    /// Whether this device holds the root key (can revoke members).
    pub admin: bool,
    pub members: usize,
    pub items: usize,
    pub joined_at: u64,
}

/// A member as listed to the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberSummary {
    pub member: MemberId,
    pub name: String,
    pub is_me: bool,
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
        let chain = vec![Cert::issue(&root, CertKind::Member, ns, &name, me.0, now, None)];
        let rec = NeighbourhoodRecord {
            id: ns,
            name,
            chain,
            root_secret: Some(root.to_bytes()),
            joined_at: now,
            revocations: Vec::new(),
            known_addrs: Vec::new(),
        };
        self.enter(&mut st, rec)
    }

    /// Makes an invite ticket valid for `expires_in_days` days. `addrs` are this device's
    /// addresses, so the joiner can find the inviter.
    pub fn invite(&self, ns: &NeighbourhoodId, expires_in_days: u32, addrs: Vec<String>) -> Result<String> {
        if !(1..=365).contains(&expires_in_days) {
            return Err(ValidationError::ExpiryDays(expires_in_days).into());
        }
        let st = self.lock()?;
        let identity = st.identity()?;
        let rec = st.neighbourhood(ns)?;
        let invite = SecretKey::generate()?;
        let now = now_ms();
        let expires = now + u64::from(expires_in_days) * DAY_MS;
        let cert = Cert::issue(
            &identity.member_key,
            CertKind::Invite,
            *ns,
            &rec.name,
            invite.public(),
            now,
            Some(expires),
        );
        let mut chain = rec.chain.clone();
        chain.push(cert);
        Ok(InviteTicket::new(chain, invite.to_bytes(), addrs).encode())
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
        let mut chain = ticket.chain.clone();
        chain.push(Cert::issue(&invite, CertKind::Member, ns, &name, me.0, now, None));
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

    pub fn neighbourhoods(&self) -> Result<Vec<NeighbourhoodSummary>> {
        let st = self.lock()?;
        st.neighbourhoods.keys().map(|ns| summary(&st, ns)).collect()
    }

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
            .filter(|m| m.neighbourhood == *ns)
            .map(|m| MemberSummary { member: m.member, name: m.name.clone(), is_me: m.member == me })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name).then(a.member.cmp(&b.member)));
        Ok(out)
    }

    /// Leaves `ns` and erases everything this device stored about it.
    pub fn leave(&self, ns: &NeighbourhoodId) -> Result<()> {
        let mut st = self.lock()?;
        st.neighbourhood(ns)?;
        let items: Vec<_> = st.read.all().filter(|i| i.neighbourhood == *ns).map(|i| i.id).collect();
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
        self.emit(Event::NeighbourhoodLeft { neighbourhood: *ns });
        Ok(())
    }

    /// Admin only: revokes `member`. Their data is dropped here and refused from now on.
    pub fn revoke(&self, ns: &NeighbourhoodId, member: &MemberId) -> Result<()> {
        let mut st = self.lock()?;
        let mut rec = st.neighbourhood(ns)?.clone();
        let root = rec.root_secret.ok_or_else(|| Error::NotAdmin { name: rec.name.clone() })?;
        let revocation = Revocation::issue(&SecretKey::from_bytes(&root), member.0, now_ms());
        rec.revocations.push(revocation);
        self.store_revocations(&mut st, rec)?;
        Ok(())
    }
}

impl Node {
    /// Stores `rec` (with its revocations) and drops the items of every member whose
    /// membership no longer verifies: revoking an invite revokes who joined through it.
    pub(super) fn store_revocations(&self, st: &mut super::State, rec: NeighbourhoodRecord) -> Result<()> {
        let ns = rec.id;
        let revoked = RevocationSet::from_revocations(&ns, &rec.revocations);
        let me = st.identity()?.member_id();
        let gone: Vec<MemberId> = st
            .members
            .values()
            .filter(|m| {
                m.neighbourhood == ns && m.member != me && verify_chain(&m.chain, &ns, &revoked).is_err()
            })
            .map(|m| m.member)
            .collect();
        let items: Vec<_> = st
            .read
            .all()
            .filter(|i| i.neighbourhood == ns && gone.contains(&i.owner))
            .map(|i| i.id)
            .collect();
        st.store.write(|w| {
            w.put_neighbourhood(&rec)?;
            for id in &items {
                w.delete_item(id)?;
            }
            Ok(())
        })?;
        for id in &items {
            st.read.remove(*id);
            self.emit(Event::ItemRemoved { neighbourhood: ns, item: *id });
        }
        st.neighbourhoods.insert(ns, rec);
        for member in gone {
            self.emit(Event::MemberRevoked { neighbourhood: ns, member });
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
    })
}
