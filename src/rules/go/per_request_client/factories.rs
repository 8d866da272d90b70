//! Fixing at the helper: a function or method of the package that builds a
//! client and returns it (`func (s *Server) store(ctx) (*storage.Client,
//! error)`), called from per-request code, hands out the shared client
//! instead, and the releases its callers do go. Every caller must be known
//! (the factory is unexported, or in package main; no interface of the
//! package names it; it is only ever called, never taken as a value; tests
//! do not call it) and must use the client the way a shared one may be used.

use super::*;

impl<'a> Planner<'a> {
    /// Plans a site whose client the function returns.
    pub(super) fn plan_factory(
        &self,
        s: &Site<'a>,
        handler: (Node<'a>, Style),
        deps: &Deps<'a, 'a>,
        ctx_arg: Option<Node<'a>>,
        usage: Usage<'a>,
    ) -> Outcome<'a> {
        let file = self.file(s.fi);
        let src = file.text();
        let message = self.message(s, Some(handler));
        let report = |note: String| Outcome::Report {
            message: message.clone(),
            note,
        };
        let f = s.func;
        if !matches!(f.kind(), "function_declaration" | "method_declaration") {
            return Outcome::Skip; // a func literal: its callers cannot be followed
        }
        let Some(name) = f.child_by_field_name("name").map(|n| text(n, src)) else {
            return Outcome::Skip;
        };
        if !usage.releases.is_empty() {
            return report(format!(
                "`{name}` releases the client on some path before returning it, which a shared client must not be"
            ));
        }
        if usage.in_goroutine || usage.passed > 0 {
            return Outcome::Skip; // handed to a call too: it may be kept there (a cache)
        }
        // The function returns the client first, then maybe an error.
        let results = crate::analysis::go::types::result_types(f, file, &self.pkg.import_path);
        if results.len() != 1 + usize::from(s.resource.error) {
            return Outcome::Skip;
        }
        let exported = name.starts_with(|c: char| c.is_ascii_uppercase());
        if exported && file.package_name != "main" {
            return report(format!(
                "`{name}` is exported: callers in other packages may close the client it returns, so it is left to build one per call"
            ));
        }
        let callers = match self.factory_callers(s.fi, f, name) {
            Ok(c) => c,
            Err(note) => return report(note),
        };
        if callers.is_empty() {
            return Outcome::Skip;
        }
        let mut caller_releases = Vec::new();
        for (gi, call) in callers {
            match self.caller_usage(s, gi, call, name) {
                Ok(rs) => caller_releases.extend(rs.into_iter().map(|r| (gi, r))),
                Err(note) => return report(note),
            }
        }
        let inlined = deps.inlined();
        let key = self.key(s.fi, s.call, ctx_arg, &inlined);
        Outcome::Accessor(Box::new(AccessorSite {
            message,
            key,
            ctx_arg,
            inlined,
            releases: Vec::new(),
            caller_releases,
        }))
    }

