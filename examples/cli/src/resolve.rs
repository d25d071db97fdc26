//! Turning what the user typed into ids: full hex ids, or unique prefixes of them.

use crate::error::{CliError, CliResult};
use partage::{Category, Condition, ItemFilter, ItemId, MemberId, NeighbourhoodId, Node};

/// Shortest prefix accepted for an id typed by hand.
pub const MIN_PREFIX: usize = 4;

/// The one id among `candidates` whose hex starts with `typed` (a full id or a prefix).
/// `what` names the kind of id in messages ("item", "neighbourhood", "member").
fn unique_prefix<T: Copy + std::fmt::Display>(
    what: &str,
    typed: &str,
    candidates: impl IntoIterator<Item = T>,
) -> CliResult<T> {
    let prefix = typed.trim().to_ascii_lowercase();
    if prefix.is_empty() {
        return Err(CliError::msg(format!("{what} id is empty")));
    }
    if !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
        let shown: String = typed.chars().take(80).collect();
        return Err(CliError::msg(format!("\"{shown}\" is not a valid {what} id (ids are hexadecimal)")));
    }
    if prefix.len() < MIN_PREFIX {
        return Err(CliError::msg(format!(
            "{what} id \"{prefix}\" is too short: give at least {MIN_PREFIX} characters"
        )));
    }
    let mut found = candidates.into_iter().filter(|id| id.to_string().starts_with(&prefix));
    match (found.next(), found.next()) {
        (Some(id), None) => Ok(id),
        (None, _) => Err(CliError::msg(format!("no {what} with an id starting with \"{prefix}\""))),
        (Some(_), Some(_)) => Err(CliError::msg(format!(
            "{what} id \"{prefix}\" is ambiguous: {} {what}s match, give more characters",
            2 + found.count()
        ))),
    }
}

/// An item id: a full id is passed on as is (the core reports unknown ones), a prefix must match
/// exactly one item this device knows.
pub fn item(node: &Node, typed: &str) -> CliResult<ItemId> {
    if typed.trim().len() == ItemId::LEN * 2 {
        return Ok(typed.parse::<ItemId>()?);
    }
    let ids = node.list_items(&ItemFilter::default())?.into_iter().map(|v| v.item.id);
    unique_prefix("item", typed, ids)
}

/// A loan this device knows, by full id or unique prefix.
pub fn loan(node: &Node, typed: &str) -> CliResult<partage::LoanId> {
    if typed.trim().len() == partage::LoanId::LEN * 2 {
        return Ok(typed.parse::<partage::LoanId>()?);
    }
    let ids = node.loans(&partage::LoanFilter::default())?.into_iter().map(|v| v.id);
    unique_prefix("loan", typed, ids)
}

/// One of this member's devices, by full id or unique prefix.
pub fn device(node: &Node, typed: &str) -> CliResult<partage::DeviceId> {
    let ids = node.devices()?.into_iter().map(|d| d.device);
    unique_prefix("device", typed, ids)
}

/// A neighbourhood this device belongs to, by full id or unique prefix.
pub fn neighbourhood(node: &Node, typed: &str) -> CliResult<NeighbourhoodId> {
    if typed.trim().len() == NeighbourhoodId::LEN * 2 {
        return Ok(typed.parse::<NeighbourhoodId>()?);
    }
    let ids = node.neighbourhoods()?.into_iter().map(|n| n.id);
    unique_prefix("neighbourhood", typed, ids)
}

/// `--neighbourhood` if given, else the only neighbourhood this device belongs to.
pub fn neighbourhood_or_only(node: &Node, typed: Option<&str>) -> CliResult<NeighbourhoodId> {
    if let Some(typed) = typed {
        return neighbourhood(node, typed);
    }
    let all = node.neighbourhoods()?;
    match all.as_slice() {
        [only] => Ok(only.id),
        [] => Err(CliError::msg(
            "you are not in any neighbourhood yet: create one with `partage neighbourhood create NAME` or join one with a ticket",
        )),
        many => Err(CliError::msg(format!(
            "you are in {} neighbourhoods: choose one with --neighbourhood ID",
            many.len()
        ))),
    }
}

pub fn optional_neighbourhood(node: &Node, typed: Option<&str>) -> CliResult<Option<NeighbourhoodId>> {
    typed.map(|t| neighbourhood(node, t)).transpose()
}

/// A member: "me", a full id, or a unique prefix among members known in any neighbourhood.
pub fn member(node: &Node, typed: &str) -> CliResult<MemberId> {
    if typed.trim().eq_ignore_ascii_case("me") {
        return node.identity()?.map(|i| i.member).ok_or_else(|| partage::Error::NoIdentity.into());
    }
    if typed.trim().len() == MemberId::LEN * 2 {
        return Ok(typed.parse::<MemberId>()?);
    }
    let mut ids = Vec::new();
    for n in node.neighbourhoods()? {
        for m in node.members(&n.id)? {
            if !ids.contains(&m.member) {
                ids.push(m.member);
            }
        }
    }
    unique_prefix("member", typed, ids)
}

pub fn category(typed: Option<&str>) -> CliResult<Option<Category>> {
    Ok(typed.map(str::parse::<Category>).transpose()?)
}

pub fn condition(typed: Option<&str>) -> CliResult<Option<Condition>> {
    Ok(typed.map(str::parse::<Condition>).transpose()?)
}

#[cfg(test)]
mod tests {
    use super::unique_prefix;
    use partage::ItemId;

    fn ids() -> Vec<ItemId> {
        ["abcd0000", "abcd1111", "ef012345"]
            .iter()
            .map(|p| format!("{p:0<32}").parse().expect("valid id"))
            .collect()
    }

    #[test]
    fn a_unique_prefix_resolves() {
        let found = unique_prefix("item", "EF01", ids()).expect("unique");
        assert_eq!(found.to_hex(), format!("{:0<32}", "ef012345"));
        assert!(unique_prefix("item", "abcd1", ids()).is_ok());
    }

    #[test]
    fn ambiguous_unknown_short_and_non_hex_prefixes_are_refused() {
        let err = |typed: &str| unique_prefix("item", typed, ids()).unwrap_err().to_string();
        assert_eq!(err("abcd"), "item id \"abcd\" is ambiguous: 2 items match, give more characters");
        assert_eq!(err("9999"), "no item with an id starting with \"9999\"");
        assert_eq!(err("abc"), "item id \"abc\" is too short: give at least 4 characters");
        assert!(err("échelle").contains("not a valid item id"));
        assert_eq!(err("  "), "item id is empty");
    }
}
