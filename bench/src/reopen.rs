//! Reopening a store, as after an app restart, as separate figures: `Node::open` itself, the
//! first write right after it (which waits for the writer's member document, loaded in the
//! background) and the one after that, the background load itself (`Node::is_warm`), the
//! first write once it is done (a person's first tap comes later than that), and the first
//! full listing after an open.

use crate::stats::{Res, Spread, spread_ms};
use partage::{ItemFilter, ItemId, ItemPatch, MemberId, Node};
use partage_tests::TestNode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

pub struct Reopen {
    pub open: Spread,
    pub first_write: Spread,
    pub second_write: Spread,
    pub warm_up: Spread,
    pub first_write_warm: Spread,
    pub first_list: Spread,
    pub listed: usize,
    pub runs: usize,
}

/// One item the node's own member owns: what the writes edit.
pub fn own_item(node: &Node) -> Res<ItemId> {
    let me: MemberId = node.identity()?.ok_or("the node has no identity")?.member;
    let filter = ItemFilter { owner: Some(me), ..ItemFilter::default() };
    Ok(node.list_items(&filter)?.into_iter().next().ok_or("the node owns no item")?.item.id)
}

fn edit(node: &Node, item: &ItemId, k: usize) -> Res<Duration> {
    let patch =
        ItemPatch { title: Some(format!("Perceuse après réouverture {k}")), ..ItemPatch::default() };
    let t = Instant::now();
    node.edit_item(item, &patch)?;
    Ok(t.elapsed())
}

/// Waits (polling) until the node's background loads are done; how long that took.
fn warm_up(node: &Node) -> Res<Duration> {
    let t = Instant::now();
    while !node.is_warm()? {
        std::thread::sleep(Duration::from_micros(200));
    }
    Ok(t.elapsed())
}

/// `runs` cycles of close, open, first write (`edit_item` of one of the node's own items),
/// second write; `runs` cycles of close, open, wait until warm, first write; then `runs`
/// cycles of close, open, `list_items`. Returns the reopened node.
pub fn measure(node: TestNode, runs: usize) -> Res<(Reopen, TestNode)> {
    let item = own_item(&node.node)?;
    let (mut opens, mut firsts, mut seconds, mut lists) = (vec![], vec![], vec![], vec![]);
    let (mut warms, mut warm_firsts) = (vec![], vec![]);
    let mut node = Some(node);
    let mut listed = 0;
    for k in 0..runs * 3 {
        let closed = node.take().ok_or("no node")?;
        let TestNode { node: n, dir } = closed;
        // redb allows one open handle per file: the old node must be gone first.
        drop(n);
        let t = Instant::now();
        let reopened = Node::open(dir.path())?;
        opens.push(t.elapsed());
        if k < runs {
            firsts.push(edit(&reopened, &item, 2 * k)?);
            seconds.push(edit(&reopened, &item, 2 * k + 1)?);
        } else if k < runs * 2 {
            warms.push(warm_up(&reopened)?);
            warm_firsts.push(edit(&reopened, &item, 2 * k)?);
        } else {
            let t = Instant::now();
            listed = std::hint::black_box(reopened.list_items(&ItemFilter::default())?).len();
            lists.push(t.elapsed());
        }
        node = Some(TestNode { node: reopened, dir });
    }
    let reopen = Reopen {
        open: spread_ms(&opens),
        first_write: spread_ms(&firsts),
        second_write: spread_ms(&seconds),
        warm_up: spread_ms(&warms),
        first_write_warm: spread_ms(&warm_firsts),
        first_list: spread_ms(&lists),
        listed,
        runs,
    };
    Ok((reopen, node.ok_or("no node")?))
}

impl Reopen {
    pub fn json(&self) -> Value {
        json!({
            "reopens": self.runs * 3,
            "open_ms": self.open.json(),
            "first_write_after_reopen_ms": self.first_write.json(),
            "second_write_after_reopen_ms": self.second_write.json(),
            "warm_up_ms": self.warm_up.json(),
            "first_write_after_warm_up_ms": self.first_write_warm.json(),
            "first_list_after_reopen_ms": self.first_list.json(),
            "listed": self.listed,
            "write": "edit_item of one of the node's own items",
        })
    }

    pub fn lines(&self, what: &str) -> Vec<String> {
        vec![
            format!("reopen {what:<14} {}", self.open.show("ms")),
            format!(
                "  first write after  {} (edit_item); second {}",
                self.first_write.show("ms"),
                self.second_write.show("ms")
            ),
            format!(
                "  background load    {}; first write after it {}",
                self.warm_up.show("ms"),
                self.first_write_warm.show("ms")
            ),
            format!("  first list after   {} ({} items)", self.first_list.show("ms"), self.listed),
        ]
    }
}
