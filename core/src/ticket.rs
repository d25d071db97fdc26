//! Invite tickets: one copy-pasteable, URL-safe string `partage2<base64url>`.
//!
//! Body (postcard): the inviter's membership chain followed by an invite certificate, the invite
//! secret, the inviter's known addresses, and the neighbourhood's shared secret (what the sync
//! handshake proves knowledge of: ADR 0013). A 4-byte checksum catches copy-paste damage; the
//! certificate signatures catch deliberate tampering (name, expiry, neighbourhood), and the invite
//! secret must match the certified invite key. A wrong neighbourhood secret only keeps the joiner
//! from syncing.
//!
//! `partage1` tickets (before ADR 0013, no neighbourhood secret) are still read: their
//! neighbourhood has none, and the legacy secret derived from its id stands in.

use crate::error::TicketError;
use crate::identity::SecretKey;
use crate::ids::NeighbourhoodId;
use crate::membership::{Cert, CertKind, Chain, RevocationSet, verify_chain};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// What every invite ticket this build writes starts with.
pub const PREFIX: &str = "partage2";
/// Tickets made before neighbourhoods had a shared secret.
pub const LEGACY_PREFIX: &str = "partage1";
/// Tickets longer than this are refused before decoding (a real one is well under 2 KB).
pub const MAX_TICKET_LEN: usize = 16 * 1024;
const CHECKSUM_LEN: usize = 4;

/// A decoded, verified invite.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InviteTicket {
    /// The inviter's membership chain.
    pub inviter_chain: Chain,
    /// The invite certificate, issued by the inviter.
    pub invite: Cert,
    /// The invite key's secret: whoever holds the ticket signs their own member certificate with it.
    pub invite_secret: [u8; 32],
    /// Addresses (multiaddrs) where the inviter could be reached when the ticket was made.
    pub addrs: Vec<String>,
    /// The neighbourhood's shared secret (for a `partage1` ticket: the legacy one derived from
    /// the id, see `crate::store::legacy_neighbourhood_secret`).
    pub neighbourhood_secret: [u8; 32],
}

#[derive(Serialize, Deserialize)]
struct Body {
    /// The inviter's chain followed by the invite certificate.
    chain: Chain,
    invite_secret: [u8; 32],
    addrs: Vec<String>,
    neighbourhood_secret: [u8; 32],
}

/// The body of a `partage1` ticket.
#[derive(Serialize, Deserialize)]
struct BodyV1 {
    chain: Chain,
    invite_secret: [u8; 32],
    addrs: Vec<String>,
}

impl InviteTicket {
    /// The neighbourhood the ticket invites to.
    pub fn neighbourhood(&self) -> NeighbourhoodId {
        self.invite.neighbourhood
    }

    /// The neighbourhood's name, as the inviter signed it.
    pub fn neighbourhood_name(&self) -> &str {
        &self.invite.neighbourhood_name
    }

    /// When the invite expires, in milliseconds since the Unix epoch.
    pub fn expires_at(&self) -> u64 {
        self.invite.expires_at.unwrap_or(0)
    }

    /// How many people the invite may admit (counted by members, not by the ticket).
    pub fn uses(&self) -> u32 {
        self.invite.uses
    }

    /// The inviter's chain with the invite certificate appended.
    pub fn chain(&self) -> Chain {
        let mut chain = self.inviter_chain.clone();
        chain.push(self.invite.clone());
        chain
    }

    pub(crate) fn new(
        inviter_chain: Chain,
        invite: Cert,
        invite_secret: [u8; 32],
        addrs: Vec<String>,
        neighbourhood_secret: [u8; 32],
    ) -> Self {
        InviteTicket { inviter_chain, invite, invite_secret, addrs, neighbourhood_secret }
    }

