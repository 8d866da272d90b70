//! What a value depends on, for deciding whether code can move: can an
//! expression inside a handler be evaluated once for the whole process
//! (it only reads literals, package-level names and the environment), does
//! it come from the request (a handler parameter, or something computed from
//! one), or is it something leakfix cannot place (a receiver field, a
//! parameter of an enclosing factory, a call whose result may change)?
//!
//! Locals are followed to their single definition; a local written more
//! than once is "unknown". When the answer is `Process`, the locals read are
//! recorded with their definitions so that a rewrite can inline them.

use std::cell::RefCell;

use tree_sitter::Node;

use super::handlers::is_type;
use super::scope::{direct_declaration, references};
use super::{GoFile, GoPackage};
use crate::lang::go::is_function;
use crate::lang::text;

/// Where a value comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The same for the whole process.
    Process,
    /// Computed from the request: the request value named.
    Request(String),
    /// Something leakfix cannot place, described for a note.
    Unknown(String),
}

impl Origin {
    fn join(self, other: Origin) -> Origin {
        match (self, other) {
            (r @ Origin::Request(_), _) | (_, r @ Origin::Request(_)) => r,
            (u @ Origin::Unknown(_), _) | (_, u @ Origin::Unknown(_)) => u,
            _ => Origin::Process,
        }
    }
}

/// What a name refers to.
#[derive(Clone, Copy, Debug)]
pub enum Binding<'t> {
    /// Declared by `decl`, a statement of `scope` (a block, an `if`/`for` header...).
    Local { decl: Node<'t>, scope: Node<'t> },
    /// A parameter (or receiver, or named result) of `func`.
    Param {
        func: Node<'t>,
        decl: Node<'t>,
        receiver: bool,
    },
    /// Declared at package level, imported, or predeclared.
    Package,
}

/// Resolves identifier `ident` by walking out through its scopes.
pub fn bind<'t>(ident: Node<'t>, src: &str) -> Binding<'t> {
    let name = text(ident, src);
    let at = ident.start_byte();
    let mut cur = ident;
    while let Some(p) = cur.parent() {
        if p.kind() == "source_file" {
            break;
        }
        if let Some(d) = direct_declaration(p, name, at, src) {
            // `x := f(x)`: the right-hand side still sees the outer `x`.
            let in_own_rhs = d.start_byte() <= at
                && at < d.end_byte()
                && ["right", "value"].iter().any(|f| {
                    d.child_by_field_name(f)
                        .is_some_and(|r| r.start_byte() <= at && at < r.end_byte())
                });
            if !in_own_rhs {
                if is_function(p) {
                    let receiver = p.child_by_field_name("receiver").is_some_and(|r| {
                        r.start_byte() <= d.start_byte() && d.end_byte() <= r.end_byte()
                    });
                    return Binding::Param {
                        func: p,
                        decl: d,
                        receiver,
                    };
                }
                return Binding::Local { decl: d, scope: p };
            }
        }
        cur = p;
    }
    Binding::Package
}

/// Is this identifier being written (left of `=`/`:=`, a `var` name, `x++`)?
pub fn is_write(ident: Node) -> bool {
    let Some(p) = ident.parent() else {
        return false;
    };
    match p.kind() {
        "expression_list" => p.parent().is_some_and(|o| {
            matches!(o.kind(), "short_var_declaration" | "assignment_statement")
                && o.child_by_field_name("left")
                    .is_some_and(|l| l.id() == p.id())
        }),
        "var_spec" | "const_spec" => {
            let mut c = p.walk();
            p.children_by_field_name("name", &mut c)
                .any(|n| n.id() == ident.id())
        }
        "range_clause" => p.child_by_field_name("left").is_some_and(|l| {
            l.start_byte() <= ident.start_byte() && ident.end_byte() <= l.end_byte()
        }),
        "inc_statement" | "dec_statement" => true,
        _ => false,
    }
}

/// Reads and extra writes of a local declared by `decl` in `scope`.
pub struct LocalUses<'t> {
    pub reads: Vec<Node<'t>>,
    /// Writes other than the declaration itself (`x = ...`, `x++`, `&x`).
    pub other_writes: Vec<Node<'t>>,
}

