//! A hand-driven peer for hostile scenarios: a bare libp2p swarm (TCP, Noise, Yamux, streams)
//! that speaks `/partage/sync/3` frame by frame, so a test can send what an honest node never
//! would.

use futures::io::{ReadHalf, WriteHalf};
use futures::{AsyncReadExt, AsyncWriteExt, StreamExt};
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId, Stream, StreamProtocol, SwarmBuilder, noise, tcp, yamux};
use partage_net::digest::{SessionKey, binding};
use partage_net::wire::{self, Msg, WireProof};
use std::time::Duration;
use tokio::sync::mpsc;

pub struct RawPeer {
    pub peer_id: PeerId,
    control: libp2p_stream::Control,
    incoming: libp2p_stream::IncomingStreams,
    dial: mpsc::Sender<Multiaddr>,
    connected: mpsc::Receiver<PeerId>,
    closed: mpsc::Receiver<PeerId>,
}

pub struct RawStream {
    pub reader: ReadHalf<Stream>,
    pub writer: WriteHalf<Stream>,
    /// This peer's and the remote's transport identities: the session's binding.
    pub local: PeerId,
    pub remote: PeerId,
}

impl RawPeer {
    /// A peer whose identity is the given device secret.
    pub fn new(secret: [u8; 32]) -> RawPeer {
        let mut s = secret;
        let key = libp2p::identity::Keypair::ed25519_from_bytes(&mut s).expect("key");
        let mut swarm = SwarmBuilder::with_existing_identity(key)
            .with_tokio()
            .with_tcp(tcp::Config::default(), noise::Config::new, yamux::Config::default)
            .expect("tcp")
            .with_behaviour(|_| libp2p_stream::Behaviour::new())
            .expect("behaviour")
            .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(60)))
            .build();
        let peer_id = *swarm.local_peer_id();
        let mut control = swarm.behaviour().new_control();
        let incoming = control.accept(StreamProtocol::new(partage_net::PROTOCOL)).expect("accept");
        let (dial, mut dials) = mpsc::channel::<Multiaddr>(4);
        let (conn_tx, connected) = mpsc::channel(16);
        let (closed_tx, closed) = mpsc::channel(16);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    addr = dials.recv() => match addr {
                        Some(addr) => { let _ = swarm.dial(addr); }
                        // The RawPeer was dropped: so is its swarm (and its connections).
                        None => break,
                    },
                    event = swarm.select_next_some() => match event {
                        SwarmEvent::ConnectionEstablished { peer_id, .. } => { let _ = conn_tx.try_send(peer_id); }
                        SwarmEvent::ConnectionClosed { peer_id, num_established: 0, .. } => { let _ = closed_tx.try_send(peer_id); }
                        _ => {}
                    },
                }
            }
        });
        RawPeer { peer_id, control, incoming, dial, connected, closed }
    }

    /// Connects to `addr` and gets the sync stream (opened by whichever side has the smaller id).
    pub async fn session(&mut self, addr: Multiaddr, remote: PeerId) -> RawStream {
        self.dial.send(addr).await.expect("dial");
        tokio::time::timeout(super::WAIT, self.connected.recv()).await.expect("connected");
        let stream = if remote < self.peer_id {
            let (_, s) = tokio::time::timeout(super::WAIT, self.incoming.next())
                .await
                .expect("stream")
                .expect("stream");
            s
        } else {
            self.control
                .open_stream(remote, StreamProtocol::new(partage_net::PROTOCOL))
                .await
                .expect("open stream")
        };
        let (reader, writer) = stream.split();
        RawStream { reader, writer, local: self.peer_id, remote }
    }

    /// Connects to `addr` and opens a stream of `protocol` (e.g. `/partage/link/1`).
    pub async fn open(&mut self, addr: Multiaddr, remote: PeerId, protocol: &'static str) -> Stream {
        self.dial.send(addr).await.expect("dial");
        tokio::time::timeout(super::WAIT, self.connected.recv()).await.expect("connected");
        self.control.open_stream(remote, StreamProtocol::new(protocol)).await.expect("open stream")
    }

    /// Like [`RawPeer::open`], `None` when the remote refuses the stream or the connection.
    pub async fn try_open(
        &mut self,
        addr: Multiaddr,
        remote: PeerId,
        protocol: &'static str,
    ) -> Option<Stream> {
        self.dial.send(addr).await.ok()?;
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), self.connected.recv()).await;
        self.control.open_stream(remote, StreamProtocol::new(protocol)).await.ok()
    }

    /// Waits until the remote closed every connection with this peer.
    pub async fn disconnected(&mut self) -> bool {
        tokio::time::timeout(super::WAIT, self.closed.recv()).await.is_ok()
    }

    /// Like [`RawPeer::session`], giving up (`None`) instead of failing when the connection or
    /// the stream does not come within `wait` (the remote may refuse or close it).
    pub async fn try_session(
        &mut self,
        addr: Multiaddr,
        remote: PeerId,
        wait: Duration,
    ) -> Option<RawStream> {
        self.dial.send(addr).await.ok()?;
        let get = async {
            self.connected.recv().await?;
            if remote < self.peer_id {
                self.incoming.next().await.map(|(_, s)| s)
            } else {
                self.control.open_stream(remote, StreamProtocol::new(partage_net::PROTOCOL)).await.ok()
            }
        };
        let stream = tokio::time::timeout(wait, get).await.ok()??;
        let (reader, writer) = stream.split();
        Some(RawStream { reader, writer, local: self.peer_id, remote })
    }

    /// Whether the remote closed every connection with this peer (not waiting; each close is
    /// reported once, by this or by [`RawPeer::disconnected_within`]).
    pub fn disconnected_now(&mut self) -> bool {
        self.closed.try_recv().is_ok()
    }

    /// Waits up to `wait` until the remote closed every connection with this peer.
    pub async fn disconnected_within(&mut self, wait: Duration) -> bool {
        tokio::time::timeout(wait, self.closed.recv()).await.is_ok_and(|c| c.is_some())
    }
}

