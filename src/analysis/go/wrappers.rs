//! Client wrappers: a type of the program whose constructor builds a pooled
//! client and keeps it in a field (`func NewAPI(url string) *API { return
//! &API{http: &http.Client{Transport: &http.Transport{...}}} }`,
//! `&Store{rdb: redis.NewClient(opts)}`). A value of it is as expensive to
//! build, and as safe to share, as the client it wraps.

use std::sync::Arc;

use tree_sitter::Node;

use super::types::TypeEnv;
use super::{GoFile, GoPackage};
use crate::catalog::go::{GoCatalog, Lookup, TypeName};
use crate::lang::text;

/// What a wrapper's constructor builds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wrapper {
    /// The wrapper type the constructor returns (behind a pointer).
    pub ty: TypeName,
    /// The field holding the pooled client, and what builds it, for notes.
    pub field: String,
    pub builds: String,
}

/// Does `call` call a constructor of a client wrapper? Only functions
/// (not methods) whose every `return` hands back a pointer to a new value
/// of one struct type built with a field set to a pooled client made
/// right there.
pub fn wrapper_constructor(env: &TypeEnv, call: Node) -> Option<Wrapper> {
    let src = env.file.text();
    let f = call.child_by_field_name("function")?;
    let (file, range, pkg_path) = match f.kind() {
        "identifier" => {
            let name = text(f, src);
            if env.is_local(name) {
                return None;
            }
            match local(env.pkg, name) {
                Some((file, range)) => (file, range, env.pkg.import_path.clone()),
                None => return None,
            }
        }
        "selector_expression" => {
            let operand = f.child_by_field_name("operand")?;
            let path = env.package_of(operand)?;
            let name = text(f.child_by_field_name("field")?, src);
            let (info, decl) = env.pkg.program.func(path, name)?;
            let (file, range, _) = env.pkg.program.function(&decl.file, &decl.range)?;
            (file, range, info.import_path.clone())
        }
        _ => return None,
    };
    let func = function_node(&file, &range)?;
    let w = wrapper_of(&file, func, &pkg_path, env.catalog)?;
    (!mutated_after_construction(env, &w.ty)).then_some(w)
}

/// Does a method of `t` assign to a field of its receiver (`c.token = t`,
/// `c.n++`, `c.cache[k] = v`) without taking a lock? Then a value of it
/// keeps per-use state and must not be shared.
fn mutated_after_construction(env: &TypeEnv, t: &TypeName) -> bool {
    // The methods' declarations: from the unit itself for its own types,
    // else from the program.
    let mut methods: Vec<(Arc<GoFile>, std::ops::Range<usize>)> = Vec::new();
    if t.package == env.pkg.import_path && !env.pkg.partial {
        let prefix = format!("{}.", t.name);
        for (key, (fi, range)) in env.pkg.decl_index() {
            if key.starts_with(&prefix) {
                methods.push((env.pkg.files[*fi].clone(), range.clone()));
            }
        }
    } else {
        let program = &env.pkg.program;
        let Some(pkg) = program.package(&t.package) else {
            return true;
        };
        for m in pkg.methods_of(&t.name) {
            let Some((file, range, _)) = program.function(&m.file, &m.range) else {
                return true;
            };
            methods.push((file, range));
        }
    }
    for (file, range) in &methods {
        let Some(func) = method_node(file, range) else {
            return true;
        };
        let src = file.text();
        let Some(recv) = receiver_name(func, src) else {
            continue;
        };
        let Some(body) = func.child_by_field_name("body") else {
            continue;
        };
        if text(body, src).contains(".Lock()") {
            continue;
        }
        let mut stack = vec![body];
        while let Some(n) = stack.pop() {
            let target = match n.kind() {
                "assignment_statement" => n.child_by_field_name("left"),
                "inc_statement" | "dec_statement" => n.named_child(0),
                _ => None,
            };
            if let Some(target) = target {
                let mut c = target.walk();
                let lhs: Vec<Node> = if target.kind() == "expression_list" {
                    target.named_children(&mut c).collect()
                } else {
                    vec![target]
                };
                for mut x in lhs {
                    let mut through_field = false;
                    while matches!(x.kind(), "selector_expression" | "index_expression") {
                        through_field |= x.kind() == "selector_expression";
                        match x.child_by_field_name("operand") {
                            Some(o) => x = o,
                            None => break,
                        }
                    }
                    if through_field && x.kind() == "identifier" && text(x, src) == recv {
                        return true;
                    }
                }
            }
            let mut c = n.walk();
            stack.extend(n.named_children(&mut c));
        }
    }
    false
}

