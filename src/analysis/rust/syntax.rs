//! Questions about Rust syntax that the rules share: the function (or
//! closure) a node runs in, whether `.await` and `?` are available there,
//! loops, blocks and their ends, local bindings, and which functions run per
//! request (web handlers, `service_fn` closures, request-like parameters).

use tree_sitter::Node;

use super::RustFile;
use crate::lang::text;

/// Nodes that own a body: code in them runs when they are called.
pub fn is_body_owner(n: Node) -> bool {
    matches!(n.kind(), "function_item" | "closure_expression")
}

/// The nearest function or closure around `node`.
pub fn body_owner(node: Node) -> Option<Node> {
    let mut cur = node.parent();
    while let Some(n) = cur {
        if is_body_owner(n) {
            return Some(n);
        }
        cur = n.parent();
    }
    None
}

/// The nearest `fn` item around `node` (through closures).
pub fn enclosing_fn_item(node: Node) -> Option<Node> {
    let mut cur = node.parent();
    while let Some(n) = cur {
        if n.kind() == "function_item" {
            return Some(n);
        }
        cur = n.parent();
    }
    None
}

pub fn is_async_fn(f: Node, src: &str) -> bool {
    let mut c = f.walk();
    f.children(&mut c).any(|ch| {
        ch.kind() == "function_modifiers" && text(ch, src).split_whitespace().any(|w| w == "async")
    })
}

fn is_async_closure(f: Node, src: &str) -> bool {
    let t = text(f, src);
    t.starts_with("async ") || t.starts_with("async|")
}

/// Can `node` use `.await` (is it directly inside an async fn, async closure
/// or async block)?
pub fn in_async_context(node: Node, src: &str) -> bool {
    let mut cur = node.parent();
    while let Some(n) = cur {
        match n.kind() {
            "async_block" => return true,
            "closure_expression" => return is_async_closure(n, src),
            "function_item" => return is_async_fn(n, src),
            _ => {}
        }
        cur = n.parent();
    }
    false
}

/// The innermost loop around `node` whose body (not its header) contains it,
/// within the same function or closure.
pub fn enclosing_loop<'t>(node: Node<'t>) -> Option<Node<'t>> {
    let mut cur = node;
    while let Some(p) = cur.parent() {
        if is_body_owner(p) {
            return None;
        }
        if matches!(
            p.kind(),
            "for_expression" | "while_expression" | "loop_expression"
        ) && p
            .child_by_field_name("body")
            .is_some_and(|b| b.id() == cur.id())
        {
            return Some(p);
        }
        cur = p;
    }
    None
}

/// The ancestor of `node` that is an item of a block: a statement or the
/// block's tail expression.
pub fn statement_of(node: Node) -> Option<Node> {
    let mut cur = node;
    loop {
        let p = cur.parent()?;
        if p.kind() == "block" {
            return Some(cur);
        }
        if is_body_owner(p) {
            return None;
        }
        cur = p;
    }
}

const STATEMENT_KINDS: [&str; 4] = [
    "let_declaration",
    "expression_statement",
    "empty_statement",
    "macro_invocation",
];

/// The non-comment items of a block.
pub fn block_items(block: Node) -> Vec<Node> {
    let mut c = block.walk();
    block
        .named_children(&mut c)
        .filter(|n| !matches!(n.kind(), "line_comment" | "block_comment" | "label"))
        .collect()
}

/// The block's value: its last item when that is an expression without `;`.
pub fn block_tail(block: Node) -> Option<Node> {
    let last = block_items(block).into_iter().last()?;
    if STATEMENT_KINDS.contains(&last.kind())
        || last.kind().ends_with("_item")
        || last.kind() == "attribute_item"
    {
        return None;
    }
    // `macro!(...)` without `;` as the last item is a tail expression, but a
    // block-like expression statement (`if`, `match`, `for`) without `;` is
    // the tail only when it is last, which it is.
    Some(last)
}

/// Is `inner` inside `outer` (or the same node)?
pub fn contains(outer: Node, inner: Node) -> bool {
    outer.start_byte() <= inner.start_byte() && inner.end_byte() <= outer.end_byte()
}

