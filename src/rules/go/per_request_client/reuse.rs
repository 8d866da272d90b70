//! An existing shared instance: the package already keeps a client of the
//! same type built the same way (a package variable set once in `init`,
//! or a field of the handler's receiver set where the receiver is built),
//! and a handler builds another one per request anyway. The handler reads
//! the shared one; nothing new is written.

use super::*;
use crate::analysis::go::GoType;

impl<'a> Planner<'a> {
    /// Fixes for the accessor sites that can read an instance the package
    /// already shares (site index -> fix), one fix per file.
    pub(super) fn reuse(
        &self,
        sites: &[Site<'a>],
        outcomes: &[Outcome<'a>],
    ) -> HashMap<usize, Result<Fix, String>> {
        let mut by_file: BTreeMap<usize, Vec<(usize, String, String)>> = BTreeMap::new();
        for (i, s) in sites.iter().enumerate() {
            let Outcome::Accessor(a) = &outcomes[i] else {
                continue;
            };
            if !a.caller_releases.is_empty() || s.direct_return || s.ty.is_none() {
                continue;
            }
            if self.check_to_drop(s).is_none() {
                continue;
            }
            let key = self.site_reuse_key(s, a);
            let found = self
                .shared_var(s, &key)
                .map(|v| (v.clone(), format!("the package variable `{v}`")))
                .or_else(|| {
                    let f = self.shared_field(s, &key)?;
                    let recv = self.receiver_name(s.func, self.file(s.fi).text())?;
                    Some((format!("{recv}.{f}"), format!("the field `{f}`")))
                });
            if let Some((value, what)) = found {
                by_file.entry(s.fi).or_default().push((i, value, what));
            }
        }
        let mut out = HashMap::new();
        for (fi, group) in by_file {
            if let Some(edits) = self.read_edits(fi, &group, sites, outcomes) {
                for (i, _, what) in &group {
                    out.insert(
                        *i,
                        Ok(Fix::unsafe_(
                            format!(
                                "reuse {what}, which already holds a client built the same way, instead of building one per request"
                            ),
                            edits.clone(),
                        )),
                    );
                }
            }
        }
        out
    }

    /// The key of a construction for telling it is the same as another: a
    /// context argument of any origin counts as the same.
    fn reuse_key(&self, fi: usize, call: Node<'a>, inlined: &[Inline<'a>]) -> String {
        let file = self.file(fi);
        let src = file.text();
        let ctx = call_args(call)
            .first()
            .copied()
            .filter(|a| is_context_expr(*a, file, src, 0));
        self.key(fi, call, ctx, inlined)
    }

    fn site_reuse_key(&self, s: &Site<'a>, a: &AccessorSite<'a>) -> String {
        self.reuse_key(s.fi, s.call, &a.inlined)
    }

    /// The key of a construction in function `func` (not per-request).
    fn construction_key(&self, fi: usize, call: Node<'a>, func: Node<'a>) -> Option<String> {
        if call.kind() != "call_expression" {
            return None;
        }
        let deps = Deps::new(self.pkg, fi, func);
        for (i, a) in call_args(call).iter().enumerate() {
            let file = self.file(fi);
            if i == 0 && is_context_expr(*a, file, file.text(), 0) {
                continue;
            }
            if deps.origin(*a) != Origin::Process {
                return None;
            }
        }
        Some(self.reuse_key(fi, call, &deps.inlined()))
    }

    /// A package variable of the client's type, written once, in `init`,
    /// by a construction with the same key, and not shadowed in the handler.
    fn shared_var(&self, s: &Site<'a>, key: &str) -> Option<String> {
        let ty = s.ty.as_ref()?;
        let src = self.file(s.fi).text();
        let mut names: Vec<&String> = self
            .pkg
            .decls
            .vars
            .iter()
            .filter(|(_, t)| matches!(t, GoType::Named(n) if n == ty))
            .map(|(n, _)| n)
            .collect();
        names.sort();
        'names: for name in names {
            if idents_named(s.func, name, src)
                .iter()
                .any(|n| !matches!(bind(*n, src), Binding::Package))
            {
                continue;
            }
            let mut writes = Vec::new();
            for (fi, file) in self.pkg.files.iter().enumerate() {
                let fsrc = file.text();
                if !fsrc.contains(name.as_str()) {
                    continue;
                }
                for n in idents_named(file.root(), name, fsrc) {
                    if !matches!(bind(n, fsrc), Binding::Package) {
                        continue;
                    }
                    if n.parent().is_some_and(|p| p.kind() == "var_spec") {
                        // The declaration itself: it must not set a value.
                        if n.parent()
                            .and_then(|p| p.child_by_field_name("value"))
                            .is_some()
                        {
                            continue 'names;
                        }
                        continue;
                    }
                    // `&v`, `v.Close()`... are fine; a write or an address taken is one.
                    if is_write(n) {
                        writes.push((fi, n));
                    } else if n.parent().is_some_and(|p| {
                        p.kind() == "unary_expression" && text(p, fsrc).starts_with('&')
                    }) {
                        continue 'names;
                    }
                }
            }
            let [(fi, w)] = writes.as_slice() else {
                continue;
            };
            let wsrc = self.file(*fi).text();
            let Some(stmt) = w
                .parent()
                .and_then(|l| l.parent())
                .filter(|st| st.kind() == "assignment_statement")
            else {
                continue;
            };
            let Some(right) = stmt.child_by_field_name("right") else {
                continue;
            };
            let Some(call) = right
                .named_child(0)
                .filter(|_| right.named_child_count() == 1)
            else {
                continue;
            };
            let Some(func) = enclosing_function(stmt) else {
                continue;
            };
            if func.kind() != "function_declaration"
                || func.child_by_field_name("name").map(|n| text(n, wsrc)) != Some("init")
                || scope::enclosing_loop(stmt, func).is_some()
            {
                continue;
            }
            if self.construction_key(*fi, call, func).as_deref() == Some(key) {
                return Some(name.clone());
            }
        }
        None
    }

