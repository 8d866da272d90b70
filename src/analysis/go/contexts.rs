//! Contexts in Go code: where a `context.Context` comes from (made on the
//! spot with `context.Background()`/`context.TODO()`, or one that can be
//! done: a parameter, `context.With*`, `r.Context()`), and which context a
//! call site has at hand to pass on. Declarations are found by walking
//! scopes outwards (`declaration_of`), as in `scope`, but returning the
//! declaring node for parameters too.

use tree_sitter::Node;

use super::scope;
use super::types::TypeEnv;
use super::{GoFile, GoPackage};
use crate::catalog::go::GoCatalog;
use crate::lang::go::{enclosing_function, is_function};
use crate::lang::text;

/// What a declaration makes of a name, as a context.
#[derive(Clone, Copy, Debug)]
pub enum ContextDecl<'t> {
    /// Set once to `context.Background()` / `context.TODO()`.
    Background {
        /// The declaring statement (deleted when the variable goes).
        stmt: Node<'t>,
        /// The `context.Background()` call.
        value: Node<'t>,
        /// The block the name is declared in.
        scope: Node<'t>,
    },
    /// A context that can be done: a `context.Context` parameter,
    /// `context.With*(...)`, `x.Context()`.
    Live,
    /// A background context declared with others in one `var (...)`.
    Shared,
}

/// Does `expr` (`ctx`, `r.Context()`, `s.ctx`) name a context at `at`? Its
/// first name must be declared as one there (a context parameter, a local
/// made from one, a request), or be the parameter the fix adds.
pub fn names_a_context_at(at: Node, expr: &str, new_param: Option<&str>, file: &GoFile) -> bool {
    let head = expr
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .next()
        .unwrap_or(expr);
    match declaration_of_name(at, head, file.text()) {
        None => new_param == Some(head),
        Some((_, decl)) if decl.kind() == "parameter_declaration" => {
            is_context_param(decl, file)
                || expr.contains('.') && decl.child_by_field_name("type").is_some()
        }
        Some((_, decl)) => {
            matches!(
                classify_decl(decl, head, file),
                Some(ContextDecl::Live | ContextDecl::Background { .. })
            ) || expr.contains('.')
        }
    }
}

/// `context.Background()` or `context.TODO()` (the `context` package, not a local).
pub fn is_background_call(n: Node, file: &GoFile) -> bool {
    if n.kind() != "call_expression" {
        return false;
    }
    let src = file.text();
    let Some((operand, field)) = crate::lang::go::selector_call(n) else {
        return false;
    };
    if operand.kind() != "identifier" || !matches!(text(field, src), "Background" | "TODO") {
        return false;
    }
    file.imports.resolve(text(operand, src)) == Some("context")
        && declaration_of(operand, src).is_none()
}

