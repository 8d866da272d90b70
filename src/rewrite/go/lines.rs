//! Edits by whole lines: line-level diffs, deleting and re-indenting lines.

use std::path::Path;
use std::sync::Arc;

use crate::fix::Edit;
use crate::source::SourceText;

/// Line-level edits turning `old` into `new`.
pub fn line_edits(file_path: &Arc<Path>, old: &str, new: &str) -> Vec<Edit> {
    use similar::{DiffOp, TextDiff};
    let diff = TextDiff::from_lines(old, new);
    let old_starts = line_offsets(old);
    let new_starts = line_offsets(new);
    let mut edits = Vec::new();
    for op in diff.ops() {
        let (o, ol, n, nl) = match *op {
            DiffOp::Equal { .. } => continue,
            DiffOp::Delete {
                old_index,
                old_len,
                new_index,
            } => (old_index, old_len, new_index, 0),
            DiffOp::Insert {
                old_index,
                new_index,
                new_len,
            } => (old_index, 0, new_index, new_len),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => (old_index, old_len, new_index, new_len),
        };
        let range = old_starts[o]..old_starts[o + ol];
        let content = &new[new_starts[n]..new_starts[n + nl]];
        edits.push(Edit::replacement(file_path.clone(), range, content));
    }
    edits
}

/// Byte offsets of line starts, plus the end of the text.
fn line_offsets(s: &str) -> Vec<usize> {
    let mut v = vec![0];
    let mut acc = 0;
    for l in s.split_inclusive('\n') {
        acc += l.len();
        v.push(acc);
    }
    if v.len() == 1 {
        v.push(0);
    }
    v
}

/// The whole lines holding `range`, when nothing else shares them (a
/// trailing `//` comment may): from the start of the first line to the
/// start of the line after the last.
pub fn full_lines(
    source: &SourceText,
    range: std::ops::Range<usize>,
) -> Option<std::ops::Range<usize>> {
    let src = source.text();
    let first = source.line_index(range.start);
    let start = source.line_range(first).start;
    if !src[start..range.start].trim().is_empty() {
        return None;
    }
    let last = source.line_index(range.end.max(range.start + 1) - 1);
    let line = source.line_range(last);
    let rest = src[range.end.min(line.end)..line.end].trim();
    if !(rest.is_empty() || rest.starts_with("//")) {
        return None;
    }
    let end = source.next_line_start(line.start).unwrap_or(src.len());
    Some(start..end)
}

/// Extends whole lines upwards over the `//` comment lines right above
/// them (a comment about a statement goes with it).
pub fn with_comments_above(
    source: &SourceText,
    lines: std::ops::Range<usize>,
) -> std::ops::Range<usize> {
    let mut start = lines.start;
    let mut line = source.line_index(start);
    while line > 0 {
        let prev = source.line_text(line - 1).trim();
        if !prev.starts_with("//") || prev.starts_with("//go:") || prev.contains("leakfix:ignore") {
            break;
        }
        line -= 1;
        start = source.line_range(line).start;
    }
    start..lines.end
}

/// A deletion of whole lines that leaves the file gofmt-clean: when the
/// lines sit between two blank lines (or between a blank line and the end
/// of a block), one of those blank lines goes too.
pub fn delete_lines(
    file_path: &Arc<Path>,
    source: &SourceText,
    lines: std::ops::Range<usize>,
) -> Edit {
    let src = source.text();
    let first = source.line_index(lines.start);
    let prev_blank = first > 0 && source.line_text(first - 1).trim().is_empty();
    let prev_opens = first > 0 && source.line_text(first - 1).trim_end().ends_with('{');
    let mut range = lines.clone();
    if lines.end < src.len() {
        let next = source.line_index(lines.end);
        let next_text = source.line_text(next).trim();
        if next_text.is_empty() && (prev_blank || prev_opens) {
            range.end = source.next_line_start(lines.end).unwrap_or(src.len());
        } else if prev_blank && next_text.starts_with('}') {
            range.start = source.line_range(first - 1).start;
        }
    }
    Edit::deletion(file_path.clone(), range)
}

/// Re-indents the lines after the first of `text` from `from` to `to`
/// (None when a line does not start with `from`, as inside a raw string).
pub fn reindent(text: &str, from: &str, to: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if i == 0 || line.trim().is_empty() {
            out.push_str(if i > 0 && line.ends_with("\r\n") {
                "\r\n"
            } else if i > 0 && line.ends_with('\n') {
                "\n"
            } else {
                line
            });
            continue;
        }
        out.push_str(to);
        out.push_str(line.strip_prefix(from)?);
    }
    Some(out)
}
