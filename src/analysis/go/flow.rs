//! Where a value goes inside the function that acquired it: is it released
//! (closed, stopped, cancelled, handed to a deferred cleanup), and does it
//! escape (returned, stored in a field or a package variable, sent on a
//! channel, captured by a goroutine or by a func literal that may outlive
//! the call)? Values derived from it (`b := client.Bucket(x)`) are followed
//! too: if they escape, the value escapes with them.
//!
//! Every "don't know" answer is an escape: a rule never releases a value
//! whose fate it cannot see.

use std::collections::HashSet;

use tree_sitter::Node;

use super::scope::{Resolution, references, resolve};
use super::types::{TypeEnv, result_types};
use crate::catalog::go::{CallRef, Release};
use crate::lang::go::{enclosing_function, is_function};
use crate::lang::text;

/// Method names that release whatever they are called on.
pub const RELEASE_LIKE_METHODS: [&str; 10] = [
    "Close",
    "Stop",
    "Disconnect",
    "Shutdown",
    "Release",
    "Cancel",
    "Unsubscribe",
    "Drain",
    "Terminate",
    "Quit",
];

/// Why a value is not the function's to release.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Escape {
    Returned,
    /// Assigned to a field, an element, a package-level or outer variable.
    Stored,
    Sent,
    Goroutine,
    /// Captured by a func literal that may outlive the call (a handler).
    Closure,
    /// Put in a composite literal or appended to a slice.
    Collected,
    AddressTaken,
    /// Handed to a method of another value, or to a registration-style
    /// function, that may keep it (`engine.SetLogger(l)`, `prometheus.MustRegister(c)`).
    HandedOn,
    /// Used in a way the analysis does not model.
    Unknown,
}

