//! Everything printed on stdout: plain lines for people, JSON (`--json`) for programs.

use crate::error::CliResult;
use partage::export::TransferSummary;
use partage::{IdentityInfo, ItemView, MemberSummary, NeighbourhoodSummary};
use serde::Serialize;
use std::fmt::Display;
use std::io::Write;

pub struct Out {
    pub json: bool,
    stdout: std::io::StdoutLock<'static>,
}

impl Out {
    pub fn new(json: bool) -> Out {
        Out { json, stdout: std::io::stdout().lock() }
    }

    pub fn line(&mut self, text: impl Display) -> CliResult {
        writeln!(self.stdout, "{text}")?;
        Ok(())
    }

    pub fn write_json(&mut self, value: &impl Serialize) -> CliResult {
        serde_json::to_writer_pretty(&mut self.stdout, value).map_err(std::io::Error::from)?;
        writeln!(self.stdout)?;
        Ok(())
    }

    /// A list of items: a JSON array, or one line per item.
    pub fn items(&mut self, items: &[ItemView]) -> CliResult {
        if self.json {
            return self.write_json(&items);
        }
        if items.is_empty() {
            return self.line("(no items)");
        }
        for view in items {
            self.line(item_line(view))?;
        }
        Ok(())
    }

    /// One page of items; says where the next one starts if there is more.
    pub fn page(&mut self, page: &partage::Page, offset: usize) -> CliResult {
        if self.json {
            return self.write_json(page);
        }
        self.items(&page.items)?;
        let end = offset.saturating_add(page.items.len());
        if end < page.total {
            self.line(format_args!("({} to {end} of {}; next: --offset {end})", offset + 1, page.total))?;
        }
        Ok(())
    }

    /// One item in full.
    pub fn item(&mut self, view: &ItemView) -> CliResult {
        if self.json {
            return self.write_json(view);
        }
        let i = &view.item;
        self.line(&i.title)?;
        self.line(format_args!("  id:            {}", i.id))?;
        self.line(format_args!("  owner:         {} ({})", view.owner_name, i.owner.short()))?;
        self.line(format_args!("  neighbourhood: {}", i.neighbourhood))?;
        self.line(format_args!("  category:      {}", i.category))?;
        self.line(format_args!("  condition:     {}", i.condition))?;
        if !i.tags.is_empty() {
            self.line(format_args!("  tags:          {}", i.tags.join(", ")))?;
        }
        if let Some(cents) = i.deposit_cents {
            self.line(format_args!("  deposit:       {}", money(cents)))?;
        }
        self.line(format_args!("  longest loan:  {} days", i.max_loan_days))?;
        let status = if i.available { "available" } else { "paused" };
        self.line(format_args!("  status:        {status}"))?;
        if !i.description.is_empty() {
            self.line(format_args!("  description:   {}", i.description))?;
        }
        Ok(())
    }

    /// A short confirmation, or the item as JSON.
    pub fn item_done(&mut self, verb: &str, view: &ItemView) -> CliResult {
        if self.json {
            return self.write_json(view);
        }
        self.line(format_args!("{verb}: {}", item_line(view)))
    }

    pub fn neighbourhoods(&mut self, list: &[NeighbourhoodSummary]) -> CliResult {
        if self.json {
            let rows: Vec<NeighbourhoodJson> = list.iter().map(NeighbourhoodJson::from).collect();
            return self.write_json(&rows);
        }
        if list.is_empty() {
            return self.line("(no neighbourhoods: create one, or join one with a ticket)");
        }
        for n in list {
            self.line(neighbourhood_line(n))?;
        }
        Ok(())
    }

    pub fn neighbourhood(&mut self, verb: &str, n: &NeighbourhoodSummary) -> CliResult {
        if self.json {
            return self.write_json(&NeighbourhoodJson::from(n));
        }
        self.line(format_args!("{verb}: {}", neighbourhood_line(n)))
    }

