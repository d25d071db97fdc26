//! A member turned hostile asks its home node to "test" an address that is not its own (another
//! IP: a victim). The home node must not dial it. Real swarms on 127.0.0.1; the victim listens
//! on 127.0.0.2 (loopback too, but another IP than the one the request comes from).

use super::MembersOnlyProbes;
use crate::peer_set::PeerSet;
use futures::StreamExt;
use libp2p::core::Endpoint;
use libp2p::core::transport::PortUse;
use libp2p::swarm::{
    ConnectionDenied, ConnectionId, FromSwarm, NetworkBehaviour, SwarmEvent, THandler, THandlerInEvent,
    THandlerOutEvent, ToSwarm, dummy,
};
use libp2p::{Multiaddr, PeerId, SwarmBuilder, identify, noise, tcp, yamux};
use libp2p_autonat::v2::client;
use std::convert::Infallible;
use std::task::{Context, Poll};
use std::time::Duration;

/// Puts one made-up address in the swarm's candidates, as a modified client would.
struct FakeCandidate(Option<Multiaddr>);

impl NetworkBehaviour for FakeCandidate {
    type ConnectionHandler = dummy::ConnectionHandler;
    type ToSwarm = Infallible;
    fn handle_established_inbound_connection(
        &mut self,
        _: ConnectionId,
        _: PeerId,
        _: &Multiaddr,
        _: &Multiaddr,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        Ok(dummy::ConnectionHandler)
    }
    fn handle_established_outbound_connection(
        &mut self,
        _: ConnectionId,
        _: PeerId,
        _: &Multiaddr,
        _: Endpoint,
        _: PortUse,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        Ok(dummy::ConnectionHandler)
    }
    fn on_swarm_event(&mut self, _: FromSwarm) {}
    fn on_connection_handler_event(&mut self, _: PeerId, _: ConnectionId, e: THandlerOutEvent<Self>) {
        match e {}
    }
    fn poll(&mut self, _: &mut Context<'_>) -> Poll<ToSwarm<Infallible, THandlerInEvent<Self>>> {
        match self.0.take() {
            Some(addr) => Poll::Ready(ToSwarm::NewExternalAddrCandidate(addr)),
            None => Poll::Pending,
        }
    }
}

#[derive(NetworkBehaviour)]
#[behaviour(prelude = "libp2p::swarm::derive_prelude")]
struct Home {
    identify: identify::Behaviour,
    probes: MembersOnlyProbes,
}

#[derive(NetworkBehaviour)]
#[behaviour(prelude = "libp2p::swarm::derive_prelude")]
struct Hostile {
    identify: identify::Behaviour,
    fake: FakeCandidate,
    autonat: client::Behaviour,
}

fn id(key: &libp2p::identity::Keypair) -> identify::Behaviour {
    identify::Behaviour::new(identify::Config::new("/partage/id/1".into(), key.public()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_cannot_aim_the_home_node_at_another_address() {
    // The victim: a plain TCP listener on another loopback IP, counting who connects.
    let victim = tokio::net::TcpListener::bind("127.0.0.2:0").await.unwrap();
    let victim_port = victim.local_addr().unwrap().port();
    let victim_addr: Multiaddr = format!("/ip4/127.0.0.2/tcp/{victim_port}").parse().unwrap();

    let members = PeerSet::default();
    let mut home = SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(tcp::Config::default(), noise::Config::new, yamux::Config::default)
        .unwrap()
        .with_behaviour(|key| Home { identify: id(key), probes: MembersOnlyProbes::new(members.clone()) })
        .unwrap()
        .build();
    home.listen_on("/ip4/127.0.0.1/tcp/0".parse().unwrap()).unwrap();
    let home_addr = loop {
        if let SwarmEvent::NewListenAddr { address, .. } = home.select_next_some().await {
            break address;
        }
    };
    let mut eve = SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(tcp::Config::default(), noise::Config::new, yamux::Config::default)
        .unwrap()
        .with_behaviour(|key| Hostile {
            identify: id(key),
            fake: FakeCandidate(Some(victim_addr.clone())),
            autonat: client::Behaviour::new(
                rand::make_rng::<rand::rngs::StdRng>(),
                client::Config::default().with_probe_interval(Duration::from_millis(300)),
            ),
        })
        .unwrap()
        .build();
    // Eve is a verified member as far as the home node knows (a hostile member's own keys).
    members.insert(*eve.local_peer_id());
    eve.dial(home_addr).unwrap();

    // (A refused dial raises no swarm event: the victim's listener is the witness.)
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let outcome = loop {
        tokio::select! {
            _ = home.select_next_some() => {}
            e = eve.select_next_some() => {
                if let SwarmEvent::Behaviour(HostileEvent::Autonat(ev)) = e
                    && ev.tested_addr == victim_addr
                {
                    break ev;
                }
            }
            _ = tokio::time::sleep_until(deadline) => panic!("the home node never answered"),
        }
    };
    assert!(outcome.result.is_err(), "the victim's address was reported reachable");
    assert!(outcome.bytes_sent >= 30_000, "eve paid the dial data first ({} B)", outcome.bytes_sent);
    // Nothing ever connected to the victim.
    let nobody = tokio::time::timeout(Duration::from_millis(500), victim.accept()).await;
    assert!(nobody.is_err(), "the home node connected to the victim");
}
