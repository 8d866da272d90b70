//! Where the code already has a home for the shared client: a field of the
//! handler's receiver, set where the receiver is built (dependency
//! injection, as people fix the Cloud Run + Firestore OOM). The client is
//! built once next to the one composite literal that builds the receiver,
//! stored in a new field, and the handler reads the field.
//!
//! Only when everything is plain: the handler is a method whose receiver's
//! type (unexported, or in package main) is built by exactly one composite
//! literal of the package, in a function that can report a failed build
//! (it returns an error, or it is `main`); the construction's error check
//! can go (its error variable is not used otherwise). Anything else keeps
//! the package-level accessor.

use super::*;

/// Per file: imports to add (path, name) and to remove (path).
type FileImports = HashMap<usize, (Vec<(String, String)>, Vec<String>)>;

/// One receiver type and client: a field, and the sites it replaces.
struct Injection<'a> {
    /// The receiver's type name.
    ty: String,
    key: String,
    sites: Vec<usize>,
    /// The composite literal building the receiver, and its file.
    lit: (usize, Node<'a>),
}

impl<'a> Planner<'a> {
    /// Fixes for the accessor sites whose client can be a field of the
    /// handler's receiver instead (site index -> fix). Sites left out get
    /// the accessor.
    pub(super) fn inject(
        &self,
        sites: &[Site<'a>],
        outcomes: &[Outcome<'a>],
    ) -> HashMap<usize, Result<Fix, String>> {
        let mut groups: Vec<Injection<'a>> = Vec::new();
        for (i, s) in sites.iter().enumerate() {
            let Outcome::Accessor(a) = &outcomes[i] else {
                continue;
            };
            if !a.caller_releases.is_empty() || s.direct_return {
                continue;
            }
            let Some(ty) = self.receiver_type(s) else {
                continue;
            };
            if self.check_to_drop(s).is_none() {
                continue;
            }
            if let Some(g) = groups.iter_mut().find(|g| g.ty == ty && g.key == a.key) {
                g.sites.push(i);
                continue;
            }
            let Some(lit) = self.only_literal(&ty) else {
                continue;
            };
            groups.push(Injection {
                ty,
                key: a.key.clone(),
                sites: vec![i],
                lit,
            });
        }
        let mut out = HashMap::new();
        let mut fields_taken: HashMap<String, HashSet<String>> = HashMap::new();
        for g in groups {
            let taken = fields_taken.entry(g.ty.clone()).or_default();
            if let Some(fix) = self.injection_fix(&g, sites, outcomes, taken) {
                for &i in &g.sites {
                    out.insert(i, Ok(fix.clone()));
                }
            }
        }
        out
    }

    /// The receiver's type name of the method holding site `s`, when the
    /// site is directly in the method and the receiver is named.
    pub(super) fn receiver_type(&self, s: &Site<'a>) -> Option<String> {
        let src = self.file(s.fi).text();
        if s.func.kind() != "method_declaration"
            || enclosing_function(s.call).is_none_or(|f| f.id() != s.func.id())
        {
            return None;
        }
        let ty = crate::analysis::go::module::receiver_type_name(s.func, src)?;
        self.receiver_name(s.func, src)?;
        // Generic receivers and types of other packages are not ours to change.
        self.pkg.decls.struct_fields.contains_key(&ty).then_some(ty)
    }

    pub(super) fn receiver_name<'s>(&self, method: Node, src: &'s str) -> Option<&'s str> {
        let recv = method.child_by_field_name("receiver")?;
        let mut c = recv.walk();
        let param = recv
            .named_children(&mut c)
            .find(|n| n.kind() == "parameter_declaration")?;
        let name = text(param.child_by_field_name("name")?, src);
        (name != "_").then_some(name)
    }

