//! The fix: one slot in the channel for every send that can happen.

use tree_sitter::Node;

use super::find::Sender;
use crate::analysis::go::GoFile;
use crate::analysis::go::channels::{LocalChannel, Runs};
use crate::analysis::go::contexts::declaration_of_name;
use crate::fix::{Edit, Fix};
use crate::lang::go::{is_written, named_children_no_comments};
use crate::lang::text;

/// `make(chan T)` -> `make(chan T, N)`, N the number of sends.
pub(super) fn capacity_fix(
    file: &GoFile,
    ch: &LocalChannel,
    owner: Node,
    senders: &[Sender],
) -> Result<Fix, String> {
    let src = file.text();
    let name = ch.name(src);
    let mut constant = 0usize;
    let mut terms: Vec<String> = Vec::new();
    for s in senders {
        match (&s.runs, s.lp) {
            (Runs::Once, _) => constant += 1,
            (Runs::Times(t), _) if t.parse::<usize>().is_ok() => {
                constant += t.parse::<usize>().unwrap_or(0)
            }
            (Runs::Times(t), Some(lp)) => {
                stable_between(file, ch.make, lp, owner)?;
                terms.push(t.clone());
            }
            _ => {
                return Err(format!(
                    "leakfix cannot tell how many goroutines the loop at line {} starts; give `{name}` a slot for each, or send in a `select` that also returns on `<-ctx.Done()`",
                    s.lp.map_or(s.go, |l| l).start_position().row + 1
                ));
            }
        }
    }
    if constant > 0 || terms.is_empty() {
        terms.push(constant.to_string());
    }
    let capacity = terms.join(" + ");
    let args = ch
        .make
        .child_by_field_name("arguments")
        .ok_or("no arguments")?;
    if text(args, src).contains('\n') {
        return Err("the `make` call spans several lines".into());
    }
    let path = file.parsed.path.clone();
    let edit = match ch.capacity {
        Some(c) => Edit::replacement(path.clone(), c.byte_range(), capacity.clone()),
        None => {
            let ty = named_children_no_comments(args)
                .first()
                .copied()
                .ok_or("an empty `make`")?;
            Edit::insertion(path.clone(), ty.end_byte(), format!(", {capacity}"))
        }
    };
    let ty = named_children_no_comments(args)
        .first()
        .map(|t| text(*t, src))
        .unwrap_or("chan");
    let title = format!("give `{name}` room for every send: `make({ty}, {capacity})`");
    if let Some(odd) = senders.iter().flat_map(|s| &s.odd_defers).next() {
        return Err(format!(
            "the goroutine runs `{odd}` after its send; with room in `{name}` it would run before the value is received, not after (buffer `{name}` by hand to `{capacity}` if that does not matter)"
        ));
    }
    // The engine lines up trailing comments after it, as gofmt does.
    Ok(Fix::safe(title, vec![edit]).with_claim(path, ch.make.byte_range()))
}

/// The names the loop's count uses mean the same at the `make` as where
/// the loop starts, and nothing assigns them in between.
fn stable_between(file: &GoFile, make: Node, lp: Node, owner: Node) -> Result<(), String> {
    let src = file.text();
    let Some(expr) = count_expr(lp) else {
        return Err("the loop's count cannot be found".into());
    };
    let mut stack = vec![expr];
    while let Some(n) = stack.pop() {
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
        if n.kind() != "identifier" || text(n, src) == "len" {
            continue;
        }
        let name = text(n, src);
        let at_make = declaration_of_name(make, name, src).map(|(_, d)| d.id());
        let at_loop = declaration_of_name(lp, name, src).map(|(_, d)| d.id());
        if at_make != at_loop {
            return Err(format!(
                "`{name}`, which counts the goroutines, is declared after the channel is made"
            ));
        }
        let mut ids = vec![owner];
        while let Some(x) = ids.pop() {
            if x.kind() == "identifier"
                && text(x, src) == name
                && x.start_byte() > make.end_byte()
                && x.end_byte() < lp.start_byte()
                && is_written(x)
            {
                return Err(format!(
                    "`{name}`, which counts the goroutines, changes between the `make` and the loop"
                ));
            }
            if x.end_byte() < make.end_byte() || x.start_byte() > lp.start_byte() {
                continue;
            }
            let mut c = x.walk();
            ids.extend(x.named_children(&mut c));
        }
    }
    Ok(())
}

/// The expression a loop header counts with: `xs` in `range xs`, `n` in
/// `i < n`.
fn count_expr(lp: Node) -> Option<Node> {
    let mut c = lp.walk();
    let clause = lp
        .named_children(&mut c)
        .find(|n| n.kind() != "block" && n.kind() != "comment")?;
    match clause.kind() {
        "range_clause" => clause.child_by_field_name("right"),
        "for_clause" => clause
            .child_by_field_name("condition")?
            .child_by_field_name("right"),
        _ => None,
    }
}