    /// The ticket as text: [`PREFIX`], then URL-safe base64 of its body and a checksum.
    pub fn encode(&self) -> String {
        let body = Body {
            chain: self.chain(),
            invite_secret: self.invite_secret,
            addrs: self.addrs.clone(),
            neighbourhood_secret: self.neighbourhood_secret,
        };
        // Serialising plain structs into a Vec cannot fail.
        let mut bytes = postcard::to_allocvec(&body).unwrap_or_default();
        let sum = blake3::hash(&bytes);
        bytes.extend_from_slice(sum.as_bytes().first_chunk::<CHECKSUM_LEN>().unwrap_or(&[0; CHECKSUM_LEN]));
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Parses and verifies a ticket. `now` is the joiner's clock: a ticket that looks expired
    /// here is refused early, but expiry and uses are really judged by the members who confirm
    /// the joiner (see `crate::admission`).
    pub fn decode(text: &str, now: u64) -> Result<Self, TicketError> {
        let text = text.trim();
        if text.len() > MAX_TICKET_LEN {
            return Err(TicketError::Damaged);
        }
        let (payload, legacy) = match (text.strip_prefix(PREFIX), text.strip_prefix(LEGACY_PREFIX)) {
            (Some(p), _) => (p, false),
            (None, Some(p)) => (p, true),
            (None, None) => return Err(Self::not_a_ticket(text)),
        };
        let bytes = URL_SAFE_NO_PAD.decode(payload).map_err(|_| TicketError::Damaged)?;
        let split = bytes.len().checked_sub(CHECKSUM_LEN).filter(|n| *n > 0).ok_or(TicketError::Damaged)?;
        let (body, sum) = bytes.split_at(split);
        if blake3::hash(body).as_bytes().get(..CHECKSUM_LEN) != Some(sum) {
            return Err(TicketError::Damaged);
        }
        let body: Body = if legacy {
            let old: BodyV1 = exact(body)?;
            // Filled in below, once the neighbourhood is known.
            Body {
                chain: old.chain,
                invite_secret: old.invite_secret,
                addrs: old.addrs,
                neighbourhood_secret: [0; 32],
            }
        } else {
            exact(body)?
        };
        let mut chain = body.chain;
        let invite = chain.pop().ok_or(TicketError::Tampered("it carries no invite"))?;
        let mut ticket = InviteTicket {
            inviter_chain: chain,
            invite,
            invite_secret: body.invite_secret,
            addrs: body.addrs,
            neighbourhood_secret: body.neighbourhood_secret,
        };
        if legacy {
            ticket.neighbourhood_secret = crate::store::legacy_neighbourhood_secret(&ticket.neighbourhood());
        }
        ticket.verify(now)?;
        Ok(ticket)
    }

    /// Why `text` (without a ticket prefix) is refused.
    fn not_a_ticket(text: &str) -> TicketError {
        if let Some(rest) = text.strip_prefix("partage") {
            let version: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if !version.is_empty() {
                return TicketError::UnsupportedVersion(version);
            }
        }
        TicketError::WrongPrefix
    }

    fn verify(&self, now: u64) -> Result<(), TicketError> {
        let invite = &self.invite;
        if invite.kind != CertKind::Invite {
            return Err(TicketError::Tampered("it carries no invite"));
        }
        let inviter = verify_chain(&self.inviter_chain, &invite.neighbourhood, &RevocationSet::default())
            .map_err(|_| TicketError::Tampered("the inviter's membership does not verify"))?;
        if invite.issuer != inviter.0 || !invite.signature_valid() {
            return Err(TicketError::Tampered("the invite signature does not verify"));
        }
        if SecretKey::from_bytes(&self.invite_secret).public() != invite.subject {
            return Err(TicketError::Tampered("the invite secret does not match"));
        }
        if invite.uses == 0 {
            return Err(TicketError::Tampered("the invite admits nobody"));
        }
        let expires_at = invite.expires_at.ok_or(TicketError::Tampered("the invite has no expiry"))?;
        if now > expires_at {
            return Err(TicketError::Expired { expired_at_ms: expires_at });
        }
        Ok(())
    }
}

/// The body decoded, with nothing left over (a current body is not a legacy one with extras).
fn exact<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, TicketError> {
    match postcard::take_from_bytes(bytes) {
        Ok((value, [])) => Ok(value),
        _ => Err(TicketError::Damaged),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make(expires_at: u64) -> (InviteTicket, String) {
        let root = SecretKey::generate().unwrap();
        let ns = NeighbourhoodId(root.public());
        let founder = SecretKey::generate().unwrap();
        let invite = SecretKey::generate().unwrap();
        let chain = vec![
            Cert::issue(&root, CertKind::Member, ns, "Rue des Lilas", founder.public(), 1, None, 0),
            Cert::issue(
                &founder,
                CertKind::Invite,
                ns,
                "Rue des Lilas",
                invite.public(),
                2,
                Some(expires_at),
                1,
            ),
        ];
        let mut chain = chain;
        let invite_cert = chain.pop().unwrap();
        let t = InviteTicket::new(
            chain,
            invite_cert,
            invite.to_bytes(),
            vec!["/ip4/127.0.0.1/tcp/4001".into()],
            [5; 32],
        );
        let s = t.encode();
        (t, s)
    }

    #[test]
    fn round_trip() {
        let (t, s) = make(1_000);
        assert!(s.starts_with(PREFIX));
        assert!(s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        let back = InviteTicket::decode(&format!("  {s}\n"), 500).unwrap();
        assert_eq!(back, t);
        assert_eq!(back.neighbourhood_name(), "Rue des Lilas");
    }

    #[test]
    fn expired() {
        let (_, s) = make(1_796_083_200_000);
        let err = InviteTicket::decode(&s, 1_796_083_200_001).unwrap_err();
        assert_eq!(err.to_string(), "this ticket expired on 2026-12-01");
    }

    #[test]
    fn malformed_truncated_prefix() {
        let (_, s) = make(1_000);
        assert_eq!(InviteTicket::decode("hello", 0), Err(TicketError::WrongPrefix));
        assert_eq!(InviteTicket::decode("partage3abc", 0), Err(TicketError::UnsupportedVersion("3".into())));
        assert_eq!(InviteTicket::decode(&s[..s.len() - 10], 0), Err(TicketError::Damaged));
        assert_eq!(InviteTicket::decode(&format!("{s}!!"), 0), Err(TicketError::Damaged));
        assert_eq!(InviteTicket::decode(PREFIX, 0), Err(TicketError::Damaged));
    }

    #[test]
    fn tampered_with_valid_checksum() {
        let (t, _) = make(1_000);
        // Rename the neighbourhood and re-encode: the checksum is right, the signature is not.
        let mut renamed = t.clone();
        renamed.invite.neighbourhood_name = "Evil".into();
        assert!(matches!(InviteTicket::decode(&renamed.encode(), 0), Err(TicketError::Tampered(_))));
        let mut extended = t.clone();
        extended.invite.expires_at = Some(u64::MAX);
        assert!(matches!(InviteTicket::decode(&extended.encode(), 0), Err(TicketError::Tampered(_))));
        let mut other_secret = t;
        other_secret.invite_secret = [3; 32];
        assert_eq!(
            InviteTicket::decode(&other_secret.encode(), 0),
            Err(TicketError::Tampered("the invite secret does not match"))
        );
    }

    /// A `partage1` ticket (made before neighbourhoods had a secret) still admits: its
    /// neighbourhood's secret is the legacy one derived from the id.
    #[test]
    fn legacy_tickets_carry_the_legacy_secret() {
        let (t, _) = make(1_000);
        let old = BodyV1 { chain: t.chain(), invite_secret: t.invite_secret, addrs: t.addrs.clone() };
        let mut bytes = postcard::to_allocvec(&old).unwrap();
        let sum = blake3::hash(&bytes);
        bytes.extend_from_slice(&sum.as_bytes()[..CHECKSUM_LEN]);
        let text = format!("{LEGACY_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
        let back = InviteTicket::decode(&text, 0).unwrap();
        assert_eq!(back.neighbourhood_secret, crate::store::legacy_neighbourhood_secret(&t.neighbourhood()));
        assert_eq!((back.invite_secret, &back.addrs, back.chain()), (t.invite_secret, &t.addrs, t.chain()));
        // A current ticket is not read as a legacy one, nor the other way round.
        let current = t.encode().replacen(PREFIX, LEGACY_PREFIX, 1);
        assert!(InviteTicket::decode(&current, 0).is_err());
        assert_eq!(
            InviteTicket::decode(&text.replacen(LEGACY_PREFIX, PREFIX, 1), 0),
            Err(TicketError::Damaged)
        );
    }
}