    pub fn members(&mut self, list: &[MemberSummary]) -> CliResult {
        if self.json {
            let rows: Vec<MemberJson> = list.iter().map(MemberJson::from).collect();
            return self.write_json(&rows);
        }
        for m in list {
            let me = if m.is_me { "  (you)" } else { "" };
            let joined = match &m.joined {
                Some(j) => format!(
                    "  joined {} through invite {} of {}, confirmed by {}",
                    partage::clock::format_date(j.confirmed_at),
                    hex_of(j.invite.get(..4).unwrap_or_default()),
                    j.inviter.short(),
                    j.witness.short()
                ),
                None => String::new(),
            };
            self.line(format_args!("{}  {}{me}{joined}", m.member, m.name))?;
        }
        Ok(())
    }

    pub fn identity(&mut self, info: &IdentityInfo) -> CliResult {
        if self.json {
            return self.write_json(&IdentityJson::from(info));
        }
        self.line(format_args!("name:   {}", info.name))?;
        self.line(format_args!("member: {}", info.member))?;
        self.line(format_args!("device: {}", info.device))
    }

    pub fn transfer(&mut self, verb: &str, s: &TransferSummary) -> CliResult {
        if self.json {
            return self.write_json(&TransferJson {
                neighbourhoods: s.neighbourhoods,
                documents: s.documents,
                items: s.items,
            });
        }
        self.line(format_args!(
            "{verb} {} neighbourhood(s), {} document(s), {} item(s)",
            s.neighbourhoods, s.documents, s.items
        ))
    }
}

/// `<id8>  <title>  [category]  <owner name>  (paused)`
pub fn item_line(view: &ItemView) -> String {
    let i = &view.item;
    let paused = if i.available { "" } else { "  (paused)" };
    format!("{}  {}  [{}]  {}{paused}", i.id.short(), i.title, i.category, view.owner_name)
}

fn neighbourhood_line(n: &NeighbourhoodSummary) -> String {
    let admin = if n.admin { "  (admin)" } else { "" };
    let pending = if n.confirmed { "" } else { "  (waiting for a member to confirm your ticket)" };
    format!("{}  {}  {} member(s)  {} item(s){admin}{pending}", n.id, n.name, n.members, n.items)
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// 2050 → "20.50"
fn money(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

#[derive(Serialize)]
struct NeighbourhoodJson {
    id: String,
    name: String,
    admin: bool,
    members: usize,
    items: usize,
    joined_at: u64,
    confirmed: bool,
}

impl From<&NeighbourhoodSummary> for NeighbourhoodJson {
    fn from(n: &NeighbourhoodSummary) -> Self {
        NeighbourhoodJson {
            id: n.id.to_hex(),
            name: n.name.clone(),
            admin: n.admin,
            members: n.members,
            items: n.items,
            joined_at: n.joined_at,
            confirmed: n.confirmed,
        }
    }
}

#[derive(Serialize)]
struct MemberJson {
    member: String,
    name: String,
    is_me: bool,
    /// The invite they came through, its issuer, who confirmed them and when (ms).
    invite: Option<String>,
    inviter: Option<String>,
    confirmed_by: Option<String>,
    confirmed_at: Option<u64>,
}

impl From<&MemberSummary> for MemberJson {
    fn from(m: &MemberSummary) -> Self {
        let j = m.joined.as_ref();
        MemberJson {
            member: m.member.to_hex(),
            name: m.name.clone(),
            is_me: m.is_me,
            invite: j.map(|j| hex_of(&j.invite)),
            inviter: j.map(|j| j.inviter.to_hex()),
            confirmed_by: j.map(|j| j.witness.to_hex()),
            confirmed_at: j.map(|j| j.confirmed_at),
        }
    }
}

#[derive(Serialize)]
struct IdentityJson {
    member: String,
    device: String,
    name: String,
}

impl From<&IdentityInfo> for IdentityJson {
    fn from(i: &IdentityInfo) -> Self {
        IdentityJson { member: i.member.to_hex(), device: i.device.to_hex(), name: i.name.clone() }
    }
}

#[derive(Serialize)]
struct TransferJson {
    neighbourhoods: usize,
    documents: usize,
    items: usize,
}

#[cfg(test)]
mod tests {
    use super::money;

    #[test]
    fn money_keeps_two_decimals() {
        assert_eq!(money(0), "0.00");
        assert_eq!(money(5), "0.05");
        assert_eq!(money(2050), "20.50");
    }
}
