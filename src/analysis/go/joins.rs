//! Goroutines and callbacks whose life the starting function bounds: it
//! waits for them (a WaitGroup, an errgroup, a channel they send on or
//! close), or they watch a context the function can cancel. Cancelling that
//! context when the function returns stops only what the function no
//! longer waits for; a `defer cancel()` cannot cut their work short.

use tree_sitter::Node;

use crate::lang::text;

/// Is the goroutine or callback at `site` (inside `func`, using the context
/// `ctx`) bounded by `func`, so that cancelling `ctx` when `func` returns
/// breaks nothing it still needs?
pub fn bounded_by_function(site: Node, func: Node, ctx: &str, src: &str) -> bool {
    let Some(start) = starter(site, func, src) else {
        return false;
    };
    let body = match start {
        Start::Go(g) => go_literal_body(g),
        Start::Group { literal, .. } => literal.child_by_field_name("body"),
    };
    if let Some(b) = body
        && watches_done(b, ctx, src)
    {
        return true;
    }
    joined(start, func, body, src)
}

#[derive(Clone, Copy)]
enum Start<'t> {
    /// `go f(...)` or `go func() {...}()`.
    Go(Node<'t>),
    /// `g.Go(func() error {...})` (errgroup, conc pools, WaitGroup.Go).
    Group { literal: Node<'t>, group: Node<'t> },
}

impl<'t> Start<'t> {
    fn node(self) -> Node<'t> {
        match self {
            Start::Go(g) => g,
            Start::Group { literal, .. } => literal,
        }
    }
}

/// The statement or call that starts the goroutine `site` is in.
fn starter<'t>(site: Node<'t>, func: Node<'t>, src: &str) -> Option<Start<'t>> {
    let mut cur = site;
    while cur.id() != func.id() {
        if cur.kind() == "go_statement" {
            return Some(Start::Go(cur));
        }
        if cur.kind() == "func_literal"
            && let Some(call) = cur
                .parent()
                .filter(|p| p.kind() == "argument_list")
                .and_then(|a| a.parent())
            && let Some(f) = call.child_by_field_name("function")
            && f.kind() == "selector_expression"
            && f.child_by_field_name("field")
                .is_some_and(|m| text(m, src) == "Go")
        {
            return Some(Start::Group {
                literal: cur,
                group: f.child_by_field_name("operand")?,
            });
        }
        cur = cur.parent()?;
    }
    None
}

/// The body of `go func() {...}()`.
fn go_literal_body<'t>(go: Node<'t>) -> Option<Node<'t>> {
    let call = go.named_child(0)?;
    let f = call.child_by_field_name("function")?;
    (f.kind() == "func_literal")
        .then(|| f.child_by_field_name("body"))
        .flatten()
}

/// Does `body` wait on `ctx.Done()`?
fn watches_done(body: Node, ctx: &str, src: &str) -> bool {
    any_node(body, &mut |n| {
        n.kind() == "unary_expression"
            && n.child_by_field_name("operator")
                .is_some_and(|o| text(o, src) == "<-")
            && n.child_by_field_name("operand").is_some_and(|c| {
                c.kind() == "call_expression"
                    && c.child_by_field_name("function")
                        .is_some_and(|f| text(f, src) == format!("{ctx}.Done"))
            })
    })
}

/// Does `func`, after starting the goroutine, wait for it?
fn joined(start: Start, func: Node, body: Option<Node>, src: &str) -> bool {
    let begin = start.node().end_byte();
    let after = |n: Node| n.start_byte() >= begin && !inside(n, start.node());
    // What the goroutine may signal on: every name it mentions (a WaitGroup
    // it calls Done on, a channel it sends on, closes, or hands to a call
    // that does; the receiver of `go tracker.Run(ctx)`).
    let mut signals: Vec<String> = Vec::new();
    match start {
        Start::Group { group, .. } => {
            // The group itself: `g.Wait()`.
            return any_node(func, &mut |n| {
                after(n) && is_method_call(n, text(group, src), "Wait", src)
            });
        }
        Start::Go(g) => {
            let scan = body.unwrap_or(g);
            any_node(scan, &mut |n| {
                if n.kind() == "identifier" {
                    signals.push(text(n, src).to_string());
                }
                false
            });
        }
    }
    if signals.is_empty() {
        return false;
    }
    any_node(func, &mut |n| {
        if !after(n) {
            return false;
        }
        signals
            .iter()
            .any(|s| is_method_call(n, s, "Wait", src) || receives_from(n, s, src))
    })
}

/// `name.method(...)`.
fn is_method_call(n: Node, name: &str, method: &str, src: &str) -> bool {
    n.kind() == "call_expression"
        && n.child_by_field_name("function").is_some_and(|f| {
            f.kind() == "selector_expression"
                && f.child_by_field_name("field")
                    .is_some_and(|m| text(m, src) == method)
                && f.child_by_field_name("operand")
                    .is_some_and(|o| text(o, src) == name)
        })
}

/// `<-ch` or `range ch`.
fn receives_from(n: Node, ch: &str, src: &str) -> bool {
    match n.kind() {
        "unary_expression" => {
            n.child_by_field_name("operator")
                .is_some_and(|o| text(o, src) == "<-")
                && n.child_by_field_name("operand")
                    .is_some_and(|o| text(o, src) == ch)
        }
        "range_clause" => n
            .child_by_field_name("right")
            .is_some_and(|o| text(o, src) == ch),
        _ => false,
    }
}

fn inside(n: Node, outer: Node) -> bool {
    n.start_byte() >= outer.start_byte() && n.end_byte() <= outer.end_byte()
}

/// Visits `n` and its descendants until `f` says true.
fn any_node(n: Node, f: &mut dyn FnMut(Node) -> bool) -> bool {
    let mut cursor = n.walk();
    let mut stack = vec![n];
    while let Some(x) = stack.pop() {
        if f(x) {
            return true;
        }
        for c in x.named_children(&mut cursor) {
            stack.push(c);
        }
    }
    false
}
