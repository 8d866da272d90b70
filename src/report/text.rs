//! `--format text`: for people. Each finding with its line of code, the fix
//! it gets (or why none), then a summary.

use std::collections::BTreeSet;
use std::io::Write;

use console::style;

use super::{Report, Reported, Status};
use crate::cli::Mode;
use crate::fix::Applicability;

pub fn emit(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let shown: Vec<&Reported> = report
        .findings
        .iter()
        .filter(|r| report.mode == Mode::Check || r.status == Status::Remaining)
        .collect();
    for r in &shown {
        finding(report, r, out)?;
    }
    fixed_notes(report, out)?;
    summary(report, out)
}

/// After `fix`: what the applied fixes left for a person (a call site that
/// got `context.TODO()`, an API change), one line each.
fn fixed_notes(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    if report.mode == Mode::Check {
        return Ok(());
    }
    let mut any = false;
    for r in report
        .findings
        .iter()
        .filter(|r| r.status == Status::Fixed && !r.finding.notes.is_empty())
    {
        let f = &r.finding;
        for n in &f.notes {
            writeln!(
                out,
                "{}:{}:{}: {} {}: {n}",
                style(&r.path).bold(),
                f.start.line,
                f.start.column,
                style(f.rule).yellow().bold(),
                style("fixed, note").bold()
            )?;
            any = true;
        }
    }
    if any {
        writeln!(out)?;
    }
    Ok(())
}

