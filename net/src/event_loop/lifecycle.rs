//! Starting the event loop, and starting it again when the device moves to another network:
//! the swarm is rebuilt with that network's transport key (ADR 0016), so nothing it shows
//! there links it to where it was before.

use super::{EventLoop, Start};
use crate::command::Command;
use crate::config::NetConfig;
use crate::error::NetError;
use crate::member_blocks::MemberBlocks;
use crate::peer_set::PeerSet;
use crate::peers::{Snapshot, peer_in};
use crate::transport::{NetworkLabel, transport_keypair};
use libp2p::{Multiaddr, PeerId};
use partage::Node;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};

/// How a loop ended.
pub(crate) enum Exit {
    /// Stopped by the handle (answered once the loop is dropped), or every handle is gone.
    Stopped(Option<tokio::sync::oneshot::Sender<()>>),
    /// The device is on another network: start again with what the loop carried.
    Moved(Box<Carry>),
}

/// What outlives one swarm.
pub(crate) struct Carry {
    node: Node,
    config: NetConfig,
    commands: mpsc::Receiver<Command>,
    snapshot: watch::Sender<Snapshot>,
    member_blocks: Arc<MemberBlocks>,
    blobs: crate::blob::Fetcher,
}

/// Loads what a loop starts with (remembered peers, ticket addresses, the device secret) and
/// builds the swarm with the transport key of the network the device is on now.
pub(crate) async fn prepare(
    node: Node,
    config: NetConfig,
    commands: mpsc::Receiver<Command>,
    snapshot: watch::Sender<Snapshot>,
    member_blocks: Arc<MemberBlocks>,
    blobs: crate::blob::Fetcher,
) -> Result<Start, NetError> {
    let n = node.clone();
    let (secret, known, tickets) = tokio::task::spawn_blocking(move || {
        Ok::<_, partage::Error>((n.device_secret()?, n.known_peers()?, n.ticket_addresses()?))
    })
    .await
    .map_err(|e| NetError::Setup(e.to_string()))??;
    let label = NetworkLabel::current(&config);
    let (members, probe_servers) = (PeerSet::default(), PeerSet::default());
    let swarm = crate::behaviour::build_swarm(
        transport_keypair(&secret, &label)?,
        &config,
        &members,
        &probe_servers,
    )?;
    let (known, tickets) =
        if config.dial_remembered { (remembered_peers(&known), tickets) } else { (Vec::new(), Vec::new()) };
    let mut loose_addrs: Vec<Multiaddr> = config.peers.clone();
    loose_addrs.extend(tickets.iter().filter_map(|a| a.parse::<Multiaddr>().ok()));
    Ok(Start {
        swarm,
        members,
        probe_servers,
        label,
        member_blocks,
        node,
        config,
        commands,
        snapshot,
        known,
        loose_addrs,
        blobs,
    })
}

/// Remembered members by the transport identity each was last seen with (on each network):
/// the addresses carry it, and only there does the device answer to it.
fn remembered_peers(known: &[partage::node::KnownPeer]) -> Vec<(PeerId, Vec<Multiaddr>)> {
    let mut out: Vec<(PeerId, Vec<Multiaddr>)> = Vec::new();
    for peer in known {
        for addr in peer.addrs.iter().filter_map(|a| a.parse::<Multiaddr>().ok()) {
            let Some(id) = peer_in(&addr) else { continue };
            match out.iter_mut().find(|(p, _)| *p == id) {
                Some((_, addrs)) => addrs.push(addr),
                None => out.push((id, vec![addr])),
            }
        }
    }
    out
}

/// Runs loops until one stops: each time the device moves, the next starts on the new network.
pub(crate) async fn supervise(first: EventLoop) {
    let mut exit = first.run().await;
    loop {
        let carry = match exit {
            Exit::Moved(carry) => carry,
            Exit::Stopped(reply) => {
                if let Some(reply) = reply {
                    let _ = reply.send(());
                }
                return;
            }
        };
        let Carry { node, config, commands, snapshot, member_blocks, blobs } = *carry;
        let next = match prepare(node, config, commands, snapshot, member_blocks, blobs).await {
            Ok(start) => EventLoop::new(start),
            Err(e) => Err(e),
        };
        match next {
            Ok(event_loop) => {
                crate::trace!("{} takes over on the new network", event_loop.local);
                exit = event_loop.run().await;
            }
            Err(e) => {
                // The handle's commands now fail with `NetError::Stopped`; the app starts the
                // network again.
                crate::trace!("the network could not start again on the new network: {e}");
                return;
            }
        }
    }
}

impl EventLoop {
    /// Looks at the network again; a different one ends this loop (see [`supervise`]).
    pub(super) fn check_network(&mut self) {
        self.label_checked = std::time::Instant::now();
        if NetworkLabel::current(&self.config) != self.label {
            crate::trace!("{} is on another network now: new transport key", self.local);
            self.moved = true;
        }
    }

    pub(super) fn into_carry(self) -> Box<Carry> {
        let EventLoop { node, config, commands, snapshot, member_blocks, blobs, .. } = self;
        Box::new(Carry { node, config, commands, snapshot, member_blocks, blobs })
    }
}
