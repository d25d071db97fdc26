//! Case- and accent-insensitive word-prefix search over item titles, descriptions and tags.
//!
//! Text is folded (NFD, combining marks dropped, lowercased, ligatures expanded) and split into
//! words. The index maps each word to the items containing it, in a `BTreeMap` so that all words
//! starting with a query word are one range scan. A query matches an item when every query word
//! is a prefix of some word of the item ("echel" finds "Échelle double").

use crate::ids::ItemId;
use std::collections::{BTreeMap, HashMap, HashSet};
use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// Lowercase, accent-free form of `text`.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        // Most text is ASCII: no decomposition needed.
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
            continue;
        }
        match c {
            'œ' | 'Œ' => out.push_str("oe"),
            'æ' | 'Æ' => out.push_str("ae"),
            'ß' => out.push_str("ss"),
            'ø' | 'Ø' => out.push('o'),
            'ł' | 'Ł' => out.push('l'),
            _ => decompose_canonical(c, |d| {
                if !is_combining_mark(d) {
                    out.extend(d.to_lowercase());
                }
            }),
        }
    }
    out
}

/// The folded words of `text`.
pub fn words(text: &str) -> impl Iterator<Item = String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect::<Vec<_>>()
        .into_iter()
}

/// Inverted index from words to items.
#[derive(Default)]
pub struct SearchIndex {
    postings: BTreeMap<String, HashSet<ItemId>>,
    words_of: HashMap<ItemId, Vec<String>>,
}

impl SearchIndex {
    pub fn insert(&mut self, id: ItemId, texts: &[&str]) {
        self.remove(id);
        let mut ws: Vec<String> = texts.iter().flat_map(|t| words(t)).collect();
        ws.sort_unstable();
        ws.dedup();
        for w in &ws {
            // Look up before inserting: most words are already in the index, no clone needed.
            match self.postings.get_mut(w) {
                Some(ids) => {
                    ids.insert(id);
                }
                None => {
                    self.postings.insert(w.clone(), HashSet::from([id]));
                }
            }
        }
        self.words_of.insert(id, ws);
    }

    pub fn remove(&mut self, id: ItemId) {
        if let Some(ws) = self.words_of.remove(&id) {
            for w in ws {
                if let Some(set) = self.postings.get_mut(&w) {
                    set.remove(&id);
                    if set.is_empty() {
                        self.postings.remove(&w);
                    }
                }
            }
        }
    }

    /// Items matching every word of `query` by prefix. An empty query matches nothing.
    pub fn search(&self, query: &str) -> HashSet<ItemId> {
        let mut terms: Vec<String> = words(query).collect();
        if terms.is_empty() {
            return HashSet::new();
        }
        // Longest terms first: they usually have the fewest matches, so the intersection shrinks fast.
        terms.sort_by_key(|t| std::cmp::Reverse(t.len()));
        let mut result: Option<HashSet<ItemId>> = None;
        for term in terms {
            let mut matches = HashSet::new();
            for (_, ids) in self.postings.range(term.clone()..).take_while(|(w, _)| w.starts_with(&term)) {
                match &result {
                    Some(prev) => matches.extend(ids.iter().filter(|id| prev.contains(id))),
                    None => matches.extend(ids.iter().copied()),
                }
            }
            if matches.is_empty() {
                return matches;
            }
            result = Some(matches);
        }
        result.unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding() {
        assert_eq!(fold("Échelle DOUBLE"), "echelle double");
        assert_eq!(fold("Cœur"), "coeur");
        assert_eq!(words("Perceuse à percussion!").collect::<Vec<_>>(), ["perceuse", "a", "percussion"]);
    }

    #[test]
    fn prefix_accent_and_case_insensitive() {
        let mut idx = SearchIndex::default();
        let a = ItemId([1; 16]);
        let b = ItemId([2; 16]);
        idx.insert(a, &["Échelle double", "3 mètres"]);
        idx.insert(b, &["Perceuse à percussion", "Bosch"]);
        assert_eq!(idx.search("echel"), HashSet::from([a]));
        assert_eq!(idx.search("PERCEUSE"), HashSet::from([b]));
        assert_eq!(idx.search("metre"), HashSet::from([a]));
        assert_eq!(idx.search("perc bosch"), HashSet::from([b]));
        assert!(idx.search("perc echelle").is_empty());
        assert!(idx.search("   ").is_empty());
        idx.remove(a);
        assert!(idx.search("echel").is_empty());
        idx.insert(b, &["Tondeuse"]);
        assert!(idx.search("perceuse").is_empty());
        assert_eq!(idx.search("tond"), HashSet::from([b]));
    }
}