pub fn local_uses<'t>(name: &str, decl: Node<'t>, scope: Node<'t>, src: &str) -> LocalUses<'t> {
    let mut reads = Vec::new();
    let mut other_writes = Vec::new();
    for r in references(scope, name, src) {
        let in_decl = decl.start_byte() <= r.start_byte() && r.end_byte() <= decl.end_byte();
        let address = r
            .parent()
            .is_some_and(|p| p.kind() == "unary_expression" && text(p, src).starts_with('&'));
        let compound = r.parent().and_then(|p| p.parent()).is_some_and(|o| {
            o.kind() == "assignment_statement"
                && o.child_by_field_name("operator")
                    .is_some_and(|op| text(op, src) != "=")
        });
        if is_write(r) {
            if !in_decl || compound {
                other_writes.push(r);
            }
            if compound {
                reads.push(r);
            }
        } else if address {
            other_writes.push(r);
            reads.push(r);
        } else {
            reads.push(r);
        }
    }
    LocalUses {
        reads,
        other_writes,
    }
}

/// The value bound to `name` by its declaration `decl`, when there is one
/// value per name (`a, b := x, y`, `var a = x`).
pub fn definition<'t>(decl: Node<'t>, name: &str, src: &str) -> Option<Node<'t>> {
    let (names, values): (Vec<Node>, Vec<Node>) = match decl.kind() {
        "short_var_declaration" => {
            let l = decl.child_by_field_name("left")?;
            let r = decl.child_by_field_name("right")?;
            let mut c = l.walk();
            let mut c2 = r.walk();
            (
                l.named_children(&mut c).collect(),
                r.named_children(&mut c2).collect(),
            )
        }
        "var_declaration" | "const_declaration" => {
            let mut stack = vec![decl];
            let mut found = None;
            while let Some(n) = stack.pop() {
                if matches!(n.kind(), "var_spec" | "const_spec") {
                    let mut c = n.walk();
                    if n.children_by_field_name("name", &mut c)
                        .any(|i| text(i, src) == name)
                    {
                        found = Some(n);
                        break;
                    }
                } else {
                    let mut c = n.walk();
                    stack.extend(n.named_children(&mut c));
                }
            }
            let spec = found?;
            let mut c = spec.walk();
            let names = spec.children_by_field_name("name", &mut c).collect();
            let values = spec
                .child_by_field_name("value")
                .map(|v| {
                    let mut c = v.walk();
                    v.named_children(&mut c).collect()
                })
                .unwrap_or_default();
            (names, values)
        }
        _ => return None,
    };
    if names.len() != values.len() {
        return None;
    }
    let i = names.iter().position(|n| text(*n, src) == name)?;
    Some(values[i])
}

/// Package functions whose results depend only on their arguments (and the
/// environment): safe to evaluate once instead of per request, or again
/// when a local defined by them is inlined.
const PURE_FUNCS: [(&str, &str); 14] = [
    ("os", "Getenv"),
    ("os", "ExpandEnv"),
    ("fmt", "Sprintf"),
    ("fmt", "Sprint"),
    ("path", "Join"),
    ("path/filepath", "Join"),
    ("net", "JoinHostPort"),
    ("context", "Background"),
    ("context", "TODO"),
    ("time", "Duration"),
    (
        "google.golang.org/grpc/credentials/insecure",
        "NewCredentials",
    ),
    ("google.golang.org/grpc", "WithTransportCredentials"),
    ("google.golang.org/grpc", "WithInsecure"),
    ("google.golang.org/grpc", "WithBlock"),
];

/// Packages all of whose functions are pure in that sense.
const PURE_PACKAGES: [&str; 3] = ["strings", "strconv", "google.golang.org/api/option"];

/// Calls whose result changes from call to call, or that do something.
fn is_varying_call(path: &str, name: &str) -> bool {
    matches!(
        (path, name),
        (
            "time",
            "Now" | "Since" | "Until" | "After" | "Tick" | "NewTimer" | "NewTicker"
        ) | ("os", "Setenv" | "Unsetenv" | "Exit" | "Getpid" | "Getwd")
    ) || matches!(
        path,
        "math/rand"
            | "math/rand/v2"
            | "crypto/rand"
            | "flag"
            | "sync/atomic"
            | "sync"
            | "io"
            | "bufio"
    ) || path.contains("uuid")
}

