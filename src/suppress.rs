//! Inline suppression: `// leakfix:ignore` on the reported line or the line
//! above silences every rule there; `// leakfix:ignore RULE-ID[, RULE-ID]`
//! silences only those.

use std::collections::HashMap;

use crate::source::SourceText;

const MARKER: &str = "leakfix:ignore";

#[derive(Clone, Debug, Default)]
pub struct Suppressions {
    /// 0-based line -> rules silenced there (empty: all rules).
    lines: HashMap<usize, Vec<String>>,
}

impl Suppressions {
    /// Scans comment text for markers. Works on raw text so that it is
    /// language-independent; a marker inside a string literal is so unusual
    /// that the cost of honouring it is nil.
    pub fn scan(source: &SourceText) -> Suppressions {
        let mut lines = HashMap::new();
        let text = source.text();
        for (at, _) in text.match_indices(MARKER) {
            let line = source.line_index(at);
            let before = &text[source.line_range(line).start..at];
            let Some(comment) = before.rfind("//") else {
                continue;
            };
            if !before[comment + 2..].trim().is_empty() {
                continue; // `// something leakfix:ignore` is prose, not a marker
            }
            let rest_end = source.line_range(line).end;
            let rest = &text[at + MARKER.len()..rest_end];
            if !(rest.is_empty() || rest.starts_with([' ', '\t', ':'])) {
                continue;
            }
            let rules: Vec<String> = rest
                .trim_start_matches(':')
                .split(|c: char| c == ',' || c.is_whitespace())
                .map(str::trim)
                .filter(|w| !w.is_empty())
                .take_while(|w| {
                    // Rule ids look like `go-missing-release`; anything else starts the reason.
                    w.starts_with(|c: char| c.is_ascii_alphabetic())
                        && w.contains('-')
                        && w.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                })
                .map(str::to_string)
                .collect();
            lines.insert(line, rules);
        }
        Suppressions { lines }
    }

    /// Is `rule` silenced for a finding that starts on 0-based `line`?
    pub fn is_suppressed(&self, rule: &str, line: usize) -> bool {
        let hit = |l: usize| {
            self.lines
                .get(&l)
                .is_some_and(|rules| rules.is_empty() || rules.iter().any(|r| r == rule))
        };
        hit(line) || (line > 0 && hit(line - 1))
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
    }

    #[test]
    fn prose_mentioning_the_marker_is_not_a_marker() {
        let sup = s("// use leakfix:ignore to silence\nx\n");
        assert!(!sup.is_suppressed("x", 1));
    }
}