/// Names bound by a pattern.
pub fn pattern_names<'t>(pat: Node<'t>, src: &str, out: &mut Vec<(String, Node<'t>)>) {
    match pat.kind() {
        "identifier" => out.push((text(pat, src).to_string(), pat)),
        // `Some(x)`, `S { a, b: c }`: the path part binds nothing.
        "scoped_identifier" | "type_identifier" | "field_identifier" => {}
        "field_pattern" => {
            if let Some(p) = pat.child_by_field_name("pattern") {
                pattern_names(p, src, out);
            } else if let Some(n) = pat.child_by_field_name("name") {
                out.push((text(n, src).to_string(), n));
            }
        }
        _ => {
            let mut c = pat.walk();
            let children: Vec<Node> = pat.named_children(&mut c).collect();
            for ch in children {
                if pat.kind() == "tuple_struct_pattern"
                    && pat
                        .child_by_field_name("type")
                        .is_some_and(|t| t.id() == ch.id())
                {
                    continue;
                }
                pattern_names(ch, src, out);
            }
        }
    }
}

/// How code leaves a scope before its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitKind {
    /// `return value`; `error` when the value is written `Err(..)`.
    Return { error: bool },
    /// `break` or `continue` out of a loop around the scope.
    Loop,
}

/// The ways out of `block` after byte `from`, other than its end and `?`:
/// `return`s (not in nested closures, functions or async blocks) and
/// `break`/`continue` whose loop is outside the block.
pub fn early_exits<'t>(block: Node<'t>, from: usize, src: &str) -> Vec<(Node<'t>, ExitKind)> {
    let mut out = Vec::new();
    for item in block_items(block) {
        if item.end_byte() <= from {
            continue;
        }
        walk_exits(item, block, src, &mut out);
    }
    out
}

fn walk_exits<'t>(n: Node<'t>, block: Node<'t>, src: &str, out: &mut Vec<(Node<'t>, ExitKind)>) {
    match n.kind() {
        "closure_expression" | "function_item" | "async_block" => return,
        "return_expression" => {
            let error = n
                .named_child(0)
                .is_some_and(|v| text(v, src).starts_with("Err("));
            out.push((n, ExitKind::Return { error }));
        }
        "break_expression" | "continue_expression" => {
            // Which loop it leaves: a label names one; otherwise the innermost.
            let label = {
                let mut c = n.walk();
                n.named_children(&mut c)
                    .find(|x| x.kind() == "label")
                    .map(|l| text(l, src).to_string())
            };
            let mut cur = n.parent();
            let mut target = None;
            while let Some(p) = cur {
                if is_body_owner(p) || p.kind() == "async_block" {
                    break;
                }
                if matches!(
                    p.kind(),
                    "loop_expression" | "while_expression" | "for_expression"
                ) {
                    let own = {
                        let mut c = p.walk();
                        p.named_children(&mut c)
                            .find(|x| x.kind() == "label")
                            .map(|l| text(l, src).to_string())
                    };
                    if label.is_none() || label == own {
                        target = Some(p);
                        break;
                    }
                }
                cur = p.parent();
            }
            if target.is_some_and(|t| !contains(block, t)) {
                out.push((n, ExitKind::Loop));
            }
        }
        _ => {}
    }
    let mut c = n.walk();
    let kids: Vec<Node> = n.named_children(&mut c).collect();
    for k in kids {
        walk_exits(k, block, src, out);
    }
}

/// The name a `let` binds when its pattern is a plain (possibly `mut`) identifier.
pub fn simple_binding(stmt: Node, src: &str) -> Option<String> {
    let pat = stmt.child_by_field_name("pattern")?;
    if pat.kind() != "identifier" {
        return None;
    }
    let mut names = Vec::new();
    pattern_names(pat, src, &mut names);
    names.into_iter().next().map(|(n, _)| n)
}

/// Is the `let` declared `mut`?
pub fn is_mut_let(decl: Node) -> bool {
    let mut c = decl.walk();
    decl.children(&mut c)
        .any(|n| n.kind() == "mutable_specifier")
}

/// Every name bound inside `owner` (parameters, `let`, `for`, `if let`,
/// `match` arms, closure parameters) together with the binding node.
pub fn local_bindings<'t>(owner: Node<'t>, src: &str) -> Vec<(String, Node<'t>)> {
    let mut out = Vec::new();
    super::visit(owner, &mut |n| {
        let pat = match n.kind() {
            "parameter" | "let_declaration" | "let_condition" | "for_expression"
            | "match_pattern" => n.child_by_field_name("pattern"),
            "closure_parameters" => {
                let mut c = n.walk();
                let kids: Vec<Node> = n.named_children(&mut c).collect();
                for k in kids {
                    let p = if k.kind() == "parameter" {
                        k.child_by_field_name("pattern")
                    } else {
                        Some(k)
                    };
                    if let Some(p) = p {
                        pattern_names(p, src, &mut out);
                    }
                }
                None
            }
            "self_parameter" => {
                out.push(("self".to_string(), n));
                None
            }
            _ => None,
        };
        if let Some(p) = pat {
            pattern_names(p, src, &mut out);
        }
    });
    out
}