/// A package-local function that reads the environment (`mustGetenv("X")`).
pub fn is_env_helper(pkg: &GoPackage, name: &str, depth: usize) -> bool {
    if depth > 2 {
        return false;
    }
    for file in &pkg.files {
        let src = file.text();
        let root = file.root();
        let mut c = root.walk();
        for decl in root.named_children(&mut c) {
            if decl.kind() != "function_declaration"
                || decl.child_by_field_name("name").map(|n| text(n, src)) != Some(name)
            {
                continue;
            }
            let Some(body) = decl.child_by_field_name("body") else {
                return false;
            };
            let b = text(body, src);
            if b.contains("go ") || b.contains("<-") {
                return false;
            }
            if b.contains("os.Getenv(") || b.contains("os.LookupEnv(") {
                return true;
            }
            // One level of helpers: `func dsn() string { return mustGetenv("DSN") }`.
            let mut stack = vec![body];
            while let Some(n) = stack.pop() {
                if n.kind() == "call_expression"
                    && let Some(f) = n.child_by_field_name("function")
                    && f.kind() == "identifier"
                    && text(f, src) != name
                    && is_env_helper(pkg, text(f, src), depth + 1)
                {
                    return true;
                }
                let mut c = n.walk();
                stack.extend(n.named_children(&mut c));
            }
            return false;
        }
    }
    false
}

/// A name (or a receiver field) whose value is a process-level expression:
/// a rewrite may write `def` in its place.
#[derive(Clone, Copy, Debug)]
pub struct Inline<'t> {
    /// The identifier or `recv.field` selector read.
    pub at: Node<'t>,
    /// The file (index into the package's files) holding `at`.
    pub at_file: usize,
    /// The expression that defines its value.
    pub def: Node<'t>,
    /// The file (index into the package's files) holding `def`.
    pub def_file: usize,
}

/// Classifies expressions inside a per-request function.
pub struct Deps<'a, 't> {
    pub pkg: &'a GoPackage,
    /// Index of the file classified, in `pkg.files`.
    pub fi: usize,
    pub file: &'a GoFile,
    /// The per-request function: its parameters (and those of functions
    /// nested in it) are request values.
    pub boundary: Node<'t>,
    /// Names read, with the expression defining them (for inlining).
    inlined: RefCell<Vec<Inline<'t>>>,
}

/// The result of classifying an expression.
struct Class {
    origin: Origin,
    /// Evaluating it again (once more, or once less) changes nothing.
    pure: bool,
}

impl Class {
    fn process(pure: bool) -> Class {
        Class {
            origin: Origin::Process,
            pure,
        }
    }
    fn unknown(why: impl Into<String>) -> Class {
        Class {
            origin: Origin::Unknown(why.into()),
            pure: false,
        }
    }
    fn join(self, other: Class) -> Class {
        Class {
            origin: self.origin.join(other.origin),
            pure: self.pure && other.pure,
        }
    }
}

