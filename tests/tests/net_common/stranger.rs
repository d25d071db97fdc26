//! A stranger with a libp2p relay client and no membership, trying a home node's relay.

use futures::StreamExt;
use libp2p::multiaddr::Protocol;
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId, SwarmBuilder, noise, relay, tcp, yamux};
use std::time::Duration;

/// Asks the home node at `home` (ending in its `/p2p/` id) for a reservation, then for a circuit
/// to `target`. Returns whether each was refused.
pub async fn stranger_tries(home: Multiaddr, target: PeerId) -> (bool, bool) {
    let mut eve = SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(tcp::Config::default(), noise::Config::new, yamux::Config::default)
        .expect("tcp")
        .with_relay_client(noise::Config::new, yamux::Config::default)
        .expect("relay client")
        .with_behaviour(|_, relay_client| relay_client)
        .expect("behaviour")
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(30)))
        .build();
    let via_home = home.with(Protocol::P2pCircuit);
    eve.listen_on(via_home.clone()).expect("listen through the home node");
    let no_reservation = tokio::time::timeout(super::WAIT, async {
        loop {
            match eve.select_next_some().await {
                SwarmEvent::Behaviour(relay::client::Event::ReservationReqAccepted { .. }) => return false,
                SwarmEvent::ListenerClosed { reason: Err(_), .. } => return true,
                _ => {}
            }
        }
    })
    .await
    .expect("the home node answered the stranger's reservation");
    eve.dial(via_home.with(Protocol::P2p(target))).expect("dial through the home node");
    let no_circuit = tokio::time::timeout(super::WAIT, async {
        loop {
            match eve.select_next_some().await {
                SwarmEvent::ConnectionEstablished { peer_id, .. } if peer_id == target => return false,
                SwarmEvent::OutgoingConnectionError { peer_id: Some(p), .. } if p == target => return true,
                _ => {}
            }
        }
    })
    .await
    .expect("the stranger's circuit attempt ended");
    (no_reservation, no_circuit)
}
