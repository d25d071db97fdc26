//! Embedding Partage in a Rust app, start to finish: open a node in the app's data directory,
//! join a neighbourhood with the ticket a neighbour shared, sync over libp2p, list the items.
//!
//! `cargo run -p partage-embed-example`. So that it runs anywhere (and in the test command),
//! the neighbour who invites is a second node in this same process, and both talk only over
//! 127.0.0.1 with mDNS off. Exits with status 1 and one line on stderr if anything fails.

use partage::{ItemDraft, ItemFilter, NeighbourhoodId, Node};
use partage_net::{NetConfig, Network};
use std::error::Error;
use std::path::Path;
use std::time::Duration;

const SYNC_TIMEOUT: Duration = Duration::from_secs(30);

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Box<dyn Error>> {
    let dirs = tempfile::tempdir()?;

    // A neighbour's device: a neighbourhood with two things to lend, reachable on 127.0.0.1,
    // and a ticket that carries its address.
    let (neighbour, ns) = neighbour(&dirs.path().join("neighbour"))?;
    let neighbour_net = Network::start(neighbour.clone(), NetConfig::loopback()).await?;
    let reachable = neighbour_net.advertise(Duration::from_secs(5)).await?;
    let address = reachable.addrs.first().ok_or("the neighbour's node listens nowhere")?.to_string();
    // Valid 7 days, for one person; shared as text or a QR code in a real app.
    let ticket = neighbour.invite(&ns, 7, 1, vec![address])?;

    // The embedding app: its own data directory, an identity, the ticket, the network.
    let app = Node::open(dirs.path().join("app"))?;
    app.init("Camille")?;
    let joined = app.join(&ticket)?;
    println!("joined {}", joined.name);
    // Ticket addresses are dialed at start (`NetConfig::dial_remembered`).
    let net = Network::start(app.clone(), NetConfig::loopback()).await?;
    let report = net.sync_now(SYNC_TIMEOUT).await?;
    println!("synced with {} peer(s) in {:?}", report.peers.len(), report.elapsed);

    let items = app.list_items(&ItemFilter::default())?;
    for view in &items {
        println!("- {} (lent by {})", view.item.title, view.owner_name);
    }
    net.stop().await?;
    neighbour_net.stop().await?;
    if items.len() != 2 {
        return Err(format!("expected the neighbour's 2 items, got {}", items.len()).into());
    }
    Ok(())
}

/// A node with an identity, a neighbourhood and two items, as a neighbour's phone would have.
fn neighbour(dir: &Path) -> Result<(Node, NeighbourhoodId), Box<dyn Error>> {
    let node = Node::open(dir)?;
    node.init("Alice")?;
    let ns = node.create_neighbourhood("Rue des Lilas")?.id;
    for title in ["Perceuse à percussion", "Échelle double 3 m"] {
        node.add_item(&ns, ItemDraft { title: title.into(), ..ItemDraft::default() })?;
    }
    Ok((node, ns))
}
