//! `partage demo`: three neighbours, each a real [`Node`] in its own temporary data directory,
//! in one process. Replication is an in-process exchange of signed document bundles through the
//! same verification path as data from a peer; the network (libp2p) comes with the sync feature.

use crate::error::{CliError, CliResult};
use crate::output::{Out, item_line};
use partage::{
    Category, Condition, DocBundle, DocPayload, Error, ItemDraft, ItemFilter, ItemId, ItemPatch, MemberId,
    NeighbourhoodId, Node,
};
use std::time::{Duration, Instant};
use tempfile::TempDir;

struct Neighbour {
    name: &'static str,
    node: Node,
    member: MemberId,
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
        Ok(Neighbour { name, node, member, _dir: dir })
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
}

/// What one sender → receiver exchange moved.
#[derive(Default)]
struct Exchange {
    documents: usize,
    bytes: usize,
    new_changes: usize,
    items_changed: usize,
    items_removed: usize,
    elapsed: Duration,
}

pub fn run(out: &mut Out) -> CliResult {
    let started = Instant::now();
    out.line("Partage demo: three neighbours, each with their own data directory, in one process.")?;
    out.line("Replication below is an in-process exchange of signed document bundles, checked by the")?;
    out.line("same verification as data from a peer. Network sync (libp2p, mDNS) comes with the sync")?;
    out.line("feature; it is not used here.")?;

    step(out, "1. Three neighbours set up their devices")?;
    let alice = Neighbour::new("Alice")?;
    let bob = Neighbour::new("Bob")?;
    let chloe = Neighbour::new("Chloé")?;
    for n in [&alice, &bob, &chloe] {
        out.line(format_args!("   {:<6} member {}", n.name, n.member.short()))?;
    }

    step(out, "2. Alice creates \"Rue des Lilas\" and invites Bob and Chloé")?;
    let ns = alice.node.create_neighbourhood("Rue des Lilas")?.id;
    out.line(format_args!("   neighbourhood {}", ns.short()))?;
    for guest in [&bob, &chloe] {
        let ticket = alice.node.invite(&ns, 7, Vec::new())?;
        out.line(format_args!(
            "   ticket for {}: {}… ({} characters, valid 7 days)",
            guest.name,
            ticket.chars().take(24).collect::<String>(),
            ticket.len()
        ))?;
        let joined = guest.node.join(&ticket)?;
        out.line(format_args!(
            "   {} joined \"{}\" offline, with the ticket alone",
            guest.name, joined.name
        ))?;
    }

    step(out, "3. Everyone adds a couple of things to lend")?;
    let drill = alice.add(&ns, "Perceuse à percussion", Category::Tools, &["perceuse", "béton"])?;
    alice.add(&ns, "Échelle double", Category::Diy, &["escabeau"])?;
    bob.add(&ns, "Appareil à raclette", Category::Kitchen, &["fromage", "hiver"])?;
    bob.add(&ns, "Tondeuse électrique", Category::Garden, &["pelouse"])?;
    chloe.add(&ns, "Tente 4 places", Category::Camping, &["randonnée"])?;
    chloe.add(&ns, "Jeu de Dixit", Category::Games, &["famille"])?;
    let all = [&alice, &bob, &chloe];
    show_counts(out, &all)?;

    step(out, "4. First exchange: every neighbour sends every document it holds (full snapshots)")?;
    sync_round(out, &all, &ns, false)?;
    show_counts(out, &all)?;
    for n in &all {
        let items = n.node.list_items(&ItemFilter::default())?;
        if items.len() != 6 {
            return Err(check_failed(format!("{} sees {} items, not 6", n.name, items.len())));
        }
    }
    out.line("   Bob's view of the inventory:")?;
    for view in bob.node.list_items(&ItemFilter::default())? {
        out.line(format_args!("     {}", item_line(&view)))?;
    }

    step(out, "5. Bob searches \"echel\"")?;
    let t = Instant::now();
    let hits = bob.node.search("echel", &ItemFilter::default())?;
    out.line(format_args!("   {} result(s) in {}", hits.len(), ms(t.elapsed())))?;
    for view in &hits {
        out.line(format_args!("     {}", item_line(view)))?;
    }
    let ladder = hits
        .iter()
        .find(|v| v.item.title == "Échelle double" && v.item.owner == alice.member)
        .ok_or_else(|| check_failed("Bob's search for \"echel\" did not find Alice's ladder"))?;
    out.line("   (accents and case do not matter: \"echel\" finds \"Échelle\")")?;

    step(out, "6. Bob tries to edit Alice's ladder on his own device")?;
    let patch = ItemPatch { title: Some("Échelle de Bob".into()), ..ItemPatch::default() };
    match bob.node.edit_item(&ladder.item.id, &patch) {
        Err(e @ Error::NotYourItem { .. }) => out.line(format_args!("   refused: {e}"))?,
        Err(e) => return Err(e.into()),
        Ok(_) => return Err(check_failed("Bob was allowed to edit Alice's item")),
    }

    step(out, "7. Alice pauses her drill; the change travels as a small signed update")?;
    alice.node.set_available(&drill, false)?;
    for n in [&bob, &chloe] {
        out.line(format_args!(
            "   before the exchange, {} sees the drill as {}",
            n.name,
            status(&n.node, &drill)?
        ))?;
    }
    sync_round(out, &all, &ns, true)?;
    for n in [&bob, &chloe] {
        let state = status(&n.node, &drill)?;
        out.line(format_args!("   after the exchange, {} sees the drill as {state}", n.name))?;
        if state != "paused" {
            return Err(check_failed(format!("{} did not receive the pause", n.name)));
        }
    }
    let available = bob.node.list_items(&ItemFilter { available_only: true, ..ItemFilter::default() })?;
    out.line(format_args!("   Bob's list of things he can borrow now: {} item(s)", available.len()))?;

    out.line("")?;
    out.line(format_args!(
        "Done in {}. The three temporary data directories are deleted now.",
        ms(started.elapsed())
    ))
}