impl Escape {
    pub fn describe(self) -> &'static str {
        match self {
            Escape::Returned => "it is returned to the caller",
            Escape::Stored => "it is stored outside the function",
            Escape::Sent => "it is sent on a channel",
            Escape::Goroutine => "a goroutine uses it",
            Escape::Closure => "a func literal that may outlive the call uses it",
            Escape::Collected => "it is put in a composite value",
            Escape::AddressTaken => "its address is taken",
            Escape::HandedOn => "it is handed to a call that may keep it",
            Escape::Unknown => "it is used in a way leakfix does not follow",
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Fate {
    /// Some path releases it (or hands it to a deferred cleanup).
    pub released: bool,
    /// The first escape found.
    pub escape: Option<Escape>,
    pub escape_at: Option<usize>,
    /// End of the last read of the value or of anything that may hold it.
    pub last_use: usize,
}

/// How a tracked name relates to the acquired value.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Link {
    /// The value itself, reached through these fields (`body := resp.Body` -> ["Body"]).
    Alias(Vec<String>),
    /// The result of a call the value was passed to (`head := NewHead(w)`,
    /// `gz := gzip.NewReader(f)`): it may own the value, so releasing it
    /// counts as releasing the value.
    Wrapper,
    /// Something obtained from the value (`client.Bucket(b)`, an iterator):
    /// it may keep the value alive, but releasing it does not release the value.
    Derived,
}

impl Link {
    /// The value itself or something that may own it.
    fn owns(&self) -> bool {
        !matches!(self, Link::Derived)
    }
}

/// Method names that only read or print what they are given.
const BORROWING_METHODS: [&str; 24] = [
    "Write",
    "WriteString",
    "ReadFrom",
    "WriteTo",
    "Encode",
    "Decode",
    "Print",
    "Printf",
    "Println",
    "Log",
    "Logf",
    "Debug",
    "Debugf",
    "Info",
    "Infof",
    "Warn",
    "Warnf",
    "Warning",
    "Error",
    "Errorf",
    "Fatal",
    "Fatalf",
    "Equal",
    "Contains",
];

/// Package functions that keep what they are given: registrations by exact
/// name (`http.Handle`), setters and adders by prefix followed by a word
/// (`log.SetOutput`, `prometheus.MustRegister`; not `Setup` or `HandleHTTPError`).
const KEEPING_FUNC_NAMES: [&str; 13] = [
    "Handle",
    "HandleFunc",
    "Use",
    "Keep",
    "Store",
    "Put",
    "Push",
    "Bind",
    "Mount",
    "Install",
    "Attach",
    "Watch",
    "Track",
];
const KEEPING_FUNC_PREFIXES: [&str; 4] = ["Register", "MustRegister", "Set", "Add"];

fn is_keeping_func(name: &str) -> bool {
    KEEPING_FUNC_NAMES.contains(&name)
        || KEEPING_FUNC_PREFIXES.iter().any(|p| {
            name.strip_prefix(p).is_some_and(|rest| {
                rest.is_empty() || rest.starts_with(|c: char| c.is_ascii_uppercase())
            })
        })
}

pub struct FlowCx<'a, 't> {
    pub env: &'a TypeEnv<'a>,
    pub src: &'a str,
    /// The function that acquired the value.
    pub func: Node<'t>,
}

impl<'a, 't> FlowCx<'a, 't> {
    /// Follows the value bound to `name` (declared in `scope`). Calling
    /// `release`, or one of the `also` methods, on it releases it.
    pub fn fate(&self, name: &str, scope: Node<'t>, release: &Release, also: &[String]) -> Fate {
        let mut fate = Fate::default();
        let mut seen: HashSet<(usize, String)> = HashSet::new();
        let mut work = vec![(name.to_string(), scope, Link::Alias(Vec::new()))];
        while let Some((name, scope, link)) = work.pop() {
            if !seen.insert((scope.id(), name.clone())) {
                continue;
            }
            if seen.len() > 64 {
                // Too many derived names to follow: assume the worst.
                fate.escape = Some(Escape::Unknown);
                return fate;
            }
            for r in references(scope, &name, self.src) {
                if is_write(r) {
                    continue;
                }
                fate.last_use = fate.last_use.max(r.end_byte());
                self.classify(r, &link, release, also, &mut fate, &mut work);
                if fate.escape.is_some() {
                    return fate;
                }
            }
        }
        fate
    }

    fn escape(&self, fate: &mut Fate, e: Escape, at: Node) {
        if fate.escape.is_none() {
            fate.escape = Some(e);
            fate.escape_at = Some(at.start_byte());
        }
    }

