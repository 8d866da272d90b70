//! unused-ignore: a `// leakfix:ignore` marker that silenced nothing in this
//! run. Fix: remove the marker, or only the rule ids in it that no longer
//! apply.

use super::names;
use crate::finding::Finding;
use crate::fix::{Applicability, Edit, Fix};
use crate::rules::Context;
use crate::rules::{self, FixAvailability, Rule, RuleMeta, Unit};
use crate::suppress::{IgnoreFile, Marker};

pub struct UnusedIgnore;

pub const ID: &str = "unused-ignore";

static META: RuleMeta = RuleMeta {
    id: ID,
    language: None,
    summary: "A `// leakfix:ignore` comment silences nothing",
    fix_summary: "Remove the comment, or the rule ids in it that no longer apply",
    fix_availability: FixAvailability::Sometimes,
    applicability: Applicability::Safe,
    docs: DOCS,
};

const DOCS: &str = r#"## What it does
Finds `// leakfix:ignore` comments that silence nothing: no finding of the
rules they name (or, for a bare `// leakfix:ignore`, of any rule) starts on
their line or the line below. A comment that names several rules is
reported for the ones that no longer apply. Rule ids that are not leakfix
rules, or that belong to another language, never apply.

It judges only what the run could see: a comment naming a rule that did not
run (`--rule`, `--skip-rule`, `select`, `skip`) is left alone, and so is a
bare comment unless every rule of its file's language ran. Files that do not
parse, generated Go files and, without `--include-tests`, Rust test code are
never judged. It errs towards keeping comments: `go-per-request-client`
counts a comment as used over any construction of a shareable client, even
one it would not report.

## Why is this bad?
A leak was fixed or the code moved, and the comment stayed. It now hides
whatever leak is written on that line next, and it tells readers there is a
problem where there is none.

## Example
```go
func load(ctx context.Context) error {
	// leakfix:ignore go-missing-release -- closed by the caller
	client, err := storage.NewClient(ctx)
	if err != nil {
		return err
	}
	defer client.Close()
	return use(client)
}
```

## Use instead
```go
func load(ctx context.Context) error {
	client, err := storage.NewClient(ctx)
	if err != nil {
		return err
	}
	defer client.Close()
	return use(client)
}
```

## Fix safety
Safe: a comment is removed (its whole line when it stands alone), or rule
ids are removed from it; the program does not change. No fix is offered
when the comment names something that is not a leakfix rule (it may be a
reason written without ` -- ` before it), or when removing it would make
gofmt re-align the trailing comments around it. To keep a comment that is
reported, name this rule in it: `// leakfix:ignore go-missing-release,
unused-ignore -- why`.

## References
- [ruff RUF100: unused `noqa`](https://docs.astral.sh/ruff/rules/unused-noqa/)
"#;

impl Rule for UnusedIgnore {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    /// Nothing per unit: the markers are judged after every rule has run
    /// (`super::check_markers`).
    fn check(&self, _unit: &Unit<'_>, _cx: &Context<'_>, _out: &mut Vec<Finding>) {}
}

/// Why a rule id in a marker applies to nothing.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stale {
    /// It ran and silenced nothing here.
    Unused,
    /// It is not a leakfix rule.
    Unknown,
    /// It is a rule of another language.
    OtherLanguage,
}

