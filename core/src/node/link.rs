//! Linking a new device to this identity: the offering side (a device with the member key)
//! and the accepting side (a new, empty data directory). See `crate::link`.

use super::Node;
use crate::error::{Error, LinkError, Result};
use crate::export::{ExportFile, FORMAT, TransferSummary, VERSION};
use crate::identity::{DeviceCert, SecretKey, random_bytes};
use crate::ids::DeviceId;
use crate::link::{DeviceSummary, GRANT_VERSION, LINK_TTL_MS, LinkCode, LinkGrant, MAX_LINK_ADDRS};
use crate::node::MAX_MEMBER_DEVICES;
use crate::store::IdentityRecord;

/// The code shown now: only the secret's hash is kept.
pub(super) struct LinkOffer {
    secret_hash: [u8; 32],
    expires_at: u64,
    full_transfer: bool,
}

impl Node {
    /// Makes a device link code, valid for ten minutes and for one device, replacing any code
    /// shown before. `addrs` are where this device listens. With `full_transfer` the new
    /// device also receives the member key and admin keys (changing phones); without it, it
    /// can do everything but certify or revoke devices and issue invites.
    pub fn offer_link(&self, full_transfer: bool, addrs: Vec<String>) -> Result<String> {
        let mut st = self.lock()?;
        let identity = st.identity()?;
        identity.member_key()?;
        let secret = random_bytes::<32>()?;
        let code = LinkCode {
            member: identity.member_id(),
            name: identity.name.clone(),
            device: identity.device_id(),
            secret,
            expires_at: st.now().saturating_add(LINK_TTL_MS),
            addrs: addrs.into_iter().take(MAX_LINK_ADDRS).collect(),
        };
        st.link_offer = Some(LinkOffer {
            secret_hash: LinkCode::secret_hash(&secret),
            expires_at: code.expires_at,
            full_transfer,
        });
        Ok(code.encode())
    }

    /// Withdraws the code shown, if any.
    pub fn cancel_link_offer(&self) -> Result<()> {
        self.lock()?.link_offer = None;
        Ok(())
    }

    /// Whether a link code is waiting to be used.
    pub fn link_offered(&self) -> Result<bool> {
        let st = self.lock()?;
        Ok(st.link_offer.as_ref().is_some_and(|o| o.expires_at > st.now()))
    }

    /// Answers a new device that presented `secret` over a connection authenticated as
    /// `device`: certifies it for this member (once per code) and hands over what it needs.
    pub fn grant_link(&self, secret: &[u8; 32], device: DeviceId) -> Result<LinkGrant> {
        let (cert, full_transfer, name) = {
            let mut st = self.lock()?;
            let now = st.now();
            if st.link_offer.as_ref().is_some_and(|o| o.expires_at <= now) {
                st.link_offer = None;
            }
            let offered = st
                .link_offer
                .as_ref()
                .is_some_and(|o| o.expires_at > now && o.secret_hash == LinkCode::secret_hash(secret));
            if !offered {
                return Err(LinkError::NotOffered.into());
            }
            let identity = st.identity()?.clone();
            let me = identity.member_id();
            let mine: Vec<_> = st.members.values().filter(|m| m.member == me).cloned().collect();
            if device == identity.device_id()
                || mine.iter().any(|m| m.devices.iter().any(|c| c.device == device))
            {
                return Err(LinkError::AlreadyLinked.into());
            }
            if mine.iter().any(|m| m.device_revoked(&device)) {
                return Err(LinkError::DeviceRevoked.into());
            }
            if mine.iter().any(|m| m.devices.len() >= MAX_MEMBER_DEVICES) {
                return Err(crate::error::ValidationError::TooMany {
                    field: "devices",
                    count: MAX_MEMBER_DEVICES + 1,
                    max: MAX_MEMBER_DEVICES,
                }
                .into());
            }
            let full_transfer = st.link_offer.take().is_some_and(|o| o.full_transfer);
            let cert = DeviceCert::issue(identity.member_key()?, device, now);
            for mut rec in mine {
                rec.devices.push(cert.clone());
                st.store.write(|w| w.put_member(&rec))?;
                st.members.insert((rec.neighbourhood, rec.member), rec);
            }
            (cert, full_transfer, identity.name.clone())
        };
        let data = self.export_data()?;
        let mut neighbourhoods = data.neighbourhoods;
        if !full_transfer {
            for n in &mut neighbourhoods {
                n.root_secret = None;
            }
        }
        Ok(LinkGrant {
            version: GRANT_VERSION,
            name,
            device_cert: cert,
            member_secret: data.identity.member_secret.filter(|_| full_transfer),
            neighbourhoods,
            members: data.members,
            documents: data.documents,
        })
    }

    /// On the new device (an empty data directory): checks that `grant` answers `code` for
    /// `device_key`, then verifies and stores everything in it like a restored backup.
    pub fn accept_link(
        &self,
        code: &LinkCode,
        device_key: &SecretKey,
        grant: LinkGrant,
    ) -> Result<TransferSummary> {
        if grant.version != GRANT_VERSION {
            return Err(LinkError::BadGrant(format!("unsupported version {}", grant.version)).into());
        }
        let cert = &grant.device_cert;
        let member_key_ok =
            grant.member_secret.is_none_or(|s| SecretKey::from_bytes(&s).public() == code.member.0);
        if cert.member != code.member
            || cert.device.0 != device_key.public()
            || !cert.is_valid()
            || !member_key_ok
        {
            return Err(LinkError::Mismatch.into());
        }
        let file = ExportFile {
            format: FORMAT.into(),
            version: VERSION,
            exported_at: crate::clock::now_ms(),
            identity: IdentityRecord {
                name: grant.name,
                member_secret: grant.member_secret,
                device_secret: device_key.to_bytes(),
                device_cert: grant.device_cert,
            },
            neighbourhoods: grant.neighbourhoods,
            members: grant.members,
            documents: grant.documents,
            items: Vec::new(),
            // Thumbnails come with the next sync, originals on demand (ADR 0017).
            photos: Vec::new(),
        };
        self.import_data(file).map_err(|e| match e {
            Error::StoreNotEmpty => LinkError::NotEmpty.into(),
            Error::CorruptExport(why) => LinkError::BadGrant(why).into(),
            e => e,
        })
    }

    /// This member's devices, from the certificates and revocations known here.
    pub fn devices(&self) -> Result<Vec<DeviceSummary>> {
        let st = self.lock()?;
        let identity = st.identity()?;
        let me = identity.member_id();
        let mine: Vec<_> = st.members.values().filter(|m| m.member == me).collect();
        let mut out: Vec<DeviceSummary> = Vec::new();
        let certs = std::iter::once(&identity.device_cert).chain(mine.iter().flat_map(|m| m.devices.iter()));
        for cert in certs {
            if cert.member != me || out.iter().any(|d| d.device == cert.device) || !cert.is_valid() {
                continue;
            }
            out.push(DeviceSummary {
                device: cert.device,
                certified_at: cert.issued_at,
                is_this_device: cert.device == identity.device_id(),
                revoked: mine.iter().any(|m| m.device_revoked(&cert.device)),
            });
        }
        out.sort_by_key(|d| (!d.is_this_device, d.certified_at, d.device));
        Ok(out)
    }
}