impl<'a, 't> Deps<'a, 't>
where
    'a: 't,
{
    pub fn new(pkg: &'a GoPackage, fi: usize, boundary: Node<'t>) -> Self {
        Deps {
            pkg,
            fi,
            file: &pkg.files[fi],
            boundary,
            inlined: RefCell::new(Vec::new()),
        }
    }

    fn src(&self) -> &'a str {
        self.file.text()
    }

    /// Where `expr`'s value comes from.
    pub fn origin(&self, expr: Node<'t>) -> Origin {
        self.class(expr, 0).origin
    }

    /// The names read by the expressions classified so far, with their
    /// definitions.
    pub fn inlined(&self) -> Vec<Inline<'t>> {
        self.inlined.borrow().clone()
    }

    /// The import path `ident` names, if it is a package qualifier here.
    pub fn package_path(&self, ident: Node<'t>) -> Option<&'a str> {
        if ident.kind() != "identifier" {
            return None;
        }
        match bind(ident, self.src()) {
            Binding::Package => self.file.imports.resolve(text(ident, self.src())),
            _ => None,
        }
    }

    fn within_boundary(&self, n: Node) -> bool {
        self.boundary.start_byte() <= n.start_byte() && n.end_byte() <= self.boundary.end_byte()
    }

    fn class(&self, expr: Node<'t>, depth: usize) -> Class {
        if depth > 12 {
            return Class::unknown("an expression too deep to follow");
        }
        let src = self.src();
        match expr.kind() {
            "interpreted_string_literal"
            | "raw_string_literal"
            | "int_literal"
            | "float_literal"
            | "imaginary_literal"
            | "rune_literal"
            | "true"
            | "false"
            | "nil"
            | "iota" => Class::process(true),
            "identifier" => self.identifier(expr, depth),
            "parenthesized_expression" | "unary_expression" | "binary_expression" => {
                if expr.kind() == "unary_expression"
                    && expr
                        .child_by_field_name("operator")
                        .is_some_and(|o| text(o, src) == "<-")
                {
                    return Class::unknown("a channel receive");
                }
                self.children(expr, depth)
            }
            "selector_expression" => {
                let Some(operand) = expr.child_by_field_name("operand") else {
                    return Class::unknown("an expression leakfix does not follow");
                };
                if self.package_path(operand).is_some() {
                    return Class::process(true);
                }
                if let Some(c) = self.receiver_field(expr, operand, depth) {
                    return c;
                }
                self.class(operand, depth + 1)
            }
            "index_expression"
            | "slice_expression"
            | "type_assertion_expression"
            | "type_conversion_expression" => self.children(expr, depth),
            "composite_literal" => {
                let Some(body) = expr.child_by_field_name("body") else {
                    return Class::process(true);
                };
                self.literal_value(body, depth)
            }
            "call_expression" => self.call(expr, depth),
            "func_literal" => Class::unknown("a func literal"),
            // Types in conversions and composite literals.
            k if k.ends_with("_type") || k == "type_identifier" => Class::process(true),
            _ => Class::unknown(format!("`{}`", text(expr, src))),
        }
    }

    fn children(&self, expr: Node<'t>, depth: usize) -> Class {
        let mut c = expr.walk();
        let kids: Vec<Node> = expr
            .named_children(&mut c)
            .filter(|k| k.kind() != "comment")
            .collect();
        kids.into_iter().fold(Class::process(true), |acc, k| {
            acc.join(self.class(k, depth + 1))
        })
    }

    fn literal_value(&self, body: Node<'t>, depth: usize) -> Class {
        let mut acc = Class::process(true);
        let mut c = body.walk();
        let elems: Vec<Node> = body.named_children(&mut c).collect();
        for e in elems {
            match e.kind() {
                "literal_element" => {
                    if let Some(v) = e.named_child(0) {
                        acc = acc.join(if v.kind() == "literal_value" {
                            self.literal_value(v, depth + 1)
                        } else {
                            self.class(v, depth + 1)
                        });
                    }
                }
                "keyed_element" => {
                    // The key of a struct literal is a field name, not a value.
                    if let Some(v) = e.named_child(1).and_then(|v| v.named_child(0)) {
                        acc = acc.join(if v.kind() == "literal_value" {
                            self.literal_value(v, depth + 1)
                        } else {
                            self.class(v, depth + 1)
                        });
                    }
                    if let Some(k) = e.named_child(0).and_then(|k| k.named_child(0))
                        && k.kind() != "identifier"
                    {
                        acc = acc.join(self.class(k, depth + 1));
                    }
                }
                "comment" => {}
                _ => acc = acc.join(self.class(e, depth + 1)),
            }
        }
        acc
    }

    /// `s.project`, where `s` is the method's receiver: the same for every
    /// request when every value of the receiver's type is built by a
    /// composite literal that sets the field to one process-level
    /// expression, and nothing else can set it (see `field_value`).
    fn receiver_field(&self, sel: Node<'t>, operand: Node<'t>, depth: usize) -> Option<Class> {
        let src = self.src();
        if operand.kind() != "identifier" {
            return None;
        }
        let Binding::Param {
            decl,
            receiver: true,
            ..
        } = bind(operand, src)
        else {
            return None;
        };
        let field = text(sel.child_by_field_name("field")?, src);
        let mut t = decl.child_by_field_name("type")?;
        if t.kind() == "pointer_type" {
            t = t.named_child(0)?;
        }
        if t.kind() != "type_identifier" {
            return None;
        }
        let ty = text(t, src);
        let shown = text(sel, src);
        let Some((def_file, def)) = field_value(self.pkg, ty, field) else {
            return Some(Class::unknown(format!(
                "`{shown}`, a field of the receiver"
            )));
        };
        // The value, classified where it is written.
        let boundary = crate::lang::go::enclosing_function(def).unwrap_or(def);
        let there = Deps::new(self.pkg, def_file, boundary);
        let c = there.class(def, depth + 1);
        if c.origin != Origin::Process || !c.pure {
            return Some(Class::unknown(format!(
                "`{shown}`, a field of the receiver set to `{}`",
                text(def, self.pkg.files[def_file].text())
            )));
        }
        let mut inl = self.inlined.borrow_mut();
        inl.push(Inline {
            at: sel,
            at_file: self.fi,
            def,
            def_file,
        });
        inl.extend(there.inlined());
        Some(c)
    }

    fn identifier(&self, ident: Node<'t>, depth: usize) -> Class {
        let src = self.src();
        let name = text(ident, src);
        match bind(ident, src) {
            Binding::Package => Class::process(true),
            Binding::Param {
                func,
                decl: _,
                receiver,
            } => {
                if receiver {
                    Class::unknown(format!("`{name}`, the method's receiver"))
                } else if self.within_boundary(func) {
                    Class {
                        origin: Origin::Request(name.to_string()),
                        pure: false,
                    }
                } else {
                    Class::unknown(format!(
                        "`{name}`, a parameter of the function that builds the handler"
                    ))
                }
            }
            Binding::Local { decl, scope } => {
                let uses = local_uses(name, decl, scope, src);
                let def = definition(decl, name, src);
                let Some(def) = def else {
                    // `a, err := f(...)`: classify the call, but it cannot be inlined.
                    let rhs = decl.child_by_field_name("right").or_else(|| {
                        (decl.kind() == "range_clause")
                            .then(|| decl.child_by_field_name("right"))
                            .flatten()
                    });
                    let c = rhs.map(|r| self.class(r, depth + 1));
                    return match c {
                        Some(c) if matches!(c.origin, Origin::Request(_)) => c,
                        _ => {
                            Class::unknown(format!("`{name}`, which leakfix cannot evaluate once"))
                        }
                    };
                };
                let c = self.class(def, depth + 1);
                if matches!(c.origin, Origin::Request(_)) {
                    return c;
                }
                if !uses.other_writes.is_empty() {
                    return Class::unknown(format!("`{name}`, which is assigned more than once"));
                }
                if c.origin == Origin::Process && !c.pure {
                    return Class::unknown(format!(
                        "`{name}`, computed by a call that leakfix will not move"
                    ));
                }
                if c.origin == Origin::Process {
                    self.inlined.borrow_mut().push(Inline {
                        at: ident,
                        at_file: self.fi,
                        def,
                        def_file: self.fi,
                    });
                }
                c
            }
        }
    }

    fn call(&self, call: Node<'t>, depth: usize) -> Class {
        let src = self.src();
        let Some(callee) = call.child_by_field_name("function") else {
            return Class::unknown("a call");
        };
        let args = call
            .child_by_field_name("arguments")
            .map(|a| self.children(a, depth))
            .unwrap_or_else(|| Class::process(true));
        match callee.kind() {
            "selector_expression" => {
                let (Some(operand), Some(field)) = (
                    callee.child_by_field_name("operand"),
                    callee.child_by_field_name("field"),
                ) else {
                    return Class::unknown("a call");
                };
                let name = text(field, src);
                if let Some(path) = self.package_path(operand) {
                    if is_varying_call(path, name) {
                        return Class::unknown(format!(
                            "`{}`, which changes from call to call",
                            text(callee, src)
                        ));
                    }
                    let pure = PURE_PACKAGES.contains(&path) || PURE_FUNCS.contains(&(path, name));
                    return Class::process(pure).join(args);
                }
                // A method: only request values are told apart, and builder
                // chains on a fresh value (`options.Client().ApplyURI(uri)`).
                let recv = self.class(operand, depth + 1);
                if matches!(recv.origin, Origin::Request(_)) {
                    return recv;
                }
                if matches!(args.origin, Origin::Request(_)) {
                    return args;
                }
                if operand.kind() == "call_expression" && recv.origin == Origin::Process {
                    return Class::process(false).join(args);
                }
                Class::unknown(format!("the method call `{}`", text(callee, src)))
            }
            "identifier" => {
                let name = text(callee, src);
                match bind(callee, src) {
                    Binding::Package => {
                        if matches!(
                            name,
                            "len"
                                | "cap"
                                | "string"
                                | "int"
                                | "int32"
                                | "int64"
                                | "uint"
                                | "uint32"
                                | "uint64"
                                | "float64"
                                | "float32"
                                | "bool"
                                | "byte"
                                | "rune"
                        ) {
                            return Class::process(true).join(args);
                        }
                        if is_env_helper(self.pkg, name, 0) {
                            return Class::process(true).join(args);
                        }
                        if matches!(args.origin, Origin::Request(_)) {
                            return args;
                        }
                        Class::unknown(format!("`{name}(...)`"))
                    }
                    _ => {
                        if matches!(args.origin, Origin::Request(_)) {
                            return args;
                        }
                        Class::unknown(format!("`{name}(...)`, a function value"))
                    }
                }
            }
            // Conversions: `[]byte(s)`, `(*T)(x)`.
            k if k.ends_with("_type") || k == "parenthesized_expression" => {
                Class::process(true).join(args)
            }
            _ => Class::unknown(format!("`{}`", text(callee, src))),
        }
    }
}

