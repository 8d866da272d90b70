//! Where the shared client goes: one accessor per distinct construction
//! (reusing one an earlier run wrote), its name, the file it lands in, and
//! the edits of each file whose constructions it replaces (releases and
//! locals left unused go).

use super::*;

impl<'a> Planner<'a> {
    /// Builds the accessors and the fixes of the accessor sites. Returns,
    /// per site index, its fix or why there is none.
    pub(super) fn assemble(
        &self,
        sites: &[Site<'a>],
        outcomes: &[Outcome<'a>],
        injected: &HashSet<usize>,
    ) -> HashMap<usize, Result<Fix, String>> {
        let mut result: HashMap<usize, Result<Fix, String>> = HashMap::new();
        let accessor_sites: Vec<usize> = (0..sites.len())
            .filter(|i| matches!(outcomes[*i], Outcome::Accessor(_)) && !injected.contains(i))
            .collect();
        if accessor_sites.is_empty() {
            return result;
        }
        let acc = |i: usize| acc_of(outcomes, i);
        let existing = self.existing_accessors();
        let mut taken = self.words();
        // Keys in the order of their first site.
        let mut accessors: BTreeMap<String, Accessor> = BTreeMap::new();
        let mut key_order: Vec<String> = Vec::new();
        let is_test = |i: usize| {
            self.file(sites[i].fi)
                .parsed
                .path
                .to_string_lossy()
                .ends_with("_test.go")
        };
        for &i in &accessor_sites {
            let key = &acc(i).key;
            if let Some(a) = accessors.get_mut(key) {
                // The accessor goes with non-test code when any uses it.
                if a.first.is_some_and(|f| is_test(f) && !is_test(i)) {
                    a.first = Some(i);
                }
                continue;
            }
            key_order.push(key.clone());
            let a = match existing.get(key) {
                Some(name) => Accessor {
                    name: name.clone(),
                    first: None,
                },
                None => Accessor {
                    name: String::new(),
                    first: Some(i),
                },
            };
            accessors.insert(key.clone(), a);
        }
        // Names for the new ones.
        let one_file = self.one_file_programs();
        let mut taken_in_file: HashMap<usize, HashSet<String>> = HashMap::new();
        for key in &key_order {
            let a = accessors.get_mut(key).unwrap();
            let Some(first) = a.first else { continue };
            let s = &sites[first];
            let file = self.file(s.fi);
            let Some(base) =
                s.ty.as_ref()
                    .and_then(|t| accessor_base_name(t, file, &self.pkg.import_path))
            else {
                continue;
            };
            // Programs of one file each only need names free in that file.
            let words: &mut HashSet<String> = if one_file {
                taken_in_file.entry(s.fi).or_insert_with(|| {
                    file.text()
                        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .filter(|w| !w.is_empty())
                        .map(str::to_string)
                        .collect()
                })
            } else {
                &mut taken
            };
            let mut name = base.clone();
            let mut n = 2;
            while words.contains(&name) || words.contains(&format!("{name}Cache")) {
                name = format!("{base}{n}");
                n += 1;
            }
            words.insert(name.clone());
            words.insert(format!("{name}Cache"));
            a.name = name;
        }

        // Render the new accessors, per file, in the order of their first site.
        let mut rendered: HashMap<String, (usize, Node<'a>, Rendered)> = HashMap::new();
        let mut failed_keys: HashMap<String, String> = HashMap::new();
        for key in &key_order {
            let a = &accessors[key];
            let Some(first) = a.first else { continue };
            if a.name.is_empty() {
                failed_keys.insert(
                    key.clone(),
                    "leakfix does not know the type of the client, which the shared accessor must name".into(),
                );
                continue;
            }
            let s = &sites[first];
            match self.render_accessor(s, acc(first), &a.name) {
                Ok(r) => {
                    rendered.insert(key.clone(), (s.fi, top_level(s.call), r));
                }
                Err(note) => {
                    failed_keys.insert(key.clone(), note);
                }
            }
        }
        for &i in &accessor_sites {
            if let Some(note) = failed_keys.get(&acc(i).key) {
                result.insert(i, Err(note.clone()));
            }
        }
        // Fixes, until no new accessor is written that no fix uses.
        let mut dead: HashSet<String> = HashSet::new();
        loop {
            let (blocks, block_edits, block_imports) = self.blocks(&key_order, &rendered, &dead);
            let mut fixes: HashMap<usize, Result<Fix, String>> = HashMap::new();
            // One fix per file of sites: its call replacements, releases, and
            // the locals and imports they leave unused, plus every new accessor.
            let mut by_file: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
            for &i in &accessor_sites {
                let key = &acc(i).key;
                if failed_keys.contains_key(key) {
                    continue;
                }
                if dead.contains(key) {
                    fixes.insert(i, Err("leakfix could not rewrite the code around the other constructions of this client".into()));
                    continue;
                }
                by_file.entry(sites[i].fi).or_default().push(i);
            }
            for (fi, mut group) in by_file {
                loop {
                    match self.group_fix(
                        fi,
                        &group,
                        sites,
                        outcomes,
                        &accessors,
                        &blocks,
                        &block_edits,
                        &block_imports,
                    ) {
                        Ok(fs) => {
                            for (i, f) in group.iter().zip(fs) {
                                fixes.insert(*i, Ok(f));
                            }
                            break;
                        }
                        Err((culprit, note)) => {
                            // Leave the site out and try the others again.
                            let out = culprit.unwrap_or(group[0]);
                            fixes.insert(out, Err(note.clone()));
                            group.retain(|i| *i != out);
                            if culprit.is_none() {
                                for i in group.drain(..) {
                                    fixes.insert(i, Err(note.clone()));
                                }
                            }
                            if group.is_empty() {
                                break;
                            }
                        }
                    }
                }
            }
            // A new accessor none of whose sites got a fix is not written.
            let unused: Vec<String> = rendered
                .keys()
                .filter(|k| !dead.contains(*k))
                .filter(|k| {
                    !accessor_sites
                        .iter()
                        .any(|i| acc(*i).key == **k && matches!(fixes.get(i), Some(Ok(_))))
                })
                .cloned()
                .collect();
            if unused.is_empty() {
                result.extend(fixes);
                return result;
            }
            dead.extend(unused);
        }
    }

    /// The accessor blocks (per file, after the declaration holding the
    /// first site), their insertion edits, and the imports each file needs.
    #[allow(clippy::type_complexity)]
    pub(super) fn blocks(
        &self,
        key_order: &[String],
        rendered: &HashMap<String, (usize, Node<'a>, Rendered)>,
        dead: &HashSet<String>,
    ) -> (
        BTreeMap<usize, Block<'a>>,
        Vec<Edit>,
        HashMap<usize, Vec<(String, String)>>,
    ) {
        let mut blocks: BTreeMap<usize, Block<'a>> = BTreeMap::new();
        for key in key_order {
            if dead.contains(key) {
                continue;
            }
            let Some((fi, anchor, r)) = rendered.get(key) else {
                continue;
            };
            let b = blocks.entry(*fi).or_insert_with(|| Block {
                anchor: *anchor,
                text: String::new(),
                imports: Vec::new(),
                qualifiers: HashSet::new(),
            });
            b.text.push_str(&r.text);
            for imp in &r.imports {
                if !b.imports.contains(imp) {
                    b.imports.push(imp.clone());
                }
            }
            b.qualifiers.extend(r.qualifiers.iter().cloned());
        }
        let mut block_edits: Vec<Edit> = Vec::new();
        let mut block_imports: HashMap<usize, Vec<(String, String)>> = HashMap::new();
        for (&fi, b) in &blocks {
            let file = self.file(fi);
            let source = &file.parsed.source;
            let src = file.text();
            let nl = source.newline();
            let end = b.anchor.end_byte();
            let (at, mut text) = match source.next_line_start(end) {
                Some(at) => (at, b.text.clone()),
                None => (src.len(), format!("{nl}{}", b.text)),
            };
            if at < src.len() && !source.line_text(source.line_index(at)).trim().is_empty() {
                text.push_str(nl);
            }
            block_edits.push(Edit::insertion(file.parsed.path.clone(), at, text));
            block_imports.insert(fi, b.imports.clone());
        }
        (blocks, block_edits, block_imports)
    }

    /// The fix for the sites of one file (the same edits for each; titles differ).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn group_fix(
        &self,
        fi: usize,
        group: &[usize],
        sites: &[Site<'a>],
        outcomes: &[Outcome<'a>],
        accessors: &BTreeMap<String, Accessor>,
        blocks: &BTreeMap<usize, Block<'a>>,
        block_edits: &[Edit],
        block_imports: &HashMap<usize, Vec<(String, String)>>,
    ) -> Result<Vec<Fix>, (Option<usize>, String)> {
        let acc = |i: usize| acc_of(outcomes, i);
        let file = self.file(fi);
        let source = &file.parsed.source;
        let path = file.parsed.path.clone();
        let mut edits: Vec<Edit> = Vec::new();
        let mut removed: Vec<Range<usize>> = Vec::new();
        let mut deleted: Vec<Range<usize>> = Vec::new();
        let mut own: Vec<(usize, Vec<Range<usize>>)> = Vec::new();
        let mut other_deleted: BTreeMap<usize, Vec<Range<usize>>> = BTreeMap::new();
        for &i in group {
            let s = &sites[i];
            let a = acc(i);
            let name = &accessors[&a.key].name;
            edits.push(Edit::replacement(
                path.clone(),
                s.call.byte_range(),
                format!("{name}()"),
            ));
            removed.push(s.call.byte_range());
            own.push((i, vec![s.call.byte_range()]));
            for st in &a.releases {
                let Some(l) = full_lines(source, st.byte_range()) else {
                    return Err((
                        Some(i),
                        "a release of the client shares its line with other code".into(),
                    ));
                };
                let l = with_comments_above(source, l);
                removed.push(l.clone());
                own.last_mut().unwrap().1.push(l.clone());
                deleted.push(l);
            }
            // A factory's callers no longer release what it returns.
            for (gi, st) in &a.caller_releases {
                let gf = self.file(*gi);
                let Some(l) = full_lines(&gf.parsed.source, st.byte_range()) else {
                    return Err((
                        Some(i),
                        "a caller's release of the client shares its line with other code".into(),
                    ));
                };
                let l = with_comments_above(&gf.parsed.source, l);
                if *gi == fi {
                    removed.push(l.clone());
                    own.last_mut().unwrap().1.push(l.clone());
                    deleted.push(l);
                } else {
                    other_deleted.entry(*gi).or_default().push(l);
                }
            }
        }
        for (gi, ranges) in &other_deleted {
            let gf = self.file(*gi);
            for r in merge_ranges(ranges.clone()) {
                edits.push(delete_lines(&gf.parsed.path, &gf.parsed.source, r));
            }
        }
        // Locals left without readers go, and so do their definitions' readers, in turn.
        let keep: HashSet<String> = blocks
            .get(&fi)
            .map(|b| b.qualifiers.clone())
            .unwrap_or_default();
        let (more, gone_imports) = match self.cleanup(file, &mut removed) {
            Ok(x) => x,
            Err((at, note)) => {
                // The site whose own edits took the local's last read.
                let culprit = own
                    .iter()
                    .find(|(_, rs)| at.iter().any(|a| rs.iter().any(|r| r.contains(a))))
                    .map(|(i, _)| *i);
                return Err((culprit, note));
            }
        };
        deleted.extend(more);
        let gone_imports: Vec<String> = gone_imports
            .into_iter()
            .filter(|(name, _)| !keep.contains(name))
            .map(|(_, p)| p)
            .collect();
        // Deletions, merged again once each has taken its blank line.
        let widened: Vec<Range<usize>> = merge_ranges(deleted)
            .into_iter()
            .map(|r| delete_lines(&path, source, r).range())
            .collect();
        for r in merge_ranges(widened) {
            edits.push(Edit::deletion(path.clone(), r));
        }
        // Imports: this file's, and those of the files that receive accessors.
        let mut files: Vec<usize> = blocks.keys().copied().collect();
        if !files.contains(&fi) {
            files.push(fi);
        }
        for f in files {
            let gf = self.file(f);
            let add: Vec<(&str, &str)> = block_imports
                .get(&f)
                .map(|v| v.iter().map(|(p, n)| (p.as_str(), n.as_str())).collect())
                .unwrap_or_default();
            let remove: Vec<&str> = if f == fi {
                gone_imports.iter().map(String::as_str).collect()
            } else {
                Vec::new()
            };
            if add.is_empty() && remove.is_empty() {
                continue;
            }
            let Some((ie, _)) = import_edits(&gf.parsed.path, &gf.parsed.source, &add, &remove)
            else {
                return Err((
                    None,
                    "the imports the accessor needs clash with this file's".into(),
                ));
            };
            edits.extend(ie);
        }
        edits.extend(block_edits.iter().cloned());
        if overlapping(&edits) {
            return Err((
                None,
                "the edits would overlap; the code is laid out in a way leakfix does not edit"
                    .into(),
            ));
        }
        Ok(group
            .iter()
            .map(|&i| {
                let s = &sites[i];
                let a = acc(i);
                let name = &accessors[&a.key].name;
                let mut title = format!(
                    "build `{}` once in the shared accessor `{name}()` and reuse it across requests",
                    s.callee
                );
                if !a.caller_releases.is_empty() {
                    title.push_str("; the function's callers no longer release it");
                }
                Fix::unsafe_(title, edits.clone())
            })
            .collect())
    }

    /// Deletes what removing `removed` leaves unused: locals (their
    /// declarations) and imports. Grows `removed` with what it deletes.
    /// Returns the deleted line ranges and the (name, path) of imports to
    /// drop, or the reads of a local that cannot go, and why.
    #[allow(clippy::type_complexity)]
    pub(super) fn cleanup(
        &self,
        file: &'a GoFile,
        removed: &mut Vec<Range<usize>>,
    ) -> Result<(Vec<Range<usize>>, Vec<(String, String)>), (Vec<usize>, String)> {
        let src = file.text();
        let source = &file.parsed.source;
        let mut deleted = Vec::new();
        let mut done: HashSet<usize> = HashSet::new();
        loop {
            let mut changed = false;
            let idents = idents_in(file.root(), removed);
            for id in idents {
                let name = text(id, src);
                let Binding::Local { decl, scope } = bind(id, src) else {
                    continue;
                };
                if done.contains(&decl.id()) || name == "_" || inside(removed, decl.byte_range()) {
                    continue; // or declared in what is removed, and removed with it
                }
                let uses = local_uses(name, decl, scope, src);
                if uses.reads.iter().any(|r| !inside(removed, r.byte_range())) {
                    continue;
                }
                // Unused from now on: its declaration must go.
                done.insert(decl.id());
                let at: Vec<usize> = uses.reads.iter().map(|r| r.start_byte()).collect();
                let ranges = self.deletable_decl(file, decl, name).ok_or((
                    at.clone(),
                    format!(
                        "`{name}` would be left unused, and leakfix cannot remove its declaration"
                    ),
                ))?;
                if !uses.other_writes.is_empty() {
                    return Err((
                        at,
                        format!("`{name}` would be left unused, and it is assigned elsewhere"),
                    ));
                }
                for r in ranges {
                    let Some(l) = full_lines(source, r) else {
                        return Err((at, format!("`{name}`'s declaration shares its line")));
                    };
                    let l = with_comments_above(source, l);
                    removed.push(l.clone());
                    deleted.push(l);
                }
                changed = true;
            }
            if !changed {
                break;
            }
        }
        // Imports whose every use went.
        let mut gone = Vec::new();
        for (name, path) in import_names(file) {
            let uses = qualifier_uses(file, &name);
            let inside_n = uses
                .iter()
                .filter(|u| inside(removed, u.byte_range()))
                .count();
            if inside_n > 0 && inside_n == uses.len() {
                gone.push((name, path));
            }
        }
        Ok((deleted, gone))
    }

    /// The ranges to delete so that local `name` (declared by `decl`) goes:
    /// `x := <plain expr>`, `var x = <plain expr>`, or `x, cancel :=
    /// context.WithTimeout(...)` with `cancel` only deferred.
    pub(super) fn deletable_decl(
        &self,
        file: &'a GoFile,
        decl: Node<'a>,
        name: &str,
    ) -> Option<Vec<Range<usize>>> {
        let src = file.text();
        if decl.parent().is_none_or(|p| p.kind() != "statement_list") {
            return None;
        }
        match decl.kind() {
            "short_var_declaration" => {
                let left = decl.child_by_field_name("left")?;
                let right = decl.child_by_field_name("right")?;
                let names: Vec<Node> = {
                    let mut c = left.walk();
                    left.named_children(&mut c).collect()
                };
                let values: Vec<Node> = {
                    let mut c = right.walk();
                    right.named_children(&mut c).collect()
                };
                if names.len() == 1 && values.len() == 1 {
                    return droppable(values[0], self.pkg, file, src, 0)
                        .then(|| vec![decl.byte_range()]);
                }
                // ctx, cancel := context.WithTimeout(parent, d)
                if names.len() == 2 && values.len() == 1 && text(names[0], src) == name {
                    let v = values[0];
                    let f = v.child_by_field_name("function")?;
                    let ft = text(f, src);
                    let ok_call = v.kind() == "call_expression"
                        && ft.starts_with("context.With")
                        && file.imports.resolve("context") == Some("context")
                        && call_args(v)
                            .iter()
                            .all(|a| droppable(*a, self.pkg, file, src, 0));
                    if !ok_call {
                        return None;
                    }
                    let cancel = text(names[1], src);
                    let mut ranges = vec![decl.byte_range()];
                    if cancel != "_" {
                        let Binding::Local { decl: d2, scope } = bind(names[1], src) else {
                            return None;
                        };
                        let uses = local_uses(cancel, d2, scope, src);
                        if !uses.other_writes.is_empty() {
                            return None;
                        }
                        for r in uses.reads {
                            // Only `defer cancel()` or `cancel()`.
                            let call = r.parent().filter(|c| {
                                c.kind() == "call_expression"
                                    && c.child_by_field_name("arguments")
                                        .is_some_and(|a| a.named_child_count() == 0)
                            })?;
                            let st = call.parent().filter(|p| {
                                matches!(p.kind(), "defer_statement" | "expression_statement")
                            })?;
                            ranges.push(st.byte_range());
                        }
                    }
                    return Some(ranges);
                }
                None
            }
            "var_declaration" => {
                let spec = {
                    let mut c = decl.walk();
                    let specs: Vec<Node> = decl.named_children(&mut c).collect();
                    if specs.len() != 1 || specs[0].kind() != "var_spec" {
                        return None;
                    }
                    specs[0]
                };
                let mut c = spec.walk();
                if spec.children_by_field_name("name", &mut c).count() != 1 {
                    return None;
                }
                match definition(decl, name, src) {
                    Some(v) => {
                        droppable(v, self.pkg, file, src, 0).then(|| vec![decl.byte_range()])
                    }
                    None => spec
                        .child_by_field_name("value")
                        .is_none()
                        .then(|| vec![decl.byte_range()]),
                }
            }
            _ => None,
        }
    }

    /// Every word in the package's Go files (parsed or not): names to avoid.
    pub(super) fn words(&self) -> HashSet<String> {
        let mut texts: Vec<String> = self
            .pkg
            .files
            .iter()
            .map(|f| f.text().to_string())
            .collect();
        let parsed: HashSet<&Path> = self.pkg.files.iter().map(|f| &*f.parsed.path).collect();
        // The folder's other files (tests, other platforms) are read too.
        crate::analysis::inputs::record_go_files_in(&self.pkg.dir);
        if let Ok(rd) = std::fs::read_dir(&self.pkg.dir) {
            for e in rd.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "go")
                    && !parsed.iter().any(|q| same_file(q, &p))
                    && let Ok(t) = std::fs::read_to_string(&p)
                {
                    texts.push(t);
                }
            }
        }
        let mut out = HashSet::new();
        for t in &texts {
            for w in t.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
                if !w.is_empty() {
                    out.insert(w.to_string());
                }
            }
        }
        out
    }

    /// Names declared at the top level of the package's files.
    pub(super) fn top_level_names(&self) -> &HashSet<String> {
        self.top_names
            .get_or_init(|| self.collect_top_level_names())
    }

    pub(super) fn collect_top_level_names(&self) -> HashSet<String> {
        let mut out = HashSet::new();
        for file in &self.pkg.files {
            let src = file.text();
            let root = file.root();
            let mut c = root.walk();
            for decl in root.named_children(&mut c) {
                if let Some(n) = decl.child_by_field_name("name") {
                    out.insert(text(n, src).to_string());
                }
                let mut stack = vec![decl];
                while let Some(n) = stack.pop() {
                    if is_function(n) {
                        continue;
                    }
                    if matches!(
                        n.kind(),
                        "var_spec" | "const_spec" | "type_spec" | "type_alias"
                    ) {
                        let mut c = n.walk();
                        for name in n.children_by_field_name("name", &mut c) {
                            out.insert(text(name, src).to_string());
                        }
                    }
                    let mut c = n.walk();
                    stack.extend(n.named_children(&mut c));
                }
            }
        }
        out
    }
}

/// The accessors one file receives.
pub(super) struct Block<'a> {
    /// The top-level declaration they follow.
    pub(super) anchor: Node<'a>,
    pub(super) text: String,
    pub(super) imports: Vec<(String, String)>,
    /// Package names the text uses.
    pub(super) qualifiers: HashSet<String>,
}

/// Inlines by (file, node id) of the name they replace.
pub(super) fn inline_map<'a>(inlined: &[Inline<'a>]) -> HashMap<(usize, usize), Inline<'a>> {
    let mut m = HashMap::new();
    for i in inlined {
        m.insert((i.at_file, i.at.id()), *i);
    }
    m
}

