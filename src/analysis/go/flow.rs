//! Where a value goes inside the function that holds it: every place it is
//! released (closed, stopped, cancelled, handed to a callee that releases
//! it, registered in a `defer`) and every place it escapes (returned, stored
//! in a field or a package variable, sent on a channel, captured by a
//! goroutine or by a func literal that may outlive the call, kept by a
//! callee). Values that hold it are followed too: a local struct or slice
//! it was put in, the result of a call that wraps it (`bufio.NewReader(f)`),
//! data derived from it whose type can keep a reference to it.
//!
//! Calls are judged by the callee's summary (`summaries`) when its source
//! can be read: a callee that only uses its parameter borrows it, one that
//! closes it releases it, one that stores it keeps it. Without a summary,
//! the catalog and conservative heuristics decide. Every "don't know" is an
//! escape: a rule never releases a value whose fate it cannot see.
//!
//! The sites are syntax nodes; `ownership` places them on the function's
//! control-flow graph to ask which paths release the value.

use std::collections::HashSet;

use tree_sitter::Node;

use super::GoType;
use super::scope::{Resolution, references, resolve};
use super::summaries::{self, ParamFate};
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

/// Why a value is not (only) the function's to release.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Escape {
    Returned,
    /// Assigned to a field, an element, a package-level or outer variable.
    Stored,
    Sent,
    Goroutine,
    /// Captured by a func literal that may outlive the call.
    Closure,
    /// A callback bound to it (a func literal capturing it, or a method
    /// value `x.serve`) handed to a call that may keep it: registered
    /// elsewhere (`mux.HandleFunc("/", s.serve)`).
    Registered,
    /// Put in a composite value whose fate is not followed.
    Collected,
    AddressTaken,
    /// Handed to a call that may keep it (`engine.SetLogger(l)`,
    /// `prometheus.MustRegister(c)`), judged by name without a summary.
    HandedOn,
    /// Stored into (a value reachable from) parameter `n` of the function
    /// (0 is the receiver of a method): it lives as long as the caller's value.
    IntoParam(usize),
    /// Its address (`srv.URL`, `ln.Addr()`) is read in a function that
    /// hands results back: whoever gets the address still needs the value.
    Addressed,
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
            Escape::Registered => "a callback bound to it is registered elsewhere",
            Escape::Collected => "it is put in a composite value",
            Escape::AddressTaken => "its address is taken",
            Escape::HandedOn => "it is handed to a call that may keep it",
            Escape::IntoParam(_) => "it is stored in a value the caller passed in",
            Escape::Addressed => "its address leaves the function, so it is still in use",
            Escape::Unknown => "it is used in a way leakfix does not follow",
        }
    }

    /// Does the escape happen exactly where it is found (so paths that do
    /// not pass it still own the value)? The others may happen anywhere.
    pub fn is_precise(self) -> bool {
        matches!(
            self,
            Escape::Returned
                | Escape::Stored
                | Escape::Sent
                | Escape::Goroutine
                | Escape::IntoParam(_)
        )
    }
}

/// How a release was recognised, for the finding's notes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReleasedBy {
    /// The release method itself, on the value or an alias.
    Method,
    /// A deferred call or cleanup helper that takes it.
    Cleanup,
    /// A callee whose summary says it releases the parameter.
    Callee(String),
    /// A catalog consumer (`srv.Serve(lis)`).
    Consumer,
    /// A wrapper that owns it was released.
    Wrapper,
}

#[derive(Clone, Debug, Default)]
pub struct Fate<'t> {
    /// Where it is released.
    pub releases: Vec<(Node<'t>, ReleasedBy)>,
    /// Where it escapes.
    pub escapes: Vec<(Escape, Node<'t>)>,
    /// End of the last read of the value or of anything that may hold it.
    pub last_use: usize,
    /// Where it flows into another local (an alias or a holder), with the
    /// scope that local is declared in.
    pub transfers: Vec<(Node<'t>, Node<'t>)>,
    /// Calls it was handed to whose source could not be read, and whose
    /// result may own it: on their error path they may have released it.
    pub handoffs: Vec<Node<'t>>,
}

impl<'t> Fate<'t> {
    pub fn released(&self) -> bool {
        !self.releases.is_empty()
    }

    /// The first escape, if any.
    pub fn escape(&self) -> Option<Escape> {
        self.escapes.first().map(|(e, _)| *e)
    }

    /// The first escape that may happen anywhere (not at one known place).
    pub fn imprecise_escape(&self) -> Option<Escape> {
        self.escapes
            .iter()
            .map(|(e, _)| *e)
            .find(|e| !e.is_precise())
    }
}

/// How a tracked name relates to the value.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Link {
    /// The value itself, reached through these fields (`body := resp.Body` -> ["Body"]).
    Alias(Vec<String>),
    /// Something that holds the value and may own it: the result of a call
    /// it was passed to (`gz := gzip.NewReader(f)`), a local struct, slice
    /// or map it was put in. Releasing it counts as releasing the value.
    Wrapper,
    /// Something that holds the value but never releases it: a standard
    /// library reader or writer around it (`zip.NewWriter(f)`), whose Close
    /// flushes and leaves the value open. It keeps the value alive wherever
    /// it goes, like a wrapper; releasing it releases nothing.
    View,
    /// Something obtained from the value (`client.Bucket(b)`, an iterator):
    /// it may keep the value alive, but releasing it does not release it.
    Derived,
}

