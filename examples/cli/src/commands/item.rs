//! `partage item add|edit|pause|resume|rm|list|search|show`.

use crate::args::{AddArgs, EditArgs, FilterArgs, ItemCmd, ListArgs};
use crate::error::CliResult;
use crate::output::{Out, item_line};
use crate::resolve;
use partage::{ItemDraft, ItemFilter, ItemPatch, Node};

pub fn run(node: &Node, cmd: ItemCmd, out: &mut Out) -> CliResult {
    match cmd {
        ItemCmd::Add(args) => add(node, args, out),
        ItemCmd::Edit(args) => edit(node, args, out),
        ItemCmd::Pause { id } => {
            let view = node.set_available(&resolve::item(node, &id)?, false)?;
            out.item_done("paused", &view)
        }
        ItemCmd::Resume { id } => {
            let view = node.set_available(&resolve::item(node, &id)?, true)?;
            out.item_done("available again", &view)
        }
        ItemCmd::Rm { id } => {
            let id = resolve::item(node, &id)?;
            let view = node.item(&id)?;
            node.remove_item(&id)?;
            if out.json {
                return out.write_json(&serde_json::json!({ "removed": id.to_hex() }));
            }
            out.line(format_args!("removed: {}", item_line(&view)))
        }
        ItemCmd::List(ListArgs { filter, owner }) => {
            let mut filter = item_filter(node, &filter)?;
            filter.owner = owner.map(|o| resolve::member(node, &o)).transpose()?;
            out.items(&node.list_items(&filter)?)
        }
        ItemCmd::Search { query, filter } => {
            let filter = item_filter(node, &filter)?;
            out.items(&node.search(&query, &filter)?)
        }
        ItemCmd::Show { id } => out.item(&node.item(&resolve::item(node, &id)?)?),
    }
}

/// Prints the new item's id alone (or the item as JSON).
fn add(node: &Node, a: AddArgs, out: &mut Out) -> CliResult {
    let ns = resolve::neighbourhood_or_only(node, a.neighbourhood.as_deref())?;
    let draft = ItemDraft {
        title: a.title,
        description: a.description,
        category: resolve::category(a.category.as_deref())?,
        tags: a.tags,
        condition: resolve::condition(a.condition.as_deref())?,
        photos: Vec::new(),
        deposit_cents: a.deposit_cents,
        max_loan_days: a.max_loan_days,
    };
    let view = node.add_item(&ns, draft)?;
    if out.json {
        return out.write_json(&view);
    }
    out.line(view.item.id)
}

fn edit(node: &Node, a: EditArgs, out: &mut Out) -> CliResult {
    let id = resolve::item(node, &a.id)?;
    let tags = if a.clear_tags {
        Some(Vec::new())
    } else if a.tags.is_empty() {
        None
    } else {
        Some(a.tags)
    };
    let deposit_cents = if a.no_deposit { Some(None) } else { a.deposit_cents.map(Some) };
    let patch = ItemPatch {
        title: a.title,
        description: a.description,
        category: resolve::category(a.category.as_deref())?,
        tags,
        condition: resolve::condition(a.condition.as_deref())?,
        photos: None,
        deposit_cents,
        max_loan_days: a.max_loan_days,
    };
    let view = node.edit_item(&id, &patch)?;
    out.item_done("edited", &view)
}

fn item_filter(node: &Node, f: &FilterArgs) -> CliResult<ItemFilter> {
    Ok(ItemFilter {
        neighbourhood: resolve::optional_neighbourhood(node, f.neighbourhood.as_deref())?,
        category: resolve::category(f.category.as_deref())?,
        owner: None,
        available_only: f.available,
    })
}
