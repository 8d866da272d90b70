//! Keeping trailing comments aligned as gofmt aligns them after an edit.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use crate::fix::Edit;
use crate::source::SourceText;

/// Extra edits that keep trailing `// comments` lined up the way gofmt lines
/// them up, on the lines `edits` touch. gofmt aligns the comments of
/// consecutive lines that have the same indentation (one space after the
/// longest code); an edit that makes one of them longer or shorter, or
/// removes one, moves that column. Lines the edits do not touch are left
/// as they are, aligned or not.
pub fn realign_trailing_comments(
    file_path: &Arc<Path>,
    source: &SourceText,
    edits: &[Edit],
) -> Vec<Edit> {
    let src = source.text();
    let mut mine: Vec<&Edit> = edits.iter().filter(|e| e.path() == file_path).collect();
    mine.sort_by_key(|e| (e.start(), e.end()));
    mine.dedup();
    if mine.is_empty() {
        return Vec::new();
    }
    let new = crate::apply::splice(src, mine.clone());
    // Where each edit lands in the new text: (new start, new end, old start, old end).
    let mut spans = Vec::new();
    let mut delta: isize = 0;
    for e in &mine {
        let start = (e.start() as isize + delta) as usize;
        spans.push((start, start + e.content().len(), e.start(), e.end()));
        delta += e.content().len() as isize - (e.end() - e.start()) as isize;
    }
    // A new-text offset outside inserted text, back in the old text.
    let to_old = |o: usize| -> Option<usize> {
        let mut shift: isize = 0;
        for &(ns, ne, _, oe) in &spans {
            if o < ns {
                break;
            }
            if o < ne {
                return None;
            }
            shift = oe as isize - ne as isize;
        }
        Some((o as isize + shift) as usize)
    };
    let starts: Vec<usize> = std::iter::once(0)
        .chain(new.match_indices('\n').map(|(i, _)| i + 1))
        .filter(|&i| i <= new.len())
        .collect();
    let line_of = |o: usize| starts.partition_point(|&s| s <= o).saturating_sub(1);
    let mut touched = std::collections::HashSet::new();
    for &(ns, ne, _, _) in &spans {
        let (a, b) = (line_of(ns), line_of(ne));
        touched.extend(a.saturating_sub(1)..=b);
    }

    struct Line {
        indent: String,
        width: usize,
        /// New-text range of the spaces between the code and the comment.
        pad: Range<usize>,
        closes: bool,
    }
    let lines: Vec<Option<Line>> = starts
        .iter()
        .enumerate()
        .map(|(i, &start)| {
            let end = starts.get(i + 1).map(|e| e - 1).unwrap_or(new.len());
            let text = new[start..end].trim_end_matches('\r');
            let body = text.trim_start_matches([' ', '\t']);
            let indent = &text[..text.len() - body.len()];
            let at = trailing_comment(body)?;
            let code = body[..at].trim_end();
            if code.is_empty() || code.contains('\t') {
                return None;
            }
            let code_end = start + indent.len() + code.len();
            Some(Line {
                indent: indent.to_string(),
                width: code.chars().count(),
                pad: code_end..start + indent.len() + at,
                closes: code.starts_with(['}', ')', ']']),
            })
        })
        .collect();

    // Runs of consecutive commented lines with one indentation; a line that
    // closes a multi-line construct stands alone, as in gofmt.
    let mut runs: Vec<Vec<usize>> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let Some(l) = l else { continue };
        let joins = !l.closes
            && runs.last().is_some_and(|r| {
                let last = *r.last().unwrap();
                last + 1 == i
                    && lines[last]
                        .as_ref()
                        .is_some_and(|p| p.indent == l.indent && !p.closes)
            });
        if joins {
            runs.last_mut().unwrap().push(i);
        } else {
            runs.push(vec![i]);
        }
    }
    let mut out = Vec::new();
    for run in runs
        .iter()
        .filter(|r| r.iter().any(|i| touched.contains(i)))
    {
        let col = run
            .iter()
            .map(|&i| lines[i].as_ref().unwrap().width)
            .max()
            .unwrap_or(0)
            + 1;
        for &i in run {
            let l = lines[i].as_ref().unwrap();
            let want = " ".repeat(col - l.width);
            if new[l.pad.clone()] == want {
                continue;
            }
            if let (Some(a), Some(b)) = (to_old(l.pad.start), to_old(l.pad.end))
                && a <= b
                && src[a..b].chars().all(|c| c == ' ' || c == '\t')
            {
                out.push(Edit::replacement(file_path.clone(), a..b, want));
            }
        }
    }
    out
}

/// `fix` plus the edits that keep trailing comments aligned in every Go file
/// it touches (`realign_trailing_comments`); `load` gives a file's text as
/// the fix's edits expect it.
pub fn with_aligned_comments(
    fix: crate::fix::Fix,
    load: impl Fn(&Arc<Path>) -> Option<SourceText>,
) -> crate::fix::Fix {
    let mut extra = Vec::new();
    for path in fix.paths() {
        if path.extension().is_none_or(|x| x != "go") {
            continue;
        }
        if let Some(source) = load(path) {
            extra.extend(realign_trailing_comments(path, &source, fix.edits()));
        }
    }
    if extra.is_empty() {
        fix
    } else {
        fix.with_edits(extra)
    }
}

/// Where a line's trailing `//` comment starts (outside string and rune
/// literals), if it has one; a raw string makes the line unreadable here.
fn trailing_comment(body: &str) -> Option<usize> {
    let bytes = body.as_bytes();
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) => {
                if b == b'\\' {
                    i += 1;
                } else if b == q {
                    quote = None;
                }
            }
            None => match b {
                b'"' | b'\'' => quote = Some(b),
                b'`' => return None,
                b'/' if bytes.get(i + 1) == Some(&b'/') => return Some(i),
                b'/' if bytes.get(i + 1) == Some(&b'*') => return None,
                _ => {}
            },
        }
        i += 1;
    }
    None
}