impl Link {
    /// The value itself or something that may own it.
    fn owns(&self) -> bool {
        !matches!(self, Link::Derived)
    }

    /// Does releasing it (or handing it to a callee that does) release the
    /// value?
    fn releases(&self) -> bool {
        !matches!(self, Link::Derived | Link::View)
    }
}

/// Does a method of this name, called on something that holds the value,
/// release what it holds? The release-like names, and compounds that start
/// with one (`StopAndClear`, `CloseAll`).
fn releases_what_it_holds(m: &str) -> bool {
    RELEASE_LIKE_METHODS.iter().any(|r| {
        m.strip_prefix(r).is_some_and(|rest| {
            rest.is_empty() || rest.starts_with(|c: char| c.is_ascii_uppercase())
        })
    })
}

/// Method names that only read or print what they are given.
/// Fields and methods that give a server's or listener's address.
const ADDRESS_ACCESSORS: [&str; 5] = ["URL", "Addr", "Address", "Endpoint", "Port"];

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

pub fn is_keeping_func(name: &str) -> bool {
    KEEPING_FUNC_NAMES.contains(&name)
        || KEEPING_FUNC_PREFIXES.iter().any(|p| {
            name.strip_prefix(p).is_some_and(|rest| {
                rest.is_empty() || rest.starts_with(|c: char| c.is_ascii_uppercase())
            })
        })
}

/// What releases the tracked value.
#[derive(Clone, Debug)]
pub struct ReleaseSpec {
    /// The release from the catalog or the value's type (`{v}.Close()`).
    pub release: Option<Release>,
    /// Other methods that release it too.
    pub also: Vec<String>,
    /// The value's type is unknown: any release-like method called with at
    /// most one argument counts (conservative: a release found means no
    /// finding, and no second release).
    pub loose: bool,
    /// Receiving from this field releases it too (a fired `time.Timer`
    /// holds nothing: `<-t.C`).
    pub released_by_receive: Option<String>,
}

impl ReleaseSpec {
    pub fn exact(release: Release, also: &[String]) -> ReleaseSpec {
        ReleaseSpec {
            release: Some(release),
            also: also.to_vec(),
            loose: false,
            released_by_receive: None,
        }
    }

    pub fn loose() -> ReleaseSpec {
        ReleaseSpec {
            release: None,
            also: Vec::new(),
            loose: true,
            released_by_receive: None,
        }
    }
}

pub struct FlowCx<'a, 't> {
    pub env: &'a TypeEnv<'a>,
    pub src: &'a str,
    /// The function that holds the value.
    pub func: Node<'t>,
}

/// At most this many names are followed for one value.
const MAX_TRACKED: usize = 64;

