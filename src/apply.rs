//! Applying fixes: keep those that do not conflict with one already taken
//! (in finding order), splice their edits into the text, and re-parse every
//! edited file. A fix whose result does not parse is dropped, never written.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use crate::fix::{Edit, Fix};
use crate::lang::Language;
use crate::source::SourceText;

/// The outcome of applying a batch of fixes.
#[derive(Debug, Default)]
pub struct Applied {
    /// New contents of every file that changed.
    pub texts: BTreeMap<Arc<Path>, SourceText>,
    /// Indices (into the input) of the fixes applied.
    pub applied: Vec<usize>,
    /// Fixes left out because they overlap one applied earlier.
    pub conflicting: Vec<usize>,
    /// Fixes dropped because the edited file would not parse.
    pub reverted: Vec<usize>,
}

/// Applies `fixes` (already in the order they should win conflicts) to the
/// files in `sources`. Every file a fix touches must be in `sources`.
pub fn apply(fixes: &[&Fix], sources: &HashMap<Arc<Path>, SourceText>) -> Applied {
    let mut accepted: Vec<usize> = Vec::new();
    let mut conflicting = Vec::new();
    for (i, fix) in fixes.iter().enumerate() {
        let missing = fix.edits().iter().any(|e| !sources.contains_key(e.path()));
        let in_bounds = fix.edits().iter().all(|e| {
            sources.get(e.path()).is_some_and(|s| {
                e.end() <= s.text().len()
                    && s.text().is_char_boundary(e.start())
                    && s.text().is_char_boundary(e.end())
            })
        });
        if missing || !in_bounds || accepted.iter().any(|&j| fixes[j].conflicts_with(fix)) {
            conflicting.push(i);
        } else {
            accepted.push(i);
        }
    }

    let mut reverted: HashSet<usize> = HashSet::new();
    loop {
        let live: Vec<usize> = accepted
            .iter()
            .copied()
            .filter(|i| !reverted.contains(i))
            .collect();
        let texts = splice_all(fixes, &live, sources);
        // Find files that no longer parse and drop the fixes that broke them.
        let mut broken = false;
        for (path, text) in &texts {
            let Some(lang) = Language::from_path(path) else {
                continue;
            };
            if lang.parse(text.text()).1.is_none() {
                continue;
            }
            broken = true;
            for culprit in culprits(fixes, &live, path, sources, lang) {
                reverted.insert(culprit);
            }
        }
        if !broken {
            let mut reverted: Vec<usize> = reverted.into_iter().collect();
            reverted.sort();
            return Applied {
                texts,
                applied: live,
                conflicting,
                reverted,
            };
        }
    }
}

/// Splices the edits of the `live` fixes into each touched file.
fn splice_all(
    fixes: &[&Fix],
    live: &[usize],
    sources: &HashMap<Arc<Path>, SourceText>,
) -> BTreeMap<Arc<Path>, SourceText> {
    let mut by_file: BTreeMap<Arc<Path>, Vec<&Edit>> = BTreeMap::new();
    for &i in live {
        for e in fixes[i].edits() {
            by_file.entry(e.path().clone()).or_default().push(e);
        }
    }
    by_file
        .into_iter()
        .map(|(path, edits)| {
            let source = &sources[&path];
            let text = splice(source.text(), edits);
            (path, source.with_text(text))
        })
        .collect()
}

/// Applies non-conflicting edits to `text`. Identical edits count once.
pub fn splice(text: &str, mut edits: Vec<&Edit>) -> String {
    edits.sort_by_key(|e| (e.start(), e.end()));
    edits.dedup();
    let mut out =
        String::with_capacity(text.len() + edits.iter().map(|e| e.content().len()).sum::<usize>());
    let mut last = 0;
    for e in edits {
        debug_assert!(e.start() >= last, "overlapping edits reached splice");
        out.push_str(&text[last..e.start()]);
        out.push_str(e.content());
        last = e.end();
    }
    out.push_str(&text[last..]);
    out
}

