//! `partage demo`: three neighbours, each a real [`Node`] in its own temporary data directory,
//! each with its own libp2p network on 127.0.0.1 (no mDNS), in one process. Every step says
//! which node saw what, and how long it took to get there.

use crate::error::{CliError, CliResult};
use crate::net_events::{ms, peer_name};
use crate::output::{Out, item_line};
use partage::clock::{DAY_MS, format_date, now_ms};
use partage::events::NetEvent;
use partage::{
    Category, Condition, Error, Event, ItemDraft, ItemFilter, ItemId, ItemPatch, LoanId, LoanState, MemberId,
    NeighbourhoodId, Node,
};
use partage_net::{Multiaddr, NetConfig, Network};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// Longest wait for anything to arrive (a safety net, not an expectation).
const WAIT: Duration = Duration::from_secs(60);

struct Neighbour {
    name: &'static str,
    node: Node,
    member: MemberId,
    net: Option<Network>,
    /// Sync rounds this node finished: (peer, duration, docs received, bytes received).
    syncs: Arc<Mutex<Vec<String>>>,
    // Keeps the data directory alive until the demo ends, then deletes it.
    _dir: TempDir,
}

impl Neighbour {
    fn new(name: &'static str) -> CliResult<Neighbour> {
        let dir = tempfile::Builder::new()
            .prefix("partage-demo-")
            .tempdir()
            .map_err(|e| CliError::msg(format!("could not create a temporary directory: {e}")))?;
        let node = Node::open(dir.path())?;
        let member = node.init(name)?.member;
        Ok(Neighbour { name, node, member, net: None, syncs: Arc::default(), _dir: dir })
    }

    fn add(&self, ns: &NeighbourhoodId, title: &str, category: Category, tags: &[&str]) -> CliResult<ItemId> {
        let draft = ItemDraft {
            title: title.into(),
            category: Some(category),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            condition: Some(Condition::Good),
            ..ItemDraft::default()
        };
        Ok(self.node.add_item(ns, draft)?.item.id)
    }

    /// Starts this node's network (loopback, no mDNS) and records its finished syncs.
    async fn go_online(&mut self, out: &mut Out) -> CliResult<Multiaddr> {
        let mut events = self.node.subscribe();
        let syncs = self.syncs.clone();
        tokio::spawn(async move {
            while let Some(e) = events.recv().await {
                if let Event::Network(NetEvent::SyncFinished(s)) = e {
                    let line = format!(
                        "sync with {} took {} ({} doc(s), {} bytes in)",
                        peer_name(&s.peer),
                        ms(s.duration),
                        s.docs_received,
                        s.bytes_received
                    );
                    if let Ok(mut v) = syncs.lock() {
                        v.push(line);
                    }
                }
            }
        });
        let config = NetConfig { redial_interval: Duration::from_secs(1), ..NetConfig::loopback() };
        let net =
            Network::start(self.node.clone(), config).await.map_err(|e| CliError::msg(e.to_string()))?;
        let ad = net.advertise(WAIT).await.map_err(|e| CliError::msg(e.to_string()))?;
        let addr = ad.addrs.first().cloned().ok_or_else(|| check_failed("no listen address"))?;
        out.line(format_args!("   {:<6} online at {addr}", self.name))?;
        self.net = Some(net);
        Ok(addr)
    }

    fn take_syncs(&self) -> Vec<String> {
        self.syncs.lock().map(|mut v| std::mem::take(&mut *v)).unwrap_or_default()
    }
}

pub fn run(out: &mut Out) -> CliResult {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::msg(format!("could not start the async runtime: {e}")))?
        .block_on(demo(out))
}

