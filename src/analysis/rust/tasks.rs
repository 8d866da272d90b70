//! Facts about background work: whether spawned code can ever end, and
//! whether a function builds a value of its `impl`'s type (a constructor,
//! whose spawned tasks belong to what it returns).

use tree_sitter::Node;

use super::items::impl_type;
use super::{RustFile, visit};
use crate::lang::text;

/// The code a spawn runs: an `async` block's or a closure's body, or the
/// body of a function in the file called to make the future
/// (`tokio::spawn(refresh(inner))`, `tokio::spawn(Self::run(inner))`).
/// Returns the body and, for a named function, its name.
pub fn spawned_body<'t>(file: &'t RustFile, arg: Node<'t>) -> Option<(Node<'t>, Option<String>)> {
    let src = file.text();
    match arg.kind() {
        "async_block" => {
            let mut c = arg.walk();
            let block = arg.named_children(&mut c).find(|b| b.kind() == "block")?;
            Some((block, None))
        }
        "closure_expression" => Some((arg.child_by_field_name("body")?, None)),
        "call_expression" => {
            let f = arg.child_by_field_name("function")?;
            let name = match f.kind() {
                "identifier" => text(f, src),
                "scoped_identifier" => {
                    let path = f.child_by_field_name("path").map(|p| text(p, src));
                    // Only `Self::f` or a function of this file by its bare name.
                    if path != Some("Self") {
                        return None;
                    }
                    text(f.child_by_field_name("name")?, src)
                }
                _ => return None,
            };
            let mut found = None;
            visit(file.root(), &mut |n| {
                if found.is_none()
                    && n.kind() == "function_item"
                    && n.child_by_field_name("name")
                        .is_some_and(|x| text(x, src) == name)
                {
                    found = n.child_by_field_name("body");
                }
            });
            Some((found?, Some(name.to_string())))
        }
        _ => None,
    }
}

/// A loop in `body` that nothing ends: no `break`, `return` or `?` inside
/// it (also none written inside a macro, whose code leakfix cannot parse),
/// and it runs unconditionally (`loop`, `while true`). `None` when every
/// loop can end, or the body can return before reaching one.
pub fn endless_loop<'t>(body: Node<'t>, src: &str) -> Option<Node<'t>> {
    let mut found = None;
    walk_same_body(body, &mut |n| {
        if found.is_some() {
            return;
        }
        let endless = match n.kind() {
            "loop_expression" => true,
            "while_expression" => n
                .child_by_field_name("condition")
                .is_some_and(|c| text(c, src).trim() == "true"),
            _ => false,
        };
        if endless && !can_exit(n, src) {
            found = Some(n);
        }
    });
    found
}

/// Can control leave `lp` (a `break` to it or an outer loop, a `return`,
/// a `?`, or any of these inside a macro)?
fn can_exit(lp: Node, src: &str) -> bool {
    let mut exits = false;
    let body = lp.child_by_field_name("body");
    let Some(body) = body else { return true };
    walk_same_body(body, &mut |n| match n.kind() {
        "return_expression" | "try_expression" => exits = true,
        "break_expression" => {
            // A `break` inside a nested loop leaves that loop only, unless labelled.
            let labelled = {
                let mut c = n.walk();
                n.named_children(&mut c).any(|x| x.kind() == "label")
            };
            let mut cur = n.parent();
            let mut inner_loop = false;
            while let Some(p) = cur {
                if p.id() == lp.id() {
                    break;
                }
                if matches!(
                    p.kind(),
                    "loop_expression" | "while_expression" | "for_expression"
                ) {
                    inner_loop = true;
                }
                cur = p.parent();
            }
            if labelled || !inner_loop {
                exits = true;
            }
        }
        "macro_invocation" => {
            let t = text(n, src);
            let name = n
                .child_by_field_name("macro")
                .map(|m| text(m, src))
                .unwrap_or("");
            if t.contains("break")
                || t.contains("return")
                || t.contains('?')
                || matches!(name, "panic" | "unreachable" | "todo" | "unimplemented")
            {
                exits = true;
            }
        }
        "call_expression" => {
            let f = n
                .child_by_field_name("function")
                .map(|f| text(f, src))
                .unwrap_or("");
            if f.ends_with("process::exit") || f == "exit" {
                exits = true;
            }
        }
        _ => {}
    });
    exits
}

/// Visits `n` without entering closures, functions and async blocks.
fn walk_same_body<'t>(n: Node<'t>, f: &mut dyn FnMut(Node<'t>)) {
    f(n);
    let mut c = n.walk();
    let kids: Vec<Node> = n.named_children(&mut c).collect();
    for k in kids {
        if !matches!(
            k.kind(),
            "closure_expression" | "function_item" | "async_block"
        ) {
            walk_same_body(k, f);
        }
    }
}

/// The type `f` constructs, when it is a function of `impl T` that returns
/// `Self` or `T` (also inside `Arc`, `Rc`, `Box`, `Option`, `Result`).
pub fn constructs(f: Node, src: &str) -> Option<String> {
    let ty = impl_type(f, src)?;
    let ret = f.child_by_field_name("return_type")?;
    let t: String = text(ret, src)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let mut inner = t.as_str();
    loop {
        let head = inner.split('<').next().unwrap_or(inner);
        let last = head.rsplit("::").next().unwrap_or(head);
        if inner == "Self" || inner == ty || last == ty && !inner.contains('<') {
            return Some(ty);
        }
        if matches!(last, "Arc" | "Rc" | "Box" | "Option" | "Result")
            && let Some(args) = inner.split_once('<').and_then(|(_, a)| a.strip_suffix('>'))
        {
            // The first generic argument.
            let mut depth = 0;
            let end = args
                .char_indices()
                .find(|(_, c)| {
                    match c {
                        '<' | '(' => depth += 1,
                        '>' | ')' => depth -= 1,
                        _ => {}
                    }
                    *c == ',' && depth == 0
                })
                .map(|(i, _)| i)
                .unwrap_or(args.len());
            inner = &args[..end];
            continue;
        }
        return None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::rust::test_support::{file, function_named as body_of};

    #[test]
    fn endless_loops() {
        let f = file(
            "fn a() { loop { tick(); } }\nfn b() { loop { if x { break; } } }\nfn c() { loop { let v = rx.recv()?; } }\nfn d() { while let Some(x) = rx.recv() {} }\nfn e() { loop { tokio::select! { _ = t.cancelled() => break, } } }\nfn g() { loop { for x in y { break; } } }\n",
        );
        let src = f.text();
        for (name, endless) in [
            ("a", true),
            ("b", false),
            ("c", false),
            ("d", false),
            ("e", false),
            ("g", true),
        ] {
            let body = body_of(&f, name).child_by_field_name("body").unwrap();
            assert_eq!(endless_loop(body, src).is_some(), endless, "{name}");
        }
    }

    #[test]
    fn constructors() {
        let f = file(
            "impl Cache {\n    fn new() -> Self {}\n    fn open() -> std::io::Result<Arc<Cache>> {}\n    fn get(&self) -> u8 {}\n}\n",
        );
        let src = f.text();
        assert_eq!(
            constructs(body_of(&f, "new"), src).as_deref(),
            Some("Cache")
        );
        assert_eq!(
            constructs(body_of(&f, "open"), src).as_deref(),
            Some("Cache")
        );
        assert_eq!(constructs(body_of(&f, "get"), src), None);
    }
}
