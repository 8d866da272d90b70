//! What a goroutine holds: resources it acquires before its loop (or that
//! the spawning function hands to it alone), which it must release when it
//! returns. The goroutine owns a value only when every use of it there is
//! a method call or field read on it; what those give (messages, results)
//! may go anywhere.

use tree_sitter::Node;

use super::Spawn;
use crate::analysis::go::contexts::declaration_of_name;
use crate::analysis::go::goroutines::Worker;
use crate::analysis::go::scope::{self, Resolution};
use crate::analysis::go::types::TypeEnv;
use crate::analysis::go::uses::{FuncRef, UseKind};
use crate::catalog::Kind;
use crate::catalog::go::{Lookup, Resource};
use crate::lang::go::{
    block_statements, enclosing_function, is_written, named_children_no_comments, param_names,
};
use crate::lang::text;

/// `x := call(...)` / `x, err := call(...)` / `var x = call(...)`: the name,
/// the call, and the error variable.
pub(super) fn acquisition<'t>(
    stmt: Node<'t>,
    src: &str,
) -> Option<(String, Node<'t>, Option<String>)> {
    if stmt.kind() != "short_var_declaration" {
        return None;
    }
    let left = named_children_no_comments(stmt.child_by_field_name("left")?);
    let right = named_children_no_comments(stmt.child_by_field_name("right")?);
    if right.len() != 1 || right[0].kind() != "call_expression" || left.is_empty() || left.len() > 2
    {
        return None;
    }
    let name = text(left[0], src);
    if name == "_" || left[0].kind() != "identifier" {
        return None;
    }
    let err = (left.len() == 2).then(|| text(left[1], src).to_string());
    if err.as_deref() == Some("_") {
        return None;
    }
    Some((name.to_string(), right[0], err))
}

/// `sub.Subscribe(...)`-style use: the value is the receiver of a method
/// call that does not release it.
pub(super) fn is_method_receiver(r: Node, src: &str, resource: &Resource) -> bool {
    let Some(sel) = r.parent().filter(|p| p.kind() == "selector_expression") else {
        return false;
    };
    if sel
        .child_by_field_name("operand")
        .is_none_or(|o| o.id() != r.id())
    {
        return false;
    }
    let method = sel
        .child_by_field_name("field")
        .map(|f| text(f, src))
        .unwrap_or("");
    let called = sel.parent().is_some_and(|c| {
        c.kind() == "call_expression"
            && c.child_by_field_name("function")
                .is_some_and(|f| f.id() == sel.id())
    });
    called
        && resource.release.method() != Some(method)
        && !crate::analysis::go::flow::RELEASE_LIKE_METHODS.contains(&method)
        && !resource.also_released_by.iter().any(|m| m == method)
}

/// Does the goroutine `func` keep the value `name` (declared in `scope`) to
/// itself, never releasing it? Every use must be a method call on it in the
/// goroutine's own code: what those calls return (messages, results) may go
/// anywhere, the value itself may not. A release, or any other use (passed,
/// stored, sent, returned, captured by a nested func literal), and the
/// goroutine is not the one to release it.
pub(super) fn kept_by(
    func: Node,
    scope: Node,
    decl: Node,
    name: &str,
    src: &str,
    resource: &Resource,
) -> bool {
    let mut used = false;
    for r in scope::references(scope, name, src) {
        if scope::contains(decl, r) {
            continue; // the declaration
        }
        if !scope::contains(func, r) {
            continue; // uses before the goroutine starts: checked by the caller
        }
        if is_written(r) || enclosing_function(r).is_some_and(|f| f.id() != func.id()) {
            return false;
        }
        if !is_selector_operand(r, src, resource) {
            return false; // released, or handed on
        }
        used = true;
    }
    used
}