impl<'a, 't> FlowCx<'a, 't> {
    /// Follows the value bound to `name` (declared in `scope`, the function
    /// for a parameter).
    pub fn fate(&self, name: &str, scope: Node<'t>, release: &ReleaseSpec) -> Fate<'t> {
        let mut fate = Fate::default();
        let mut seen: HashSet<(usize, String)> = HashSet::new();
        let mut work = vec![(name.to_string(), scope, Link::Alias(Vec::new()))];
        while let Some((name, scope, link)) = work.pop() {
            if !seen.insert((scope.id(), name.clone())) {
                continue;
            }
            if seen.len() > MAX_TRACKED {
                // Too many names to follow: assume the worst.
                fate.escapes.push((Escape::Unknown, scope));
                return fate;
            }
            for r in references(scope, &name, self.src) {
                if is_write(r) {
                    continue;
                }
                fate.last_use = fate.last_use.max(r.end_byte());
                self.classify(r, &link, release, &mut fate, &mut work);
                if fate.escapes.len() > 32 {
                    return fate;
                }
            }
        }
        fate
    }

    fn escape(&self, fate: &mut Fate<'t>, e: Escape, at: Node<'t>) {
        fate.escapes.push((e, at));
    }

    fn release(&self, fate: &mut Fate<'t>, at: Node<'t>, by: ReleasedBy) {
        fate.releases.push((at, by));
    }

    /// Classifies one reference, walking up from it while the value flows on.
    fn classify(
        &self,
        r: Node<'t>,
        link: &Link,
        spec: &ReleaseSpec,
        fate: &mut Fate<'t>,
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
                // `f(xs...)`: the argument is the slice itself.
                "parenthesized_expression" | "variadic_argument" => cur = parent,
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
                    if !called && self.is_release_call(&link, spec, None) {
                        self.release(fate, parent, ReleasedBy::Method);
                        return;
                    }
                    // A method value handed to a call (`mux.HandleFunc("/",
                    // s.serve)`) registers a callback bound to the value.
                    if !called
                        && link.owns()
                        && let Some(args) = parent.parent().filter(|g| g.kind() == "argument_list")
                        && let Some(call) = args.parent()
                        && self.is_method_value(parent)
                        && self.registers_callback(call)
                    {
                        self.escape(fate, Escape::Registered, call);
                        return;
                    }
                    // The address of a server or listener (`srv.URL`,
                    // `ln.Addr()`) read by a function that returns
                    // something: the address may leave with it, and whoever
                    // dials it needs the value alive.
                    if matches!(&link, Link::Alias(p) if p.len() <= 2)
                        && field.is_some_and(|f| ADDRESS_ACCESSORS.contains(&f))
                        && self.returns_values()
                    {
                        self.escape(fate, Escape::Addressed, parent);
                        return;
                    }
                    // A field of plain data (`resp.StatusCode`) is not the value.
                    if !called
                        && self
                            .env
                            .full_type_of(parent)
                            .is_some_and(|t| self.env.is_plain(&t))
                    {
                        return;
                    }
                    cur = parent;
                }
                "call_expression" if is_field(parent, "function", cur) => {
                    if self.is_release_call(&link, spec, Some(parent)) {
                        self.release(fate, parent, ReleasedBy::Method);
                        return;
                    }
                    if link == Link::Wrapper && last_field.is_some_and(releases_what_it_holds) {
                        // `defer head.Close()` closes what it owns.
                        self.release(fate, parent, ReleasedBy::Wrapper);
                        return;
                    }
                    if in_go_statement(parent) {
                        self.escape(fate, Escape::Goroutine, parent);
                        return;
                    }
                    // A method of the value (or of what holds it): its summary
                    // says what it does with its receiver.
                    if link.owns()
                        && matches!(&link, Link::Alias(p) if p.len() == 1)
                        && let Some(cs) = summaries::of_call(self.env, parent)
                        && let Some(fate_of_recv) = cs.receiver()
                        && self.apply_param_fate(
                            receiver_policy(fate_of_recv),
                            parent,
                            None,
                            &link,
                            fate,
                            work,
                        )
                    {
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
                    if callee_name == "append" && callee.is_some_and(|c| c.kind() == "identifier") {
                        let first = parent.named_child(0);
                        // Data appended to a slice of plain values cannot keep the value alive.
                        let into_plain = matches!(link, Link::Derived)
                            && first.is_some_and(|f| f.id() != cur.id())
                            && first.and_then(|f| self.env.full_type_of(f)).is_some_and(
                                |t| matches!(&t, GoType::Slice(e) if self.env.is_plain(e)),
                            );
                        if into_plain {
                            return;
                        }
                        // The new slice holds it.
                        link = if link.owns() {
                            Link::Wrapper
                        } else {
                            Link::Derived
                        };
                        cur = call;
                        continue;
                    }
                    if in_go_statement(call) {
                        self.escape(fate, Escape::Goroutine, call);
                        return;
                    }
                    // Go code passes contexts down for the call's duration; it
                    // does not keep them (a goroutine started with one is meant
                    // to stop when it is done).
                    if matches!(link, Link::Alias(ref p) if p.is_empty()) && self.is_context(cur) {
                        return;
                    }
                    if link.releases() && self.is_consumer(call) {
                        self.release(fate, call, ReleasedBy::Consumer);
                        return;
                    }
                    // Data derived from the value: plain data goes anywhere, and a
                    // call whose results cannot hold it only reads it.
                    if !link.owns()
                        && (self
                            .env
                            .full_type_of(cur)
                            .is_some_and(|t| self.env.is_plain(&t))
                            || self.has_plain_results(call, callee))
                    {
                        return;
                    }
                    // A standard-library wrapper (`zip.NewWriter(f)`): its
                    // Close does not close what it wraps.
                    if link.owns()
                        && !self.has_plain_results(call, callee)
                        && self.std_wrapper_borrows(call, parent, cur)
                    {
                        link = Link::View;
                        cur = call;
                        continue;
                    }
                    // The callee's summary, when its source can be read.
                    if let Some(cs) = summaries::of_call(self.env, call)
                        && let Some(index) = arg_index(parent, cur)
                        && let Some(pf) = cs.arg(index)
                    {
                        if link.owns()
                            || matches!(pf, ParamFate::Escapes(_) | ParamFate::IntoParam(_))
                        {
                            if self.apply_param_fate(pf, call, Some(parent), &link, fate, work) {
                                return;
                            }
                            if pf == ParamFate::IntoResult {
                                link = if link.owns() {
                                    Link::Wrapper
                                } else {
                                    Link::Derived
                                };
                                cur = call;
                                continue;
                            }
                        } else if pf == ParamFate::Borrowed {
                            return;
                        }
                    }
                    if self.has_plain_results(call, callee) {
                        return; // len(b), string(b), io.ReadAll(f), strconv.Itoa(n): plain data
                    }
                    if link.releases()
                        && (in_defer_statement(call)
                            || is_cleanup_name(callee_name)
                            || self.helper_releases(callee, parent, cur))
                    {
                        // `defer closeQuietly(x)`, `mustClose(x)`: someone else releases it.
                        self.release(fate, call, ReleasedBy::Cleanup);
                        return;
                    }
                    if link.owns() && self.io_parameter_only(call, parent, cur) {
                        return; // template.Execute(f, v), client.Export(ctx, w)
                    }
                    // `buf.Reset(r)`, `l.SetOutput(w)` on a local: the local
                    // now holds it.
                    if link.owns()
                        && self.is_io_param(call, parent, cur)
                        && self.may_keep_in_receiver(call)
                        && let Some(recv) = callee
                            .and_then(|c| c.child_by_field_name("operand"))
                            .filter(|o| o.kind() == "identifier")
                        && matches!(
                            resolve(self.func, text(recv, src), recv, src),
                            Resolution::Local { .. }
                        )
                        && !self.is_shared_local(recv)
                    {
                        self.track_local(recv, Link::Wrapper, fate, work);
                        return;
                    }
                    if link.owns()
                        && let Some(c) = callee
                        && self.may_keep(c, callee_name, cur)
                    {
                        self.escape(fate, Escape::HandedOn, call);
                        return;
                    }
                    if link.owns() {
                        fate.handoffs.push(call);
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
                            // The value itself is handed to the caller
                            // whatever its type looks like; what holds it or
                            // was derived from it, only if it can hold it.
                            if matches!(link, Link::Alias(_))
                                || !self.returns_plain(owner, parent, cur)
                            {
                                self.escape(fate, Escape::Returned, owner);
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
                            self.flow_into_var_spec(owner, &link, work);
                            return;
                        }
                        _ => {
                            self.escape(fate, Escape::Unknown, cur);
                            return;
                        }
                    }
                }
                "literal_element" | "keyed_element" | "literal_value" => {
                    // Climb to the composite literal; keys are not values.
                    if parent.kind() == "keyed_element"
                        && parent.named_child(0).is_some_and(|k| k.id() == cur.id())
                        && parent.named_child_count() > 1
                    {
                        return;
                    }
                    cur = parent;
                }
                "composite_literal" => {
                    // The composite value holds it from here on.
                    link = if link.owns() {
                        Link::Wrapper
                    } else {
                        Link::Derived
                    };
                    cur = parent;
                }
                "send_statement" => {
                    if is_field(parent, "value", cur) {
                        self.escape(fate, Escape::Sent, parent);
                    }
                    return;
                }
                "unary_expression" => {
                    let op = parent.child_by_field_name("operator").map(|o| text(o, src));
                    match op {
                        Some("&") if cur.kind() == "composite_literal" => cur = parent,
                        Some("&") => {
                            // `&x` handed to a call that decodes into it, or kept.
                            self.escape(fate, Escape::AddressTaken, cur);
                            return;
                        }
                        Some("<-")
                            if matches!(&link, Link::Alias(p)
                                if p.len() == 1 && spec.released_by_receive.as_deref() == Some(p[0].as_str())) =>
                        {
                            self.release(fate, parent, ReleasedBy::Method);
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
                        // An element of a slice or map that holds the value: the value.
                        (Link::Wrapper, "index_expression") => Link::Alias(Vec::new()),
                        (Link::Wrapper, _) => Link::Wrapper,
                        (Link::View, _) => Link::View,
                        _ => Link::Derived,
                    };
                    cur = parent;
                }
                "range_clause" => {
                    if is_field(parent, "right", cur)
                        && let Some(left) = parent.child_by_field_name("left")
                    {
                        let mut c = left.walk();
                        let names: Vec<Node> = left.named_children(&mut c).collect();
                        for (i, id) in names.iter().enumerate() {
                            // Ranging over a slice that holds values: the value is the element.
                            let l = match (&link, i) {
                                (Link::Wrapper, 1) => Link::Alias(Vec::new()),
                                (Link::Wrapper, 0) if names.len() == 1 => Link::Derived,
                                _ => Link::Derived,
                            };
                            self.track_local(*id, l, fate, work);
                        }
                    }
                    return;
                }
                "go_statement" => {
                    self.escape(fate, Escape::Goroutine, parent);
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

    /// Applies a callee's summary for one of its parameters to the value
    /// (`args` is None for the receiver). True when it decided the use.
    fn apply_param_fate(
        &self,
        pf: ParamFate,
        call: Node<'t>,
        args: Option<Node<'t>>,
        link: &Link,
        fate: &mut Fate<'t>,
        work: &mut Vec<(String, Node<'t>, Link)>,
    ) -> bool {
        let callee = call
            .child_by_field_name("function")
            .map(|f| text(f, self.src).to_string())
            .unwrap_or_default();
        match pf {
            ParamFate::Borrowed => {
                // Only used during the call; the call's result may still hold
                // it when the parameter is the receiver (methods returning
                // handles are judged by their result types elsewhere).
                args.is_some()
            }
            ParamFate::Released | ParamFate::ReleasedSometimes => {
                if link.releases() {
                    self.release(fate, call, ReleasedBy::Callee(callee));
                }
                true
            }
            ParamFate::IntoResult => false, // the result holds it: keep walking up
            ParamFate::IntoParam(j) => {
                // It now lives in the call's j-th parameter (0: the receiver).
                let holder = if let Some(args) = args {
                    let recv_offset = summaries::receiver_offset(self.env, call);
                    if j < recv_offset {
                        call.child_by_field_name("function")
                            .and_then(|f| f.child_by_field_name("operand"))
                    } else {
                        let mut c = args.walk();
                        args.named_children(&mut c).nth(j - recv_offset)
                    }
                } else {
                    let recv_offset = summaries::receiver_offset(self.env, call);
                    call.child_by_field_name("arguments").and_then(|a| {
                        let mut c = a.walk();
                        a.named_children(&mut c).nth(j.checked_sub(recv_offset)?)
                    })
                };
                match holder {
                    Some(h) if h.kind() == "identifier" => {
                        self.track_local(h, Link::Wrapper, fate, work);
                    }
                    Some(h) => {
                        let e = self.store_escape(h);
                        self.escape(fate, e, call);
                    }
                    None => self.escape(fate, Escape::Unknown, call),
                }
                true
            }
            ParamFate::Escapes(e) => {
                self.escape(fate, e, call);
                true
            }
            ParamFate::Unknown => false,
        }
    }

    fn is_release_call(&self, link: &Link, spec: &ReleaseSpec, call: Option<Node<'t>>) -> bool {
        let Link::Alias(path) = link else {
            return false;
        };
        if let Some(r) = &spec.release
            && path.as_slice() == r.path()
        {
            return true;
        }
        if path.len() != 1 {
            return false;
        }
        let m = path[0].as_str();
        if spec.also.iter().any(|a| a == m) {
            return true;
        }
        // Without a known release, a release-like method called with at most
        // one argument (a context) is taken as the release.
        spec.loose
            && RELEASE_LIKE_METHODS.contains(&m)
            && call.is_none_or(|c| {
                c.child_by_field_name("arguments")
                    .is_some_and(|a| a.named_child_count() <= 1)
            })
    }

    /// `a, b := <expr>`: the names the expression flows into.
    fn flow_into_targets(
        &self,
        owner: Node<'t>,
        right: Node<'t>,
        value: Node<'t>,
        link: &Link,
        fate: &mut Fate<'t>,
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
            Link::View => Link::View,
            Link::Derived => Link::Derived,
        };
        for t in chosen {
            self.track_local(t, link.clone(), fate, work);
        }
    }

    fn flow_into_var_spec(
        &self,
        spec: Node<'t>,
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

    /// A target of an assignment: a local name is followed; a field or
    /// element of a local value makes that value a holder; anything else is
    /// a store.
    fn track_local(
        &self,
        target: Node<'t>,
        link: Link,
        fate: &mut Fate<'t>,
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
            // `local.f = x`, `local[k] = x`: the local holds it (or, for
            // data derived from it, something that keeps it alive).
            if let Some(root) = root_identifier(target)
                && root.id() != target.id()
                && let Resolution::Local { scope, .. } =
                    resolve(self.func, text(root, self.src), root, self.src)
                && !self.is_shared_local(root)
            {
                fate.transfers.push((target, scope));
                let holder = if link.owns() {
                    Link::Wrapper
                } else {
                    Link::Derived
                };
                work.push((text(root, self.src).to_string(), scope, holder));
                return;
            }
            let e = self.store_escape(target);
            self.escape(fate, e, target);
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
                fate.transfers.push((target, scope));
                work.push((name.to_string(), scope, link));
            }
            Resolution::NamedResult if func.id() == self.func.id() => {
                // Assigned to a named result: handed to the caller on return.
                self.escape(fate, Escape::Returned, target);
            }
            _ => {
                let e = self.store_escape(target);
                self.escape(fate, e, target);
            }
        }
    }

    /// A store into `target` (not a local): into a parameter's value, or
    /// somewhere else.
    fn store_escape(&self, target: Node<'t>) -> Escape {
        if let Some(root) = root_identifier(target)
            && let Resolution::Param = resolve(self.func, text(root, self.src), root, self.src)
            && let Some(i) = param_index(self.func, text(root, self.src), self.src)
        {
            return Escape::IntoParam(i);
        }
        Escape::Stored
    }

    /// A local that holds a pointer the function did not make (`s := p.state`):
    /// storing into it stores into something shared.
    fn is_shared_local(&self, root: Node<'t>) -> bool {
        // Locals whose type is a pointer or map may alias outside values;
        // accept only those declared from a literal or `make`/`new` here.
        let Resolution::Local { decl, .. } =
            resolve(self.func, text(root, self.src), root, self.src)
        else {
            return true;
        };
        let value = match decl.kind() {
            "short_var_declaration" => decl
                .child_by_field_name("right")
                .and_then(|r| r.named_child(0)),
            "var_declaration" => {
                let spec = descendant(decl, "var_spec");
                match spec.and_then(|s| s.child_by_field_name("value")) {
                    Some(v) => v.named_child(0),
                    // `var s T`: a zero value made here.
                    None => return false,
                }
            }
            _ => None,
        };
        let Some(v) = value else { return true };
        let v = if v.kind() == "unary_expression" {
            v.child_by_field_name("operand").unwrap_or(v)
        } else {
            v
        };
        match v.kind() {
            "composite_literal" => false,
            "call_expression" => !v
                .child_by_field_name("function")
                .is_some_and(|f| matches!(text(f, self.src), "make" | "new")),
            _ => true,
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

    /// If `r` sits in func literals nested inside the tracking function,
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
                    return None;
                }
                // The callee only calls it (its summary says so): it runs now.
                if let Some(cs) = summaries::of_call(self.env, call)
                    && let Some(i) = arg_index(parent, child)
                    && matches!(
                        cs.arg(i),
                        Some(
                            ParamFate::Borrowed
                                | ParamFate::Released
                                | ParamFate::ReleasedSometimes
                        )
                    )
                {
                    return None;
                }
                if self.registers_callback(call) {
                    return Some(Escape::Registered);
                }
                Some(Escape::Closure)
            }
            // `step := func() {...}` only called here: it runs now.
            "expression_list" if self.local_func_only_called(parent, child) => None,
            _ => Some(Escape::Closure),
        }
    }

    /// Is the literal `lit` (in the expression list `list`) assigned to a
    /// local of the tracking function that is only ever called, not in a
    /// goroutine and not handed anywhere?
    fn local_func_only_called(&self, list: Node<'t>, lit: Node<'t>) -> bool {
        let Some(stmt) = list.parent() else {
            return false;
        };
        if !matches!(
            stmt.kind(),
            "short_var_declaration" | "assignment_statement"
        ) || !is_field(stmt, "right", list)
        {
            return false;
        }
        let Some(i) = arg_index(list, lit) else {
            return false;
        };
        let Some(target) = stmt
            .child_by_field_name("left")
            .and_then(|l| l.named_child(i as u32))
            .filter(|t| t.kind() == "identifier")
        else {
            return false;
        };
        let name = text(target, self.src);
        let Resolution::Local { scope, .. } = resolve(self.func, name, target, self.src) else {
            return false;
        };
        references(scope, name, self.src).iter().all(|r| {
            if r.id() == target.id() {
                return true;
            }
            let Some(call) = r.parent() else {
                return false;
            };
            if call.kind() == "argument_list" {
                // Handed to a call that only calls it (`gc.Tricolor(nodes,
                // refs)`): it runs during the call.
                return call.parent().is_some_and(|c| {
                    !in_go_statement(c)
                        && enclosing_function(c).is_some_and(|f| f.id() == self.func.id())
                        && self.calls_callback_now(c, call, *r)
                });
            }
            call.kind() == "call_expression"
                && is_field(call, "function", *r)
                && !in_go_statement(call)
                && enclosing_function(call).is_some_and(|f| f.id() == self.func.id())
        })
    }

    /// Does `call` only call the callback `arg` it is given before it
    /// returns (a synchronous callback, or its summary says it only uses it)?
    fn calls_callback_now(&self, call: Node<'t>, args: Node<'t>, arg: Node<'t>) -> bool {
        if self.is_sync_callback(call) {
            return true;
        }
        summaries::of_call(self.env, call).is_some_and(|cs| {
            arg_index(args, arg)
                .and_then(|i| cs.arg(i))
                .is_some_and(|pf| {
                    matches!(
                        pf,
                        ParamFate::Borrowed | ParamFate::Released | ParamFate::ReleasedSometimes
                    )
                })
        })
    }

    /// Does `call` register the callback it is given, to be called later
    /// (`mux.HandleFunc`, `RegisterX`, `OnClose`, `time.AfterFunc`)?
    fn registers_callback(&self, call: Node<'t>) -> bool {
        if in_go_statement(call) || self.is_sync_callback(call) {
            return false;
        }
        let Some(callee) = call.child_by_field_name("function") else {
            return false;
        };
        let name = last_name(callee, self.src);
        is_keeping_func(name)
            || name == "AfterFunc"
            || name
                .strip_prefix("On")
                .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_uppercase()))
    }

    /// Is `sel` (`x.m`, not called) a method value of `x`?
    fn is_method_value(&self, sel: Node<'t>) -> bool {
        if self
            .env
            .full_type_of(sel)
            .is_some_and(|t| matches!(t, GoType::Func))
        {
            return true;
        }
        let (Some(operand), Some(field)) = (
            sel.child_by_field_name("operand"),
            sel.child_by_field_name("field"),
        ) else {
            return false;
        };
        let Some(t) = self.env.type_of(operand) else {
            return false;
        };
        let name = text(field, self.src);
        if t.package == self.env.pkg.import_path && !self.env.pkg.partial {
            return self
                .env
                .pkg
                .decl_index()
                .contains_key(&format!("{}.{name}", t.name));
        }
        self.env.pkg.program.method(&t, name).is_some()
    }

    fn is_sync_callback(&self, call: Node<'t>) -> bool {
        self.with_call_ref(call, |c| self.env.catalog.is_sync_callback(c))
    }

    /// Without a summary: a method of another value (not the value itself,
    /// not a package), or a registration-style package function, may keep
    /// what it is given. A context handed to a call is borrowed: Go code
    /// passes contexts down, it does not keep them.
    fn may_keep(&self, callee: Node<'t>, name: &str, arg: Node<'t>) -> bool {
        if callee.kind() != "selector_expression" {
            return false;
        }
        let Some(operand) = callee.child_by_field_name("operand") else {
            return false;
        };
        if self.is_context(arg) {
            return is_keeping_func(name);
        }
        if self.env.package_of(operand).is_some() {
            return is_keeping_func(name);
        }
        !BORROWING_METHODS.contains(&name)
    }

    /// Does the function being analysed return anything but an error?
    fn returns_values(&self) -> bool {
        let Some(result) = self.func.child_by_field_name("result") else {
            return false;
        };
        if result.kind() != "parameter_list" {
            return text(result, self.src) != "error";
        }
        let mut c = result.walk();
        result.named_children(&mut c).any(|d| {
            d.child_by_field_name("type")
                .is_none_or(|t| text(t, self.src) != "error")
        })
    }

    /// Is `arg` passed as an `io.Reader`/`io.Writer`-like parameter of a
    /// call whose results cannot hold it? Such a callee reads or writes
    /// through the interface during the call and keeps nothing.
    fn io_parameter_only(&self, call: Node<'t>, args: Node<'t>, arg: Node<'t>) -> bool {
        self.is_io_param(call, args, arg)
            && self
                .env
                .call_results(call)
                .is_some_and(|rs| rs.iter().all(|t| self.env.is_plain(t)))
            && !self.may_keep_in_receiver(call)
    }

    /// Is `arg` passed as an `io.Reader`/`io.Writer`-like parameter?
    fn is_io_param(&self, call: Node<'t>, args: Node<'t>, arg: Node<'t>) -> bool {
        const IO: [&str; 9] = [
            "Reader",
            "Writer",
            "ReaderAt",
            "WriterAt",
            "ReadSeeker",
            "ReadWriter",
            "StringWriter",
            "ByteReader",
            "ByteWriter",
        ];
        let Some(index) = arg_index(args, arg) else {
            return false;
        };
        let Some(params) = self.env.call_params(call) else {
            return false;
        };
        let param = params
            .get(index)
            .or_else(|| params.last().filter(|p| p.variadic));
        param.is_some_and(|p| {
            matches!(&p.ty, GoType::Named(t) if t.package == "io" && IO.contains(&t.name.as_str()))
        })
    }

    /// A method of another value that returns nothing or sets something
    /// (`l.SetOutput(w)`, `zw.Reset(w)`) may keep its argument in the
    /// receiver: its results say nothing about that.
    fn may_keep_in_receiver(&self, call: Node<'t>) -> bool {
        let Some(callee) = call
            .child_by_field_name("function")
            .filter(|c| c.kind() == "selector_expression")
        else {
            return false;
        };
        if callee
            .child_by_field_name("operand")
            .is_some_and(|o| self.env.package_of(o).is_some())
        {
            return false;
        }
        let name = last_name(callee, self.src);
        name.starts_with("Set")
            || name == "Reset"
            || self.env.call_results(call).is_some_and(|rs| rs.is_empty())
    }

    /// Is `call` a standard-library function that takes the value as a
    /// plain reader or writer (`zip.NewWriter(f)`, `gzip.NewReader(f)`,
    /// `bufio.NewWriter(f)`, `elf.NewFile(f)`)? What it returns holds the
    /// value but never releases it: the standard library's wrappers document
    /// that their Close flushes and does not close the underlying reader or
    /// writer. `net/http` is left out: a request closes the body it is given.
    fn std_wrapper_borrows(&self, call: Node<'t>, args: Node<'t>, arg: Node<'t>) -> bool {
        const IO: [&str; 5] = ["Reader", "Writer", "ReaderAt", "WriterAt", "ReadSeeker"];
        let Some((operand, _)) = crate::lang::go::selector_call(call) else {
            return false;
        };
        let Some(path) = self.env.package_of(operand) else {
            return false;
        };
        let std = matches!(
            self.env.pkg.program.origin(path),
            Some(super::decls::PackageOrigin::Stdlib)
        );
        if !std || path == "net" || path.starts_with("net/") {
            return false;
        }
        let Some(index) = arg_index(args, arg) else {
            return false;
        };
        let Some(params) = self.env.call_params(call) else {
            return false;
        };
        params.get(index).is_some_and(|p| {
            !p.variadic
                && matches!(&p.ty, GoType::Named(t) if t.package == "io" && IO.contains(&t.name.as_str()))
        })
    }

    fn is_context(&self, expr: Node<'t>) -> bool {
        self.env
            .type_of(expr)
            .is_some_and(|t| t.package == "context" && t.name == "Context")
    }

    /// A function of this package that releases the parameter it is given
    /// (by name, when no summary could be made).
    fn helper_releases(&self, callee: Option<Node<'t>>, args: Node<'t>, arg: Node<'t>) -> bool {
        let Some(c) = callee.filter(|c| c.kind() == "identifier") else {
            return false;
        };
        let name = text(c, self.src);
        if self.env.is_local(name) {
            return false;
        }
        let Some(index) = arg_index(args, arg) else {
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
            if PLAIN_BUILTINS.contains(&name) && !self.env.is_local(name) {
                return true;
            }
        }
        if self.with_call_ref(call, |c| self.env.catalog.has_plain_results(c)) {
            return true;
        }
        // Every result of the callee is of a type that cannot hold the value.
        self.env
            .call_results(call)
            .is_some_and(|rs| !rs.is_empty() && rs.iter().all(|t| self.env.is_plain(t)))
    }

    fn is_consumer(&self, call: Node<'t>) -> bool {
        self.with_call_ref(call, |c| self.env.catalog.is_consumer(c))
    }

    /// Describes a call for the catalog (`pkg.F(...)` or `recv.M(...)`).
    fn with_call_ref(&self, call: Node<'t>, f: impl Fn(CallRef<'_>) -> bool) -> bool {
        self.env.with_call_ref(call, f).unwrap_or(false)
    }
}