/// Can an expression be deleted without losing an effect (`r.Context()`,
/// `os.Getenv("X")`, literals)?
pub(super) fn droppable(
    expr: Node,
    pkg: &GoPackage,
    file: &GoFile,
    src: &str,
    depth: usize,
) -> bool {
    if depth > 16 {
        return false;
    }
    let all = |n: Node| {
        let mut c = n.walk();
        let kids: Vec<Node> = n.named_children(&mut c).collect();
        kids.into_iter()
            .all(|k| k.kind() == "comment" || droppable(k, pkg, file, src, depth + 1))
    };
    match expr.kind() {
        "identifier"
        | "interpreted_string_literal"
        | "raw_string_literal"
        | "int_literal"
        | "float_literal"
        | "imaginary_literal"
        | "rune_literal"
        | "true"
        | "false"
        | "nil"
        | "iota"
        | "field_identifier"
        | "type_identifier"
        | "qualified_type"
        | "pointer_type" => true,
        "literal_value"
        | "literal_element"
        | "keyed_element"
        | "composite_literal"
        | "parenthesized_expression"
        | "binary_expression"
        | "argument_list" => all(expr),
        "unary_expression" => !text(expr, src).starts_with("<-") && all(expr),
        "selector_expression" => expr
            .child_by_field_name("operand")
            .is_some_and(|o| droppable(o, pkg, file, src, depth + 1)),
        "call_expression" => {
            let Some(f) = expr.child_by_field_name("function") else {
                return false;
            };
            let args_ok = expr.child_by_field_name("arguments").is_none_or(all);
            match f.kind() {
                "selector_expression" => {
                    let (Some(o), Some(field)) = (
                        f.child_by_field_name("operand"),
                        f.child_by_field_name("field"),
                    ) else {
                        return false;
                    };
                    let field = text(field, src);
                    if o.kind() == "identifier"
                        && matches!(bind(o, src), Binding::Package)
                        && let Some(path) = file.imports.resolve(text(o, src))
                    {
                        return args_ok
                            && (is_pure_call(path, field)
                                || path == "context"
                                    && matches!(field, "WithoutCancel" | "WithValue"));
                    }
                    // r.Context(), c.Request.Context(), c.Request().Context(), c.UserContext()
                    let no_args = expr
                        .child_by_field_name("arguments")
                        .is_some_and(|a| a.named_child_count() == 0);
                    no_args
                        && matches!(field, "Context" | "UserContext" | "Request")
                        && droppable(o, pkg, file, src, depth + 1)
                }
                "identifier" => {
                    let name = text(f, src);
                    args_ok
                        && matches!(bind(f, src), Binding::Package)
                        && (matches!(name, "string" | "int" | "int64" | "len")
                            || is_env_helper(pkg, name, 0))
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// Do any two edits of one fix overlap (which splicing cannot handle)?
pub(super) fn overlapping(edits: &[Edit]) -> bool {
    let mut v: Vec<&Edit> = edits.iter().collect();
    v.sort_by_key(|e| (e.path().clone(), e.start(), e.end()));
    v.dedup();
    v.windows(2).any(|w| {
        w[0].path() == w[1].path()
            && (w[1].start() < w[0].end()
                || (w[0].start() == w[1].start() && w[0].is_insertion() && w[1].is_insertion()))
    })
}

/// The accessor's name for a client of type `t`: `firestoreClient`, `sqlDB`,
/// `pgxPool`.
pub(super) fn accessor_base_name(t: &TypeName, file: &GoFile, own: &str) -> Option<String> {
    // A type of the package itself: `gateway` -> `sharedGateway`.
    if t.package == own {
        let mut c = t.name.chars();
        let first = c.next()?;
        return Some(format!("shared{}{}", first.to_uppercase(), c.as_str()));
    }
    let mut pkg = file
        .imports
        .name_of(&t.package)
        .or_else(|| t.package.rsplit('/').next())?;
    // `session.Session` -> `awsSession`: the package's parent names it.
    if pkg.eq_ignore_ascii_case(&t.name) {
        let mut parts = t.package.rsplit('/');
        parts.next();
        pkg = parts
            .find(|p| p.chars().all(|c| c.is_ascii_alphanumeric()))
            .unwrap_or(pkg);
    }
    // `pgxpool.Pool` -> `pgxPool`, not `pgxpoolPool`.
    let (lp, lt) = (pkg.to_ascii_lowercase(), t.name.to_ascii_lowercase());
    if lp.len() > lt.len() && lp.ends_with(&lt) {
        pkg = &pkg[..pkg.len() - lt.len()];
    }
    let mut c = pkg.chars();
    let first = c.next()?;
    Some(format!("{}{}{}", first.to_lowercase(), c.as_str(), t.name))
}

pub(super) fn same_file(a: &Path, b: &Path) -> bool {
    a == b
        || std::fs::canonicalize(a)
            .ok()
            .zip(std::fs::canonicalize(b).ok())
            .is_some_and(|(x, y)| x == y)
}
