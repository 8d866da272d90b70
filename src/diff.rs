//! Unified diffs (with `similar`) that `git apply` accepts from the folder
//! leakfix ran in.

use similar::TextDiff;

/// A unified diff of one file, with `a/` and `b/` prefixes like git.
/// Empty when the texts are equal.
pub fn unified(display_path: &str, old: &str, new: &str, context: usize) -> String {
    if old == new {
        return String::new();
    }
    let diff = TextDiff::from_lines(old, new);
    let mut out = format!("--- a/{display_path}\n+++ b/{display_path}\n");
    for hunk in diff
        .unified_diff()
        .context_radius(context)
        .missing_newline_hint(true)
        .iter_hunks()
    {
        out.push_str(&hunk.to_string());
    }
    out
}

/// One line of a diff for people: numbered, without its line break.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NumberedLine {
    /// Start of a hunk: first line and length on each side (1-based, like `@@`).
    Hunk {
        old_start: usize,
        old_len: usize,
        new_start: usize,
        new_len: usize,
    },
    Context {
        old: usize,
        new: usize,
        text: String,
    },
    Delete {
        old: usize,
        text: String,
    },
    Insert {
        new: usize,
        text: String,
    },
}

/// The hunks of a line diff with `context` lines around each change, every
/// line carrying its 1-based number in the old and/or new text (the review
/// shows these; `unified` is for `git apply`).
pub fn numbered(old: &str, new: &str, context: usize) -> Vec<NumberedLine> {
    let diff = TextDiff::from_lines(old, new);
    let mut out = Vec::new();
    for group in diff.grouped_ops(context) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let old_range = first.old_range().start..last.old_range().end;
        let new_range = first.new_range().start..last.new_range().end;
        out.push(NumberedLine::Hunk {
            old_start: old_range.start + 1,
            old_len: old_range.len(),
            new_start: new_range.start + 1,
            new_len: new_range.len(),
        });
        for op in &group {
            for change in diff.iter_changes(op) {
                let text = change
                    .value()
                    .trim_end_matches('\n')
                    .trim_end_matches('\r')
                    .to_string();
                out.push(match (change.old_index(), change.new_index()) {
                    (Some(o), Some(n)) => NumberedLine::Context {
                        old: o + 1,
                        new: n + 1,
                        text,
                    },
                    (Some(o), None) => NumberedLine::Delete { old: o + 1, text },
                    (None, Some(n)) => NumberedLine::Insert { new: n + 1, text },
                    (None, None) => continue,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_give_nothing() {
        assert_eq!(unified("a.go", "x\n", "x\n", 3), "");
    }

    #[test]
    fn headers_and_hunks() {
        let d = unified("dir/a.go", "a\nb\nc\n", "a\nb\nX\nc\n", 1);
        assert_eq!(
            d,
            "--- a/dir/a.go\n+++ b/dir/a.go\n@@ -2,2 +2,3 @@\n b\n+X\n c\n"
        );
    }

    #[test]
    fn numbered_lines() {
        let lines = numbered("a\r\nb\r\nc\r\nd\r\n", "a\r\nb\r\nX\r\nc\r\nd\r\n", 1);
        assert_eq!(
            lines,
            vec![
                NumberedLine::Hunk {
                    old_start: 2,
                    old_len: 2,
                    new_start: 2,
                    new_len: 3
                },
                NumberedLine::Context {
                    old: 2,
                    new: 2,
                    text: "b".into()
                },
                NumberedLine::Insert {
                    new: 3,
                    text: "X".into()
                },
                NumberedLine::Context {
                    old: 3,
                    new: 4,
                    text: "c".into()
                },
            ]
        );
        assert!(numbered("same\n", "same\n", 3).is_empty());
    }
}
