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
}