    /// Classifies one reference, walking up from it while the value flows on.
    fn classify(
        &self,
        r: Node<'t>,
        link: &Link,
        release: &Release,
        also: &[String],
        fate: &mut Fate,
        work: &mut Vec<(String, Node<'t>, Link)>,
    ) {
        // A reference inside a nested func literal: what happens to the literal?
        if let Some(e) = self.closure_escape(r) {
            self.escape(fate, e, r);
            return;
        }
        let src = self.src;
        let mut cur = r;
        let mut link = link.clone();
        // The field or method name of the selector just walked through.
        let mut last_field: Option<&str> = None;
        loop {
            let Some(parent) = cur.parent() else { return };
            match parent.kind() {
                "parenthesized_expression" => cur = parent,
                "selector_expression" if is_field(parent, "operand", cur) => {
                    let field = parent.child_by_field_name("field").map(|f| text(f, src));
                    last_field = field;
                    if let (Link::Alias(path), Some(f)) = (&mut link, field) {
                        path.push(f.to_string());
                    }
                    // A method value (`x.Close` passed somewhere) registers the release elsewhere.
                    let called = parent.parent().is_some_and(|gp| {
                        gp.kind() == "call_expression" && is_field(gp, "function", parent)
                    });
                    if !called && self.is_release_path(&link, release) {
                        fate.released = true;
                        return;
                    }
                    cur = parent;
                }
                "call_expression" if is_field(parent, "function", cur) => {
                    if self.is_release_path(&link, release) {
                        fate.released = true;
                        return;
                    }
                    if let Link::Alias(path) = &link
                        && path.len() == 1
                        && (RELEASE_LIKE_METHODS.contains(&path[0].as_str())
                            || also.contains(&path[0]))
                    {
                        fate.released = true;
                        return;
                    }
                    if link == Link::Wrapper
                        && last_field.is_some_and(|m| RELEASE_LIKE_METHODS.contains(&m))
                    {
                        fate.released = true; // `defer head.Close()` closes what it owns
                        return;
                    }
                    if in_go_statement(parent) {
                        self.escape(fate, Escape::Goroutine, parent);
                        return;
                    }
                    if self.has_plain_results(parent, Some(cur)) {
                        return; // f.Name(), f.Stat(): plain data
                    }
                    // The call's result flows on and may keep the value alive.
                    link = Link::Derived;
                    cur = parent;
                }
                "argument_list" => {
                    let Some(call) = parent.parent() else { return };
                    let callee = call.child_by_field_name("function");
                    let callee_name = callee.map(|c| last_name(c, src)).unwrap_or("");
                    if callee_name == "append" {
                        // Data appended to a slice of plain values cannot keep the value alive.
                        let first = parent.named_child(0);
                        let into_plain = matches!(link, Link::Derived)
                            && first.is_some_and(|f| f.id() != cur.id())
                            && first.and_then(|f| self.env.full_type_of(f)).is_some_and(
                                |t| matches!(&t, super::GoType::Slice(e) if self.env.is_plain(e)),
                            );
                        if !into_plain {
                            self.escape(fate, Escape::Collected, cur);
                        }
                        return;
                    }
                    if self.has_plain_results(call, callee) {
                        return; // len(b), string(b), io.ReadAll(f), strconv.Itoa(n): plain data
                    }
                    if in_go_statement(call) {
                        self.escape(fate, Escape::Goroutine, call);
                        return;
                    }
                    if link.owns()
                        && (in_defer_statement(call)
                            || is_cleanup_name(callee_name)
                            || self.is_consumer(call)
                            || self.helper_releases(callee, parent, cur))
                    {
                        // `defer closeQuietly(x)`, `mustClose(x)`, `srv.Serve(lis)`,
                        // `readResponse(resp)` that closes it: someone else releases it.
                        fate.released = true;
                        return;
                    }
                    if link.owns()
                        && let Some(c) = callee
                        && self.may_keep(c, callee_name)
                    {
                        self.escape(fate, Escape::HandedOn, call);
                        return;
                    }
                    link = if link.owns() {
                        Link::Wrapper
                    } else {
                        Link::Derived
                    };
                    cur = call;
                }
                "expression_list" => {
                    let Some(owner) = parent.parent() else { return };
                    match owner.kind() {
                        "return_statement" => {
                            if !self.returns_plain(owner, parent, cur) {
                                self.escape(fate, Escape::Returned, cur);
                            }
                            return;
                        }
                        "short_var_declaration" | "assignment_statement" => {
                            if is_field(owner, "left", parent) {
                                return; // written, not read
                            }
                            self.flow_into_targets(owner, parent, cur, &link, fate, work);
                            return;
                        }
                        "var_spec" => {
                            self.flow_into_var_spec(owner, parent, cur, &link, work);
                            return;
                        }
                        _ => {
                            self.escape(fate, Escape::Unknown, cur);
                            return;
                        }
                    }
                }
                "literal_element" | "keyed_element" | "literal_value" | "composite_literal" => {
                    self.escape(fate, Escape::Collected, cur);
                    return;
                }
                "send_statement" => {
                    if is_field(parent, "value", cur) {
                        self.escape(fate, Escape::Sent, cur);
                    }
                    return;
                }
                "unary_expression" => {
                    let op = parent.child_by_field_name("operator").map(|o| text(o, src));
                    match op {
                        Some("&") => {
                            self.escape(fate, Escape::AddressTaken, cur);
                            return;
                        }
                        Some("*") | Some("<-") => {
                            link = Link::Derived;
                            cur = parent;
                        }
                        _ => return, // !x, -x: a plain value
                    }
                }
                "index_expression" | "slice_expression" | "type_assertion_expression" => {
                    // x[i], x[a:b], x.(T); or x used as an index (`m[x]`: plain use).
                    if parent.kind() == "index_expression" && !is_field(parent, "operand", cur) {
                        return;
                    }
                    link = match (&link, parent.kind()) {
                        (Link::Alias(p), "type_assertion_expression") => Link::Alias(p.clone()),
                        _ => Link::Derived,
                    };
                    cur = parent;
                }
                "range_clause" => {
                    if is_field(parent, "right", cur)
                        && let Some(left) = parent.child_by_field_name("left")
                    {
                        let mut c = left.walk();
                        for id in left.named_children(&mut c) {
                            self.track_local(id, Link::Derived, fate, work);
                        }
                    }
                    return;
                }
                "go_statement" => {
                    self.escape(fate, Escape::Goroutine, cur);
                    return;
                }
                // Plain uses: comparisons, conditions, discarded results, defer of a call.
                "binary_expression"
                | "if_statement"
                | "expression_statement"
                | "defer_statement"
                | "expression_switch_statement"
                | "expression_case"
                | "for_statement"
                | "for_clause"
                | "inc_statement"
                | "dec_statement"
                | "type_switch_statement"
                | "receive_statement" => return,
                _ => {
                    self.escape(fate, Escape::Unknown, cur);
                    return;
                }
            }
        }
    }

    fn is_release_path(&self, link: &Link, release: &Release) -> bool {
        matches!(link, Link::Alias(p) if p.as_slice() == release.path())
    }

    /// `a, b := <expr>`: the names the expression flows into.
    fn flow_into_targets(
        &self,
        owner: Node<'t>,
        right: Node<'t>,
        value: Node<'t>,
        link: &Link,
        fate: &mut Fate,
        work: &mut Vec<(String, Node<'t>, Link)>,
    ) {
        if owner.kind() == "assignment_statement"
            && owner
                .child_by_field_name("operator")
                .is_some_and(|o| text(o, self.src) != "=")
        {
            // `x += y` and friends: arithmetic on plain values.
            return;
        }
        let Some(left) = owner.child_by_field_name("left") else {
            return;
        };
        let mut c = left.walk();
        let targets: Vec<Node> = left.named_children(&mut c).collect();
        let mut c = right.walk();
        let values: Vec<Node> = right.named_children(&mut c).collect();
        let chosen: Vec<Node> = if values.len() == targets.len() {
            values
                .iter()
                .position(|v| v.id() == value.id())
                .map(|i| vec![targets[i]])
                .unwrap_or_default()
        } else {
            targets
        };
        let link = match link {
            Link::Alias(p) if values.len() == chosen.len() || chosen.len() == 1 => {
                Link::Alias(p.clone())
            }
            // `head, err := NewHead(w)`: the first result is the wrapper.
            Link::Wrapper | Link::Alias(_) => Link::Wrapper,
            Link::Derived => Link::Derived,
        };
        for t in chosen {
            self.track_local(t, link.clone(), fate, work);
        }
    }

    fn flow_into_var_spec(
        &self,
        spec: Node<'t>,
        _value_list: Node<'t>,
        _value: Node<'t>,
        link: &Link,
        work: &mut Vec<(String, Node<'t>, Link)>,
    ) {
        let mut c = spec.walk();
        for name in spec.children_by_field_name("name", &mut c) {
            if let Resolution::Local { scope, .. } =
                resolve(self.func, text(name, self.src), name, self.src)
            {
                work.push((text(name, self.src).to_string(), scope, link.clone()));
            }
        }
    }

    /// A target of an assignment: a local name is followed; anything else is a store.
    fn track_local(
        &self,
        target: Node<'t>,
        link: Link,
        fate: &mut Fate,
        work: &mut Vec<(String, Node<'t>, Link)>,
    ) {
        // Data derived from the value, stored where only plain values fit
        // (`counts[p] = n`, `s.status = resp.StatusCode`), cannot keep it alive.
        if link == Link::Derived
            && self
                .env
                .full_type_of(target)
                .is_some_and(|t| self.env.is_plain(&t))
        {
            return;
        }
        if target.kind() != "identifier" {
            self.escape(fate, Escape::Stored, target);
            return;
        }
        let name = text(target, self.src);
        if name == "_" {
            return;
        }
        let func = enclosing_function(target).unwrap_or(self.func);
        match resolve(func, name, target, self.src) {
            Resolution::Local { scope, .. }
                if func.id() == self.func.id() || is_nested_in(func, self.func) =>
            {
                work.push((name.to_string(), scope, link));
            }
            _ => self.escape(fate, Escape::Stored, target),
        }
    }

    /// Does the returned expression at `value` have a type that cannot hold the value?
    fn returns_plain(&self, ret: Node<'t>, list: Node<'t>, value: Node<'t>) -> bool {
        let Some(func) = enclosing_function(ret) else {
            return false;
        };
        let results = result_types(func, self.env.file, &self.env.pkg.import_path);
        let mut c = list.walk();
        let values: Vec<Node> = list.named_children(&mut c).collect();
        let types: Vec<_> = if values.len() == results.len() {
            match values.iter().position(|v| v.id() == value.id()) {
                Some(i) => vec![results[i].clone()],
                None => return false,
            }
        } else {
            results
        };
        !types.is_empty() && types.iter().all(|t| self.env.is_plain(t))
    }

    /// If `r` sits in func literals nested inside the acquiring function,
    /// does any of them outlive the call?
    fn closure_escape(&self, r: Node<'t>) -> Option<Escape> {
        let mut cur = r;
        while let Some(p) = cur.parent() {
            if p.id() == self.func.id() {
                return None;
            }
            if p.kind() == "func_literal" {
                if let Some(e) = self.literal_fate(p) {
                    return Some(e);
                }
            } else if is_function(p) {
                return Some(Escape::Unknown);
            }
            cur = p;
        }
        Some(Escape::Unknown)
    }

    fn literal_fate(&self, lit: Node<'t>) -> Option<Escape> {
        let mut parent = lit.parent()?;
        let mut child = lit;
        while parent.kind() == "parenthesized_expression" {
            child = parent;
            parent = parent.parent()?;
        }
        match parent.kind() {
            // func() { ... }() runs now; `go func(){}()` does not.
            "call_expression" if is_field(parent, "function", child) => {
                in_go_statement(parent).then_some(Escape::Goroutine)
            }
            "argument_list" => {
                let call = parent.parent()?;
                if in_go_statement(call) {
                    return Some(Escape::Goroutine);
                }
                if self.is_sync_callback(call) {
                    None
                } else {
                    Some(Escape::Closure)
                }
            }
            _ => Some(Escape::Closure),
        }
    }

    fn is_sync_callback(&self, call: Node<'t>) -> bool {
        self.with_call_ref(call, |c| self.env.catalog.is_sync_callback(c))
    }

    /// A method of another value (not the value itself, not a package), or a
    /// registration-style package function, may keep what it is given.
    fn may_keep(&self, callee: Node<'t>, name: &str) -> bool {
        if callee.kind() != "selector_expression" {
            return false;
        }
        let Some(operand) = callee.child_by_field_name("operand") else {
            return false;
        };
        if self.env.package_of(operand).is_some() {
            return is_keeping_func(name);
        }
        !BORROWING_METHODS.contains(&name)
    }

    /// A function of this package that releases the parameter it is given.
    fn helper_releases(&self, callee: Option<Node<'t>>, args: Node<'t>, arg: Node<'t>) -> bool {
        let Some(c) = callee.filter(|c| c.kind() == "identifier") else {
            return false;
        };
        let name = text(c, self.src);
        if self.env.is_local(name) {
            return false;
        }
        let mut cursor = args.walk();
        let Some(index) = args
            .named_children(&mut cursor)
            .position(|a| a.id() == arg.id())
        else {
            return false;
        };
        self.env
            .pkg
            .decls
            .releasing_params
            .get(name)
            .is_some_and(|params| params.contains(&index))
    }

    /// Builtins and conversions to basic types, and catalog `[[plain]]` calls.
    fn has_plain_results(&self, call: Node<'t>, callee: Option<Node<'t>>) -> bool {
        const PLAIN_BUILTINS: [&str; 18] = [
            "len", "cap", "string", "int", "int8", "int16", "int32", "int64", "uint", "uint8",
            "uint16", "uint32", "uint64", "float32", "float64", "bool", "byte", "rune",
        ];
        if let Some(c) = callee
            && c.kind() == "identifier"
        {
            let name = text(c, self.src);
            return PLAIN_BUILTINS.contains(&name) && !self.env.is_local(name);
        }
        self.with_call_ref(call, |c| self.env.catalog.has_plain_results(c))
    }

    fn is_consumer(&self, call: Node<'t>) -> bool {
        self.with_call_ref(call, |c| self.env.catalog.is_consumer(c))
    }

    /// Describes a call for the catalog (`pkg.F(...)` or `recv.M(...)`).
    fn with_call_ref(&self, call: Node<'t>, f: impl Fn(CallRef<'_>) -> bool) -> bool {
        self.env.with_call_ref(call, f).unwrap_or(false)
    }
}

fn is_field(parent: Node, field: &str, child: Node) -> bool {
    parent
        .child_by_field_name(field)
        .is_some_and(|c| c.id() == child.id())
}

/// Is this identifier being assigned (left of `=`/`:=`, or a var name)?
fn is_write(ident: Node) -> bool {
    let Some(p) = ident.parent() else {
        return false;
    };
    match p.kind() {
        "expression_list" => p.parent().is_some_and(|o| {
            matches!(o.kind(), "short_var_declaration" | "assignment_statement")
                && is_field(o, "left", p)
        }),
        "var_spec" => {
            is_field(p, "name", ident) || {
                let mut c = p.walk();
                p.children_by_field_name("name", &mut c)
                    .any(|n| n.id() == ident.id())
            }
        }
        "range_clause" => is_field(p, "left", ident),
        _ => false,
    }
}

fn in_go_statement(call: Node) -> bool {
    call.parent().is_some_and(|p| p.kind() == "go_statement")
}

fn in_defer_statement(call: Node) -> bool {
    call.parent().is_some_and(|p| p.kind() == "defer_statement")
}

/// The last name of a callee (`pkg.Close` -> `Close`, `closeAll` -> `closeAll`).
fn last_name<'s>(callee: Node, src: &'s str) -> &'s str {
    match callee.kind() {
        "selector_expression" => callee
            .child_by_field_name("field")
            .map(|f| text(f, src))
            .unwrap_or(""),
        "identifier" => text(callee, src),
        _ => "",
    }
}

/// Helpers that by their name release what they are given.
pub fn is_cleanup_name(name: &str) -> bool {
    let l = name.to_ascii_lowercase();
    [
        "close", "release", "cleanup", "shutdown", "dispose", "stop", "cancel",
    ]
    .iter()
    .any(|w| l.contains(w))
}

fn is_nested_in(inner: Node, outer: Node) -> bool {
    outer.start_byte() <= inner.start_byte() && inner.end_byte() <= outer.end_byte()
}