/// The fixes touching `path` that, applied alone to it, break its parse; if
/// none does alone, all of them (their combination breaks it).
fn culprits(
    fixes: &[&Fix],
    live: &[usize],
    path: &Arc<Path>,
    sources: &HashMap<Arc<Path>, SourceText>,
    lang: Language,
) -> Vec<usize> {
    let touching: Vec<usize> = live
        .iter()
        .copied()
        .filter(|&i| fixes[i].edits().iter().any(|e| e.path() == path))
        .collect();
    let source = &sources[path];
    let alone: Vec<usize> = touching
        .iter()
        .copied()
        .filter(|&i| {
            let edits: Vec<&Edit> = fixes[i]
                .edits()
                .iter()
                .filter(|e| e.path() == path)
                .collect();
            lang.parse(&splice(source.text(), edits)).1.is_some()
        })
        .collect();
    if alone.is_empty() { touching } else { alone }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fix::Applicability;

    fn p(name: &str) -> Arc<Path> {
        Arc::from(Path::new(name))
    }

    fn sources(files: &[(&str, &str)]) -> HashMap<Arc<Path>, SourceText> {
        files
            .iter()
            .map(|(n, t)| (p(n), SourceText::new(t.to_string())))
            .collect()
    }

    fn fix(edits: Vec<Edit>) -> Fix {
        Fix::new(Applicability::Safe, "t", edits)
    }

    #[test]
    fn empty_file_and_no_fixes() {
        let s = sources(&[("a.go", "")]);
        let r = apply(&[], &s);
        assert!(r.texts.is_empty() && r.applied.is_empty());
        let f = fix(vec![Edit::insertion(p("a.go"), 0, "package a\n")]);
        let r = apply(&[&f], &s);
        assert_eq!(r.texts[&p("a.go")].text(), "package a\n");
    }

    #[test]
    fn one_insertion() {
        let s = sources(&[("a.go", "package a\n\nfunc f() {\n}\n")]);
        let f = fix(vec![Edit::insertion(p("a.go"), 22, "\tx := 1\n\t_ = x\n")]);
        let r = apply(&[&f], &s);
        assert_eq!(r.applied, vec![0]);
        assert_eq!(
            r.texts[&p("a.go")].text(),
            "package a\n\nfunc f() {\n\tx := 1\n\t_ = x\n}\n"
        );
    }

    #[test]
    fn the_later_of_two_overlapping_fixes_is_left_out() {
        let s = sources(&[("a.go", "package a\n\nvar x = 1\n")]);
        let a = fix(vec![Edit::replacement(p("a.go"), 19..20, "2")]);
        let b = fix(vec![Edit::replacement(p("a.go"), 15..20, "y = 3")]);
        let r = apply(&[&a, &b], &s);
        assert_eq!(r.applied, vec![0]);
        assert_eq!(r.conflicting, vec![1]);
        assert_eq!(r.texts[&p("a.go")].text(), "package a\n\nvar x = 2\n");
    }

    #[test]
    fn identical_edits_from_two_fixes_apply_once() {
        let s = sources(&[("a.go", "package a\n")]);
        let shared = Edit::insertion(p("a.go"), 10, "\nvar shared = 1\n");
        let a = fix(vec![
            shared.clone(),
            Edit::insertion(p("a.go"), 0, "// a\n"),
        ]);
        let b = fix(vec![shared]);
        let r = apply(&[&a, &b], &s);
        assert_eq!(r.applied, vec![0, 1]);
        assert_eq!(
            r.texts[&p("a.go")].text(),
            "// a\npackage a\n\nvar shared = 1\n"
        );
    }

    #[test]
    fn a_fix_that_breaks_the_parse_is_reverted_and_the_others_kept() {
        let s = sources(&[("a.go", "package a\n\nfunc f() {\n}\n")]);
        let good = fix(vec![Edit::insertion(p("a.go"), 22, "\tprintln()\n")]);
        let bad = fix(vec![Edit::insertion(p("a.go"), 0, "}}}")]);
        let r = apply(&[&bad, &good], &s);
        assert_eq!(r.applied, vec![1]);
        assert_eq!(r.reverted, vec![0]);
        assert_eq!(
            r.texts[&p("a.go")].text(),
            "package a\n\nfunc f() {\n\tprintln()\n}\n"
        );
    }

    #[test]
    fn multi_file_fixes_are_all_or_nothing() {
        let s = sources(&[("a.go", "package a\n"), ("b.go", "package a\n")]);
        let f = fix(vec![
            Edit::insertion(p("a.go"), 10, "var a = 1\n"),
            Edit::insertion(p("b.go"), 10, "var b = }\n"),
        ]);
        let r = apply(&[&f], &s);
        assert!(r.applied.is_empty());
        assert_eq!(r.reverted, vec![0]);
        assert!(r.texts.is_empty());
    }

    #[test]
    fn crlf_and_bom_facts_survive() {
        let mut s = HashMap::new();
        s.insert(
            p("a.go"),
            SourceText::from_bytes(b"\xef\xbb\xbfpackage a\r\n".to_vec()).unwrap(),
        );
        let f = fix(vec![Edit::insertion(p("a.go"), 11, "var x = 1\r\n")]);
        let r = apply(&[&f], &s);
        assert_eq!(
            r.texts[&p("a.go")].to_bytes(),
            b"\xef\xbb\xbfpackage a\r\nvar x = 1\r\n"
        );
    }
}