/// What a declaration makes of `name`, as a context: a background one, a
/// live one (a parameter, `context.With*`, `x.Context()`), or none.
pub fn classify_decl<'a>(decl: Node<'a>, name: &str, file: &GoFile) -> Option<ContextDecl<'a>> {
    let src = file.text();
    match decl.kind() {
        "parameter_declaration" => is_context_param(decl, file).then_some(ContextDecl::Live),
        "short_var_declaration" | "var_declaration" | "var_spec" => {
            let (names, values, stmt) = match decl.kind() {
                "short_var_declaration" => {
                    let left = decl.child_by_field_name("left")?;
                    let right = decl.child_by_field_name("right")?;
                    (
                        crate::lang::go::named_children_no_comments(left),
                        crate::lang::go::named_children_no_comments(right),
                        decl,
                    )
                }
                _ => {
                    let spec = if decl.kind() == "var_spec" {
                        decl
                    } else {
                        let mut stack = vec![decl];
                        let mut found = None;
                        while let Some(n) = stack.pop() {
                            if n.kind() == "var_spec" {
                                let mut c = n.walk();
                                if n.children_by_field_name("name", &mut c)
                                    .any(|x| text(x, src) == name)
                                {
                                    found = Some(n);
                                    break;
                                }
                            }
                            let mut c = n.walk();
                            stack.extend(n.named_children(&mut c));
                        }
                        found?
                    };
                    let mut c = spec.walk();
                    let names: Vec<Node> = spec.children_by_field_name("name", &mut c).collect();
                    let values = spec
                        .child_by_field_name("value")
                        .map(crate::lang::go::named_children_no_comments)
                        .unwrap_or_default();
                    // The statement to delete: the declaration, when it holds this one spec.
                    let mut stmt = spec;
                    while let Some(p) = stmt.parent() {
                        if p.kind() == "var_declaration" {
                            stmt = p;
                            break;
                        }
                        stmt = p;
                    }
                    let single = {
                        let mut specs = 0;
                        let mut st = vec![stmt];
                        while let Some(n) = st.pop() {
                            if n.kind() == "var_spec" {
                                specs += 1;
                            }
                            let mut c = n.walk();
                            st.extend(n.named_children(&mut c));
                        }
                        specs == 1
                    };
                    (names, values, if single { stmt } else { spec })
                }
            };
            let i = names.iter().position(|n| text(*n, src) == name)?;
            if names.len() == 1 && values.len() == 1 && is_background_call(values[0], file) {
                if stmt.kind() == "var_spec" {
                    return Some(ContextDecl::Shared); // one of several specs: left alone
                }
                return Some(ContextDecl::Background {
                    stmt,
                    value: values[0],
                    scope: decl_scope(stmt),
                });
            }
            let value = if values.len() == names.len() {
                values.get(i).copied()
            } else if values.len() == 1 && i == 0 {
                values.first().copied()
            } else {
                None
            }?;
            is_context_making_call(value, file).then_some(ContextDecl::Live)
        }
        _ => None,
    }
}

/// The package-level variables set once to `context.Background()` /
/// `context.TODO()` (`var bg = context.Background()`), by name: one pass
/// over the package's top-level declarations.
pub fn background_vars(pkg: &GoPackage) -> std::collections::HashSet<String> {
    let mut out = std::collections::HashSet::new();
    for file in &pkg.files {
        let src = file.text();
        let root = file.root();
        let mut c = root.walk();
        for d in root.named_children(&mut c) {
            if d.kind() != "var_declaration" || !text(d, src).contains("context") {
                continue;
            }
            let mut stack = vec![d];
            while let Some(n) = stack.pop() {
                if n.kind() == "var_spec" {
                    let mut c = n.walk();
                    for name in n.children_by_field_name("name", &mut c) {
                        let name = text(name, src);
                        if let Some(ContextDecl::Background { .. }) = classify_decl(n, name, file) {
                            out.insert(name.to_string());
                        }
                    }
                } else {
                    let mut c = n.walk();
                    stack.extend(n.named_children(&mut c));
                }
            }
        }
    }
    out
}

/// The block (statement list) a statement declares its names in.
pub fn decl_scope(stmt: Node) -> Node {
    let mut cur = stmt;
    while let Some(p) = cur.parent() {
        if matches!(
            p.kind(),
            "block"
                | "statement_list"
                | "source_file"
                | "expression_case"
                | "default_case"
                | "communication_case"
                | "type_case"
        ) {
            return if p.kind() == "statement_list" {
                p.parent().unwrap_or(p)
            } else {
                p
            };
        }
        cur = p;
    }
    stmt
}

/// `context.WithCancel(...)` and friends, or `x.Context()`.
pub fn is_context_making_call(v: Node, file: &GoFile) -> bool {
    let src = file.text();
    if v.kind() != "call_expression" {
        return false;
    }
    let Some((operand, field)) = crate::lang::go::selector_call(v) else {
        return false;
    };
    let field = text(field, src);
    if operand.kind() == "identifier" && file.imports.resolve(text(operand, src)) == Some("context")
    {
        return field.starts_with("With");
    }
    field == "Context"
}

/// Is this parameter declaration typed `context.Context`?
pub fn is_context_param(decl: Node, file: &GoFile) -> bool {
    decl.kind() == "parameter_declaration"
        && decl
            .child_by_field_name("type")
            .is_some_and(|t| is_qualified(t, file, "context", "Context"))
}