    /// A field of the handler's receiver of the client's type, set (and
    /// only set) in the one literal building the receiver, to a local of
    /// the builder made by a construction with the same key.
    fn shared_field(&self, s: &Site<'a>, key: &str) -> Option<String> {
        let ty = s.ty.as_ref()?;
        let recv_ty = self.receiver_type(s)?;
        let fields = self.pkg.decls.struct_fields.get(&recv_ty)?;
        let (lfi, lit) = self.only_literal(&recv_ty)?;
        let lsrc = self.file(lfi).text();
        let builder = enclosing_function(lit)?;
        let body = lit.child_by_field_name("body")?;
        let mut names: Vec<&String> = fields
            .iter()
            .filter(|(_, t)| matches!(t, GoType::Named(n) if n == ty))
            .map(|(n, _)| n)
            .collect();
        names.sort();
        for f in names {
            // Written nowhere else: `x.f = ...`.
            let assigned = self.pkg.files.iter().any(|file| {
                let fsrc = file.text();
                fsrc.contains(&format!(".{f} =")) || fsrc.contains(&format!(".{f},"))
            });
            if assigned {
                continue;
            }
            let mut c = body.walk();
            let value = body.named_children(&mut c).find_map(|el| {
                (el.kind() == "keyed_element"
                    && el.named_child(0).is_some_and(|k| text(k, lsrc) == f))
                .then(|| el.named_child(1))
                .flatten()
            });
            let Some(value) = value.map(|v| v.named_child(0).unwrap_or(v)) else {
                continue;
            };
            if value.kind() != "identifier" {
                continue;
            }
            let Binding::Local { decl, scope } = bind(value, lsrc) else {
                continue;
            };
            if !local_uses(text(value, lsrc), decl, scope, lsrc)
                .other_writes
                .is_empty()
                || decl.kind() != "short_var_declaration"
            {
                continue;
            }
            let Some(right) = decl.child_by_field_name("right") else {
                continue;
            };
            let Some(call) = right
                .named_child(0)
                .filter(|_| right.named_child_count() == 1)
            else {
                continue;
            };
            if self.construction_key(lfi, call, builder).as_deref() == Some(key) {
                return Some(f.clone());
            }
        }
        None
    }

    /// The edits of one file whose sites read a shared value instead:
    /// construction and check replaced, releases deleted, locals and
    /// imports left unused removed.
    fn read_edits(
        &self,
        fi: usize,
        group: &[(usize, String, String)],
        sites: &[Site<'a>],
        outcomes: &[Outcome<'a>],
    ) -> Option<Vec<Edit>> {
        let file = self.file(fi);
        let src = file.text();
        let source = &file.parsed.source;
        let mut edits = Vec::new();
        let mut removed = Vec::new();
        for (i, value, _) in group {
            let s = &sites[*i];
            let a = acc_of(outcomes, *i);
            let range = self.check_to_drop(s)?;
            let lines = full_lines(source, range)?;
            let ind = source.indent_at(s.stmt.start_byte());
            edits.push(Edit::replacement(
                file.parsed.path.clone(),
                lines.clone(),
                format!("{ind}{} := {value}{}", text(s.var, src), source.newline()),
            ));
            removed.push(lines);
            for st in &a.releases {
                let l = with_comments_above(source, full_lines(source, st.byte_range())?);
                removed.push(l.clone());
                edits.push(delete_lines(&file.parsed.path, source, l));
            }
        }
        let kept = removed.clone();
        let (more, gone) = self.cleanup(file, &mut removed).ok()?;
        for r in merge_ranges(more) {
            if kept.iter().any(|k| k.start < r.end && r.start < k.end) {
                return None;
            }
            edits.push(delete_lines(&file.parsed.path, source, r));
        }
        let remove: Vec<&str> = gone.iter().map(|(_, p)| p.as_str()).collect();
        if !remove.is_empty() {
            let (ie, _) = import_edits(&file.parsed.path, source, &[], &remove)?;
            edits.extend(ie);
        }
        (!overlapping(&edits)).then_some(edits)
    }
}
