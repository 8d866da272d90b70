//! Code that runs once per process. A goroutine started there lives as
//! long as the process on purpose (a metrics loop, a signal handler, a
//! package singleton's janitor): it is not a leak, however long it runs.
//!
//! A place runs once when it is reached only from code that runs once:
//!
//! - `init`, `main` of package main, package-level variable initializers
//!   (`var logOnce = newLogOnce()`), a `sync.Once` callback, and the action
//!   of a command-line command (`cli.Command{Action: serverMain}`,
//!   `cobra.Command{RunE: ...}`): a command runs once per process;
//! - an unexported function (any function in package main) whose every
//!   call in the package runs once, found by following its callers up
//!   (each function's answer is computed once and kept);
//! - through func literals called at once, deferred or started with `go`,
//!   and callbacks given to a function of the package that only calls them
//!   before returning (`bootstrapTrace("x", func() { ... })`);
//! - not from inside a loop that may run without bound (`for { }`,
//!   `for cond { }`): an accept loop in `main` starts one goroutine per
//!   connection. Loops over a slice or a counter run a bounded number of
//!   times and are fine.
//!
//! Methods count the same way when every use of them in the package is a
//! call whose receiver's type can be told, and the `Run` method of a
//! command type (`serveCmd`, `CLI`, as kong and cobra-style CLIs name
//! them) runs once.
//!
//! Exported functions and methods of a library package can be called from
//! anywhere, and functions used as values (callbacks, handlers) whenever
//! their holder likes: none of those runs once.
//!
//! A goroutine can also serve the process rather than the call that starts
//! it (`serves_the_process`): it works on package-level state only (`go
//! hub.run()` on a package-level `hub`, a literal that captures nothing of
//! its function, a method of a type whose one value is a package-level
//! variable). Starting such a goroutine twice would be a bug of its own,
//! so wherever the start sits, it is taken to run once, unless the code
//! around it is known to run again and again: inside an endless loop, in a
//! callback, in a function used as a value (a handler), or in an HTTP
//! handler.

use tree_sitter::Node;

use super::GoFile;
use super::goroutines::PackageFacts;
use super::scope::{self, Resolution};
use crate::lang::go::param_names;
use crate::lang::text;

/// Fields of command-line command literals that hold the command's action.
const COMMAND_ACTIONS: &[&str] = &[
    "Action",
    "Before",
    "After",
    "Run",
    "RunE",
    "PreRun",
    "PreRunE",
    "PostRun",
    "PostRunE",
    "PersistentPreRun",
    "PersistentPreRunE",
    "PersistentPostRun",
    "PersistentPostRunE",
];

impl<'a> PackageFacts<'a> {
    /// Does the code at `at` (in `file`) run once per process?
    pub fn runs_once(&self, at: Node<'a>, file: &'a GoFile) -> bool {
        let mut cur = at;
        loop {
            let Some(p) = cur.parent() else {
                return true;
            };
            match p.kind() {
                // A package-level declaration: runs when the package is initialised.
                "source_file" => return true,
                "for_statement" if unbounded(p) && in_body(p, cur) => return false,
                "function_declaration" => return self.func_runs_once(p, file),
                "method_declaration" => return self.method_runs_once(p, file),
                "func_literal" => match self.literal_runs(p, file) {
                    Literal::Inline => {}
                    Literal::Once => return true,
                    Literal::DuringCall(call) => {
                        cur = call;
                        continue;
                    }
                    Literal::Unknown => return false,
                },
                _ => {}
            }
            cur = p;
        }
    }

    /// Does this goroutine work on package-level state only, started where
    /// nothing says it runs again and again (see the module docs)?
    pub fn serves_the_process(&self, go: Node<'a>, call: Node<'a>, file: &'a GoFile) -> bool {
        let src = file.text();
        let Some(func) = crate::lang::go::enclosing_function(go) else {
            return false;
        };
        let Some(callee) = call.child_by_field_name("function") else {
            return false;
        };
        let args_global = call
            .child_by_field_name("arguments")
            .is_none_or(|a| captures_nothing(a, func, src, false));
        let global = match callee.kind() {
            "func_literal" => args_global && captures_nothing(callee, callee, src, true),
            "identifier" => args_global,
            "selector_expression" => {
                args_global
                    && callee
                        .child_by_field_name("operand")
                        .filter(|o| o.kind() == "identifier")
                        .is_some_and(|o| {
                            matches!(
                                scope::resolve(func, text(o, src), o, src),
                                Resolution::Package
                            ) && self.is_package_var(text(o, src))
                        })
            }
            _ => false,
        };
        (global || self.in_singleton_method(go, file)) && !self.repeats(go, file)
    }