/// The outermost function item around `node` (locals of every enclosing
/// closure and function live in it).
pub fn outermost_fn<'t>(node: Node<'t>) -> Option<Node<'t>> {
    let mut found = None;
    let mut cur = node.parent();
    while let Some(n) = cur {
        if n.kind() == "function_item" {
            found = Some(n);
        }
        cur = n.parent();
    }
    found
}

/// Identifiers an expression reads as values (locals, consts, statics), and
/// names written as `{name}` inside a macro's format string.
pub fn value_identifiers<'t>(expr: Node<'t>, src: &str) -> Vec<(String, Node<'t>)> {
    let mut out = Vec::new();
    super::visit(expr, &mut |n| match n.kind() {
        "identifier" | "self" => {
            let p = n.parent();
            let in_path = p.is_some_and(|p| {
                p.kind() == "scoped_identifier"
                    || p.kind() == "scoped_type_identifier"
                    || (p.kind() == "macro_invocation"
                        && p.child_by_field_name("macro")
                            .is_some_and(|m| m.id() == n.id()))
            });
            if !in_path {
                out.push((text(n, src).to_string(), n));
            }
        }
        "string_content"
            if n.parent()
                .and_then(|p| p.parent())
                .is_some_and(|g| g.kind() == "token_tree") =>
        {
            let s = text(n, src);
            let mut rest = s;
            while let Some(open) = rest.find('{') {
                let after = &rest[open + 1..];
                let name: String = after
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && !name.chars().next().unwrap().is_ascii_digit() {
                    out.push((name, n));
                }
                rest = after;
            }
        }
        _ => {}
    });
    out
}

/// `returns_io_compatible_result`, also through `use anyhow::Result;` or
/// `use std::io::Result;` (a one-argument `Result<T>`).
pub fn returns_io_error(file: &RustFile, f: Node) -> bool {
    let src = file.text();
    if returns_io_compatible_result(f, src) {
        return true;
    }
    let Some(ret) = f.child_by_field_name("return_type") else {
        return false;
    };
    let t: String = text(ret, src)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let Some(args) = t.strip_prefix("Result<") else {
        return false;
    };
    let mut depth = 0;
    let one_arg = !args.trim_end_matches('>').chars().any(|c| {
        match c {
            '<' | '(' => depth += 1,
            '>' | ')' => depth -= 1,
            _ => {}
        }
        c == ',' && depth == 0
    });
    let resolved = file.resolve("Result", ret.start_byte());
    one_arg
        && matches!(
            resolved.as_str(),
            "anyhow::Result"
                | "std::io::Result"
                | "eyre::Result"
                | "color_eyre::Result"
                | "color_eyre::eyre::Result"
        )
}

/// Does the function's declared return type accept a `std::io::Error` with `?`?
pub fn returns_io_compatible_result(f: Node, src: &str) -> bool {
    let Some(ret) = f.child_by_field_name("return_type") else {
        return false;
    };
    let t: String = text(ret, src)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let io = [
        "io::Result<",
        "std::io::Result<",
        "anyhow::Result<",
        "eyre::Result<",
        "color_eyre::Result<",
    ];
    if io.iter().any(|p| t.starts_with(p)) {
        return true;
    }
    if let Some(inner) = t
        .strip_prefix("Result<")
        .or_else(|| t.strip_prefix("std::result::Result<"))
    {
        let err = inner
            .rsplit_once(',')
            .map(|(_, e)| e.trim_end_matches('>'))
            .unwrap_or("");
        return matches!(
            err,
            "io::Error" | "std::io::Error" | "anyhow::Error" | "eyre::Report"
        ) || (err.starts_with("Box<dyn") && err.contains("Error"));
    }
    false
}