pub(super) fn check(file: &IgnoreFile, ran: &[&'static dyn Rule], out: &mut Vec<Finding>) {
    let did_run = |id: &str| ran.iter().any(|r| r.meta().id == id);
    let language_ran = rules::all()
        .iter()
        .filter(|r| r.meta().language == Some(file.language.family()))
        .all(|r| did_run(r.meta().id));
    for m in &file.markers {
        if names(m, ID) {
            continue;
        }
        if m.is_bare() {
            if language_ran && !m.used() {
                out.push(report(file, m, &[]));
            }
            continue;
        }
        let stale: Vec<(usize, Stale)> = m
            .rules
            .iter()
            .enumerate()
            .filter_map(|(i, (id, _))| match rules::by_id(id) {
                None => Some((i, Stale::Unknown)),
                // The marker rules: naming them exempts the marker itself.
                Some(r) if r.meta().language.is_none() => None,
                Some(r) if r.meta().language != Some(file.language.family()) => {
                    Some((i, Stale::OtherLanguage))
                }
                Some(_) if did_run(id) && !m.rule_used(i) => Some((i, Stale::Unused)),
                Some(_) => None,
            })
            .collect();
        if !stale.is_empty() {
            out.push(report(file, m, &stale));
        }
    }
}

/// The finding for marker `m`; `stale` empty: a bare marker.
fn report(file: &IgnoreFile, m: &Marker, stale: &[(usize, Stale)]) -> Finding {
    let whole = stale.len() == m.rules.len();
    let id = |i: usize| m.rules[i].0.as_str();
    let why = |&(i, s): &(usize, Stale)| match s {
        Stale::Unused => format!("no `{}` finding starts on this line or the next", id(i)),
        Stale::Unknown => format!("`{}` is not a leakfix rule", id(i)),
        Stale::OtherLanguage => format!(
            "`{}` is a rule for {} files",
            id(i),
            rules::by_id(id(i))
                .map(|r| r.meta().language_name())
                .unwrap_or("other")
        ),
    };
    let message = if stale.is_empty() {
        "this `leakfix:ignore` silences nothing: no finding starts on this line or the next"
            .to_string()
    } else if whole {
        let list: Vec<&str> = m.rules.iter().map(|(r, _)| r.as_str()).collect();
        format!(
            "`leakfix:ignore {}` silences nothing: {}",
            list.join(", "),
            stale.iter().map(why).collect::<Vec<_>>().join("; ")
        )
    } else {
        let list: Vec<&str> = stale.iter().map(|&(i, _)| id(i)).collect();
        format!(
            "{} in this `leakfix:ignore` silence{} nothing: {}",
            list.iter()
                .map(|r| format!("`{r}`"))
                .collect::<Vec<_>>()
                .join(", "),
            if list.len() == 1 { "s" } else { "" },
            stale.iter().map(why).collect::<Vec<_>>().join("; ")
        )
    };
    let finding = Finding::new(
        ID,
        file.path.clone(),
        &file.source,
        m.comment.clone(),
        message,
    );
    if stale.iter().any(|(_, s)| *s == Stale::Unknown) {
        return finding.with_note(
            "remove it by hand; if it starts a reason, put ` -- ` before the reason so it is not read as a rule id",
        );
    }
    if whole {
        match removal(file, m) {
            Ok(edits) => finding.with_fix(Fix::safe("remove the `leakfix:ignore` comment", edits)),
            Err(why) => finding.with_note(why),
        }
    } else {
        let kept: Vec<&str> = (0..m.rules.len())
            .filter(|i| !stale.iter().any(|(s, _)| s == i))
            .map(id)
            .collect();
        let first = m.rules.first().map_or(0, |(_, r)| r.start);
        let last = m.rules.last().map_or(0, |(_, r)| r.end);
        let sep = if file.source.text()[first..last].contains(',') {
            ", "
        } else {
            " "
        };
        let removed: Vec<String> = stale.iter().map(|&(i, _)| format!("`{}`", id(i))).collect();
        finding.with_fix(Fix::safe(
            format!(
                "remove {} from the `leakfix:ignore` comment",
                removed.join(", ")
            ),
            vec![Edit::replacement(
                file.path.clone(),
                first..last,
                kept.join(sep),
            )],
        ))
    }
}

/// The edits that remove marker `m`'s comment: the comment after code, or
/// the whole line it stands on (and a blank line that would be left doubled
/// or at the edge of a block). Err when the comments around it would need
/// re-aligning (gofmt lines up trailing comments on consecutive lines).
fn removal(file: &IgnoreFile, m: &Marker) -> Result<Vec<Edit>, &'static str> {
    const REALIGN: &str =
        "remove it by hand: the trailing comments around it would need re-aligning";
    let src = &file.source;
    let text = src.text();
    // Lines that exist (a final line break does not start one).
    let lines = if text.ends_with('\n') {
        src.line_count() - 1
    } else {
        src.line_count()
    };
    let exists = |l: usize| l < lines;
    let trailing_comment = |l: usize| {
        exists(l) && {
            let t = src.line_text(l);
            t.find("//").is_some_and(|i| !t[..i].trim().is_empty())
        }
    };
    let blank = |l: usize| exists(l) && src.line_text(l).trim().is_empty();
    let prev = m.line.checked_sub(1);
    let next = m.line + 1;
    let line = src.line_range(m.line);
    let code = &text[line.start..m.comment.start];
    if !code.trim().is_empty() {
        if prev.is_some_and(trailing_comment) || trailing_comment(next) {
            return Err(REALIGN);
        }
        let code_end = line.start + code.trim_end().len();
        return Ok(vec![Edit::deletion(
            file.path.clone(),
            code_end..m.comment.end,
        )]);
    }
    if prev.is_some_and(trailing_comment) && trailing_comment(next) {
        return Err(REALIGN);
    }
    let start_of = |l: usize| src.line_range(l).start;
    let mut start = line.start;
    let mut end = if exists(next) {
        start_of(next)
    } else {
        text.len()
    };
    if !exists(next) && !text.ends_with('\n') {
        // The last line, without a line break: take the one before it.
        if let Some(p) = prev {
            start = src.line_range(p).end;
        }
    }
    let opens = |l: usize| src.line_text(l).trim_end().ends_with('{');
    let closes = |l: usize| exists(l) && src.line_text(l).trim_start().starts_with('}');
    if blank(next) && prev.is_none_or(|p| blank(p) || opens(p)) {
        end = if exists(next + 1) {
            start_of(next + 1)
        } else {
            text.len()
        };
    } else if let Some(p) = prev
        && blank(p)
        && (closes(next) || !exists(next))
    {
        start = start_of(p);
    }
    Ok(vec![Edit::deletion(file.path.clone(), start..end)])
}