    /// Is `go` inside a method of a type whose only value is a
    /// package-level variable (`var TokenBucket tokenBucket`)?
    fn in_singleton_method(&self, go: Node<'a>, file: &'a GoFile) -> bool {
        let mut cur = crate::lang::go::enclosing_function(go);
        while let Some(f) = cur {
            if f.kind() == "method_declaration" {
                return super::module::receiver_type_name(f, file.text())
                    .is_some_and(|t| self.is_singleton_type(&t, &file.package_name));
            }
            cur = crate::lang::go::enclosing_function(f);
        }
        false
    }

    /// Can the code around `go` run again and again: an endless loop, a
    /// callback, a function used as a value, an HTTP handler?
    fn repeats(&self, go: Node<'a>, file: &'a GoFile) -> bool {
        let src = file.text();
        let mut cur = go;
        while let Some(p) = cur.parent() {
            match p.kind() {
                "for_statement" if unbounded(p) && in_body(p, cur) => return true,
                "func_literal" if !matches!(self.literal_runs(p, file), Literal::Inline) => {
                    return true;
                }
                "function_declaration" | "method_declaration" => {
                    let handler = p
                        .child_by_field_name("parameters")
                        .is_some_and(|ps| text(ps, src).contains("ResponseWriter"));
                    return handler || self.used_as_value(p, file);
                }
                _ => {}
            }
            cur = p;
        }
        false
    }

    /// Is this function or method named anywhere in the package other than
    /// as the callee of a call (a handler registered, a callback passed)?
    fn used_as_value(&self, decl: Node<'a>, file: &'a GoFile) -> bool {
        let Some(name) = decl.child_by_field_name("name") else {
            return false;
        };
        let name_text = text(name, file.text());
        self.names().named(name_text).iter().any(|&(i, n)| {
            let f = &self.pkg.files[i];
            if n.id() == name.id() || f.parsed.path.to_string_lossy().ends_with("_test.go") {
                return false;
            }
            let declares = n.parent().is_some_and(|p| {
                matches!(p.kind(), "function_declaration" | "method_declaration")
                    && p.child_by_field_name("name")
                        .is_some_and(|x| x.id() == n.id())
            });
            if declares {
                return false;
            }
            let callee = match n.parent() {
                Some(p) if p.kind() == "selector_expression" => p,
                _ => n,
            };
            !callee.parent().is_some_and(|c| {
                c.kind() == "call_expression"
                    && c.child_by_field_name("function")
                        .is_some_and(|x| x.id() == callee.id())
            })
        })
    }

    /// Does this function (a declaration, or a func literal) run once per
    /// process? Then it also returns once: goroutines it leaves blocked on
    /// its way out are left once, however many it started in a loop.
    pub fn function_runs_once(&self, func: Node<'a>, file: &'a GoFile) -> bool {
        match func.kind() {
            "function_declaration" => self.func_runs_once(func, file),
            "method_declaration" => self.method_runs_once(func, file),
            _ => self.runs_once(func, file),
        }
    }

    /// Does this function run once per process (see the module docs)?
    fn func_runs_once(&self, decl: Node<'a>, file: &'a GoFile) -> bool {
        if let Some(&known) = self.once_memo.borrow().get(&decl.id()) {
            return known;
        }
        // Recursion reaches this function again only through a cycle of
        // calls, which may run any number of times.
        self.once_memo.borrow_mut().insert(decl.id(), false);
        let answer = self.compute_func_runs_once(decl, file);
        self.once_memo.borrow_mut().insert(decl.id(), answer);
        answer
    }

    fn compute_func_runs_once(&self, decl: Node<'a>, file: &'a GoFile) -> bool {
        let src = file.text();
        let Some(name) = decl.child_by_field_name("name").map(|n| text(n, src)) else {
            return false;
        };
        let main_package = file.package_name == "main";
        if name == "init" || main_package && name == "main" {
            return true;
        }
        if !main_package && name.starts_with(|c: char| c.is_ascii_uppercase()) {
            return false; // other packages may call it
        }
        let names = self.names();
        let mut any = false;
        for &(i, n) in names.named(name) {
            let f = &self.pkg.files[i];
            let declares = n.parent().is_some_and(|p| {
                p.kind() == "function_declaration"
                    && p.child_by_field_name("name")
                        .is_some_and(|x| x.id() == n.id())
            });
            // Its own name, a build-tagged twin's, and tests are not calls.
            if n.kind() != "identifier"
                || declares
                || f.parsed.path.to_string_lossy().ends_with("_test.go")
            {
                continue;
            }
            let fsrc = f.text();
            let scope_root = crate::lang::go::enclosing_function(n).unwrap_or(f.root());
            if !matches!(
                scope::resolve(scope_root, name, n, fsrc),
                Resolution::Package
            ) {
                continue; // a local of the same name
            }
            any = true;
            let parent = n.parent();
            let called = parent.is_some_and(|p| {
                p.kind() == "call_expression"
                    && p.child_by_field_name("function")
                        .is_some_and(|c| c.id() == n.id())
            });
            let once = if called {
                self.runs_once(parent.expect("called"), f)
            } else {
                is_command_action(n, fsrc)
            };
            if !once {
                return false;
            }
        }
        any
    }