/// Is `expr` a context (so that a shared client may get another one)?
/// `ctx`, `r.Context()`, `c.Request.Context()`, `c.UserContext()`, a gin
/// context, `context.Background()`, or a local bound to one of those.
pub fn is_context_expr(expr: Node, file: &GoFile, src: &str, depth: usize) -> bool {
    if depth > 4 {
        return false;
    }
    match expr.kind() {
        "parenthesized_expression" => expr
            .named_child(0)
            .is_some_and(|e| is_context_expr(e, file, src, depth + 1)),
        "call_expression" => {
            let Some(f) = expr.child_by_field_name("function") else {
                return false;
            };
            if f.kind() != "selector_expression" {
                return false;
            }
            let field = f
                .child_by_field_name("field")
                .map(|x| text(x, src))
                .unwrap_or("");
            let operand = f.child_by_field_name("operand");
            let args_empty = expr
                .child_by_field_name("arguments")
                .is_some_and(|a| a.named_child_count() == 0);
            if let Some(o) = operand
                && o.kind() == "identifier"
                && matches!(bind(o, src), Binding::Package)
                && file.imports.resolve(text(o, src)) == Some("context")
            {
                return matches!(field, "Background" | "TODO" | "WithoutCancel" | "WithValue");
            }
            args_empty && matches!(field, "Context" | "UserContext")
        }
        "identifier" => {
            let name = text(expr, src);
            match bind(expr, src) {
                Binding::Param { decl, .. } => decl.child_by_field_name("type").is_some_and(|t| {
                    is_type(t, file, &["context"], "Context", false)
                        || is_type(t, file, &["github.com/gin-gonic/gin"], "Context", true)
                }),
                Binding::Local { decl, .. } => {
                    if let Some(def) = definition(decl, name, src) {
                        return is_context_expr(def, file, src, depth + 1);
                    }
                    // `ctx, cancel := context.WithTimeout(parent, d)`
                    let first_name = decl
                        .child_by_field_name("left")
                        .and_then(|l| l.named_child(0))
                        .map(|n| text(n, src));
                    let rhs = decl
                        .child_by_field_name("right")
                        .and_then(|r| r.named_child(0));
                    first_name == Some(name)
                        && rhs.is_some_and(|r| {
                            r.kind() == "call_expression"
                                && r.child_by_field_name("function").is_some_and(|f| {
                                    let t = text(f, src);
                                    t.starts_with("context.With")
                                })
                        })
                }
                Binding::Package => false,
            }
        }
        _ => false,
    }
}

