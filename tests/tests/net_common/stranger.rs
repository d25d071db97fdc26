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

/// A stranger with libp2p's AutoNAT v2 client, listening on `listen`, connects to the home node
/// at `home` and asks it, again and again for `window`, to dial it back. Returns whether the
/// home node did (it must not), after checking that the stranger had an address to test and
/// that the home node offers the protocol (so the refusal is not vacuous).
pub async fn stranger_asks_for_a_dial_back(home: Multiaddr, listen: Multiaddr, window: Duration) -> bool {
    use libp2p::identify;
    use libp2p::swarm::NetworkBehaviour;
    use libp2p_autonat::v2::client;
    #[derive(NetworkBehaviour)]
    struct Asker {
        identify: identify::Behaviour,
        autonat: client::Behaviour,
    }
    let mut eve = SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(tcp::Config::default(), noise::Config::new, yamux::Config::default)
        .expect("tcp")
        .with_behaviour(|key| Asker {
            identify: identify::Behaviour::new(identify::Config::new("/partage/id/1".into(), key.public())),
            autonat: client::Behaviour::new(
                rand::make_rng::<rand::rngs::StdRng>(),
                client::Config::default().with_probe_interval(Duration::from_millis(500)),
            ),
        })
        .expect("behaviour")
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(60)))
        .build();
    eve.listen_on(listen).expect("listen");
    eve.dial(home.clone()).expect("dial the home node");
    let home_peer = home.iter().find_map(|p| match p {
        Protocol::P2p(peer) => Some(peer),
        _ => None,
    });
    let (mut had_candidate, mut offered) = (false, false);
    let deadline = tokio::time::Instant::now() + window;
    while let Ok(event) = tokio::time::timeout_at(deadline, eve.select_next_some()).await {
        match event {
            SwarmEvent::NewExternalAddrCandidate { .. } => had_candidate = true,
            SwarmEvent::Behaviour(AskerEvent::Identify(identify::Event::Received { info, .. })) => {
                offered |= info.protocols.iter().any(|p| p.as_ref() == "/libp2p/autonat/2/dial-request");
            }
            SwarmEvent::Behaviour(AskerEvent::Autonat(client::Event { result: Ok(()), .. })) => return true,
            SwarmEvent::IncomingConnection { .. } => return true,
            SwarmEvent::ConnectionEstablished { peer_id, endpoint, .. }
                if Some(peer_id) == home_peer && endpoint.is_listener() =>
            {
                return true;
            }
            _ => {}
        }
    }
    assert!(had_candidate, "the stranger never had an address of its own to test");
    assert!(offered, "the home node does not offer AutoNAT: the refusal proves nothing");
    false
}

/// A stranger running libp2p's own AutoNAT v2 server (no gate), listening on `listen`: returns
/// its address (with its peer id) and a count of the dial-back requests it served or dialed, kept up to
/// date by the task that drives it (aborted when the runtime ends).
pub async fn stranger_offering_dial_backs(
    listen: Multiaddr,
) -> (Multiaddr, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use libp2p::identify;
    use libp2p::swarm::NetworkBehaviour;
    use libp2p_autonat::v2::server;
    use std::sync::atomic::{AtomicUsize, Ordering};
    #[derive(NetworkBehaviour)]
    struct Offer {
        identify: identify::Behaviour,
        autonat: server::Behaviour,
    }
    let mut eve = SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(tcp::Config::default(), noise::Config::new, yamux::Config::default)
        .expect("tcp")
        .with_behaviour(|key| Offer {
            identify: identify::Behaviour::new(identify::Config::new("/partage/id/1".into(), key.public())),
            autonat: server::Behaviour::default(),
        })
        .expect("behaviour")
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(60)))
        .build();
    eve.listen_on(listen).expect("listen");
    let addr = loop {
        if let SwarmEvent::NewListenAddr { address, .. } = eve.select_next_some().await {
            break address.with(Protocol::P2p(*eve.local_peer_id()));
        }
    };
    let requests = std::sync::Arc::new(AtomicUsize::new(0));
    let count = requests.clone();
    tokio::spawn(async move {
        loop {
            // A request answered, or the dial back it makes (the stranger dials for nothing else).
            if let SwarmEvent::Behaviour(OfferEvent::Autonat(_)) | SwarmEvent::Dialing { .. } =
                eve.select_next_some().await
            {
                count.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    (addr, requests)
}