/// Every ordered pair of neighbours exchanges documents once. `incremental`: send only what the
/// receiver lacks, from its document heads; otherwise whole snapshots.
fn sync_round(out: &mut Out, all: &[&Neighbour], ns: &NeighbourhoodId, incremental: bool) -> CliResult {
    for from in all {
        for to in all {
            if from.member == to.member {
                continue;
            }
            let x =
                if incremental { exchange_incremental(from, to, ns)? } else { exchange_full(from, to, ns)? };
            if x.documents == 0 {
                out.line(format_args!(
                    "   {:<6} → {:<6} nothing to send (same document heads), checked in {}",
                    from.name,
                    to.name,
                    ms(x.elapsed)
                ))?;
                continue;
            }
            out.line(format_args!(
                "   {:<6} → {:<6} {} doc(s), {:>5} bytes, {} new change(s), {} item(s) changed, {} removed, in {}",
                from.name,
                to.name,
                x.documents,
                x.bytes,
                x.new_changes,
                x.items_changed,
                x.items_removed,
                ms(x.elapsed)
            ))?;
        }
    }
    Ok(())
}

/// Sends every member document `from` holds (except `to`'s own) as a full snapshot.
fn exchange_full(from: &Neighbour, to: &Neighbour, ns: &NeighbourhoodId) -> CliResult<Exchange> {
    let t = Instant::now();
    let mut x = Exchange::default();
    for m in from.node.members(ns)? {
        if m.member == to.member {
            continue;
        }
        let bundle = from.node.doc_bundle(ns, &m.member, &[])?;
        deliver(to, &bundle, &mut x)?;
    }
    x.elapsed = t.elapsed();
    Ok(x)
}

/// Sends only the changes `to` lacks, comparing document heads first (as the sync protocol will).
fn exchange_incremental(from: &Neighbour, to: &Neighbour, ns: &NeighbourhoodId) -> CliResult<Exchange> {
    let t = Instant::now();
    let mut x = Exchange::default();
    let theirs = to.node.doc_summaries(ns)?;
    for mine in from.node.doc_summaries(ns)? {
        if mine.owner == to.member {
            continue;
        }
        let have = theirs.iter().find(|s| s.owner == mine.owner).map(|s| s.heads.clone()).unwrap_or_default();
        if have == mine.heads {
            continue;
        }
        let bundle = from.node.doc_bundle(ns, &mine.owner, &have)?;
        deliver(to, &bundle, &mut x)?;
    }
    x.elapsed = t.elapsed();
    Ok(x)
}

/// The receiving side: verify (membership, device certificates, signatures), apply, store.
fn deliver(to: &Neighbour, bundle: &DocBundle, x: &mut Exchange) -> CliResult {
    let report = to.node.import_bundle(bundle)?;
    x.documents += 1;
    x.bytes += match &bundle.payload {
        DocPayload::Snapshot(bytes) => bytes.len(),
        DocPayload::Changes(changes) => changes.iter().map(Vec::len).sum(),
    };
    x.new_changes += report.new_changes;
    x.items_changed += report.items_changed;
    x.items_removed += report.items_removed;
    Ok(())
}

fn show_counts(out: &mut Out, all: &[&Neighbour]) -> CliResult {
    for n in all {
        let items = n.node.list_items(&ItemFilter::default())?;
        let members = n.node.neighbourhoods()?.first().map_or(0, |s| s.members);
        out.line(format_args!("   {:<6} sees {} item(s) from {} member(s)", n.name, items.len(), members))?;
    }
    Ok(())
}

fn status(node: &Node, id: &ItemId) -> CliResult<&'static str> {
    Ok(if node.item(id)?.item.available { "available" } else { "paused" })
}

fn step(out: &mut Out, title: &str) -> CliResult {
    out.line("")?;
    out.line(title)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn check_failed(what: impl std::fmt::Display) -> CliError {
    CliError::msg(format!("demo check failed: {what}"))
}