    /// Does this method run once per process: the `Run` method of a
    /// command type (`serveCmd`, `CLI`: kong and cobra-style commands run
    /// once), or an unexported method (any in package main) whose every
    /// use in the package is a call that runs once?
    fn method_runs_once(&self, decl: Node<'a>, file: &'a GoFile) -> bool {
        if let Some(&known) = self.once_memo.borrow().get(&decl.id()) {
            return known;
        }
        self.once_memo.borrow_mut().insert(decl.id(), false);
        let answer = self.compute_method_runs_once(decl, file);
        self.once_memo.borrow_mut().insert(decl.id(), answer);
        answer
    }

    fn compute_method_runs_once(&self, decl: Node<'a>, file: &'a GoFile) -> bool {
        let src = file.text();
        let (Some(name), Some(recv)) = (
            decl.child_by_field_name("name").map(|n| text(n, src)),
            super::module::receiver_type_name(decl, src),
        ) else {
            return false;
        };
        if name == "Run" && (recv.ends_with("Cmd") || recv.ends_with("Command") || recv == "CLI") {
            return true;
        }
        let main_package = file.package_name == "main";
        if !main_package && name.starts_with(|c: char| c.is_ascii_uppercase()) {
            return false;
        }
        let target = super::uses::FuncRef {
            package: self.pkg.import_path.clone(),
            dir: self.pkg.dir.clone(),
            package_name: file.package_name.clone(),
            receiver: Some(recv),
            name: name.to_string(),
        };
        let uses = super::uses::uses_in_index(self.pkg, self.names(), &target, self.catalog);
        let mut any = false;
        for u in &uses {
            if u.file.parsed.path.to_string_lossy().ends_with("_test.go") {
                continue;
            }
            match (&u.kind, u.call) {
                (super::uses::UseKind::Call, Some(call)) if self.runs_once(call, u.file) => {
                    any = true
                }
                _ => return false,
            }
        }
        any
    }

    /// When a func literal runs, relative to the code around it.
    fn literal_runs(&self, lit: Node<'a>, file: &'a GoFile) -> Literal<'a> {
        let src = file.text();
        let mut child = lit;
        let mut parent = lit.parent();
        while let Some(p) = parent.filter(|p| p.kind() == "parenthesized_expression") {
            child = p;
            parent = p.parent();
        }
        let Some(p) = parent else {
            return Literal::Unknown;
        };
        // `app.Action = func(c *cli.Context) error { ... }`: a command's action.
        if p.kind() == "expression_list"
            && let Some(assign) = p.parent().filter(|a| a.kind() == "assignment_statement")
            && assign
                .child_by_field_name("right")
                .is_some_and(|r| r.id() == p.id())
            && let Some(left) = assign.child_by_field_name("left")
            && let [target] = crate::lang::go::named_children_no_comments(left).as_slice()
            && target.kind() == "selector_expression"
            && target
                .child_by_field_name("field")
                .is_some_and(|f| COMMAND_ACTIONS.contains(&text(f, src)))
        {
            return Literal::Once;
        }
        if p.kind() == "call_expression"
            && p.child_by_field_name("function")
                .is_some_and(|f| f.id() == child.id())
        {
            return Literal::Inline; // called at once, deferred, or started with `go`
        }
        // `registry.Register(&plugin.Registration{InitFn: func(...) {...}})`
        // in `init`: a registration's init callback runs once per process.
        if p.kind() == "literal_element"
            && let Some(keyed) = p.parent().filter(|k| k.kind() == "keyed_element")
            && keyed.named_child(1).is_some_and(|v| v.id() == p.id())
            && keyed
                .named_child(0)
                .is_some_and(|k| text(k, src).trim().starts_with("Init"))
            && crate::lang::go::enclosing_function(p).is_some_and(|f| {
                f.kind() == "function_declaration"
                    && f.child_by_field_name("name")
                        .is_some_and(|n| text(n, src) == "init")
            })
        {
            return Literal::Once;
        }
        if p.kind() != "argument_list" {
            return Literal::Unknown;
        }
        let Some(call) = p.parent() else {
            return Literal::Unknown;
        };
        let Some(callee) = call.child_by_field_name("function") else {
            return Literal::Unknown;
        };
        let c = text(callee, src);
        if c.ends_with(".Do") || c.starts_with("sync.Once") {
            return Literal::Once;
        }
        if callee.kind() != "identifier" {
            return Literal::Unknown;
        }
        let mut cc = p.walk();
        let Some(index) = p
            .named_children(&mut cc)
            .filter(|n| n.kind() != "comment")
            .position(|a| a.id() == child.id())
        else {
            return Literal::Unknown;
        };
        let decls: Vec<_> = self
            .funcs_named(c)
            .iter()
            .filter(|(_, d)| d.kind() == "function_declaration")
            .collect();
        match decls.as_slice() {
            [(f, d)] if calls_param_before_returning(*d, index, f.text()) => {
                Literal::DuringCall(call)
            }
            _ => Literal::Unknown,
        }
    }
}