pub fn is_qualified(t: Node, file: &GoFile, path: &str, name: &str) -> bool {
    let src = file.text();
    t.kind() == "qualified_type"
        && t.child_by_field_name("name")
            .is_some_and(|n| text(n, src) == name)
        && t.child_by_field_name("package")
            .is_some_and(|p| file.imports.resolve(text(p, src)) == Some(path))
}

/// The name of a function's `context.Context` parameter.
pub fn context_param(func: Node, file: &GoFile) -> Option<String> {
    typed_param(func, file, |t| is_qualified(t, file, "context", "Context"))
}

/// The name of a function's `*http.Request` parameter.
pub fn request_param(func: Node, file: &GoFile) -> Option<String> {
    typed_param(func, file, |t| {
        t.kind() == "pointer_type"
            && t.named_child(0)
                .is_some_and(|q| is_qualified(q, file, "net/http", "Request"))
    })
}

fn typed_param(func: Node, file: &GoFile, want: impl Fn(Node) -> bool) -> Option<String> {
    let src = file.text();
    let params = func.child_by_field_name("parameters")?;
    let mut c = params.walk();
    for d in params.named_children(&mut c) {
        if d.kind() != "parameter_declaration" || !d.child_by_field_name("type").is_some_and(&want)
        {
            continue;
        }
        let mut c2 = d.walk();
        if let Some(n) = d
            .children_by_field_name("name", &mut c2)
            .map(|n| text(n, src))
            .find(|n| *n != "_")
        {
            return Some(n.to_string());
        }
    }
    None
}

/// The declaration an identifier refers to: the node that declares it and
/// the declaring node. None at package level.
pub fn declaration_of<'t>(id: Node<'t>, src: &str) -> Option<(Node<'t>, Node<'t>)> {
    declaration_of_name(id, text(id, src), src)
}

pub fn declaration_of_name<'t>(
    at: Node<'t>,
    name: &str,
    src: &str,
) -> Option<(Node<'t>, Node<'t>)> {
    let mut cur = at;
    while let Some(p) = cur.parent() {
        if p.kind() == "source_file" {
            return None;
        }
        if let Some(d) = scope::direct_declaration(p, name, at.start_byte(), src) {
            // `ctx, cancel := context.WithTimeout(ctx, d)`: the right-hand
            // side still sees the outer `ctx`.
            let in_own_value = matches!(d.kind(), "short_var_declaration" | "range_clause")
                && d.child_by_field_name("right")
                    .is_some_and(|r| scope::contains(r, at));
            if !in_own_value {
                return Some((p, d));
            }
            if let Some(earlier) = d
                .start_byte()
                .checked_sub(1)
                .and_then(|before| scope::direct_declaration(p, name, before, src))
                .filter(|e| e.id() != d.id())
            {
                return Some((p, earlier));
            }
        }
        cur = p;
    }
    None
}

/// Does this func literal run while its enclosing function runs?
pub fn is_transparent(lit: Node, pkg: &GoPackage, file: &GoFile, catalog: &GoCatalog) -> bool {
    let mut child = lit;
    let mut parent = lit.parent();
    while let Some(p) = parent.filter(|p| p.kind() == "parenthesized_expression") {
        child = p;
        parent = p.parent();
    }
    let Some(p) = parent else { return false };
    if p.kind() == "call_expression"
        && p.child_by_field_name("function")
            .is_some_and(|f| f.id() == child.id())
    {
        return true; // called at once, deferred, or started as a goroutine
    }
    if p.kind() != "argument_list" {
        return false;
    }
    let Some(call) = p.parent() else { return false };
    if crate::lang::go::selector_call(call).is_none() {
        return false;
    }
    let Some(func) = enclosing_function(call) else {
        return false;
    };
    let env = TypeEnv::for_function(pkg, file, catalog, func);
    env.with_call_ref(call, |r| catalog.is_sync_callback(r))
        .unwrap_or(false)
}

