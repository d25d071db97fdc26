//! Two connected nodes after a full sync: single edits carried live, then an idle reconnect.

use crate::net::{Synced, bytes, start};
use crate::reopen::own_item;
use crate::stats::{Res, ms, quantile};
use partage::{Event, ItemId, ItemPatch, Subscription};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

pub struct Live {
    pub edit_p50_ms: f64,
    pub edit_p99_ms: f64,
    pub edits: usize,
    pub reconnect_ms: f64,
    pub reconnect_received: u64,
    pub reconnect_sent: u64,
}

/// `edits` single edits on the serving node, each timed until the fresh member's event; then
/// the fresh member restarts its network and syncs with nothing new. Stops both networks.
pub async fn measure(hub: &partage::Node, synced: Synced, edits: usize) -> Res<Live> {
    let Synced { hub_net, hub_addr, fresh_net, fresh } = synced;
    let own = own_item(hub)?;
    let mut events = fresh.node.subscribe();
    let mut latencies = timed_edits(hub, own, &mut events, edits).await?;
    latencies.sort_unstable();
    fresh_net.stop().await?;
    let started = Instant::now();
    let again = start(&fresh.node, vec![hub_addr]).await?;
    let report = again.sync_now(crate::net::SYNC_TIMEOUT).await?;
    let reconnect = started.elapsed();
    let (r, s) = bytes(&report);
    again.stop().await?;
    hub_net.stop().await?;
    Ok(Live {
        edit_p50_ms: ms(quantile(&latencies, 0.5)),
        edit_p99_ms: ms(quantile(&latencies, 0.99)),
        edits,
        reconnect_ms: ms(reconnect),
        reconnect_received: r,
        reconnect_sent: s,
    })
}

impl Live {
    pub fn json(&self) -> Value {
        json!({
            "edits": self.edits,
            "edit_latency_p50_ms": self.edit_p50_ms,
            "edit_latency_p99_ms": self.edit_p99_ms,
            "idle_reconnect_ms": self.reconnect_ms,
            "idle_reconnect_bytes_received": self.reconnect_received,
            "idle_reconnect_bytes_sent": self.reconnect_sent,
        })
    }

    pub fn lines(&self) -> Vec<String> {
        vec![
            format!(
                "one edit (libp2p)     p50 {:.2} ms, p99 {:.2} ms over {} edits",
                self.edit_p50_ms, self.edit_p99_ms, self.edits
            ),
            format!(
                "idle reconnect        {:.1} ms, {} B received, {} B sent",
                self.reconnect_ms, self.reconnect_received, self.reconnect_sent
            ),
        ]
    }
}

/// `edits` renamings of `own` on `from`, each timed until `events` (another node's) shows it.
pub async fn timed_edits(
    from: &partage::Node,
    own: ItemId,
    events: &mut Subscription,
    edits: usize,
) -> Res<Vec<Duration>> {
    let mut latencies = Vec::with_capacity(edits);
    for k in 0..edits {
        let title = format!("Perceuse édition {k}");
        let patch = ItemPatch { title: Some(title.clone()), ..ItemPatch::default() };
        let started = Instant::now();
        from.edit_item(&own, &patch)?;
        let arrived = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(e) = events.recv().await {
                if matches!(&e, Event::ItemUpdated(v) if v.item.id == own && v.item.title == title) {
                    return true;
                }
            }
            false
        })
        .await;
        if !matches!(arrived, Ok(true)) {
            return Err(format!("edit {k} did not reach the other node").into());
        }
        latencies.push(started.elapsed());
    }
    Ok(latencies)
}