/// What a method does with its own receiver, as far as the value's owner is
/// concerned: closing it, registering it somewhere (`srv.Register(mux)`),
/// handing it to a goroutine (`srv.Start()`) or back through its result
/// matter; the type's private bookkeeping (closures and helpers in its own
/// implementation) does not.
fn receiver_policy(pf: ParamFate) -> ParamFate {
    match pf {
        // A method that releases its receiver only sometimes (`rows.Next()`
        // at the end of the rows) is not its release.
        ParamFate::ReleasedSometimes => ParamFate::Borrowed,
        ParamFate::Escapes(
            Escape::Closure
            | Escape::Unknown
            | Escape::HandedOn
            | Escape::AddressTaken
            | Escape::Collected,
        ) => ParamFate::Borrowed,
        other => other,
    }
}

fn is_field(parent: Node, field: &str, child: Node) -> bool {
    parent
        .child_by_field_name(field)
        .is_some_and(|c| c.id() == child.id())
}

fn descendant<'t>(n: Node<'t>, kind: &str) -> Option<Node<'t>> {
    let mut stack = vec![n];
    while let Some(x) = stack.pop() {
        if x.kind() == kind {
            return Some(x);
        }
        let mut c = x.walk();
        stack.extend(x.named_children(&mut c));
    }
    None
}