    /// The statements to replace by a read of the field: the construction
    /// and its error check, when the error variable is used nowhere else
    /// (a later `x, err := ...` declares a new one once this one is gone).
    /// (statement range, indentation).
    pub(super) fn check_to_drop(&self, s: &Site<'a>) -> Option<Range<usize>> {
        let file = self.file(s.fi);
        let src = file.text();
        if s.stmt.kind() != "short_var_declaration"
            || s.stmt.parent().is_none_or(|p| p.kind() != "statement_list")
        {
            return None;
        }
        let Some(err) = s.err else {
            return Some(s.stmt.byte_range());
        };
        let err_name = text(err, src);
        if err_name == "_" {
            return Some(s.stmt.byte_range());
        }
        // `err` must be declared here, not reused from before.
        let Binding::Local { decl, scope } = bind(err, src) else {
            return None;
        };
        if decl.id() != s.stmt.id() {
            return None;
        }
        let check = following(s.stmt).filter(|n| {
            n.kind() == "if_statement"
                && n.child_by_field_name("initializer").is_none()
                && n.child_by_field_name("alternative").is_none()
                && n.child_by_field_name("condition")
                    .is_some_and(|c| is_err_check(c, err_name, src))
        })?;
        let list = s.stmt.parent()?;
        let uses = local_uses(err_name, decl, scope, src);
        // The first write after the check: a `:=` of the same list that
        // declares something else too, so it declares `err` once this is gone.
        let redeclared = uses
            .other_writes
            .iter()
            .filter(|w| w.start_byte() >= check.end_byte())
            .filter_map(|w| {
                let mut st = *w;
                while st.parent().is_some_and(|p| p.id() != list.id()) {
                    st = st.parent()?;
                }
                Some(st)
            })
            .min_by_key(|st| st.start_byte());
        let first_write_ok = redeclared.is_some_and(|st| {
            st.kind() == "short_var_declaration"
                && st.child_by_field_name("left").is_some_and(|l| {
                    let mut c = l.walk();
                    l.named_children(&mut c)
                        .any(|n| text(n, src) != err_name && text(n, src) != "_")
                })
        });
        let limit = match redeclared {
            Some(st) if first_write_ok => st.start_byte(),
            Some(_) => return None,
            None => usize::MAX,
        };
        let check_range = check.byte_range();
        let stray = |n: &Node| {
            !(check_range.start <= n.start_byte() && n.end_byte() <= check_range.end)
                && n.start_byte() < limit
        };
        if uses.reads.iter().any(stray) || uses.other_writes.iter().any(stray) {
            return None;
        }
        Some(s.stmt.start_byte()..check.end_byte())
    }