/// The attributes written right before an item.
pub fn attributes<'t>(item: Node<'t>, src: &'t str) -> Vec<String> {
    let mut out = Vec::new();
    let mut prev = item.prev_sibling();
    while let Some(p) = prev {
        match p.kind() {
            "attribute_item" => out.push(
                text(p, src)
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect(),
            ),
            "line_comment" | "block_comment" => {}
            _ => break,
        }
        prev = p.prev_sibling();
    }
    out
}

/// Is `node` compiled only for Windows (`#[cfg(windows)]`,
/// `#[cfg(target_os = "windows")]` on it or on an item, statement or block
/// around it)?
pub fn windows_only(node: Node, src: &str) -> bool {
    let mut cur = Some(node);
    while let Some(n) = cur {
        for a in attributes(n, src) {
            let a = a.replace(' ', "");
            let Some(pred) = a.strip_prefix("#[cfg(").and_then(|p| p.strip_suffix(")]")) else {
                continue;
            };
            // `windows`, or `all(.., windows, ..)`: what `not(..)` says is left out.
            let pred = pred
                .strip_prefix("all(")
                .and_then(|p| p.strip_suffix(')'))
                .unwrap_or(pred);
            if pred.starts_with("any(") {
                continue;
            }
            let mut depth = 0;
            let mut part = String::new();
            let mut parts = Vec::new();
            for c in pred.chars() {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    ',' if depth == 0 => {
                        parts.push(std::mem::take(&mut part));
                        continue;
                    }
                    _ => {}
                }
                part.push(c);
            }
            parts.push(part);
            if parts
                .iter()
                .any(|p| p == "windows" || p == "target_os=\"windows\"")
            {
                return true;
            }
        }
        cur = n.parent();
    }
    false
}

/// Why code in `owner` runs per call, and whether that is because it serves
/// requests (a handler) rather than only because it takes arguments.
pub struct PerCall {
    pub why: String,
    pub handler: bool,
}

/// Why code in `owner` (a function or closure) runs once per request or
/// per call, if it does.
pub fn per_call(file: &RustFile, owner: Node) -> Option<PerCall> {
    let src = file.text();
    let f = if owner.kind() == "function_item" {
        Some(owner)
    } else {
        enclosing_fn_item(owner)
    };
    let name = f
        .and_then(|f| f.child_by_field_name("name"))
        .map(|n| text(n, src))
        .unwrap_or("");
    // Called only from `main`: once, whatever its parameters are called.
    if f.is_some_and(|f| runs_once_from_main(file, f, name)) && owner.kind() == "function_item" {
        return None;
    }
    if let Some(why) = per_request_reason(file, owner) {
        return Some(PerCall { why, handler: true });
    }
    let f = f?;
    takes_arguments(f, name).map(|why| PerCall {
        why,
        handler: false,
    })
}

/// A private free function that the file calls only from `main`, outside
/// loops: it runs once, at startup, whatever arguments it takes.
fn runs_once_from_main(file: &RustFile, f: Node, name: &str) -> bool {
    let src = file.text();
    let private = {
        let mut c = f.walk();
        !f.children(&mut c)
            .any(|ch| ch.kind() == "visibility_modifier")
    };
    let free = f.parent().is_some_and(|p| p.kind() == "source_file");
    if !private || !free || name.is_empty() {
        return false;
    }
    let mut calls = 0;
    let mut elsewhere = false;
    super::visit(file.root(), &mut |n| {
        if n.kind() != "identifier"
            || text(n, src) != name
            || n.id() == f.child_by_field_name("name").map(|x| x.id()).unwrap_or(0)
        {
            return;
        }
        let called = n.parent().is_some_and(|p| {
            p.kind() == "call_expression"
                && p.child_by_field_name("function")
                    .is_some_and(|x| x.id() == n.id())
        });
        let in_main = outermost_fn(n)
            .and_then(|m| m.child_by_field_name("name"))
            .is_some_and(|m| text(m, src) == "main");
        if called && in_main && enclosing_loop(n).is_none() {
            calls += 1;
        } else {
            elsewhere = true;
        }
    });
    calls >= 1 && !elsewhere
}

/// Why code in `owner` (a function or closure) runs once per request, if it does.
pub fn per_request_reason(file: &RustFile, owner: Node) -> Option<String> {
    let src = file.text();
    let mut cur = Some(owner);
    while let Some(o) = cur {
        match o.kind() {
            "closure_expression" => {
                if let Some(why) = closure_handler(file, o) {
                    return Some(why);
                }
            }
            "function_item" => {
                if let Some(why) = fn_handler(file, o) {
                    return Some(why);
                }
                let name = o
                    .child_by_field_name("name")
                    .map(|n| text(n, src))
                    .unwrap_or("");
                if let Some(why) = registered_as_handler(file, name) {
                    return Some(why);
                }
                return None; // an inner fn item does not run per call of its outer one
            }
            _ => {}
        }
        cur = body_owner(o);
    }
    None
}