/// The position of `arg` among a call's arguments.
pub fn arg_index(args: Node, arg: Node) -> Option<usize> {
    let mut c = args.walk();
    args.named_children(&mut c)
        .filter(|a| a.kind() != "comment")
        .position(|a| a.id() == arg.id())
}

/// `a` in `a.b.c`, `a[i].f`, `(*a).f`.
fn root_identifier(n: Node) -> Option<Node> {
    let mut cur = n;
    loop {
        match cur.kind() {
            "identifier" => return Some(cur),
            "selector_expression" => cur = cur.child_by_field_name("operand")?,
            "index_expression" => cur = cur.child_by_field_name("operand")?,
            "parenthesized_expression" => cur = cur.named_child(0)?,
            "unary_expression" => cur = cur.child_by_field_name("operand")?,
            _ => return None,
        }
    }
}

/// The index of parameter `name` of `func`, with the receiver (if any) at 0.
pub fn param_index(func: Node, name: &str, src: &str) -> Option<usize> {
    let mut names = Vec::new();
    if let Some(recv) = func.child_by_field_name("receiver") {
        let mut c = recv.walk();
        for d in recv.named_children(&mut c) {
            let n = d
                .child_by_field_name("name")
                .map(|n| text(n, src).to_string());
            names.push(n.unwrap_or_default());
        }
    }
    names.extend(crate::lang::go::param_names(func, src));
    names.iter().position(|n| n == name)
}

/// Is this identifier being assigned (left of `=`/`:=`, or a var name)?
fn is_write(ident: Node) -> bool {
    let Some(p) = ident.parent() else {
        return false;
    };
    match p.kind() {
        "expression_list" => p.parent().is_some_and(|o| {
            matches!(
                o.kind(),
                "short_var_declaration" | "assignment_statement" | "range_clause"
            ) && is_field(o, "left", p)
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

pub fn in_defer_statement(call: Node) -> bool {
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
