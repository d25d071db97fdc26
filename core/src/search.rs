//! Case- and accent-insensitive word-prefix search over item titles, descriptions and tags.
//!
//! Text is folded (NFD, combining marks dropped, lowercased, ligatures expanded) and split into
//! words. The index maps each word to the items containing it, in a `BTreeMap` so that all words
//! starting with a query word are one range scan. A query matches an item when every query word
//! is a prefix of some word of the item ("echel" finds "Échelle double").

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::Arc;
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

/// Inverted index from words to items. Items are known by a dense slot number (given by the
/// read model) so that a query's matches are a bit set: the union over every word starting
/// with "e" is a few thousand bit writes, not hash-set inserts of 16-byte ids.
#[derive(Default)]
pub struct SearchIndex {
    /// Word → its number; a word is stored once, shared by the three tables.
    word_ids: HashMap<Arc<str>, u32>,
    /// The same words in order, for prefix range scans.
    by_text: BTreeMap<Arc<str>, u32>,
    /// Word number → (its text, the slots of the items containing it).
    postings: Vec<(Arc<str>, Vec<u32>)>,
    /// Numbers of words no item contains any more, reused first.
    free_words: Vec<u32>,
    /// Slot → the numbers of its words, to remove them again.
    words_of: Vec<Vec<u32>>,
}

impl SearchIndex {
    /// Indexes `texts` under `slot`, replacing what the slot held.
    pub fn insert(&mut self, slot: u32, texts: &[&str]) {
        self.remove(slot);
        let folded: Vec<String> = texts.iter().map(|t| fold(t)).collect();
        let mut ws: Vec<&str> = folded
            .iter()
            .flat_map(|f| f.split(|c: char| !c.is_alphanumeric()))
            .filter(|w| !w.is_empty())
            .collect();
        ws.sort_unstable();
        ws.dedup();
        let ids: Vec<u32> = ws.into_iter().map(|w| self.add_posting(w, slot)).collect();
        let index = slot as usize;
        if self.words_of.len() <= index {
            self.words_of.resize_with(index + 1, Vec::new);
        }
        if let Some(entry) = self.words_of.get_mut(index) {
            *entry = ids;
        }
    }

    fn add_posting(&mut self, word: &str, slot: u32) -> u32 {
        if let Some(&id) = self.word_ids.get(word)
            && let Some((_, slots)) = self.postings.get_mut(id as usize)
        {
            slots.push(slot);
            return id;
        }
        let text: Arc<str> = Arc::from(word);
        let id = match self.free_words.pop() {
            Some(id) => {
                if let Some(entry) = self.postings.get_mut(id as usize) {
                    *entry = (text.clone(), vec![slot]);
                }
                id
            }
            None => {
                self.postings.push((text.clone(), vec![slot]));
                u32::try_from(self.postings.len() - 1).unwrap_or(u32::MAX)
            }
        };
        self.word_ids.insert(text.clone(), id);
        self.by_text.insert(text, id);
        id
    }

    /// Forgets the words of the item in `slot`.
    pub fn remove(&mut self, slot: u32) {
        let Some(ids) = self.words_of.get_mut(slot as usize).map(std::mem::take) else { return };
        for id in ids {
            let Some((text, slots)) = self.postings.get_mut(id as usize) else { continue };
            if let Some(at) = slots.iter().position(|s| *s == slot) {
                slots.swap_remove(at);
            }
            if slots.is_empty() {
                self.word_ids.remove(&**text);
                self.by_text.remove(&**text);
                *text = Arc::from("");
                self.free_words.push(id);
            }
        }
    }

    /// Items matching every word of `query` by prefix, among `slots` slots. An empty query
    /// matches nothing.
    pub fn search(&self, query: &str, slots: usize) -> Matches {
        let mut terms: Vec<String> = words(query).collect();
        let mut result: Option<Matches> = None;
        // Longest terms first: they usually have the fewest matches.
        terms.sort_by_key(|t| std::cmp::Reverse(t.len()));
        for term in terms {
            let mut matches = Matches::empty(slots);
            let range = self.by_text.range::<str, _>((Bound::Included(term.as_str()), Bound::Unbounded));
            for (_, id) in range.take_while(|(w, _)| w.starts_with(term.as_str())) {
                if let Some((_, posting)) = self.postings.get(*id as usize) {
                    posting.iter().for_each(|slot| matches.set(*slot));
                }
            }
            if let Some(previous) = &result {
                matches.intersect(previous);
            }
            if matches.count() == 0 {
                return matches;
            }
            result = Some(matches);
        }
        result.unwrap_or_else(|| Matches::empty(slots))
    }
}

/// A set of slots, one bit each.
pub struct Matches {
    bits: Vec<u64>,
}

impl Matches {
    fn empty(slots: usize) -> Matches {
        Matches { bits: vec![0; slots.div_ceil(64)] }
    }

    fn set(&mut self, slot: u32) {
        let slot = slot as usize;
        if let Some(word) = self.bits.get_mut(slot / 64) {
            *word |= 1 << (slot % 64);
        }
    }

    fn intersect(&mut self, other: &Matches) {
        for (mine, theirs) in self.bits.iter_mut().zip(&other.bits) {
            *mine &= theirs;
        }
    }

    /// Whether `slot` is in the set.
    pub fn contains(&self, slot: u32) -> bool {
        let slot = slot as usize;
        self.bits.get(slot / 64).is_some_and(|word| word & (1 << (slot % 64)) != 0)
    }

    /// How many slots are in the set.
    pub fn count(&self) -> usize {
        self.bits.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// The slots in the set, in increasing order.
    pub fn slots(&self) -> impl Iterator<Item = u32> + '_ {
        self.bits.iter().enumerate().flat_map(|(i, word)| {
            (0..64u32).filter(move |bit| word & (1 << bit) != 0).map(move |bit| i as u32 * 64 + bit)
        })
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

    fn found(idx: &SearchIndex, query: &str) -> Vec<u32> {
        idx.search(query, 8).slots().collect()
    }

    #[test]
    fn prefix_accent_and_case_insensitive() {
        let mut idx = SearchIndex::default();
        let (a, b) = (1, 2);
        idx.insert(a, &["Échelle double", "3 mètres"]);
        idx.insert(b, &["Perceuse à percussion", "Bosch"]);
        assert_eq!(found(&idx, "echel"), [a]);
        assert_eq!(found(&idx, "PERCEUSE"), [b]);
        assert_eq!(found(&idx, "metre"), [a]);
        assert_eq!(found(&idx, "perc bosch"), [b]);
        assert!(found(&idx, "perc echelle").is_empty());
        assert!(found(&idx, "   ").is_empty());
        idx.remove(a);
        assert!(found(&idx, "echel").is_empty());
        idx.insert(b, &["Tondeuse"]);
        assert!(found(&idx, "perceuse").is_empty());
        assert_eq!(found(&idx, "tond"), [b]);
        // Words no item holds any more are forgotten and their numbers reused.
        assert_eq!(idx.word_ids.len(), 1);
        idx.insert(a, &["Tente 4 places"]);
        assert_eq!(found(&idx, "t"), [a, b]);
        assert_eq!(idx.postings.len(), idx.word_ids.len() + idx.free_words.len());
    }
}
