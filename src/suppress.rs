//! Inline suppression: `// leakfix:ignore` on the reported line or the line
//! above silences every rule there; `// leakfix:ignore RULE-ID[, RULE-ID]`
//! silences only those; text after ` -- ` is the reason.
//!
//! Each marker remembers whether it silenced anything (whoever asked: the
//! engine dropping a finding, or a rule skipping a site early), so that the
//! markers that silence nothing can be reported (`unused-ignore`).

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::lang::Language;
use crate::source::SourceText;

pub const MARKER: &str = "leakfix:ignore";

/// One `// leakfix:ignore ...` comment.
#[derive(Debug)]
pub struct Marker {
    /// 0-based line of the comment.
    pub line: usize,
    /// Byte range of the comment, from `//` to the end of its line (without
    /// the line break).
    pub comment: Range<usize>,
    /// The rule ids it names, each with its byte range (empty: every rule).
    pub rules: Vec<(String, Range<usize>)>,
    /// Text after the rule ids (without a leading `--`), trimmed; None when
    /// there is none.
    pub reason: Option<String>,
    /// One flag per named rule id, or one for a bare marker: did it silence
    /// something in this run?
    used: Box<[AtomicBool]>,
}

impl Marker {
    /// A marker as the results cache kept it, with what it silenced then.
    pub fn restore(
        line: usize,
        comment: Range<usize>,
        rules: Vec<(String, Range<usize>)>,
        reason: Option<String>,
        used: &[bool],
    ) -> Marker {
        Marker {
            line,
            comment,
            rules,
            reason,
            used: used.iter().map(|&u| AtomicBool::new(u)).collect(),
        }
    }

    /// One flag per named rule id (one for a bare marker): did it silence something?
    pub fn used_flags(&self) -> Vec<bool> {
        self.used
            .iter()
            .map(|u| u.load(Ordering::Relaxed))
            .collect()
    }

    pub fn is_bare(&self) -> bool {
        self.rules.is_empty()
    }

    /// A bare marker: did it silence anything?
    pub fn used(&self) -> bool {
        self.used.iter().any(|u| u.load(Ordering::Relaxed))
    }

    /// A marker naming rules: did it silence something of the `i`-th one?
    pub fn rule_used(&self, i: usize) -> bool {
        self.used.get(i).is_some_and(|u| u.load(Ordering::Relaxed))
    }