fn finding(report: &Report, r: &Reported, out: &mut dyn Write) -> std::io::Result<()> {
    let f = &r.finding;
    writeln!(
        out,
        "{}:{}:{}: {} {}",
        style(&r.path).bold(),
        f.start.line,
        f.start.column,
        style(f.rule).yellow().bold(),
        f.message
    )?;
    if let Some(src) = report.source_of(r, &f.path) {
        let line = f.start.line - 1;
        if line < src.line_count() {
            let code = src.line_text(line);
            let num = f.start.line.to_string();
            let pad = " ".repeat(num.len());
            let start_col = f.start.column - 1;
            let width = if f.end.line == f.start.line {
                (f.end.column - f.start.column).max(1)
            } else {
                code.chars().count().saturating_sub(start_col).max(1)
            };
            // Tabs in the code line become the same tabs under it, so the caret lines up.
            let lead: String = code
                .chars()
                .take(start_col)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            writeln!(out, "{pad} {}", style("|").blue().bold())?;
            writeln!(
                out,
                "{} {} {}",
                style(&num).blue().bold(),
                style("|").blue().bold(),
                code
            )?;
            writeln!(
                out,
                "{pad} {} {lead}{}",
                style("|").blue().bold(),
                style("^".repeat(width)).red().bold()
            )?;
        }
    }
    let pad = " ".repeat(f.start.line.to_string().len());
    match &f.fix {
        Some(fix) if matches!(r.verdict, Some(crate::verify::Verdict::Withheld(_))) => {
            writeln!(
                out,
                "{pad} {} {}: {}",
                style("=").blue().bold(),
                style(format!("fix ({}, withheld)", fix.applicability().as_str()))
                    .red()
                    .bold(),
                fix.title()
            )?;
        }
        Some(fix) => {
            let label = match fix.applicability() {
                Applicability::Safe => style("fix (safe)").green().bold(),
                Applicability::Unsafe => style("fix (unsafe)").magenta().bold(),
                Applicability::DisplayOnly => style("suggestion").cyan().bold(),
            };
            writeln!(
                out,
                "{pad} {} {label}: {}",
                style("=").blue().bold(),
                fix.title()
            )?;
        }
        None if f.notes.is_empty() => {
            writeln!(
                out,
                "{pad} {} {}",
                style("=").blue().bold(),
                style("no automatic fix").dim()
            )?;
        }
        None => {}
    }
    for n in &f.notes {
        writeln!(
            out,
            "{pad} {} {}: {n}",
            style("=").blue().bold(),
            style("note").bold()
        )?;
    }
    writeln!(out)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `--verify`: one line with the counts.
fn verification(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let Some(v) = &report.verification else {
        return Ok(());
    };
    let total = v.verified + v.withheld + v.unverifiable;
    if total == 0 {
        return Ok(());
    }
    let mut parts = vec![format!("{} verified", v.verified)];
    if v.withheld > 0 {
        parts.push(format!(
            "{} withheld (the fixed code does not build)",
            v.withheld
        ));
    }
    if v.unverifiable > 0 {
        parts.push(format!("{} unverifiable (see the notes)", v.unverifiable));
    }
    let how = if v.tools.is_empty() {
        String::new()
    } else {
        format!(
            " with {} in {}",
            v.tools.join(", "),
            plural(v.units, "package", "packages")
        )
    };
    let label = style(format!("Checked {}", plural(total, "fix", "fixes"))).bold();
    let label = if v.withheld > 0 {
        label.yellow()
    } else {
        label.green()
    };
    writeln!(
        out,
        "{label}{how} ({:.1}s): {}.",
        v.elapsed.as_secs_f64(),
        parts.join(", ")
    )
}

fn summary(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    verification(report, out)?;
    let files = |status: Status| {
        report
            .findings
            .iter()
            .filter(|r| r.status == status)
            .map(|r| r.path.as_str())
            .collect::<BTreeSet<_>>()
            .len()
    };
    let with = |status: Status, a: Applicability| {
        report
            .findings
            .iter()
            .filter(|r| {
                r.status == status
                    && r.finding
                        .fix
                        .as_ref()
                        .is_some_and(|f| f.applicability() == a)
            })
            .count()
    };
    let without = |status: Status| {
        report
            .findings
            .iter()
            .filter(|r| r.status == status && r.finding.fix.is_none())
            .count()
    };
    match report.mode {
        Mode::Check => {
            let n = report.count(Status::Open);
            if n == 0 {
                writeln!(out, "{}", style("No leaks found.").green().bold())?;
                return Ok(());
            }
            let safe = with(Status::Open, Applicability::Safe);
            let unsafe_ = with(Status::Open, Applicability::Unsafe);
            let none = without(Status::Open);
            let mut parts = Vec::new();
            if safe > 0 {
                parts.push(format!("{safe} fixable with `leakfix fix`"));
            }
            if unsafe_ > 0 {
                parts.push(format!("{unsafe_} with `leakfix fix --unsafe`"));
            }
            if none > 0 {
                parts.push(format!("{none} without an automatic fix"));
            }
            writeln!(
                out,
                "{} in {}: {}.",
                style(format!("Found {}", plural(n, "leak", "leaks"))).bold(),
                plural(files(Status::Open), "file", "files"),
                parts.join(", ")
            )
        }
        Mode::Fix | Mode::Review => {
            let fixed = report.count(Status::Fixed);
            if fixed > 0 {
                writeln!(
                    out,
                    "{} in {}.",
                    style(format!("Fixed {}", plural(fixed, "leak", "leaks")))
                        .green()
                        .bold(),
                    plural(report.changes.len(), "file", "files")
                )?;
            }
            let left = report.count(Status::Remaining);
            if left == 0 {
                if fixed == 0 {
                    writeln!(out, "{}", style("No leaks found.").green().bold())?;
                }
                return Ok(());
            }
            let unsafe_ = with(Status::Remaining, Applicability::Unsafe);
            let none = without(Status::Remaining);
            let mut parts = Vec::new();
            if unsafe_ > 0 && report.min_applicability > Applicability::Unsafe {
                parts.push(format!(
                    "{unsafe_} with an unsafe fix (run `leakfix fix --unsafe` or `--review`)"
                ));
            }
            if none > 0 {
                parts.push(format!("{none} without an automatic fix"));
            }
            writeln!(
                out,
                "{} remain{}{}.",
                style(plural(left, "leak", "leaks")).bold(),
                if left == 1 { "s" } else { "" },
                if parts.is_empty() {
                    String::new()
                } else {
                    format!(": {}", parts.join(", "))
                }
            )
        }
    }
}
