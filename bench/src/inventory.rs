//! One member's store holding the whole inventory in one document (what was
//! `core/benches/inventory.rs`): durable adds one at a time, the store file and its tables, and
//! reopening it. The store is then the "Alice" of the wire and samod figures.

use crate::adds::{self, Adds};
use crate::reopen::{self, Reopen};
use crate::stats::Res;
use crate::tables::{self, TableUse};
use partage::{ItemDraft, NeighbourhoodId, Node};
use partage_tests::TestNode;
use partage_workload::{SEED, XorShift, draft};
use serde_json::{Value, json};

pub struct Inventory {
    pub adds: Adds,
    pub avg_title_chars: f64,
    pub avg_description_chars: f64,
    pub store_bytes: u64,
    pub tables: Vec<TableUse>,
    pub reopen: Reopen,
}

pub struct Solo {
    pub node: TestNode,
    pub ns: NeighbourhoodId,
}

pub fn measure(items: usize, runs: usize) -> Res<(Inventory, Solo)> {
    let mut rng = XorShift(SEED);
    let drafts: Vec<ItemDraft> = (0..items).map(|_| draft(&mut rng)).collect();
    let avg = |f: fn(&ItemDraft) -> usize| drafts.iter().map(f).sum::<usize>() as f64 / items.max(1) as f64;
    let avg_title_chars = avg(|d| d.title.chars().count());
    let avg_description_chars = avg(|d| d.description.chars().count());
    let solo = TestNode::new("Alice");
    let ns = solo.node.create_neighbourhood("Quartier des Lilas")?.id;
    let mut drafts = drafts.into_iter();
    let adds = adds::measure(items, |_| {
        solo.node.add_item(&ns, drafts.next().ok_or("no draft")?)?;
        Ok(())
    })?;
    let store = solo.dir.path().join(partage::node::STORE_FILE);
    let store_bytes = std::fs::metadata(&store).map_or(0, |m| m.len());
    let TestNode { node, dir } = solo;
    drop(node);
    let tables = tables::read(&store).unwrap_or_else(|e| {
        eprintln!("cannot read table statistics: {e}");
        Vec::new()
    });
    let solo = TestNode { node: Node::open(dir.path())?, dir };
    let (reopen, node) = reopen::measure(solo, runs)?;
    let inventory = Inventory { adds, avg_title_chars, avg_description_chars, store_bytes, tables, reopen };
    Ok((inventory, Solo { node, ns }))
}

impl Inventory {
    pub fn json(&self) -> Value {
        json!({
            "workload": {
                "items": self.adds.items,
                "members": 1,
                "documents": 1,
                "avg_title_chars": self.avg_title_chars,
                "avg_description_chars": self.avg_description_chars,
                "tags_per_item": 3,
            },
            "add": self.adds.json(),
            "store_file_bytes": self.store_bytes,
            "store_tables": tables::json(&self.tables),
            "reopen": self.reopen.json(),
        })
    }

    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![
            format!("one member, {} items in one document (inventory)", self.adds.items),
            format!("  adds             {}", self.adds.line()),
        ];
        out.extend(self.adds.block_lines());
        out.push(format!("  store file       {:.2} MiB", self.store_bytes as f64 / 1048576.0));
        out.extend(tables::lines(&self.tables));
        out.extend(self.reopen.lines("(1 document)").into_iter().map(|l| format!("  {l}")));
        out
    }
}