    /// Would it silence `rule`? Records the use when it does.
    fn silences(&self, rule: &str) -> bool {
        if self.rules.is_empty() {
            self.used[0].store(true, Ordering::Relaxed);
            return true;
        }
        match self.rules.iter().position(|(r, _)| r == rule) {
            Some(i) => {
                self.used[i].store(true, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }
}

impl Clone for Marker {
    fn clone(&self) -> Self {
        Marker {
            line: self.line,
            comment: self.comment.clone(),
            rules: self.rules.clone(),
            reason: self.reason.clone(),
            used: self
                .used
                .iter()
                .map(|u| AtomicBool::new(u.load(Ordering::Relaxed)))
                .collect(),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Suppressions {
    markers: Vec<Marker>,
    /// 0-based line -> index into `markers`.
    lines: HashMap<usize, usize>,
}

impl Suppressions {
    /// Scans comment text for markers. Works on raw text so that it is
    /// language-independent; a marker inside a string literal is so unusual
    /// that the cost of honouring it is nil.
    pub fn scan(source: &SourceText) -> Suppressions {
        let mut sup = Suppressions::default();
        let text = source.text();
        for (at, _) in text.match_indices(MARKER) {
            let line = source.line_index(at);
            let line_range = source.line_range(line);
            let before = &text[line_range.start..at];
            let Some(comment) = before.rfind("//") else {
                continue;
            };
            if !before[comment + 2..].trim().is_empty() {
                continue; // `// something leakfix:ignore` is prose, not a marker
            }
            let rest_start = at + MARKER.len();
            let rest = &text[rest_start..line_range.end];
            if !(rest.is_empty() || rest.starts_with([' ', '\t', ':'])) {
                continue;
            }
            let (rules, reason) = parse_rest(
                text,
                rest_start + usize::from(rest.starts_with(':')),
                line_range.end,
            );
            let flags = rules.len().max(1);
            let marker = Marker {
                line,
                comment: line_range.start + comment..line_range.end,
                rules,
                reason,
                used: (0..flags).map(|_| AtomicBool::new(false)).collect(),
            };
            sup.lines.insert(line, sup.markers.len());
            sup.markers.push(marker);
        }
        sup
    }

    pub fn is_empty(&self) -> bool {
        self.markers.is_empty()
    }

    pub fn markers(&self) -> &[Marker] {
        &self.markers
    }

    /// Is `rule` silenced for a finding that starts on 0-based `line`? A
    /// marker that answers yes remembers it was used.
    pub fn is_suppressed(&self, rule: &str, line: usize) -> bool {
        let hit = |l: usize| {
            self.lines
                .get(&l)
                .is_some_and(|&m| self.markers[m].silences(rule))
        };
        // Both are asked, so that each marker that applies counts as used.
        let here = hit(line);
        let above = line > 0 && hit(line - 1);
        here || above
    }
}

/// A file the rules ran over that has markers, with what each silenced.
#[derive(Clone, Debug)]
pub struct IgnoreFile {
    pub path: Arc<Path>,
    pub language: Language,
    pub source: SourceText,
    /// The markers that are comments in the syntax tree (text that looks
    /// like one inside a string literal silences, but is never judged).
    pub markers: Vec<Marker>,
}

/// The rule ids after the marker (each with its byte range) and the reason.
fn parse_rest(
    text: &str,
    start: usize,
    end: usize,
) -> (Vec<(String, Range<usize>)>, Option<String>) {
    let mut rules = Vec::new();
    let mut at = start;
    let is_sep = |c: char| c == ',' || c.is_whitespace();
    loop {
        let rest = &text[at..end];
        let skipped = rest.len() - rest.trim_start_matches(is_sep).len();
        at += skipped;
        if at >= end {
            return (rules, None);
        }
        let rest = &text[at..end];
        let word_len = rest.find(is_sep).unwrap_or(rest.len());
        let word = &rest[..word_len];
        // Rule ids look like `go-missing-release`; anything else starts the reason.
        let is_id = word.starts_with(|c: char| c.is_ascii_alphabetic())
            && word.contains('-')
            && word
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !is_id {
            let reason = rest.trim();
            let reason = reason.strip_prefix("--").unwrap_or(reason).trim();
            return (rules, (!reason.is_empty()).then(|| reason.to_string()));
        }
        rules.push((word.to_string(), at..at + word_len));
        at += word_len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Suppressions {
        Suppressions::scan(&SourceText::new(text.into()))
    }

    #[test]
    fn bare_marker_silences_everything_on_its_line_and_the_next() {
        let sup = s("a\n// leakfix:ignore\nb := f() // leakfix:ignore\nc\n");
        assert!(sup.is_suppressed("go-missing-release", 1));
        assert!(sup.is_suppressed("x", 2));
        assert!(sup.is_suppressed("x", 3), "line below a marker line");
        assert!(!sup.is_suppressed("x", 0));
    }

    #[test]
    fn marker_with_rules_silences_only_those() {
        let sup =
            s("x := f() // leakfix:ignore go-missing-release, go-per-request-client -- reason\n");
        assert!(sup.is_suppressed("go-missing-release", 0));
        assert!(sup.is_suppressed("go-per-request-client", 0));
        assert!(!sup.is_suppressed("rust-unwaited-child", 0));
    }

    #[test]
    fn a_reason_after_a_bare_marker_keeps_it_bare() {
        let sup = s(
            "x := f() // leakfix:ignore kept open for the process lifetime
",
        );
        assert!(sup.is_suppressed("go-missing-release", 0));
        assert_eq!(
            sup.markers()[0].reason.as_deref(),
            Some("kept open for the process lifetime")
        );
    }

    #[test]
    fn prose_mentioning_the_marker_is_not_a_marker() {
        let sup = s("// use leakfix:ignore to silence\nx\n");
        assert!(!sup.is_suppressed("x", 1));
        assert!(sup.is_empty());
    }

    #[test]
    fn markers_know_their_parts_and_what_they_silenced() {
        let text =
            "a\nx := f() // leakfix:ignore go-a, go-b -- kept for the process\n// leakfix:ignore\n";
        let sup = s(text);
        let m = &sup.markers()[0];
        assert_eq!(m.line, 1);
        assert_eq!(
            &text[m.comment.clone()],
            "// leakfix:ignore go-a, go-b -- kept for the process"
        );
        let ids: Vec<&str> = m
            .rules
            .iter()
            .map(|(r, at)| {
                assert_eq!(&text[at.clone()], r);
                r.as_str()
            })
            .collect();
        assert_eq!(ids, ["go-a", "go-b"]);
        assert_eq!(m.reason.as_deref(), Some("kept for the process"));
        assert!(!m.rule_used(0) && !m.rule_used(1));
        assert!(sup.is_suppressed("go-b", 1));
        let m = &sup.markers()[0];
        assert!(!m.rule_used(0) && m.rule_used(1));
        assert!(sup.markers()[1].reason.is_none());
        assert!(!sup.markers()[1].used());
        // The finding on line 2 is silenced by the bare marker on it; the
        // marker above does not name go-c.
        assert!(sup.is_suppressed("go-c", 2));
        assert!(sup.markers()[1].used());
        assert!(!sup.markers()[0].rule_used(0));
    }

    #[test]
    fn a_reason_needs_text_after_the_separator() {
        let sup = s("// leakfix:ignore go-a --\n// leakfix:ignore: -- why\n");
        assert_eq!(sup.markers()[0].reason, None);
        assert_eq!(sup.markers()[1].reason.as_deref(), Some("why"));
        assert!(sup.markers()[1].is_bare());
    }
}
