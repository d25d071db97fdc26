//! A peer in the same run: samod (automerge-repo in Rust, crates.io) syncs the same inventory,
//! the one member document of the inventory figures, to a fresh samod peer over loopback TCP on
//! 127.0.0.1 with in-memory storage; automerge's own in-memory sync of that document is its floor.

use crate::floor::sync_to_empty;
use crate::inventory::Solo;
use crate::stats::{Res, Spread, ms};
use automerge::{AutoCommit, Automerge, ChangeHash};
use futures::StreamExt;
use partage::DocPayload;
use samod::{BackoffConfig, DocHandle, DocumentId, Repo, SearchState};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

const TIMEOUT: Duration = Duration::from_secs(300);

pub struct Samod {
    pub items: usize,
    pub doc_bytes: usize,
    pub time_ms: Spread,
    pub floor_ms: f64,
}

async fn heads(handle: &DocHandle) -> Res<Vec<ChangeHash>> {
    Ok(handle.with_document_async(|d| d.get_heads()).await?)
}

/// A fresh samod repo dials `port`, finds `id` and waits until it holds `want`.
async fn fetch(port: u16, id: DocumentId, want: &[ChangeHash]) -> Res<Duration> {
    let started = Instant::now();
    let repo = Repo::build_tokio().load().await;
    let url = samod::Url::parse(&format!("tcp://127.0.0.1:{port}"))?;
    let dialer = repo.dial_tcp(url, BackoffConfig::default())?;
    let handle = tokio::time::timeout(TIMEOUT, found(&repo, id)).await??;
    let mut changes = handle.changes();
    while heads(&handle).await? != want {
        tokio::time::timeout(TIMEOUT, changes.next()).await?.ok_or("samod stopped")?;
    }
    let elapsed = started.elapsed();
    dialer.close();
    repo.stop().await;
    Ok(elapsed)
}

/// The document once samod has it. `Repo::find` can answer "unavailable" in the moment between
/// the dialer's connection and the peer's first answer; the search goes on after that.
async fn found(repo: &Repo, id: DocumentId) -> Res<DocHandle> {
    let (mut state, mut updates) = repo.search(id)?;
    loop {
        if let SearchState::Found(handle) = state {
            return Ok(handle);
        }
        state = updates.next().await.ok_or("samod stopped")?;
    }
}

pub async fn measure(solo: &Solo, runs: usize) -> Res<Samod> {
    let (node, ns) = (&solo.node.node, &solo.ns);
    let me = node.identity()?.ok_or("no identity")?.member;
    let DocPayload::Snapshot(bytes) = node.doc_bundle(ns, &me, &[])?.payload else {
        return Err("a whole document did not come as a snapshot".into());
    };
    let items = node.list_items(&partage::ItemFilter::default())?.len();
    let floor_time = {
        let doc = AutoCommit::load(&bytes)?;
        let t = Instant::now();
        sync_to_empty(doc)?;
        t.elapsed()
    };
    let doc = Automerge::load(&bytes)?;
    let want = doc.get_heads();
    let server = Repo::build_tokio().load().await;
    let handle = server.create(doc).await?;
    let id = handle.document_id().clone();
    let acceptor = server.make_acceptor(samod::Url::parse("tcp://127.0.0.1")?)?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let accepting = tokio::spawn(async move {
        while let Ok((io, _)) = listener.accept().await {
            let _ = io.set_nodelay(true);
            if acceptor.accept_tokio_io(io).is_err() {
                break;
            }
        }
    });
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        times.push(ms(fetch(port, id.clone(), &want).await?));
    }
    accepting.abort();
    server.stop().await;
    Ok(Samod { items, doc_bytes: bytes.len(), time_ms: Spread::of(&times), floor_ms: ms(floor_time) })
}

impl Samod {
    pub fn json(&self) -> Value {
        json!({
            "version": "0.16",
            "workload": format!(
                "the inventory figures' one member document ({} items, {} B saved) synced to a fresh samod peer over TCP on 127.0.0.1, in-memory storage",
                self.items, self.doc_bytes
            ),
            "items": self.items,
            "document_bytes": self.doc_bytes,
            "full_sync_ms": self.time_ms.json(),
            "automerge_floor_ms": self.floor_ms,
        })
    }

    pub fn line(&self) -> String {
        format!(
            "samod 0.16            {} ({} items in one document, TCP 127.0.0.1, in-memory); automerge floor {:.1} ms",
            self.time_ms.show("ms"),
            self.items,
            self.floor_ms
        )
    }
}
