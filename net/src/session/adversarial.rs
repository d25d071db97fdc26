//! Property test: two real sessions (each with its own node and redb store) talk through a
//! channel that drops, duplicates, reorders and corrupts frames, then turns clean. Whatever the
//! channel did, the sessions converge or report how they ended; they never panic, and once the
//! channel is clean and the app asks for a sync, they settle within a bounded time.

use super::{Report, SessionCmd, SessionParams, run};
use crate::wire;
use futures::AsyncWriteExt;
use partage::{ItemDraft, NeighbourhoodId, Node};
use proptest::prelude::*;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio_util::compat::{TokioAsyncReadCompatExt, TokioAsyncWriteCompatExt};

/// A round in which the peer goes quiet this long is given up (short, for the test's sake).
const ROUND_IDLE: Duration = Duration::from_secs(3);

/// What the channel does to one frame.
#[derive(Clone, Debug)]
pub(crate) enum Fault {
    Pass,
    Drop,
    Duplicate,
    /// Hold this frame back and send it after the next one.
    Swap,
    /// Flip one byte of the body (at this index, modulo its length).
    Corrupt(usize),
}

pub(crate) fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        6 => Just(Fault::Pass),
        1 => Just(Fault::Drop),
        1 => Just(Fault::Duplicate),
        1 => Just(Fault::Swap),
        1 => any::<usize>().prop_map(Fault::Corrupt),
    ]
}

/// Two members of one neighbourhood, each with `items` items the other lacks.
pub(crate) fn pair(items: (usize, usize)) -> (tempfile::TempDir, Node, Node, NeighbourhoodId) {
    let dir = tempfile::tempdir().unwrap();
    let alice = Node::open(dir.path().join("a")).unwrap();
    let bob = Node::open(dir.path().join("b")).unwrap();
    alice.init("Alice").unwrap();
    bob.init("Bob").unwrap();
    let ns = alice.create_neighbourhood("Rue").unwrap().id;
    bob.join(&alice.invite(&ns, 7, 1, vec![]).unwrap()).unwrap();
    // Alice confirms Bob's ticket through his document, and Bob learns it through hers.
    let bob_id = bob.identity().unwrap().unwrap().member;
    alice.import_bundle(&bob.doc_bundle(&ns, &bob_id, &[]).unwrap()).unwrap();
    for s in alice.doc_summaries(&ns).unwrap() {
        bob.import_bundle(&alice.doc_bundle(&ns, &s.owner, &[]).unwrap()).unwrap();
    }
    for (node, n, who) in [(&alice, items.0, "A"), (&bob, items.1, "B")] {
        for i in 0..n {
            let draft = ItemDraft { title: format!("Objet {who}{i}"), ..ItemDraft::default() };
            node.add_item(&ns, draft).unwrap();
        }
    }
    (dir, alice, bob, ns)
}

fn params(node: &Node, peer: &Node, id: u64, reports: mpsc::Sender<Report>) -> SessionParams {
    let me = node.identity().unwrap().unwrap().device;
    let other = peer.identity().unwrap().unwrap().device;
    SessionParams {
        node: node.clone(),
        local: crate::peer_id_of(&me).unwrap(),
        peer: crate::peer_id_of(&other).unwrap(),
        transport: other,
        id,
        max_frame: 32 * 1024 * 1024,
        round_idle: ROUND_IDLE,
        budget: Arc::new(Semaphore::new(128 * 1024 * 1024)),
        prepared_ahead: Arc::new(Semaphore::new(crate::session::PREPARED_AHEAD)),
        reports,
        blocks: Arc::default(),
    }
}

/// Moves frames from `from` to `to`, applying `faults` to the first ones, then passing all.
/// Returns how many frames it saw.
async fn relay<R, W>(mut from: R, mut to: W, faults: Vec<Fault>) -> usize
where
    R: futures::AsyncRead + Unpin,
    W: futures::AsyncWrite + Unpin,
{
    let mut faults = faults.into_iter();
    let mut held: Option<Vec<u8>> = None;
    let mut seen = 0;
    let frame = |body: &[u8]| {
        let mut f = (body.len() as u32).to_be_bytes().to_vec();
        f.extend_from_slice(body);
        f
    };
    while let Ok(Some(len)) = wire::read_len(&mut from, usize::MAX).await {
        let Ok(mut body) = wire::read_body(&mut from, len).await else { break };
        seen += 1;
        let mut out = Vec::new();
        match faults.next().unwrap_or(Fault::Pass) {
            Fault::Pass => out.push(frame(&body)),
            Fault::Drop => {}
            Fault::Duplicate => {
                out.push(frame(&body));
                out.push(frame(&body));
            }
            Fault::Swap => {
                held = Some(frame(&body));
                continue;
            }
            Fault::Corrupt(at) => {
                if !body.is_empty() {
                    let i = at % body.len();
                    body[i] ^= 0x5a;
                }
                out.push(frame(&body));
            }
        }
        if let Some(h) = held.take() {
            out.push(h);
        }
        for f in out {
            if to.write_all(&f).await.is_err() || to.flush().await.is_err() {
                return seen;
            }
        }
    }
    let _ = to.close().await;
    seen
}

