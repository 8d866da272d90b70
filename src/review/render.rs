//! What the review prints: diffs with line numbers, prompts' small words.

use std::io::{self, Write};

use console::style;

use crate::diff::{NumberedLine, numbered};

use super::{CONTEXT, MAX_CONTEXT};

pub(super) fn unknown_key(out: &mut dyn Write) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "{}", style("press y, n, a, d or q (? for help)").dim())
}

pub(super) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(super) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A unified diff with line numbers on both sides, coloured on a terminal.
/// The context grows (a little) to show the `focus` line: the reported code.
pub(super) fn render_diff(
    old: &str,
    new: &str,
    focus: Option<usize>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut lines = numbered(old, new, CONTEXT);
    if let (Some(focus), Some(NumberedLine::Hunk { old_start, .. })) = (focus, lines.first()) {
        let first_change = old_start + CONTEXT;
        if focus < *old_start && first_change - focus <= MAX_CONTEXT {
            lines = numbered(old, new, first_change - focus);
        }
    }
    let width = lines
        .iter()
        .map(|l| match l {
            NumberedLine::Hunk {
                old_start,
                old_len,
                new_start,
                new_len,
            } => (old_start + old_len).max(new_start + new_len),
            _ => 0,
        })
        .max()
        .unwrap_or(0)
        .to_string()
        .len();
    let bar = style("|").dim();
    for line in lines {
        match line {
            NumberedLine::Hunk {
                old_start,
                old_len,
                new_start,
                new_len,
            } => writeln!(
                out,
                "{}",
                style(format!(
                    "@@ -{old_start},{old_len} +{new_start},{new_len} @@"
                ))
                .cyan()
            )?,
            NumberedLine::Context { old, new, text } => writeln!(
                out,
                "{} {} {bar}  {text}",
                style(format!("{old:>width$}")).dim(),
                style(format!("{new:>width$}")).dim(),
            )?,
            NumberedLine::Delete { old, text } => writeln!(
                out,
                "{} {} {bar}{}",
                style(format!("{old:>width$}")).dim(),
                " ".repeat(width),
                style(format!("- {text}")).red()
            )?,
            NumberedLine::Insert { new, text } => writeln!(
                out,
                "{} {} {bar}{}",
                " ".repeat(width),
                style(format!("{new:>width$}")).dim(),
                style(format!("+ {text}")).green()
            )?,
        }
    }
    Ok(())
}