/// The name of a method's receiver (None when unnamed or `_`).
fn receiver_name<'s>(method: Node, src: &'s str) -> Option<&'s str> {
    let recv = method.child_by_field_name("receiver")?;
    let mut c = recv.walk();
    let param = recv
        .named_children(&mut c)
        .find(|n| n.kind() == "parameter_declaration")?;
    let name = text(param.child_by_field_name("name")?, src);
    (name != "_").then_some(name)
}

fn method_node<'t>(file: &'t GoFile, range: &std::ops::Range<usize>) -> Option<Node<'t>> {
    let mut n = file
        .root()
        .descendant_for_byte_range(range.start, range.end)?;
    loop {
        if n.kind() == "method_declaration" && n.byte_range() == *range {
            return Some(n);
        }
        n = n.parent()?;
    }
}

fn local(pkg: &GoPackage, name: &str) -> Option<(std::sync::Arc<GoFile>, std::ops::Range<usize>)> {
    let (fi, range) = pkg.decl_index().get(name)?.clone();
    Some((pkg.files[fi].clone(), range))
}

fn function_node<'t>(file: &'t GoFile, range: &std::ops::Range<usize>) -> Option<Node<'t>> {
    let mut n = file
        .root()
        .descendant_for_byte_range(range.start, range.end)?;
    loop {
        if n.kind() == "function_declaration" && n.byte_range() == *range {
            return Some(n);
        }
        n = n.parent()?;
    }
}

fn wrapper_of(file: &GoFile, func: Node, pkg_path: &str, catalog: &GoCatalog) -> Option<Wrapper> {
    let src = file.text();
    // `*T` or `(*T, error)`.
    let result = func.child_by_field_name("result")?;
    let first = if result.kind() == "parameter_list" {
        result.named_child(0)?.child_by_field_name("type")?
    } else {
        result
    };
    if first.kind() != "pointer_type" {
        return None;
    }
    let body = func.child_by_field_name("body")?;
    let mut returns = Vec::new();
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "func_literal" => continue,
            "return_statement" => returns.push(n),
            _ => {}
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    let mut found: Option<Wrapper> = None;
    for ret in returns {
        let value = ret.named_child(0).and_then(|l| l.named_child(0))?;
        if value.kind() == "nil" {
            continue; // the failure path
        }
        let lit = literal_of(value, body, src)?;
        let ty = lit.child_by_field_name("type")?;
        let name = match ty.kind() {
            "type_identifier" => TypeName::new(pkg_path, text(ty, src)),
            _ => return None,
        };
        let (field, builds) = pooled_field(lit, body, file, catalog)?;
        let w = Wrapper {
            ty: name,
            field,
            builds,
        };
        match &found {
            Some(f) if f.ty != w.ty => return None,
            Some(_) => {}
            None => found = Some(w),
        }
    }
    found
}

/// The composite literal behind `&T{...}`, or behind a local set once to one.
fn literal_of<'t>(value: Node<'t>, body: Node<'t>, src: &str) -> Option<Node<'t>> {
    match value.kind() {
        "unary_expression" if text(value, src).starts_with('&') => {
            let lit = value.child_by_field_name("operand")?;
            (lit.kind() == "composite_literal").then_some(lit)
        }
        "identifier" => {
            let def = single_definition(body, text(value, src), src)?;
            literal_of(def, body, src)
        }
        _ => None,
    }
}