/// A function that takes arguments is called with different ones each
/// time: whatever it builds and drops, it builds per call. Functions whose
/// name says they set things up (`new`, `init`, `connect`, `run`...) and
/// `main` are left out: they run once, or build what they return.
fn takes_arguments(f: Node, name: &str) -> Option<String> {
    const SETUP: [&str; 14] = [
        "main", "new", "init", "setup", "build", "make", "create", "connect", "start", "run",
        "with_", "from_", "default", "open",
    ];
    if SETUP.iter().any(|p| {
        name == *p
            || name.starts_with(&format!("{}_", p.trim_end_matches('_')))
            || (p.ends_with('_') && name.starts_with(p))
    }) {
        return None;
    }
    let params = f.child_by_field_name("parameters")?;
    let mut c = params.walk();
    let n = params
        .named_children(&mut c)
        .filter(|p| matches!(p.kind(), "parameter" | "self_parameter"))
        .count();
    (n > 0).then(|| format!("`{name}`, which runs once per call"))
}

const ROUTE_ATTRS: [&str; 10] = [
    "get",
    "post",
    "put",
    "delete",
    "patch",
    "head",
    "options",
    "route",
    "handler",
    "lambda_runtime",
];

fn fn_handler(file: &RustFile, f: Node) -> Option<String> {
    let src = file.text();
    for a in attributes(f, src) {
        let inner = a.trim_start_matches("#[").trim_end_matches(']');
        let name = inner.split(['(', ']']).next().unwrap_or("");
        let last = name.rsplit("::").next().unwrap_or(name);
        if ROUTE_ATTRS.contains(&last) {
            return Some(format!("a request handler (`#[{name}]`)"));
        }
    }
    let params = f.child_by_field_name("parameters")?;
    let mut c = params.walk();
    for p in params.named_children(&mut c) {
        if p.kind() != "parameter" {
            continue;
        }
        let pname = p
            .child_by_field_name("pattern")
            .map(|n| text(n, src))
            .unwrap_or("");
        let Some(ty) = p.child_by_field_name("type") else {
            continue;
        };
        if let Some(why) = request_like_type(file, ty) {
            return Some(format!(
                "a function with a request-like parameter (`{pname}: {why}`)"
            ));
        }
        if matches!(pname, "req" | "request" | "mut req" | "mut request") {
            return Some(format!(
                "a function with a request-like parameter (`{pname}`)"
            ));
        }
    }
    None
}

/// Request and extractor types of the web and serverless frameworks.
fn request_like_type(file: &RustFile, ty: Node) -> Option<String> {
    let src = file.text();
    let written = text(ty, src)
        .trim_start_matches('&')
        .trim_start_matches("mut ")
        .trim();
    let head = written.split('<').next().unwrap_or(written).trim();
    let resolved = file.resolve(head, ty.start_byte());
    let last = resolved.rsplit("::").next().unwrap_or(&resolved);
    let framework = [
        "axum",
        "actix_web",
        "warp",
        "rocket",
        "lambda_runtime",
        "lambda_http",
        "aws_lambda_events",
        "hyper",
        "http",
        "poem",
        "tide",
    ];
    let from_framework = framework
        .iter()
        .any(|f| resolved.starts_with(&format!("{f}::")));
    let always = last.ends_with("Request")
        || last == "LambdaEvent"
        || (last.ends_with("Event") && last.len() > 5);
    let extractor = matches!(
        last,
        "Json"
            | "Query"
            | "Path"
            | "Form"
            | "State"
            | "Extension"
            | "Multipart"
            | "Data"
            | "HeaderMap"
            | "TypedHeader"
    );
    (always || (extractor && from_framework)).then(|| written.to_string())
}

