//! `partage item add|edit|pause|resume|rm|list|search|show`.

use crate::args::{AddArgs, EditArgs, FilterArgs, ImportArgs, ItemCmd, ListArgs};
use crate::catalogue;
use crate::error::{CliError, CliResult};
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
        ItemCmd::List(ListArgs { filter, page, owner }) => {
            let mut filter = item_filter(node, &filter)?;
            filter.owner = owner.map(|o| resolve::member(node, &o)).transpose()?;
            match page.limit {
                Some(limit) => out.page(&node.list_page(&filter, limit, page.offset)?, page.offset),
                None => out.items(&node.list_items(&filter)?),
            }
        }
        ItemCmd::Search { query, filter, page } => {
            let filter = item_filter(node, &filter)?;
            match page.limit {
                Some(limit) => out.page(&node.search_page(&query, &filter, limit, page.offset)?, page.offset),
                None => out.items(&node.search(&query, &filter)?),
            }
        }
        ItemCmd::Show { id } => out.item(&node.item(&resolve::item(node, &id)?)?),
        ItemCmd::Import(args) => import(node, args, out),
        ItemCmd::Photo(args) => super::photo::save(node, args, out),
    }
}

/// Reads the whole catalogue, reports every row that cannot become an item (then adds
/// nothing), otherwise adds all of it in one batch.
fn import(node: &Node, a: ImportArgs, out: &mut Out) -> CliResult {
    let ns = resolve::neighbourhood_or_only(node, a.neighbourhood.as_deref())?;
    let options = catalogue::Options { map: a.map, unknown_category_as_other: a.unknown_category_as_other };
    let cat = catalogue::read(&a.file, &options)?;
    let total = cat.rows.len();
    let mut errors: Vec<(u64, String)> = Vec::new();
    let mut drafts = Vec::with_capacity(cat.rows.len());
    let mut numbers = Vec::with_capacity(cat.rows.len());
    for row in cat.rows {
        match row.draft {
            Ok(d) => {
                drafts.push(d);
                numbers.push(row.number);
            }
            Err(e) => errors.push((row.number, e)),
        }
    }
    match partage::node::check_items(&drafts) {
        Ok(()) => {}
        Err(partage::ValidationError::Rows(rows)) => {
            for r in rows {
                errors.push((numbers.get(r.index).copied().unwrap_or_default(), r.error.to_string()));
            }
        }
        Err(e) => return Err(e.into()),
    }
    errors.sort();
    let rows_word =
        if a.file.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) { "entry" } else { "line" };
    if !errors.is_empty() {
        if out.json {
            let list: Vec<_> =
                errors.iter().map(|(n, e)| serde_json::json!({ rows_word: n, "error": e })).collect();
            out.write_json(&serde_json::json!({ "added": 0, "errors": list }))?;
        } else {
            for (n, e) in &errors {
                out.line(format_args!("{rows_word} {n}: {e}"))?;
            }
        }
        return Err(CliError::msg(format!(
            "{} of {total} rows cannot be imported; nothing was added",
            errors.len()
        )));
    }
    if a.dry_run {
        if out.json {
            return out.write_json(
                &serde_json::json!({ "would_add": drafts.len(), "ignored_columns": cat.ignored }),
            );
        }
        if !cat.ignored.is_empty() {
            out.line(format_args!("ignored columns: {}", cat.ignored.join(", ")))?;
        }
        return out.line(format_args!("would add {} items (dry run: nothing was added)", drafts.len()));
    }
    let added = node.add_items(&ns, drafts)?;
    if out.json {
        let ids: Vec<String> = added.iter().map(|v| v.item.id.to_hex()).collect();
        return out.write_json(&serde_json::json!({ "added": added.len(), "ids": ids }));
    }
    out.line(format_args!("added {} items", added.len()))
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
    // Files are read before anything is added, so a wrong path adds nothing.
    let photos = super::photo::read_files(&a.photos)?;
    let view = node.add_item(&ns, draft)?;
    let view = super::photo::add_or_undo(node, view, &photos)?;
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
    let photos = super::photo::read_files(&a.photos)?;
    let mut view = node.edit_item(&id, &patch)?;
    for bytes in &photos {
        node.add_photo(&id, bytes)?;
        view = node.item(&id)?;
    }
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