pub(crate) fn converged(a: &Node, b: &Node, ns: &NeighbourhoodId) -> bool {
    a.doc_summaries(ns).ok() == b.doc_summaries(ns).ok()
}

/// Runs one case; `Err` describes a violated property.
async fn case(items: (usize, usize), a_to_b: Vec<Fault>, b_to_a: Vec<Fault>) -> Result<(), String> {
    let (_dir, alice, bob, ns) = pair(items);
    let (reports_tx, mut reports) = mpsc::channel(64);
    let (a_cmd, a_cmds) = mpsc::channel(4);
    let (b_cmd, b_cmds) = mpsc::channel(4);
    let (a_side, a_relay) = tokio::io::duplex(1 << 16);
    let (b_side, b_relay) = tokio::io::duplex(1 << 16);
    let (a_read, a_write) = tokio::io::split(a_relay);
    let (b_read, b_write) = tokio::io::split(b_relay);
    let relays = [
        tokio::spawn(relay(a_read.compat(), b_write.compat_write(), a_to_b)),
        tokio::spawn(relay(b_read.compat(), a_write.compat_write(), b_to_a)),
    ];
    let sessions = [
        tokio::spawn(run(params(&alice, &bob, 1, reports_tx.clone()), a_side.compat(), a_cmds)),
        tokio::spawn(run(params(&bob, &alice, 2, reports_tx), b_side.compat(), b_cmds)),
    ];
    let mut ended = Vec::new();
    let settled = |ended: &mut Vec<String>, reports: &mut mpsc::Receiver<Report>| {
        while let Ok(r) = reports.try_recv() {
            if let Report::Ended { session, end, .. } = r {
                ended.push(format!("session {session}: {end:?}"));
            }
        }
        converged(&alice, &bob, &ns) || !ended.is_empty()
    };
    let mut outcome = wait(Duration::from_secs(5), || settled(&mut ended, &mut reports)).await;
    if !outcome {
        // The channel is clean by now (its faults were for the first frames): the app asks
        // for a sync, as after a reconnect or a pull-to-refresh.
        let (ta, mut ra) = oneshot::channel();
        let (tb, mut rb) = oneshot::channel();
        let _ = a_cmd.send(SessionCmd::Sync(ta)).await;
        let _ = b_cmd.send(SessionCmd::Sync(tb)).await;
        // Each side answers its sync request with an outcome (converged or not), or ends.
        let mut answers = Vec::new();
        outcome = wait(ROUND_IDLE * 4, || {
            for r in [&mut ra, &mut rb] {
                match r.try_recv() {
                    Ok(o) => answers.push(format!("converged: {}", o.converged)),
                    Err(oneshot::error::TryRecvError::Closed) => answers.push("ended".into()),
                    Err(oneshot::error::TryRecvError::Empty) => {}
                }
            }
            settled(&mut ended, &mut reports) || answers.len() >= 2
        })
        .await;
        ended.extend(answers);
    }
    for t in sessions {
        t.abort();
        if let Err(e) = t.await
            && e.is_panic()
        {
            return Err("a session panicked".into());
        }
    }
    let mut frames = 0;
    for t in relays {
        t.abort();
        frames += t.await.unwrap_or(0);
    }
    if !outcome {
        return Err(format!("neither converged nor reported ({frames} frames relayed)"));
    }
    eprintln!("case settled: converged {}, ended {ended:?}, {frames} frames", converged(&alice, &bob, &ns));
    if frames > 10_000 {
        return Err(format!("{frames} frames for a handful of documents: a loop"));
    }
    Ok(())
}

async fn wait(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    done()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, max_shrink_iters: 8, ..ProptestConfig::default() })]

    #[test]
    fn sessions_over_a_faulty_channel_converge_or_report(
        items in (0..4usize, 0..4usize),
        a_to_b in prop::collection::vec(fault(), 0..12),
        b_to_a in prop::collection::vec(fault(), 0..12),
    ) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let result = rt.block_on(case(items, a_to_b, b_to_a));
        prop_assert!(result.is_ok(), "{}", result.unwrap_err());
    }
}

#[test]
fn sessions_over_a_clean_channel_converge() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let (_dir, alice, bob, ns) = pair((3, 2));
        let (reports_tx, _reports) = mpsc::channel(64);
        let (_a_cmd, a_cmds) = mpsc::channel(4);
        let (_b_cmd, b_cmds) = mpsc::channel(4);
        let (a_side, b_side) = tokio::io::duplex(1 << 16);
        let sa = tokio::spawn(run(params(&alice, &bob, 1, reports_tx.clone()), a_side.compat(), a_cmds));
        let sb = tokio::spawn(run(params(&bob, &alice, 2, reports_tx), b_side.compat(), b_cmds));
        assert!(wait(Duration::from_secs(20), || converged(&alice, &bob, &ns)).await);
        let titles = |n: &Node| n.list_items(&partage::ItemFilter::default()).unwrap().len();
        assert_eq!((titles(&alice), titles(&bob)), (5, 5));
        sa.abort();
        sb.abort();
    });
}