async fn demo(out: &mut Out) -> CliResult {
    let started = Instant::now();
    out.line("Partage demo: three neighbours, each with their own data directory and their own")?;
    out.line("libp2p node on 127.0.0.1 (TCP, Noise, Yamux; mDNS off), in one process. Everything")?;
    out.line("below travels over real connections and is verified before it is stored.")?;

    step(out, "1. Three neighbours set up their devices")?;
    let mut alice = Neighbour::new("Alice")?;
    let mut bob = Neighbour::new("Bob")?;
    let mut chloe = Neighbour::new("Chloé")?;
    for n in [&alice, &bob, &chloe] {
        out.line(format_args!("   {:<6} member {}", n.name, n.member.short()))?;
    }

    step(out, "2. Alice creates \"Rue des Lilas\", adds two things, goes online")?;
    let ns = alice.node.create_neighbourhood("Rue des Lilas")?.id;
    let drill = alice.add(&ns, "Perceuse à percussion", Category::Tools, &["perceuse", "béton"])?;
    alice.add(&ns, "Échelle double", Category::Diy, &["escabeau"])?;
    let alice_addr = alice.go_online(out).await?;

    step(out, "3. Bob and Chloé join with tickets that carry Alice's address, add things, go online")?;
    for guest in [&bob, &chloe] {
        let ticket = alice.node.invite(&ns, 7, 1, vec![alice_addr.to_string()])?;
        let joined = guest.node.join(&ticket)?;
        out.line(format_args!(
            "   {} joined \"{}\" offline with a {}-character ticket",
            guest.name,
            joined.name,
            ticket.len()
        ))?;
    }
    bob.add(&ns, "Appareil à raclette", Category::Kitchen, &["fromage", "hiver"])?;
    bob.add(&ns, "Tondeuse électrique", Category::Garden, &["pelouse"])?;
    chloe.add(&ns, "Tente 4 places", Category::Camping, &["randonnée"])?;
    chloe.add(&ns, "Jeu de Dixit", Category::Games, &["famille"])?;
    let t = Instant::now();
    bob.go_online(out).await?;
    chloe.go_online(out).await?;
    for n in [&alice, &bob, &chloe] {
        seen_by(n, "all six items", |node| count(node) == 6).await?;
        out.line(format_args!(
            "   {:<6} sees all 6 items {} after Bob and Chloé went online",
            n.name,
            ms(t.elapsed())
        ))?;
    }
    for n in [&alice, &bob, &chloe] {
        for line in n.take_syncs() {
            out.line(format_args!("     {:<6} {line}", n.name))?;
        }
    }
    out.line("   (Bob and Chloé never dialed each other: Alice passed their documents on)")?;
    out.line("   Bob's view of the inventory:")?;
    for view in bob.node.list_items(&ItemFilter::default())? {
        out.line(format_args!("     {}", item_line(&view)))?;
    }

    step(out, "4. Bob searches \"echel\"")?;
    let t = Instant::now();
    let hits = bob.node.search("echel", &ItemFilter::default())?;
    out.line(format_args!("   {} result(s) in {}, on Bob's device", hits.len(), ms(t.elapsed())))?;
    for view in &hits {
        out.line(format_args!("     {}", item_line(view)))?;
    }
    let ladder = hits
        .iter()
        .find(|v| v.item.title == "Échelle double" && v.item.owner == alice.member)
        .ok_or_else(|| check_failed("Bob's search for \"echel\" did not find Alice's ladder"))?
        .item
        .id;

    step(out, "5. Bob tries to edit Alice's ladder on his own device")?;
    let patch = ItemPatch { title: Some("Échelle de Bob".into()), ..ItemPatch::default() };
    match bob.node.edit_item(&ladder, &patch) {
        Err(e @ Error::NotYourItem { .. }) => out.line(format_args!("   refused: {e}"))?,
        Err(e) => return Err(e.into()),
        Ok(_) => return Err(check_failed("Bob was allowed to edit Alice's item")),
    }

    step(out, "6. Alice pauses her drill: the signed change is pushed at once")?;
    alice.node.set_available(&drill, false)?;
    for n in [&bob, &chloe] {
        let took =
            seen_by(n, "the paused drill", |node| node.item(&drill).is_ok_and(|v| !v.item.available)).await?;
        out.line(format_args!("   {} sees the drill as paused after {}", n.name, ms(took)))?;
    }

    step(out, "7. Bob borrows the ladder, Alice hands it over, Bob brings it back")?;
    let from = format_date(now_ms());
    let until = format_date(now_ms() + 3 * DAY_MS);
    let loan = bob.node.request_loan(&ladder, &from, &until, "Pour repeindre le salon")?.id;
    out.line(format_args!("   Bob asks for the ladder from {from} to {until}"))?;
    show_loan(out, &alice, &loan, LoanState::Requested).await?;
    alice.node.accept_loan(&loan, "Avec plaisir")?;
    out.line("   Alice accepts")?;
    show_loan(out, &bob, &loan, LoanState::Accepted).await?;
    alice.node.hand_over(&loan)?;
    out.line("   Alice hands the ladder over")?;
    show_loan(out, &bob, &loan, LoanState::HandedOver).await?;
    bob.node.mark_returned(&loan)?;
    out.line("   Bob brings it back")?;
    show_loan(out, &alice, &loan, LoanState::Returned).await?;
    alice.node.confirm_return(&loan, "Comme neuve")?;
    out.line("   Alice confirms it is back")?;
    for n in [&bob, &chloe] {
        show_loan(out, n, &loan, LoanState::Closed).await?;
    }

    for n in [&mut alice, &mut bob, &mut chloe] {
        if let Some(net) = n.net.take() {
            net.stop().await.map_err(|e| CliError::msg(e.to_string()))?;
        }
    }
    out.line("")?;
    out.line(format_args!(
        "Done in {}. The three temporary data directories are deleted now.",
        ms(started.elapsed())
    ))
}

/// Waits until `n` sees the loan in `state`, and says after how long.
async fn show_loan(out: &mut Out, n: &Neighbour, loan: &LoanId, state: LoanState) -> CliResult {
    let took = seen_by(n, &format!("the loan {}", state.as_str()), |node| {
        node.loan(loan).is_ok_and(|v| v.state == state)
    })
    .await?;
    out.line(format_args!("     {} sees the loan as {} after {}", n.name, state.as_str(), ms(took)))
}

/// Polls `n` until `check` holds; the time it took.
async fn seen_by(n: &Neighbour, what: &str, check: impl Fn(&Node) -> bool) -> CliResult<Duration> {
    let t = Instant::now();
    while !check(&n.node) {
        if t.elapsed() > WAIT {
            return Err(check_failed(format!("{} did not see {what} within {} s", n.name, WAIT.as_secs())));
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    Ok(t.elapsed())
}

fn count(node: &Node) -> usize {
    node.list_items(&ItemFilter::default()).map(|v| v.len()).unwrap_or(0)
}

fn step(out: &mut Out, title: &str) -> CliResult {
    out.line("")?;
    out.line(title)
}

fn check_failed(what: impl std::fmt::Display) -> CliError {
    CliError::msg(format!("demo check failed: {what}"))
}