    /// Every call of the factory `f` (named `name`) in the package, or why
    /// they cannot all be known.
    fn factory_callers(
        &self,
        fi: usize,
        f: Node<'a>,
        name: &str,
    ) -> Result<Vec<(usize, Node<'a>)>, String> {
        let src = self.file(fi).text();
        let method = f.kind() == "method_declaration";
        let receiver = method
            .then(|| crate::analysis::go::module::receiver_type_name(f, src))
            .flatten();
        if method && receiver.is_none() {
            return Err(format!("leakfix cannot tell the receiver type of `{name}`"));
        }
        // Tests (not part of this run) calling it would close the shared client.
        let call_text = format!("{name}(");
        if let Ok(rd) = std::fs::read_dir(&self.pkg.dir) {
            for e in rd.flatten() {
                let p = e.path();
                if p.to_string_lossy().ends_with("_test.go")
                    && !self.pkg.files.iter().any(|f| same_file(&f.parsed.path, &p))
                    && std::fs::read_to_string(&p).is_ok_and(|t| t.contains(&call_text))
                {
                    return Err(format!(
                        "tests of the package call `{name}` too, and may close what it returns"
                    ));
                }
            }
        }
        let mut calls = Vec::new();
        for (gi, file) in self.pkg.files.iter().enumerate() {
            let fsrc = file.text();
            if !fsrc.contains(name) {
                continue;
            }
            let mut stack = vec![file.root()];
            while let Some(n) = stack.pop() {
                let mut c = n.walk();
                stack.extend(n.named_children(&mut c));
                // An interface of the package naming the method: callers
                // through it cannot be told apart.
                if method
                    && n.kind() == "method_elem"
                    && n.child_by_field_name("name")
                        .is_some_and(|x| text(x, fsrc) == name)
                {
                    return Err(format!(
                        "an interface of the package has a method `{name}`; its callers cannot all be found"
                    ));
                }
                let is_ref = if method {
                    n.kind() == "field_identifier"
                        && text(n, fsrc) == name
                        && n.parent().is_some_and(|p| {
                            p.kind() == "selector_expression"
                                && p.child_by_field_name("field")
                                    .is_some_and(|x| x.id() == n.id())
                        })
                } else {
                    n.kind() == "identifier"
                        && text(n, fsrc) == name
                        && matches!(bind(n, fsrc), Binding::Package)
                        && n.parent()
                            .is_none_or(|p| p.kind() != "function_declaration")
                        && n.parent().is_none_or(|p| {
                            !(p.kind() == "selector_expression"
                                && p.child_by_field_name("field")
                                    .is_some_and(|x| x.id() == n.id()))
                        })
                };
                if !is_ref {
                    continue;
                }
                let callee = if method { n.parent().unwrap() } else { n };
                if method {
                    // Only selectors on values of the receiver's type.
                    let operand = callee.child_by_field_name("operand");
                    let ty = operand.and_then(|o| {
                        let func = enclosing_function(o)?;
                        let env = TypeEnv::for_function(self.pkg, file, self.cx.go_catalog, func);
                        if env.package_of(o).is_some() {
                            return None;
                        }
                        Some(env.type_of(o))
                    });
                    match ty {
                        None => continue, // `pkg.name`: another package's
                        Some(Some(t)) if t.package == self.pkg.import_path => {
                            if Some(t.name.as_str()) != receiver.as_deref() {
                                continue;
                            }
                        }
                        Some(Some(_)) => continue,
                        Some(None) => {
                            return Err(format!(
                                "leakfix cannot tell the type of every value `{name}` is called on (`{}`)",
                                first_line(text(callee, fsrc))
                            ));
                        }
                    }
                }
                let call = callee.parent().filter(|c| {
                    c.kind() == "call_expression"
                        && c.child_by_field_name("function")
                            .is_some_and(|x| x.id() == callee.id())
                });
                let Some(call) = call else {
                    return Err(format!(
                        "`{name}` is used as a value (`{}`), so its callers cannot all be found",
                        first_line(text(callee.parent().unwrap_or(callee), fsrc))
                    ));
                };
                if enclosing_function(call).is_some_and(|g| g.id() == f.id()) && gi == fi {
                    return Err(format!("`{name}` calls itself"));
                }
                calls.push((gi, call));
            }
        }
        Ok(calls)
    }

    /// The releases a caller of the factory does, when it uses the client
    /// the way a shared one may be used.
    fn caller_usage(
        &self,
        s: &Site<'a>,
        gi: usize,
        call: Node<'a>,
        name: &str,
    ) -> Result<Vec<Node<'a>>, String> {
        let file = self.file(gi);
        let src = file.text();
        let shown = first_line(text(call, src));
        let managed = || {
            format!(
                "a caller keeps or hands on the client `{name}` returns (`{shown}`), so it cannot be shared"
            )
        };
        let list = call
            .parent()
            .filter(|p| p.kind() == "expression_list")
            .ok_or_else(managed)?;
        let stmt = list
            .parent()
            .filter(|p| {
                matches!(p.kind(), "short_var_declaration" | "assignment_statement")
                    && p.child_by_field_name("right")
                        .is_some_and(|r| r.id() == list.id())
            })
            .ok_or_else(managed)?;
        let left = stmt.child_by_field_name("left").ok_or_else(managed)?;
        let lhs: Vec<Node> = {
            let mut c = left.walk();
            left.named_children(&mut c).collect()
        };
        let var = *lhs.first().ok_or_else(managed)?;
        if var.kind() != "identifier" {
            return Err(managed());
        }
        if text(var, src) == "_" {
            return Ok(Vec::new());
        }
        let func = enclosing_function(call).ok_or_else(managed)?;
        let Binding::Local { decl, scope } = bind(var, src) else {
            return Err(managed());
        };
        let uses = local_uses(text(var, src), decl, scope, src);
        if uses
            .other_writes
            .iter()
            .any(|w| !(stmt.start_byte() <= w.start_byte() && w.end_byte() <= stmt.end_byte()))
        {
            return Err(format!(
                "a caller of `{name}` assigns `{}` more than once",
                text(var, src)
            ));
        }
        let site = Site {
            fi: gi,
            call,
            stmt,
            func,
            var,
            err: None,
            resource: s.resource.clone(),
            direct_return: false,
            callee: name.to_string(),
            ty: s.ty.clone(),
        };
        match self.usage(&site, scope, false) {
            Ok(u) if u.reads == 0 => Err(format!(
                "a caller of `{name}` only builds and releases the client (a connectivity check?)"
            )),
            Ok(u) if u.in_goroutine => Err(format!(
                "a goroutine or func literal started by a caller of `{name}` uses the client"
            )),
            Ok(u) => Ok(u.releases),
            Err(UseProblem::Managed) => Err(managed()),
            Err(UseProblem::Note(n)) => Err(n),
        }
    }
}
