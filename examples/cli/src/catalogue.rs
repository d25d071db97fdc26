//! Reading a catalogue to import (`partage item import`): a CSV export of a spreadsheet or of
//! another lending platform, or a JSON list of objects. Columns are found by name (common
//! names in English and French are known) or mapped with `--map field=Column`. Every row is read;
//! the ones that cannot become an item are reported with their row number, and then nothing is
//! imported.

use crate::error::{CliError, CliResult};
use partage::{Category, Condition, ItemDraft};
use std::collections::HashMap;
use std::path::Path;

/// The item fields a catalogue can fill, and the column names recognised for each.
const FIELDS: &[(&str, &[&str])] = &[
    ("title", &["title", "name", "item", "titre", "nom", "objet"]),
    ("description", &["description", "notes", "details", "détails"]),
    ("category", &["category", "catégorie", "categorie", "type"]),
    ("tags", &["tags", "keywords", "mots-clés", "mots-cles"]),
    ("deposit", &["deposit", "caution", "deposit_eur", "dépôt", "depot"]),
    ("deposit_cents", &["deposit_cents"]),
    ("condition", &["condition", "état", "etat", "state"]),
    ("max_loan_days", &["max_loan_days", "loan_days", "durée", "duree"]),
];

/// Largest catalogue file read.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// How to read the file.
pub struct Options {
    /// `field=Column` pairs given with `--map`.
    pub map: Vec<String>,
    /// A category this build does not know becomes `other` instead of an error.
    pub unknown_category_as_other: bool,
}

/// One catalogue row that became a draft, or could not.
pub struct Row {
    /// As a person would count in the file: the line of a CSV record, the position (from 1) of
    /// a JSON entry.
    pub number: u64,
    pub draft: Result<ItemDraft, String>,
}

pub struct Catalogue {
    pub rows: Vec<Row>,
    /// Columns of the file that fill no field.
    pub ignored: Vec<String>,
}

pub fn read(path: &Path, options: &Options) -> CliResult<Catalogue> {
    let size = std::fs::metadata(path)
        .map_err(|e| CliError::msg(format!("cannot read {}: {e}", path.display())))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(CliError::msg(format!(
            "{} is too large ({size} bytes, at most {MAX_FILE_BYTES})",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::msg(format!("cannot read {} as UTF-8 text: {e}", path.display())))?;
    let is_json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"))
        || text.trim_start().starts_with('[');
    let (headers, records) = if is_json { json_records(&text)? } else { csv_records(&text)? };
    let columns = map_columns(&headers, &options.map)?;
    let ignored = headers.iter().filter(|h| !columns.values().any(|c| c == *h)).cloned().collect();
    let rows = records
        .into_iter()
        .map(|(number, record)| Row { number, draft: draft(&columns, &record, options) })
        .collect();
    Ok(Catalogue { rows, ignored })
}

type Record = HashMap<String, String>;
/// The header names, and each record with its row number.
type Table = (Vec<String>, Vec<(u64, Record)>);

fn csv_records(text: &str) -> CliResult<Table> {
    // Spreadsheets export with `,` or `;` (where `,` is the decimal comma): take the one the
    // header line uses more.
    let first = text.lines().next().unwrap_or_default();
    let delimiter = if first.matches(';').count() > first.matches(',').count() { b';' } else { b',' };
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| CliError::msg(format!("cannot read the CSV header: {e}")))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    let mut records = Vec::new();
    for result in reader.records() {
        let record = result.map_err(|e| CliError::msg(format!("the CSV file is malformed: {e}")))?;
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let fields = headers.iter().cloned().zip(record.iter().map(str::to_string)).collect();
        records.push((line, fields));
    }
    Ok((headers, records))
}

fn json_records(text: &str) -> CliResult<Table> {
    let entries: Vec<serde_json::Map<String, serde_json::Value>> = serde_json::from_str(text)
        .map_err(|e| CliError::msg(format!("expected a JSON list of objects: {e}")))?;
    let mut headers: Vec<String> = Vec::new();
    let mut records = Vec::with_capacity(entries.len());
    for (i, entry) in entries.into_iter().enumerate() {
        let mut record = Record::new();
        for (key, value) in entry {
            if !headers.contains(&key) {
                headers.push(key.clone());
            }
            let text = match value {
                serde_json::Value::String(s) => s,
                serde_json::Value::Null => String::new(),
                serde_json::Value::Array(list) => list
                    .iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                    .collect::<Vec<_>>()
                    .join(";"),
                other => other.to_string(),
            };
            record.insert(key, text);
        }
        records.push((i as u64 + 1, record));
    }
    Ok((headers, records))
}

/// Which column fills each field: `--map` first, then the known names (case-insensitive).
fn map_columns(headers: &[String], map: &[String]) -> CliResult<HashMap<&'static str, String>> {
    let mut columns = HashMap::new();
    for pair in map {
        let (field, column) = pair
            .split_once('=')
            .ok_or_else(|| CliError::msg(format!("--map takes field=Column, not \"{pair}\"")))?;
        let Some((name, _)) = FIELDS.iter().find(|(f, _)| *f == field.trim()) else {
            let known: Vec<&str> = FIELDS.iter().map(|(f, _)| *f).collect();
            return Err(CliError::msg(format!(
                "unknown field \"{field}\" in --map (fields: {})",
                known.join(", ")
            )));
        };
        let Some(header) = headers.iter().find(|h| h.eq_ignore_ascii_case(column.trim())) else {
            return Err(CliError::msg(format!(
                "the file has no column \"{column}\" (columns: {})",
                headers.join(", ")
            )));
        };
        columns.insert(*name, header.clone());
    }
    for (field, names) in FIELDS {
        if columns.contains_key(field) {
            continue;
        }
        if let Some(header) = headers.iter().find(|h| names.iter().any(|n| h.to_lowercase() == *n)) {
            columns.insert(*field, header.clone());
        }
    }
    if !columns.contains_key("title") {
        return Err(CliError::msg(format!(
            "no title column found (columns: {}); name one with --map title=COLUMN",
            headers.join(", ")
        )));
    }
    Ok(columns)
}