enum Literal<'a> {
    /// Runs where it is written.
    Inline,
    /// A `sync.Once` callback.
    Once,
    /// Runs during this call (a callback the callee only calls).
    DuringCall(Node<'a>),
    Unknown,
}

/// A loop that may run without bound: `for { }`, `for cond { }`.
fn unbounded(lp: Node) -> bool {
    let mut c = lp.walk();
    let clause = lp
        .named_children(&mut c)
        .find(|n| n.kind() != "block" && n.kind() != "comment");
    match clause {
        None => true,
        Some(cl) if cl.kind() == "for_clause" => cl.child_by_field_name("condition").is_none(),
        Some(cl) if cl.kind() == "range_clause" => false,
        Some(_) => true,
    }
}

fn in_body(lp: Node, inner: Node) -> bool {
    lp.child_by_field_name("body")
        .is_some_and(|b| b.id() == inner.id() || scope::contains(b, inner))
}

/// `Action: serverMain` in a command literal (`cli.Command{...}`,
/// `&cobra.Command{...}`, `cli.App{...}`).
fn is_command_action(n: Node, src: &str) -> bool {
    let Some(elem) = n.parent().filter(|p| p.kind() == "literal_element") else {
        return false;
    };
    let Some(keyed) = elem.parent().filter(|p| p.kind() == "keyed_element") else {
        return false;
    };
    let key = keyed
        .named_child(0)
        .map(|k| text(k, src).trim())
        .unwrap_or("");
    if !COMMAND_ACTIONS.contains(&key) {
        return false;
    }
    let mut cur = keyed.parent();
    while let Some(c) = cur {
        if c.kind() == "composite_literal" {
            return c.child_by_field_name("type").is_some_and(|t| {
                let t = text(t, src);
                t.ends_with("Command") || t.ends_with("App")
            });
        }
        cur = c.parent();
    }
    false
}

/// Does the function only call its `index`th parameter (a func) before it
/// returns: every use is `p(...)` in its own body, not under `go`?
fn calls_param_before_returning(decl: Node, index: usize, src: &str) -> bool {
    let params = param_names(decl, src);
    let Some(p) = params
        .get(index)
        .filter(|p| !p.is_empty() && p.as_str() != "_")
    else {
        return false;
    };
    let Some(body) = decl.child_by_field_name("body") else {
        return false;
    };
    let refs = scope::references(body, p, src);
    !refs.is_empty()
        && refs.iter().all(|r| {
            let Some(call) = r.parent().filter(|c| {
                c.kind() == "call_expression"
                    && c.child_by_field_name("function")
                        .is_some_and(|f| f.id() == r.id())
            }) else {
                return false;
            };
            crate::lang::go::enclosing_function(*r).is_some_and(|f| f.id() == decl.id())
                && call.parent().is_none_or(|s| s.kind() != "go_statement")
        })
}

/// Does the code in `n` name nothing of the functions around it? With
/// `own` (`n` is the func literal `func`), its own parameters and locals
/// are fine; otherwise only package-level names are.
fn captures_nothing(n: Node, func: Node, src: &str, own: bool) -> bool {
    let mut stack = vec![n];
    while let Some(x) = stack.pop() {
        if x.kind() == "identifier" && text(x, src) != "_" {
            let ok = match scope::resolve(func, text(x, src), x, src) {
                Resolution::Package => true,
                Resolution::Outer => false,
                _ => own,
            };
            if !ok {
                return false;
            }
        }
        let mut c = x.walk();
        stack.extend(x.named_children(&mut c));
    }
    true
}