/// The value of the one `name := value` in `body` (None when `name` is
/// assigned anywhere else).
fn single_definition<'t>(body: Node<'t>, name: &str, src: &str) -> Option<Node<'t>> {
    let mut defs = Vec::new();
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        if matches!(n.kind(), "short_var_declaration" | "assignment_statement")
            && let (Some(left), Some(right)) = (
                n.child_by_field_name("left"),
                n.child_by_field_name("right"),
            )
        {
            let mut c = left.walk();
            let names: Vec<Node> = left.named_children(&mut c).collect();
            if let Some(i) = names.iter().position(|x| text(*x, src) == name) {
                let mut c = right.walk();
                let values: Vec<Node> = right.named_children(&mut c).collect();
                defs.push((n.kind() == "short_var_declaration", i, values));
            }
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    let [(true, i, values)] = defs.as_slice() else {
        return None;
    };
    match values.as_slice() {
        [v] if *i == 0 => Some(*v),
        vs if vs.len() > *i => Some(vs[*i]),
        _ => None,
    }
}

/// A keyed field of the literal set to a pooled client built right there:
/// a shareable catalog constructor (directly or through a local), or an
/// `&http.Transport{...}` (alone or inside an `&http.Client{...}`).
fn pooled_field(
    lit: Node,
    body: Node,
    file: &GoFile,
    catalog: &GoCatalog,
) -> Option<(String, String)> {
    let src = file.text();
    let elems = lit.child_by_field_name("body")?;
    let mut c = elems.walk();
    for el in elems.named_children(&mut c) {
        if el.kind() != "keyed_element" {
            continue;
        }
        let (Some(key), Some(value)) = (el.named_child(0), el.named_child(1)) else {
            continue;
        };
        let value = value.named_child(0).unwrap_or(value);
        let value = if value.kind() == "identifier" {
            match single_definition(body, text(value, src), src) {
                Some(v) => v,
                None => continue,
            }
        } else {
            value
        };
        if let Some(builds) = pooled(value, file, catalog) {
            return Some((text(key, src).to_string(), builds));
        }
    }
    None
}

fn pooled(value: Node, file: &GoFile, catalog: &GoCatalog) -> Option<String> {
    let src = file.text();
    match value.kind() {
        "call_expression" => {
            let f = value.child_by_field_name("function")?;
            let operand = f.child_by_field_name("operand")?;
            let name = text(f.child_by_field_name("field")?, src);
            let path = file.imports.resolve(text(operand, src))?;
            match catalog.lookup_func(path, name) {
                Lookup::Resource(r) if r.shareable => Some(text(f, src).to_string()),
                _ => None,
            }
        }
        "unary_expression" => {
            let lit = value.child_by_field_name("operand")?;
            let ty = lit.child_by_field_name("type")?;
            let pkg = ty.child_by_field_name("package")?;
            if file.imports.resolve(text(pkg, src)) != Some("net/http") {
                return None;
            }
            let tname = text(ty.child_by_field_name("name")?, src);
            let body = lit.child_by_field_name("body")?;
            let has_transport = |b: Node| -> bool {
                let mut c = b.walk();
                b.named_children(&mut c).any(|el| {
                    el.kind() == "keyed_element"
                        && el
                            .named_child(0)
                            .is_some_and(|k| text(k, src) == "Transport")
                        && el
                            .named_child(1)
                            .map(|v| v.named_child(0).unwrap_or(v))
                            .is_some_and(|v| pooled(v, file, catalog).is_some())
                })
            };
            match tname {
                "Transport" => Some("&http.Transport{...}".into()),
                "Client" if has_transport(body) => Some("&http.Client{...}".into()),
                _ => None,
            }
        }
        _ => None,
    }
}