fn draft(
    columns: &HashMap<&'static str, String>,
    record: &Record,
    options: &Options,
) -> Result<ItemDraft, String> {
    let get =
        |field: &str| -> &str { columns.get(field).and_then(|c| record.get(c)).map_or("", |v| v.trim()) };
    let category = match get("category") {
        "" => None,
        text => match text.parse::<Category>() {
            Ok(c) => Some(c),
            Err(_) if options.unknown_category_as_other => Some(Category::Other),
            Err(e) => return Err(e.to_string()),
        },
    };
    let condition = match get("condition") {
        "" => None,
        text => Some(text.parse::<Condition>().map_err(|e| e.to_string())?),
    };
    let deposit_cents = match (get("deposit_cents"), get("deposit")) {
        ("", "") => None,
        ("", amount) => Some(cents(amount)?),
        (cents, _) => Some(
            cents.parse::<u64>().map_err(|_| format!("deposit_cents \"{cents}\" is not a whole number"))?,
        ),
    };
    let max_loan_days = match get("max_loan_days") {
        "" => None,
        days => {
            Some(days.parse::<u32>().map_err(|_| format!("max_loan_days \"{days}\" is not a whole number"))?)
        }
    };
    let tags = get("tags")
        .split([';', ',', '|'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect();
    Ok(ItemDraft {
        title: get("title").to_string(),
        description: get("description").to_string(),
        category,
        tags,
        condition,
        photos: Vec::new(),
        deposit_cents,
        max_loan_days,
    })
}

/// An amount in currency units ("12", "12.50", "12,5", "€ 12", "12 €") as cents.
fn cents(amount: &str) -> Result<u64, String> {
    let bad = || format!("deposit \"{amount}\" is not an amount (for example 12.50)");
    let cleaned: String = amount.chars().filter(|c| c.is_ascii_digit() || *c == '.' || *c == ',').collect();
    let (units, fraction) = match cleaned.replace(',', ".").split_once('.') {
        Some((u, f)) => (u.to_string(), f.to_string()),
        None => (cleaned.clone(), String::new()),
    };
    if units.is_empty() && fraction.is_empty() || fraction.len() > 2 || fraction.contains('.') {
        return Err(bad());
    }
    let units: u64 = if units.is_empty() { 0 } else { units.parse().map_err(|_| bad())? };
    let fraction: u64 = format!("{fraction:0<2}").parse().map_err(|_| bad())?;
    units.checked_mul(100).and_then(|c| c.checked_add(fraction)).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::cents;

    #[test]
    fn amounts_become_cents() {
        assert_eq!(cents("12"), Ok(1200));
        assert_eq!(cents("12.5"), Ok(1250));
        assert_eq!(cents("12,50 €"), Ok(1250));
        assert_eq!(cents("€ 0.05"), Ok(5));
        assert!(cents("douze").is_err());
        assert!(cents("1.234").is_err());
        assert!(cents("99999999999999999999").is_err());
    }
}