    /// The one composite literal of the package that builds values of type
    /// `ty`, inside a function that is not per-request and is not a loop.
    pub(super) fn only_literal(&self, ty: &str) -> Option<(usize, Node<'a>)> {
        let exported = ty.starts_with(|c: char| c.is_ascii_uppercase());
        let main = self
            .pkg
            .files
            .first()
            .is_some_and(|f| f.package_name == "main");
        if exported && !main {
            return None;
        }
        let mut found: Vec<(usize, Node<'a>)> = Vec::new();
        for (fi, file) in self.pkg.files.iter().enumerate() {
            let src = file.text();
            if !src.contains(ty) {
                continue;
            }
            let mut stack = vec![file.root()];
            while let Some(n) = stack.pop() {
                let mut c = n.walk();
                stack.extend(n.named_children(&mut c));
                match n.kind() {
                    "composite_literal" => {
                        let Some(t) = n.child_by_field_name("type") else {
                            continue;
                        };
                        if t.kind() == "type_identifier" && text(t, src) == ty {
                            found.push((fi, n));
                        } else if matches!(t.kind(), "slice_type" | "array_type" | "map_type")
                            && t.child_by_field_name("element")
                                .or_else(|| t.child_by_field_name("value"))
                                .is_some_and(|e| text(e, src) == ty)
                        {
                            return None; // `[]T{{...}}`: literals without their type
                        }
                    }
                    // `new(T)`, `var x T`: a value without the field set.
                    "call_expression"
                        if n.child_by_field_name("function")
                            .is_some_and(|f| text(f, src) == "new")
                            && call_args(n).first().is_some_and(|a| text(*a, src) == ty) =>
                    {
                        return None;
                    }
                    // A zero value, or one embedded or held by value elsewhere.
                    "var_spec" | "field_declaration"
                        if n.child_by_field_name("type")
                            .is_some_and(|t| text(t, src) == ty) =>
                    {
                        return None;
                    }
                    _ => {}
                }
            }
        }
        let [(fi, lit)] = found.as_slice() else {
            return None;
        };
        // Tests (not part of this run) building their own values would
        // leave the field unset.
        if let Ok(rd) = std::fs::read_dir(&self.pkg.dir) {
            for e in rd.flatten() {
                let p = e.path();
                if p.to_string_lossy().ends_with("_test.go")
                    && !self.pkg.files.iter().any(|f| same_file(&f.parsed.path, &p))
                    && std::fs::read_to_string(&p).is_ok_and(|t| {
                        t.contains(&format!("{ty}{{")) || t.contains(&format!("new({ty})"))
                    })
                {
                    return None;
                }
            }
        }
        let func = enclosing_function(*lit)?;
        if !matches!(func.kind(), "function_declaration" | "method_declaration") {
            return None;
        }
        let src = self.file(*fi).text();
        if func
            .child_by_field_name("name")
            .is_some_and(|n| text(n, src) == "init")
        {
            return None;
        }
        if scope::enclosing_loop(*lit, func).is_some() {
            return None;
        }
        let per_request = self
            .handlers
            .get_or_init(|| PerRequest::of(self.pkg, self.cx.go_catalog))
            .handler_of(*fi, *lit, src)
            .is_some();
        (!per_request).then_some((*fi, *lit))
    }

    /// How the builder reports a failed construction: `return nil, err`,
    /// `return err`, or `log.Fatal(err)` in main (and the `log` import
    /// that needs, when the file lacks it).
    fn failure_text(&self, fi: usize, func: Node<'a>) -> Option<(String, Option<String>)> {
        let file = self.file(fi);
        let src = file.text();
        let name = func.child_by_field_name("name").map(|n| text(n, src));
        if func.kind() == "function_declaration"
            && name == Some("main")
            && file.package_name == "main"
            && func.child_by_field_name("result").is_none()
        {
            return match file.imports.name_of("log") {
                Some(n) => Some((format!("{n}.Fatal(err)"), None)),
                None if file.imports.resolve("log").is_none()
                    && !self.top_level_names().contains("log") =>
                {
                    Some(("log.Fatal(err)".into(), Some("log".into())))
                }
                None => None,
            };
        }
        let result = func.child_by_field_name("result")?;
        let types: Vec<&str> = if result.kind() == "parameter_list" {
            let mut c = result.walk();
            let decls: Vec<Node> = result.named_children(&mut c).collect();
            if decls
                .iter()
                .any(|d| d.child_by_field_name("name").is_some())
            {
                return None; // named results: leave it to a person
            }
            decls
                .iter()
                .filter_map(|d| d.child_by_field_name("type"))
                .map(|t| text(t, src))
                .collect()
        } else {
            vec![text(result, src)]
        };
        let (last, rest) = types.split_last()?;
        if *last != "error" {
            return None;
        }
        let mut zeros = Vec::new();
        for t in rest {
            if t.starts_with('*') || t.starts_with("[]") || t.starts_with("map[") {
                zeros.push("nil");
            } else {
                return None;
            }
        }
        zeros.push("err");
        Some((format!("return {}", zeros.join(", ")), None))
    }

    /// The fix of one injection: a field, its construction next to the
    /// literal, and reads of it in the handlers.
    fn injection_fix(
        &self,
        g: &Injection<'a>,
        sites: &[Site<'a>],
        outcomes: &[Outcome<'a>],
        taken: &mut HashSet<String>,
    ) -> Option<Fix> {
        let first = &sites[g.sites[0]];
        let a = acc_of(outcomes, g.sites[0]);
        let (lfi, lit) = g.lit;
        let lfile = self.file(lfi);
        let lsrc = lfile.text();
        let lsource = &lfile.parsed.source;
        let nl = lsource.newline();
        let builder = enclosing_function(lit)?;
        let (failure, add_log) = self.failure_text(lfi, builder)?;
        // Tests that build the receiver would now build the client too (and
        // fail without credentials): they keep the lazily built accessor.
        let builder_name = builder.child_by_field_name("name").map(|n| text(n, lsrc))?;
        if builder_name != "main"
            && let Ok(rd) = std::fs::read_dir(&self.pkg.dir)
        {
            for e in rd.flatten() {
                let p = e.path();
                if p.to_string_lossy().ends_with("_test.go")
                    && std::fs::read_to_string(&p)
                        .is_ok_and(|t| t.contains(&format!("{builder_name}(")))
                {
                    return None;
                }
            }
        }
        // The field's name: after the client's type, free in the struct.
        let ty = first.ty.as_ref()?;
        let base = accessor_base_name(ty, self.file(first.fi), &self.pkg.import_path)?;
        let fields = self.pkg.decls.struct_fields.get(&g.ty)?;
        let mut field = base.clone();
        let mut n = 2;
        while fields.contains_key(&field)
            || taken.contains(&field)
            || self
                .pkg
                .decls
                .methods
                .contains_key(&(g.ty.clone(), field.clone()))
        {
            field = format!("{base}{n}");
            n += 1;
        }
        // The local holding it in the builder must be a new name there.
        if !idents_named(builder, &field, lsrc).is_empty()
            || idents_named(builder, "err", lsrc)
                .iter()
                .any(|e| !matches!(bind(*e, lsrc), Binding::Local { .. }))
        {
            return None;
        }
        // A later `var err error` or `err := ...` would clash with ours.
        if first.resource.error
            && idents_named(builder, "err", lsrc).iter().any(|e| {
                e.parent().is_some_and(|p| {
                    p.kind() == "var_spec"
                        || (p.kind() == "expression_list"
                            && p.named_child_count() == 1
                            && p.parent()
                                .is_some_and(|d| d.kind() == "short_var_declaration"))
                })
            })
        {
            return None;
        }
        taken.insert(field.clone());

        let mut imports: FileImports = HashMap::new();
        // The construction, rendered for the builder's file.
        let ctx_name = match a.ctx_arg {
            Some(_) => Some(match lfile.imports.name_of("context") {
                Some(n) => n.to_string(),
                None => {
                    if lfile.imports.resolve("context").is_some()
                        || self.top_level_names().contains("context")
                    {
                        return None;
                    }
                    imports
                        .entry(lfi)
                        .or_default()
                        .0
                        .push(("context".into(), "context".into()));
                    "context".into()
                }
            }),
            None => None,
        };
        let ctx_text = ctx_name.map(|n| format!("{n}.Background()"));
        let defs = inline_map(&a.inlined);
        let site_source = &self.file(first.fi).parsed.source;
        let mut adds: Vec<(String, String)> = Vec::new();
        let mut qualifiers = HashSet::new();
        let call = self
            .render_for(
                lfi,
                first.fi,
                first.call,
                &Env {
                    ctx: a.ctx_arg,
                    ctx_text: &ctx_text,
                    defs: &defs,
                    indent: site_source.indent_at(first.stmt.start_byte()),
                },
                &mut adds,
                &mut qualifiers,
                0,
            )
            .ok()?;
        if call.contains('\n') {
            return None;
        }
        imports.entry(lfi).or_default().0.extend(adds);
        if let Some(l) = add_log {
            imports
                .entry(lfi)
                .or_default()
                .0
                .push((l.clone(), l.clone()));
        }
        // The statement holding the literal, and where the construction goes.
        let mut stmt = lit;
        while stmt.parent().is_some_and(|p| p.kind() != "statement_list") {
            stmt = stmt.parent()?;
        }
        let stmt_lines = full_lines(lsource, stmt.byte_range())?;
        let at = with_comments_above(lsource, stmt_lines).start;
        let ind = lsource.indent_at(stmt.start_byte());
        let mut built = String::new();
        if first.resource.error {
            built.push_str(&format!("{ind}{field}, err := {call}{nl}"));
            built.push_str(&format!(
                "{ind}if err != nil {{{nl}{ind}\t{failure}{nl}{ind}}}{nl}"
            ));
        } else {
            built.push_str(&format!("{ind}{field} := {call}{nl}"));
        }
        let mut edits = vec![Edit::insertion(lfile.parsed.path.clone(), at, built)];
        // The literal sets the field.
        edits.push(self.literal_edit(lfi, lit, &field)?);
        // The struct declares it.
        edits.push(self.field_edit(&g.ty, &field, ty, &mut imports)?);
        // The handlers read it.
        let mut removed: HashMap<usize, Vec<Range<usize>>> = HashMap::new();
        for &i in &g.sites {
            let s = &sites[i];
            let a = acc_of(outcomes, i);
            let file = self.file(s.fi);
            let src = file.text();
            let source = &file.parsed.source;
            let range = self.check_to_drop(s)?;
            let lines = full_lines(source, range.clone())?;
            let recv = self.receiver_name(s.func, src)?;
            let var = text(s.var, src);
            let ind = source.indent_at(s.stmt.start_byte());
            edits.push(Edit::replacement(
                file.parsed.path.clone(),
                lines.clone(),
                format!("{ind}{var} := {recv}.{field}{}", source.newline()),
            ));
            let r = removed.entry(s.fi).or_default();
            r.push(lines);
            for st in &a.releases {
                let l = with_comments_above(source, full_lines(source, st.byte_range())?);
                r.push(l.clone());
                edits.push(delete_lines(&file.parsed.path, source, l));
            }
        }
        // Locals and imports the handlers no longer use.
        for (fi, mut ranges) in removed {
            let file = self.file(fi);
            let kept_lines = ranges.clone();
            let (more, gone) = self.cleanup(file, &mut ranges).ok()?;
            for r in merge_ranges(more) {
                if kept_lines
                    .iter()
                    .any(|k| k.start < r.end && r.start < k.end)
                {
                    return None;
                }
                edits.push(delete_lines(&file.parsed.path, &file.parsed.source, r));
            }
            let still_needed: HashSet<String> = imports
                .get(&fi)
                .map(|(a, _)| a.iter().map(|(_, n)| n.clone()).collect())
                .unwrap_or_default();
            for (name, path) in gone {
                // The builder's or the struct's new code may use it.
                if still_needed.contains(&name) || fi == lfi || self.struct_file(&g.ty) == Some(fi)
                {
                    continue;
                }
                imports.entry(fi).or_default().1.push(path);
            }
        }
        for (fi, (add, remove)) in &imports {
            let gf = self.file(*fi);
            let add: Vec<(&str, &str)> = add
                .iter()
                .filter(|(p, _)| gf.imports.name_of(p).is_none())
                .map(|(p, n)| (p.as_str(), n.as_str()))
                .collect();
            let remove: Vec<&str> = remove.iter().map(String::as_str).collect();
            if add.is_empty() && remove.is_empty() {
                continue;
            }
            let (ie, _) = import_edits(&gf.parsed.path, &gf.parsed.source, &add, &remove)?;
            edits.extend(ie);
        }
        if overlapping(&edits) {
            return None;
        }
        Some(Fix::unsafe_(
            format!(
                "build `{}` once where `{}` is built, keep it in the field `{field}`, and reuse it across requests",
                first.callee, g.ty
            ),
            edits,
        ))
    }

    /// The file declaring struct type `ty`.
    fn struct_file(&self, ty: &str) -> Option<usize> {
        self.struct_decl(ty).map(|(fi, _)| fi)
    }

    fn struct_decl(&self, ty: &str) -> Option<(usize, Node<'a>)> {
        for (fi, file) in self.pkg.files.iter().enumerate() {
            let src = file.text();
            let root = file.root();
            let mut c = root.walk();
            for decl in root.named_children(&mut c) {
                if decl.kind() != "type_declaration" {
                    continue;
                }
                let mut c2 = decl.walk();
                for spec in decl.named_children(&mut c2) {
                    if spec.kind() == "type_spec"
                        && spec
                            .child_by_field_name("name")
                            .is_some_and(|n| text(n, src) == ty)
                        && let Some(t) = spec.child_by_field_name("type")
                        && t.kind() == "struct_type"
                    {
                        return Some((fi, t));
                    }
                }
            }
        }
        None
    }

    /// Adds `field T` to the struct, as a section of its own at the end (so
    /// that gofmt's alignment of the others stays as it is).
    fn field_edit(
        &self,
        ty: &str,
        field: &str,
        client: &TypeName,
        imports: &mut FileImports,
    ) -> Option<Edit> {
        let (fi, st) = self.struct_decl(ty)?;
        let file = self.file(fi);
        let src = file.text();
        let source = &file.parsed.source;
        let nl = source.newline();
        let qual = match file.imports.name_of(&client.package) {
            Some(n) => format!("{n}."),
            None if client.package == self.pkg.import_path => String::new(),
            None => {
                let n = client.package.rsplit('/').next()?.to_string();
                if file.imports.resolve(&n).is_some() || self.top_level_names().contains(&n) {
                    return None;
                }
                imports
                    .entry(fi)
                    .or_default()
                    .0
                    .push((client.package.clone(), n.clone()));
                format!("{n}.")
            }
        };
        let s = client.to_string();
        let star = if configs::VALUE_TYPES.contains(&s.as_str())
            || INTERFACE_TYPES.contains(&s.as_str())
        {
            ""
        } else {
            "*"
        };
        let decl = format!("{field} {star}{qual}{}", client.name);
        let list = st
            .named_children(&mut st.walk())
            .find(|n| n.kind() == "field_declaration_list")?;
        let close = list.end_byte() - 1;
        if &src[close..close + 1] != "}" {
            return None;
        }
        let has_fields = list.named_child_count() > 0;
        let body = &src[list.start_byte() + 1..close];
        if !body.contains('\n') {
            if has_fields {
                return None; // `struct{ a int }` on one line
            }
            let ind = source.indent_at(st.start_byte());
            return Some(Edit::replacement(
                file.parsed.path.clone(),
                list.byte_range(),
                format!("{{{nl}{ind}\t{decl}{nl}{ind}}}"),
            ));
        }
        let ind = source.indent_at(close);
        let at = source.line_range(source.line_index(close)).start;
        let sep = if has_fields { nl } else { "" };
        Some(Edit::insertion(
            file.parsed.path.clone(),
            at,
            format!("{sep}{ind}\t{decl}{nl}"),
        ))
    }

    /// Sets the field in the literal building the receiver.
    fn literal_edit(&self, fi: usize, lit: Node<'a>, field: &str) -> Option<Edit> {
        let file = self.file(fi);
        let src = file.text();
        let source = &file.parsed.source;
        let nl = source.newline();
        let body = lit.child_by_field_name("body")?;
        let mut c = body.walk();
        let elems: Vec<Node> = body
            .named_children(&mut c)
            .filter(|n| n.kind() != "comment")
            .collect();
        if elems.iter().any(|e| e.kind() != "keyed_element") {
            return None; // positional fields
        }
        let close = body.end_byte() - 1;
        let inner = &src[body.start_byte() + 1..close];
        if !inner.contains('\n') {
            let text = if elems.is_empty() {
                format!("{field}: {field}")
            } else {
                format!(", {field}: {field}")
            };
            let at = elems.last().map(|e| e.end_byte()).unwrap_or(close);
            return Some(Edit::insertion(file.parsed.path.clone(), at, text));
        }
        // Multi-line: a section of its own before the closing brace.
        let last = elems.last()?;
        if !src[last.end_byte()..close].trim_start().starts_with(',') {
            return None;
        }
        let ind = source.indent_at(last.start_byte());
        let at = source.line_range(source.line_index(close)).start;
        Some(Edit::insertion(
            file.parsed.path.clone(),
            at,
            format!("{nl}{ind}{field}: {field},{nl}"),
        ))
    }
}
