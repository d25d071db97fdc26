//! Several devices per person: linking a new device to this identity with a short-lived code,
//! listing this member's devices, revoking a lost one.

use crate::error::PartageError;
use crate::network::on_runtime;
use crate::node::Node;
use crate::runtime::blocking;
use crate::time::TimeSpan;
use crate::types::{TransferSummary, instant, parse_id};
use std::time::SystemTime;

/// One device of this member.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Device {
    pub device_id: String,
    /// When the member key certified it.
    pub certified_at: SystemTime,
    pub is_this_device: bool,
    pub revoked: bool,
}

impl From<partage::link::DeviceSummary> for Device {
    fn from(d: partage::link::DeviceSummary) -> Self {
        Device {
            device_id: d.device.to_hex(),
            certified_at: instant(d.certified_at),
            is_this_device: d.is_this_device,
            revoked: d.revoked,
        }
    }
}

#[uniffi::export]
impl Node {
    /// On a device that holds the member key, with the network running: a link code (for a QR
    /// code) valid ten minutes for one new device, carrying this device's addresses. A
    /// `DeviceLinked` network event says when it was used. With `full_transfer` the new device
    /// also receives the member and admin keys (changing phones); without it, it can do
    /// everything but link or revoke devices and issue invites (`NotAllowed`).
    pub async fn offer_device_link(&self, full_transfer: bool) -> Result<String, PartageError> {
        let network = self.network()?;
        on_runtime(self.net_slot(), async move { network.offer_link(full_transfer).await }).await
    }

    /// Withdraws the link code shown, if any.
    pub async fn cancel_device_link(&self) -> Result<(), PartageError> {
        let n = self.core();
        blocking(move || n.cancel_link_offer()).await
    }

    /// On the new device, with an empty data directory and no network started: connects to the
    /// device showing `code`, receives a certificate for this device and a copy of the identity's
    /// data, and stores it. Gives up after `timeout`; cancelling the call stops it.
    pub async fn link_to_identity(
        &self,
        code: String,
        timeout: TimeSpan,
    ) -> Result<TransferSummary, PartageError> {
        let timeout = timeout.to_duration("timeout")?;
        let node = (*self.core()).clone();
        let summary =
            on_runtime(self.net_slot(), async move { partage_net::link_device(&node, &code, timeout).await })
                .await?;
        Ok(summary.into())
    }

    /// This member's devices (this one first), with those revoked.
    pub async fn devices(&self) -> Result<Vec<Device>, PartageError> {
        let n = self.core();
        Ok(blocking(move || n.devices()).await?.into_iter().map(Into::into).collect())
    }

    /// Revokes a lost or stolen device of this member: once peers sync with this device they
    /// refuse what it signs. Needs the member key (`NotAllowed` on a linked device).
    pub async fn revoke_device(&self, device_id: String) -> Result<(), PartageError> {
        let device = parse_id::<partage::DeviceId>(&device_id)?;
        let n = self.core();
        blocking(move || n.revoke_device(&device)).await
    }
}