/// `t.C`, `sub.Channel()`: the value is read through, not released or
/// handed on (what the field or call gives may go anywhere).
pub(super) fn is_selector_operand(r: Node, src: &str, resource: &Resource) -> bool {
    let Some(sel) = r.parent().filter(|p| p.kind() == "selector_expression") else {
        return false;
    };
    if sel
        .child_by_field_name("operand")
        .is_none_or(|o| o.id() != r.id())
    {
        return false;
    }
    let called = sel.parent().is_some_and(|c| {
        c.kind() == "call_expression"
            && c.child_by_field_name("function")
                .is_some_and(|f| f.id() == sel.id())
    });
    if called {
        return is_method_receiver(r, src, resource);
    }
    // A method value (`sub.Close` passed on) may release it elsewhere.
    let member = sel
        .child_by_field_name("field")
        .map(|f| text(f, src))
        .unwrap_or("");
    resource.release.method() != Some(member)
        && !crate::analysis::go::flow::RELEASE_LIKE_METHODS.contains(&member)
}
impl<'a> Spawn<'a> {
    // ----- what the goroutine holds -------------------------------------

    /// Resources the goroutine acquires before its loop (or that the
    /// spawning function acquires for it alone), never released.
    pub(super) fn held_resources(
        &self,
        worker: &Worker<'a>,
        first_loop: Node<'a>,
    ) -> Vec<Held<'a>> {
        let mut out = Vec::new();
        let Some(body) = worker.body() else {
            return out;
        };
        let env = TypeEnv::for_function(self.pkg, worker.file, self.cx.go_catalog, worker.func);
        let wsrc = worker.src();
        for stmt in block_statements(body) {
            if stmt.start_byte() >= first_loop.start_byte() {
                break;
            }
            let Some((name, call, err)) = acquisition(stmt, wsrc) else {
                continue;
            };
            let Some(resource) = self.resource_of(&env, call) else {
                continue;
            };
            if !kept_by(worker.func, body, stmt, &name, wsrc, resource) {
                continue;
            }
            out.push(Held {
                name,
                resource,
                place: HeldAt::InWorker { stmt, err },
            });
        }
        out.extend(self.handed_over(worker));
        out
    }

    /// Resources the spawning function acquires and then hands to the
    /// goroutine alone (captured by the literal, or passed to a worker that
    /// nothing else calls): the goroutine should release them.
    pub(super) fn handed_over(&self, worker: &Worker<'a>) -> Vec<Held<'a>> {
        let mut out = Vec::new();
        let src = self.src();
        let Some(func) = enclosing_function(self.go) else {
            return out;
        };
        let Some(list) = self.go.parent() else {
            return out;
        };
        let env = TypeEnv::for_function(self.pkg, self.file, self.cx.go_catalog, func);
        let mut c = list.walk();
        for stmt in list.named_children(&mut c) {
            if stmt.start_byte() >= self.go.start_byte() {
                break;
            }
            let Some((name, call, err)) = acquisition(stmt, src) else {
                continue;
            };
            if err.is_some() {
                continue; // an error path that returns would leave it open; keep it simple
            }
            let Some(resource) = self.resource_of(&env, call) else {
                continue;
            };
            // Used outside the goroutine only before it starts, and only as `name.M(...)`.
            let Resolution::Local {
                scope: decl_scope, ..
            } = scope::resolve(func, &name, stmt, src)
            else {
                continue;
            };
            let refs = scope::references(decl_scope, &name, src);
            let inside = |r: &Node| scope::contains(self.go, *r);
            let outside_ok = refs.iter().filter(|r| !inside(r)).all(|r| {
                if r.start_byte() >= stmt.start_byte() && r.end_byte() <= stmt.end_byte() {
                    return true; // the declaration
                }
                r.start_byte() < self.go.start_byte() && is_method_receiver(*r, src, resource)
            });
            if !outside_ok || refs.iter().all(|r| !inside(r)) {
                continue;
            }
            if worker.literal {
                if scope::direct_declaration(worker.func, &name, usize::MAX, src).is_some()
                    || !kept_by(worker.func, decl_scope, stmt, &name, src, resource)
                {
                    continue;
                }
                out.push(Held {
                    name,
                    resource,
                    place: HeldAt::HandedOver,
                });
            } else if let Some(param) = self.worker_param_for(worker, &refs, resource) {
                out.push(Held {
                    name: param,
                    resource,
                    place: HeldAt::HandedOver,
                });
            }
        }
        out
    }

    /// `go listen(ctx, sub)`: the name `sub` has in `listen`, when the value
    /// is passed there and nowhere else, `listen` only calls its methods,
    /// and nothing else in the module starts or calls `listen`.
    pub(super) fn worker_param_for(
        &self,
        worker: &Worker<'a>,
        refs: &[Node<'a>],
        resource: &Resource,
    ) -> Option<String> {
        let args = named_children_no_comments(self.call.child_by_field_name("arguments")?);
        let passed: Vec<&Node> = refs
            .iter()
            .filter(|r| scope::contains(self.go, **r))
            .collect();
        let [arg] = passed.as_slice() else {
            return None;
        };
        let i = args.iter().position(|a| a.id() == arg.id())?;
        let wsrc = worker.src();
        let params = param_names(worker.func, wsrc);
        if params.len() != args.len() {
            return None;
        }
        let p = params
            .get(i)
            .filter(|p| !p.is_empty() && p.as_str() != "_")?
            .clone();
        let (_, decl) = declaration_of_name(worker.body()?, &p, wsrc)?;
        if decl.kind() != "parameter_declaration" {
            return None;
        }
        let wname = worker.name();
        if !wname.starts_with(|c: char| c.is_ascii_lowercase() || c == '_') {
            return None; // exported: other packages may call it
        }
        let receiver = (worker.func.kind() == "method_declaration")
            .then(|| crate::analysis::go::module::receiver_type_name(worker.func, wsrc))
            .flatten();
        if worker.func.kind() == "method_declaration" && receiver.is_none() {
            return None;
        }
        let target = FuncRef {
            package: self.pkg.import_path.clone(),
            dir: self.pkg.dir.clone(),
            package_name: worker.file.package_name.clone(),
            receiver,
            name: wname,
        };
        let uses = crate::analysis::go::uses::uses_in_index(
            self.pkg,
            self.facts.names(),
            &target,
            self.cx.go_catalog,
        );
        let only_here = uses.len() == 1
            && uses[0].kind == UseKind::Call
            && uses[0].call.is_some_and(|c| c.id() == self.call.id());
        (only_here && kept_by(worker.func, worker.func, decl, &p, wsrc, resource)).then_some(p)
    }

    /// The catalog resource a call returns, when its release needs nothing
    /// but the value (and it is a leak for this module's Go version).
    pub(super) fn resource_of(&self, env: &TypeEnv<'a>, call: Node<'a>) -> Option<&'a Resource> {
        let src = env.file.text();
        let catalog = self.cx.go_catalog;
        let f = call.child_by_field_name("function")?;
        let lookup = match f.kind() {
            "selector_expression" => {
                let operand = f.child_by_field_name("operand")?;
                let name = text(f.child_by_field_name("field")?, src);
                match env.package_of(operand) {
                    Some(path) => catalog.lookup_func(path, name),
                    None => catalog.lookup_method(env.type_of(operand).as_ref(), name),
                }
            }
            "identifier" => catalog.lookup_func(&self.pkg.import_path, text(f, src)),
            _ => return None,
        };
        let Lookup::Resource(r) = lookup else {
            return None;
        };
        if r.release.needs_ctx() || r.kind == Kind::Cancel || r.result != 0 {
            return None;
        }
        if let (Some((major, minor)), Some(m)) = (r.go_before, &self.pkg.module)
            && m.at_least(major, minor)
        {
            return None;
        }
        Some(r)
    }
}

/// A resource the goroutine should release.
pub(super) struct Held<'a> {
    pub(super) name: String,
    pub(super) resource: &'a Resource,
    pub(super) place: HeldAt<'a>,
}

pub(super) enum HeldAt<'a> {
    /// Acquired by the goroutine's own statement (and checked by `err`).
    InWorker { stmt: Node<'a>, err: Option<String> },
    /// Acquired by the spawning function and used only by the goroutine
    /// (`name` is what the goroutine calls it).
    HandedOver,
}
