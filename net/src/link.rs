//! `/partage/link/1`: a new device presents a link code's secret to the device that showed it
//! and receives a [`LinkGrant`] (see `partage::link`). One request, one answer, then the stream
//! closes. The offering side serves one link at a time, reads at most a small request within
//! a deadline, and answers anyone without a valid secret with a refusal and nothing else.

use crate::error::NetError;
use crate::session::Report;
use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, StreamExt};
use libp2p::swarm::SwarmEvent;
use libp2p::swarm::dial_opts::DialOpts;
use libp2p::{Multiaddr, PeerId, Stream};
use partage::identity::SecretKey;
use partage::link::{LinkCode, LinkGrant};
use partage::{LinkError, Node};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

/// The protocol a new device uses to present a link code to the device that shows it.
pub const LINK_PROTOCOL: &str = "/partage/link/1";
/// Requests are a version and a secret: anything longer is not one.
const MAX_REQUEST_BYTES: usize = 128;
/// Largest grant a new device accepts (everything the other device holds, as snapshots).
pub const MAX_GRANT_BYTES: usize = 256 * 1024 * 1024;
const REQUEST_VERSION: u32 = 1;
/// The request must arrive within this after the stream opens.
const REQUEST_DEADLINE: Duration = Duration::from_secs(10);
/// Between two attempts of a new device to reach the device that showed the code.
const LINK_RETRY_PAUSE: Duration = Duration::from_secs(1);
/// A whole link (building, sending and receiving the grant), at most.
pub const LINK_DEADLINE: Duration = Duration::from_secs(120);

fn link_protocol() -> libp2p::StreamProtocol {
    libp2p::StreamProtocol::new(LINK_PROTOCOL)
}

#[derive(Serialize, Deserialize)]
struct LinkRequest {
    version: u32,
    secret: [u8; 32],
}

#[derive(Serialize, Deserialize)]
enum LinkAnswer {
    Granted(Box<LinkGrant>),
    Refused(String),
}

/// Takes inbound link streams, serving one at a time (others are dropped at once).
pub(crate) fn serve_links(
    control: &mut libp2p_stream::Control,
    node: Node,
    reports: mpsc::Sender<Report>,
    tasks: &mut JoinSet<()>,
) -> Result<(), NetError> {
    let one_at_a_time = Arc::new(Semaphore::new(1));
    crate::accept::accept_streams(
        control,
        link_protocol(),
        "link",
        LINK_DEADLINE,
        tasks,
        move |_| one_at_a_time.clone().try_acquire_owned().ok(),
        move |peer, stream| serve(node.clone(), peer, stream, reports.clone()),
    )
}

async fn serve(
    node: Node,
    peer: PeerId,
    mut stream: Stream,
    reports: mpsc::Sender<Report>,
) -> Result<(), String> {
    let bytes = tokio::time::timeout(REQUEST_DEADLINE, read_frame(&mut stream, MAX_REQUEST_BYTES))
        .await
        .map_err(|_| "no request in time".to_string())??;
    let answer = match postcard::from_bytes::<LinkRequest>(&bytes) {
        Ok(r) if r.version == REQUEST_VERSION => match crate::identity::device_of(&peer) {
            Some(device) => {
                let granted = tokio::task::spawn_blocking(move || node.grant_link(&r.secret, device))
                    .await
                    .map_err(|e| e.to_string())?;
                match granted {
                    Ok(grant) => {
                        // Certified now: its connection is no stranger's any more.
                        let _ = reports.send(Report::Linked { peer, device }).await;
                        LinkAnswer::Granted(Box::new(grant))
                    }
                    Err(e) => LinkAnswer::Refused(e.to_string()),
                }
            }
            None => LinkAnswer::Refused("not a Partage device key".into()),
        },
        Ok(_) => LinkAnswer::Refused("unsupported link version: update Partage".into()),
        Err(_) => LinkAnswer::Refused("not a link request".into()),
    };
    let bytes = postcard::to_allocvec(&answer).map_err(|e| e.to_string())?;
    write_frame(&mut stream, &bytes).await.map_err(|e| e.to_string())?;
    stream.close().await.map_err(|e| e.to_string())
}

/// Links this (empty) node to the identity whose device shows `code`: connects to that device
/// over a short-lived transport of its own, presents the secret, and stores what it grants.
pub async fn link_device(
    node: &Node,
    code: &str,
    timeout: Duration,
) -> Result<partage::export::TransferSummary, NetError> {
    let code = LinkCode::decode(code).map_err(partage::Error::from)?;
    let device_key = SecretKey::generate()?;
    let grant = tokio::time::timeout(timeout, request_until_answered(&code, &device_key))
        .await
        .map_err(|_| NetError::Link(format!("no answer within {} s", timeout.as_secs())))??;
    let node = node.clone();
    tokio::task::spawn_blocking(move || node.accept_link(&code, &device_key, grant))
        .await
        .map_err(|e| NetError::Setup(e.to_string()))?
        .map_err(NetError::from)
}