/// What a call site can pass as the caller's context.
pub enum CallerCtx {
    /// A context that ends with the caller's work: its `context.Context`
    /// parameter, a context derived from one, `r.Context()` in a handler.
    Live(String),
    /// A local variable holding `context.Background()` / `context.TODO()`.
    Background(String),
    /// The call is in a func literal that may run after its enclosing
    /// function returned (a callback): that function's context may be over.
    Later,
    None,
}

/// The caller's context at a call site: the innermost context variable in
/// scope (a local made with `context.With*` or `x.Context()`, a
/// `context.Context` parameter), or `r.Context()` in an HTTP handler,
/// looking through func literals that run while their enclosing function
/// runs. A local background context is only the last resort.
pub fn caller_context(
    call: Node,
    pkg: &GoPackage,
    file: &GoFile,
    catalog: &GoCatalog,
) -> CallerCtx {
    let src = file.text();
    let mut background = None;
    let sees = |name: &str, decl: Node| {
        declaration_of_name(call, name, src).is_some_and(|(_, d)| d.id() == decl.id())
    };
    let mut cur = call;
    while let Some(p) = cur.parent() {
        if is_function(p) {
            if let Some(n) = context_param(p, file)
                && declaration_of_name(call, &n, src).is_some_and(|(s, _)| s.id() == p.id())
            {
                return CallerCtx::Live(n);
            }
            if let Some(r) = request_param(p, file)
                && declaration_of_name(call, &r, src).is_some_and(|(s, _)| s.id() == p.id())
            {
                return CallerCtx::Live(format!("{r}.Context()"));
            }
            if p.kind() == "func_literal" && is_transparent(p, pkg, file, catalog) {
                cur = p;
                continue;
            }
            if p.kind() == "func_literal" && background.is_none() {
                return CallerCtx::Later;
            }
            break;
        }
        if p.kind() == "statement_list" {
            let mut c = p.walk();
            let before: Vec<Node> = p
                .named_children(&mut c)
                .filter(|s| s.end_byte() <= cur.start_byte())
                .collect();
            for stmt in before.into_iter().rev() {
                if !matches!(stmt.kind(), "short_var_declaration" | "var_declaration") {
                    continue;
                }
                for name in declared_names(stmt, src) {
                    match classify_decl(stmt, &name, file) {
                        Some(ContextDecl::Live) if sees(&name, stmt) => {
                            return CallerCtx::Live(name);
                        }
                        Some(ContextDecl::Background { .. })
                            if background.is_none() && sees(&name, stmt) =>
                        {
                            background = Some(name)
                        }
                        _ => {}
                    }
                }
            }
        }
        cur = p;
    }
    match background {
        Some(n) => CallerCtx::Background(n),
        None => CallerCtx::None,
    }
}

/// The names a short var declaration or var declaration introduces.
pub fn declared_names(stmt: Node, src: &str) -> Vec<String> {
    let mut out = Vec::new();
    if stmt.kind() == "short_var_declaration" {
        if let Some(left) = stmt.child_by_field_name("left") {
            out.extend(
                crate::lang::go::named_children_no_comments(left)
                    .into_iter()
                    .filter(|n| n.kind() == "identifier")
                    .map(|n| text(n, src).to_string()),
            );
        }
        return out;
    }
    let mut stack = vec![stmt];
    while let Some(n) = stack.pop() {
        if n.kind() == "var_spec" {
            let mut c = n.walk();
            out.extend(
                n.children_by_field_name("name", &mut c)
                    .map(|x| text(x, src).to_string()),
            );
        } else {
            let mut c = n.walk();
            stack.extend(n.named_children(&mut c));
        }
    }
    out
}

/// The innermost named function around a node.
pub fn enclosing_named(n: Node, src: &str) -> Option<String> {
    let mut cur = enclosing_function(n);
    while let Some(f) = cur {
        if let Some(name) = f.child_by_field_name("name") {
            return Some(text(name, src).to_string());
        }
        cur = enclosing_function(f);
    }
    None
}