/// A closure passed to `service_fn(...)` or a warp filter's `map`/`and_then`.
fn closure_handler(file: &RustFile, c: Node) -> Option<String> {
    let src = file.text();
    let args = c.parent().filter(|p| p.kind() == "arguments")?;
    let call = args.parent().filter(|p| p.kind() == "call_expression")?;
    let func = call.child_by_field_name("function")?;
    let callee = text(func, src);
    let last = callee.rsplit("::").next().unwrap_or(callee);
    if last == "service_fn" || last == "service_fn_ok" {
        return Some("a `service_fn` closure, run per request".into());
    }
    if func.kind() == "field_expression" {
        let method = func
            .child_by_field_name("field")
            .map(|f| text(f, src))
            .unwrap_or("");
        let recv = func
            .child_by_field_name("value")
            .map(|v| text(v, src))
            .unwrap_or("");
        if matches!(method, "map" | "and_then" | "then") && recv.contains("warp::") {
            return Some("a warp filter closure, run per request".into());
        }
    }
    None
}

const ROUTING_CALLS: [&str; 14] = [
    "get",
    "post",
    "put",
    "delete",
    "patch",
    "head",
    "options",
    "any",
    "on",
    "to",
    "service_fn",
    "and_then",
    "route",
    "handler_fn",
];

/// Is a function named `name` passed to a router or `service_fn` in this file?
fn registered_as_handler(file: &RustFile, name: &str) -> Option<String> {
    if name.is_empty() || name == "main" {
        return None;
    }
    let src = file.text();
    let mut found = None;
    super::visit(file.root(), &mut |n| {
        if found.is_some() || n.kind() != "call_expression" {
            return;
        }
        let Some(func) = n.child_by_field_name("function") else {
            return;
        };
        let callee = match func.kind() {
            "field_expression" => func
                .child_by_field_name("field")
                .map(|f| text(f, src))
                .unwrap_or(""),
            _ => {
                let t = text(func, src);
                t.rsplit("::").next().unwrap_or(t)
            }
        };
        if !ROUTING_CALLS.contains(&callee) {
            return;
        }
        let Some(args) = n.child_by_field_name("arguments") else {
            return;
        };
        let mut c = args.walk();
        let hit = args.named_children(&mut c).any(|a| {
            let t = text(a, src);
            (a.kind() == "identifier" || a.kind() == "scoped_identifier")
                && t.rsplit("::").next() == Some(name)
        });
        if hit {
            found = Some(format!("a request handler (passed to `{callee}(...)`)"));
        }
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::rust::test_support::file;

    fn node_at<'t>(f: &'t RustFile, needle: &str) -> Node<'t> {
        let at = f.text().find(needle).unwrap();
        f.root()
            .descendant_for_byte_range(at, at + needle.len())
            .unwrap()
    }

    #[test]
    fn handlers_are_recognised() {
        let f = file(
            "use axum::extract::Json;\nasync fn h(Json(b): Json<B>) { X }\nasync fn r() { Y }\nfn app() { Router::new().route(\"/\", get(r)); }\nfn new(path: &Path) { Z }\nfn q(n: u8) { V }\nfn l() { lambda_runtime::service_fn(|e| async move { W }); }\n",
        );
        for (needle, handler, per) in [
            ("X", true, true),
            ("Y", true, true),
            ("Z", false, false),
            ("W", true, true),
            ("V", false, true),
        ] {
            let n = node_at(&f, needle);
            let owner = body_owner(n).unwrap();
            assert_eq!(per_request_reason(&f, owner).is_some(), handler, "{needle}");
            assert_eq!(per_call(&f, owner).is_some(), per, "{needle}");
        }
    }

    #[test]
    fn async_context_and_loops() {
        let f = file("async fn a() { for x in xs { A } let c = || { B }; async { C }; }\n");
        let src = f.text();
        assert!(in_async_context(node_at(&f, "A"), src));
        assert!(!in_async_context(node_at(&f, "B"), src));
        assert!(in_async_context(node_at(&f, "C"), src));
        assert!(enclosing_loop(node_at(&f, "A")).is_some());
        assert!(enclosing_loop(node_at(&f, "xs")).is_none());
    }

    #[test]
    fn io_compatible_results() {
        for (sig, yes) in [
            ("fn f() -> std::io::Result<()> {}", true),
            ("fn f() -> Result<(), Box<dyn std::error::Error>> {}", true),
            ("fn f() -> anyhow::Result<u8> {}", true),
            ("fn f() -> Result<(), String> {}", false),
            ("fn f() {}", false),
        ] {
            let f = file(sig);
            let item = f.root().named_child(0).unwrap();
            assert_eq!(returns_io_compatible_result(item, f.text()), yes, "{sig}");
        }
    }
}
