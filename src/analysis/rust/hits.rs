//! Where a rule's query can match: the engine's prefilter literals (catalog
//! type and function names, `spawn`) occur in the file, and every match a
//! Rust rule looks for contains one of them (or a `use` alias of one). Running
//! the queries over those byte ranges only, instead of over the whole tree,
//! is most of the cost of a Rust file.

use std::collections::HashSet;
use std::ops::Range;

use aho_corasick::AhoCorasick;
use streaming_iterator::StreamingIterator;
use tree_sitter::{Node, Query, QueryCursor};

use super::RustFile;

/// One match of a query, with its captures (capture index, node).
pub struct Match<'t> {
    pub pattern: usize,
    pub captures: Vec<(u32, Node<'t>)>,
}

impl<'t> Match<'t> {
    /// The node captured as `name` (the first, if several).
    pub fn capture(&self, query: &Query, name: &str) -> Option<Node<'t>> {
        let names = query.capture_names();
        self.captures
            .iter()
            .find(|(i, _)| names[*i as usize] == name)
            .map(|(_, n)| *n)
    }
}

/// The byte ranges of `literals` in `file`, and of the names `use`
/// declarations give to paths that contain one (`use reqwest::Client as
/// Http;` makes `Http` a hit too).
pub fn hit_ranges(file: &RustFile, literals: &AhoCorasick) -> Vec<Range<usize>> {
    let src = file.text();
    let mut hits: Vec<Range<usize>> = literals.find_iter(src).map(|m| m.range()).collect();
    let aliases: HashSet<&str> = file
        .uses
        .iter()
        .filter(|b| literals.is_match(&b.path) && !literals.is_match(&b.alias))
        .map(|b| b.alias.as_str())
        .collect();
    for alias in aliases {
        hits.extend(
            src.match_indices(alias)
                .map(|(at, a)| at..at + a.len())
                .filter(|r| {
                    !is_ident_byte(src, r.start.wrapping_sub(1)) && !is_ident_byte(src, r.end)
                }),
        );
    }
    hits.sort_by_key(|r| (r.start, r.end));
    // Merge overlapping and touching ranges: one cursor run each.
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(hits.len());
    for r in hits {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

fn is_ident_byte(src: &str, at: usize) -> bool {
    src.as_bytes()
        .get(at)
        .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

impl RustFile {
    /// The matches of `query` that cover a prefilter hit (each once, in
    /// document order), or every match when the file was not given hits.
    pub fn query_matches<'t>(&'t self, query: &Query) -> Vec<Match<'t>> {
        let mut cursor = QueryCursor::new();
        let src = self.text().as_bytes();
        let root = self.root();
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let whole = 0..src.len();
        let ranges: &[Range<usize>] = self.hits.as_deref().unwrap_or(std::slice::from_ref(&whole));
        for r in ranges {
            cursor.set_byte_range(r.clone());
            let mut matches = cursor.matches(query, root, src);
            while let Some(m) = matches.next() {
                let captures: Vec<(u32, Node<'t>)> =
                    m.captures().iter().map(|c| (c.index, c.node)).collect();
                let key = (
                    m.pattern_index,
                    captures
                        .iter()
                        .map(|(i, n)| (*i, n.id()))
                        .collect::<Vec<_>>(),
                );
                if seen.insert(key) {
                    out.push(Match {
                        pattern: m.pattern_index,
                        captures,
                    });
                }
            }
        }
        if self.hits.is_some() {
            // Tree-sitter's order over one range: by where the match starts,
            // outer before inner.
            out.sort_by_key(|m| {
                let start = m.captures.iter().map(|(_, n)| n.start_byte()).min();
                let end = m.captures.iter().map(|(_, n)| n.end_byte()).max();
                (start, std::cmp::Reverse(end), m.pattern)
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::rust::test_support::file;

    #[test]
    fn aliases_of_hit_paths_are_hits_too() {
        let f = file(
            "use reqwest::Client as Http;\nfn f() { let c = Http::new(); let d = HttpX::new(); }\n",
        );
        let literals = AhoCorasick::new(["Client"]).unwrap();
        let src = f.text();
        let hits: Vec<&str> = hit_ranges(&f, &literals)
            .into_iter()
            .map(|r| &src[r])
            .collect();
        assert_eq!(hits, ["Client", "Http", "Http"]);
    }
}