impl RawStream {
    /// `node`'s membership proof of `ns`, bound to this session by `node`'s device key, as an
    /// honest node would send it from this peer's transport identity.
    pub fn proof(&self, node: &partage::Node, ns: &partage::NeighbourhoodId) -> WireProof {
        let binding = binding(&SessionKey::new(&self.local, &self.remote), &self.local);
        WireProof::new(
            node.membership_proof(ns).expect("proof"),
            node.sign_session_binding(&binding).expect("sign"),
        )
    }

    /// `proof`, bound to this session by the device key `device_secret` (a device the test made).
    pub fn bind(&self, proof: partage::node::MembershipProof, device_secret: [u8; 32]) -> WireProof {
        let binding = binding(&SessionKey::new(&self.local, &self.remote), &self.local);
        let key = partage::identity::SecretKey::from_bytes(&device_secret);
        WireProof::new(proof, partage::session_binding::BindingSignature::sign(&key, &binding))
    }

    pub async fn send(&mut self, msg: &Msg) {
        let frame = wire::encode(msg, usize::MAX).expect("encode");
        self.send_bytes(&frame).await;
    }

    pub async fn send_bytes(&mut self, bytes: &[u8]) {
        // The remote may already have hung up: that is what some tests expect.
        let _ = self.writer.write_all(bytes).await;
        let _ = self.writer.flush().await;
    }

    /// The next message, or `None` when the stream ended (or nothing came in time).
    pub async fn recv(&mut self) -> Option<Msg> {
        self.recv_within(super::WAIT).await
    }

    /// The next message within `wait`.
    pub async fn recv_within(&mut self, wait: Duration) -> Option<Msg> {
        let read = async {
            let len = wire::read_len(&mut self.reader, usize::MAX).await.ok()??;
            let body = wire::read_body(&mut self.reader, len).await.ok()?;
            wire::decode(&body).ok()
        };
        tokio::time::timeout(wait, read).await.ok().flatten()
    }

    /// The next frame body as it came off the wire (not decoded), within `wait`.
    pub async fn recv_body_within(&mut self, wait: Duration) -> Option<Vec<u8>> {
        let read = async {
            let len = wire::read_len(&mut self.reader, usize::MAX).await.ok()??;
            wire::read_body(&mut self.reader, len).await.ok()
        };
        tokio::time::timeout(wait, read).await.ok().flatten()
    }

    /// Every frame body (undecoded) until the stream ends or stays quiet for `quiet`.
    pub async fn drain_bodies(&mut self, quiet: Duration) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(b) = self.recv_body_within(quiet).await {
            out.push(b);
        }
        out
    }

    /// Every message until the stream ends or stays quiet for `quiet`.
    pub async fn drain(&mut self, quiet: Duration) -> Vec<Msg> {
        let mut out = Vec::new();
        while let Some(m) = self.recv_within(quiet).await {
            out.push(m);
        }
        out
    }
}