/// The one expression every value of struct type `ty` (declared in the
/// package) gets for its unexported field `field`: every composite literal
/// of the type sets it to the same expression (by text), no statement
/// assigns it or takes its address, and no value of the type is made any
/// other way (`new(T)`, a variable, slice or field of type `T` rather than
/// `*T`). The type must be unexported or in package main, so that no other
/// package can make one. Returns (file index, expression).
pub fn field_value<'a>(pkg: &'a GoPackage, ty: &str, field: &str) -> Option<(usize, Node<'a>)> {
    if !field.starts_with(|c: char| c.is_ascii_lowercase() || c == '_') {
        return None;
    }
    let exported = ty.starts_with(|c: char| c.is_ascii_uppercase());
    if exported && pkg.files.iter().any(|f| f.package_name != "main") {
        return None;
    }
    pkg.decls.struct_fields.get(ty)?.get(field)?;
    let mut value: Option<(usize, Node<'a>, String)> = None;
    for (fi, file) in pkg.files.iter().enumerate() {
        let src = file.text();
        let mut stack = vec![file.root()];
        while let Some(n) = stack.pop() {
            match n.kind() {
                "type_identifier" if text(n, src) == ty => {
                    let p = n.parent()?;
                    let ok = match p.kind() {
                        "pointer_type" | "type_spec" => true,
                        "composite_literal" => true,
                        // A value receiver is a copy of a value made elsewhere.
                        "parameter_declaration" => {
                            p.parent().and_then(|l| l.parent()).is_some_and(|m| {
                                m.kind() == "method_declaration"
                                    && m.child_by_field_name("receiver")
                                        .is_some_and(|r| r.id() == p.parent().unwrap().id())
                            })
                        }
                        _ => false,
                    };
                    if !ok {
                        return None;
                    }
                    if p.kind() == "composite_literal" {
                        let body = p.child_by_field_name("body")?;
                        let mut found = None;
                        let mut c = body.walk();
                        for e in body.named_children(&mut c) {
                            match e.kind() {
                                "keyed_element" => {
                                    let key = e.named_child(0).and_then(|k| k.named_child(0));
                                    if key.is_some_and(|k| text(k, src) == field) {
                                        found = e.named_child(1).and_then(|v| v.named_child(0));
                                    }
                                }
                                "comment" => {}
                                _ => return None, // positional fields
                            }
                        }
                        let v = found?;
                        let key = canonical(v, src);
                        match &value {
                            Some((_, _, k)) if *k != key => return None,
                            Some(_) => {}
                            None => value = Some((fi, v, key)),
                        }
                    }
                }
                // new(T)
                "call_expression"
                    if n.child_by_field_name("function")
                        .is_some_and(|f| text(f, src) == "new")
                        && n.child_by_field_name("arguments")
                            .is_some_and(|a| text(a, src).trim_matches(['(', ')', ' ']) == ty) =>
                {
                    return None;
                }
                "selector_expression" => {
                    let is_field = n
                        .child_by_field_name("field")
                        .is_some_and(|f| text(f, src) == field);
                    if is_field
                        && (is_write_target(n)
                            || n.parent().is_some_and(|p| {
                                text(p, src).starts_with('&') && p.kind() == "unary_expression"
                            }))
                    {
                        return None;
                    }
                }
                _ => {}
            }
            let mut c = n.walk();
            stack.extend(n.named_children(&mut c));
        }
    }
    value.map(|(fi, v, _)| (fi, v))
}

/// Is `n` assigned (left of `=`/`:=`, `x++`)?
fn is_write_target(n: Node) -> bool {
    let Some(p) = n.parent() else { return false };
    match p.kind() {
        "expression_list" => p.parent().is_some_and(|o| {
            matches!(o.kind(), "assignment_statement" | "short_var_declaration")
                && o.child_by_field_name("left")
                    .is_some_and(|l| l.id() == p.id())
        }),
        "inc_statement" | "dec_statement" => true,
        _ => false,
    }
}

/// An expression's tokens, for comparing two expressions by text.
fn canonical(n: Node, src: &str) -> String {
    let mut out = Vec::new();
    let mut stack = vec![n];
    while let Some(x) = stack.pop() {
        if x.child_count() == 0 {
            out.push(text(x, src).to_string());
        }
        let mut c = x.walk();
        let kids: Vec<Node> = x.children(&mut c).collect();
        stack.extend(kids.into_iter().rev());
    }
    out.join(" ")
}

/// Is `path.name(...)` free of effects and stable (evaluating it once more,
/// or once less, changes nothing)?
pub fn is_pure_call(path: &str, name: &str) -> bool {
    PURE_PACKAGES.contains(&path) || PURE_FUNCS.contains(&(path, name))
}