/// Asks for the grant again, after a pause, whenever the connection or the stream failed
/// without an answer: the other device serves one link at a time and drops other link streams,
/// so a stranger holding that slot (10 s at most each time) delays a link, and the other device
/// may still be coming online. A refusal or a bad grant is an answer: it ends the attempts. The
/// caller's timeout bounds them.
async fn request_until_answered(code: &LinkCode, device_key: &SecretKey) -> Result<LinkGrant, NetError> {
    loop {
        match request_grant(code, device_key).await {
            Err(NetError::Link(why)) => {
                crate::trace!("link attempt failed, trying again: {why}");
                tokio::time::sleep(LINK_RETRY_PAUSE).await;
            }
            answered => return answered,
        }
    }
}

async fn request_grant(code: &LinkCode, device_key: &SecretKey) -> Result<LinkGrant, NetError> {
    // The offering device shows a transport key on its network (ADR 0016): its addresses name
    // it, and Noise checks that this is the key on the other end.
    let addrs: Vec<Multiaddr> = code.addrs.iter().filter_map(|a| a.parse().ok()).collect();
    let Some(peer) = addrs.iter().find_map(crate::peers::peer_in) else {
        // Not worth trying again: nothing in the code can be dialed.
        return Err(partage::Error::from(LinkError::Damaged).into());
    };
    let addrs: Vec<Multiaddr> =
        addrs.into_iter().filter(|a| crate::peers::peer_in(a) == Some(peer)).collect();
    let config = crate::NetConfig { listen: Vec::new(), mdns: false, ..crate::NetConfig::default() };
    // This short-lived transport's key is the new device's own key: the device the code names
    // certifies the key it meets (Noise encrypts both keys from onlookers).
    let mut swarm = crate::behaviour::build_swarm(
        crate::identity::keypair(device_key.to_bytes())?,
        &config,
        &Default::default(),
        &Default::default(),
    )?;
    swarm
        .dial(DialOpts::peer_id(peer).addresses(addrs).build())
        .map_err(|e| NetError::Link(format!("cannot reach your other device: {e}")))?;
    // Connected first (to the key the code names: Noise checks it), then the stream.
    loop {
        match swarm.select_next_some().await {
            SwarmEvent::ConnectionEstablished { peer_id, .. } if peer_id == peer => break,
            SwarmEvent::OutgoingConnectionError { peer_id: Some(p), error, .. } if p == peer => {
                return Err(NetError::Link(format!("cannot reach your other device: {error}")));
            }
            _ => {}
        }
    }
    let mut control = swarm.behaviour().stream.new_control();
    // The swarm runs only while this link does.
    let driver = tokio::spawn(async move {
        loop {
            swarm.select_next_some().await;
        }
    });
    let result = exchange(&mut control, peer, code.secret).await;
    driver.abort();
    result
}

async fn exchange(
    control: &mut libp2p_stream::Control,
    peer: PeerId,
    secret: [u8; 32],
) -> Result<LinkGrant, NetError> {
    let mut stream = control
        .open_stream(peer, link_protocol())
        .await
        .map_err(|e| NetError::Link(format!("cannot reach your other device: {e}")))?;
    let request = postcard::to_allocvec(&LinkRequest { version: REQUEST_VERSION, secret })
        .map_err(|e| NetError::Setup(e.to_string()))?;
    let lost = |e: std::io::Error| NetError::Link(format!("the connection to your other device broke: {e}"));
    write_frame(&mut stream, &request).await.map_err(lost)?;
    let bytes = read_frame(&mut stream, MAX_GRANT_BYTES).await.map_err(NetError::Link)?;
    match postcard::from_bytes::<LinkAnswer>(&bytes) {
        Ok(LinkAnswer::Granted(grant)) => Ok(*grant),
        Ok(LinkAnswer::Refused(why)) => Err(partage::Error::from(LinkError::Refused(why)).into()),
        Err(e) => Err(partage::Error::from(LinkError::BadGrant(e.to_string())).into()),
    }
}

async fn write_frame<S: AsyncWrite + Unpin>(stream: &mut S, bytes: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(bytes.len()).map_err(|_| std::io::Error::other("frame too large"))?;
    stream.write_all(&len.to_be_bytes()).await?;
    stream.write_all(bytes).await?;
    stream.flush().await
}

/// Reads one length-prefixed frame of at most `max` bytes; memory grows with what arrives,
/// not with what the length claims.
async fn read_frame<S: AsyncRead + Unpin>(stream: &mut S, max: usize) -> Result<Vec<u8>, String> {
    let mut len = [0u8; 4];
    stream.read_exact(&mut len).await.map_err(|e| format!("the connection broke: {e}"))?;
    let len = u32::from_be_bytes(len) as usize;
    if len > max {
        return Err(format!("a frame of {len} bytes, more than {max}"));
    }
    let mut out = Vec::new();
    stream.take(len as u64).read_to_end(&mut out).await.map_err(|e| format!("the connection broke: {e}"))?;
    if out.len() != len {
        return Err("the connection closed mid-frame".into());
    }
    Ok(out)
}
