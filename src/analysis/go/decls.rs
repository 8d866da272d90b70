//! The declarations of one Go package, as the program index keeps them:
//! named types (struct fields, interface method sets, what a defined type
//! is), functions and methods with their parameter and result types, and
//! package-level variables. Collected from parsed files (usually their
//! declaration view, see `declview`), with every type resolved through the
//! declaring file's imports.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use tree_sitter::Node;

use super::types::type_of_type_node;
use super::{GoFile, GoType};
use crate::lang::text;

/// A parameter or result.
#[derive(Clone, Debug)]
pub struct Param {
    pub name: Option<String>,
    pub ty: GoType,
    /// `...T` (the type is then the element type).
    pub variadic: bool,
}

/// A function's or method's signature.
#[derive(Clone, Debug, Default)]
pub struct Sig {
    pub params: Vec<Param>,
    pub results: Vec<Param>,
    /// The last result is `error`.
    pub error_last: bool,
}

impl Sig {
    pub fn result_types(&self) -> Vec<GoType> {
        self.results.iter().map(|r| r.ty.clone()).collect()
    }

    /// Ends with an `error` result.
    pub fn returns_error(&self) -> bool {
        self.error_last
    }
}

/// Where a function or method is declared, for analyses that read its body.
#[derive(Clone, Debug)]
pub struct FuncDecl {
    pub sig: Sig,
    pub file: Arc<Path>,
    /// The declaration's byte range in the file.
    pub range: Range<usize>,
    /// The receiver's name (methods), `None` if unnamed or `_`.
    pub receiver: Option<String>,
}

/// What a named type is.
#[derive(Clone, Debug)]
pub enum TypeDecl {
    Struct(Vec<Field>),
    Interface {
        methods: HashMap<String, Sig>,
        /// Embedded interfaces (and type-set terms, which add no methods).
        embeds: Vec<GoType>,
    },
    /// `type X Y` or `type X = Y` with any other right-hand side.
    Other {
        underlying: GoType,
        alias: bool,
    },
}

#[derive(Clone, Debug)]
pub struct Field {
    pub name: String,
    pub ty: GoType,
    pub embedded: bool,
}

/// Which kind of code a package is: the user's, the standard library's, or
/// a dependency's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PackageOrigin {
    Workspace,
    Stdlib,
    Dependency,
}

/// One package's declarations, read lazily: every file's text is indexed
/// by the top-level names it declares (a line scan, no parsing), and a file
/// is parsed (its declaration view) only when one of its names is asked for.
#[derive(Debug)]
pub struct PackageInfo {
    pub import_path: String,
    pub dir: std::path::PathBuf,
    pub origin: PackageOrigin,
    files: Vec<Arc<Path>>,
    /// `F`, `T`, `T.M`, `var V` -> files declaring it.
    index: HashMap<String, Vec<usize>>,
    state: std::sync::Mutex<Parsed>,
}

#[derive(Debug, Default)]
struct Parsed {
    done: Vec<bool>,
    name: String,
    types: HashMap<String, TypeDecl>,
    funcs: HashMap<String, FuncDecl>,
    /// Receiver type name -> method name -> declaration.
    methods: HashMap<String, HashMap<String, FuncDecl>>,
    vars: HashMap<String, GoType>,
    /// Declared in a generated file (`*.pb.go` and the like).
    generated_types: std::collections::HashSet<String>,
}

impl PackageInfo {
    /// A package over these files (`texts` read from them), indexed but not parsed.
    pub fn new(
        import_path: String,
        dir: std::path::PathBuf,
        origin: PackageOrigin,
        files: Vec<(Arc<Path>, String)>,
    ) -> PackageInfo {
        let mut index: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, (_, text)) in files.iter().enumerate() {
            for name in top_level_names(text) {
                let e = index.entry(name).or_default();
                if e.last() != Some(&i) {
                    e.push(i);
                }
            }
        }
        let n = files.len();
        PackageInfo {
            import_path,
            dir,
            origin,
            files: files.into_iter().map(|(p, _)| p).collect(),
            index,
            state: std::sync::Mutex::new(Parsed {
                done: vec![false; n],
                ..Parsed::default()
            }),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Parses the files declaring `key` (all files if the index does not
    /// know it: code laid out in a way the line scan does not read).
    fn ensure(&self, st: &mut Parsed, key: &str) {
        let wanted: Vec<usize> = match self.index.get(key) {
            Some(files) => files.clone(),
            None => return,
        };
        for i in wanted {
            if !st.done[i] {
                st.done[i] = true;
                self.parse_file(st, i);
            }
        }
    }

    fn parse_file(&self, st: &mut Parsed, i: usize) {
        let path = self.files[i].clone();
        let Ok(source) = crate::parse::read_source(&path) else {
            return;
        };
        // Parsed already for a unit being analysed: the same declarations.
        if let Some(file) = super::program::parsed_now(&path, source.text()) {
            if st.name.is_empty() {
                st.name = file.package_name.clone();
            }
            return add_file(st, &self.import_path, &file, &path);
        }
        let view = super::declview::declaration_view(source.text())
            .map(crate::source::SourceText::new)
            .unwrap_or(source);
        let Ok(parsed) = crate::parse::ParsedFile::parse(path, crate::lang::Language::Go, view)
        else {
            return;
        };
        let file = GoFile::new(parsed);
        if st.name.is_empty() {
            st.name = file.package_name.clone();
        }
        add_file(st, &self.import_path, &file, &self.files[i]);
    }

    fn lookup<T>(&self, key: &str, get: impl Fn(&Parsed) -> Option<T>) -> Option<T> {
        let mut st = self.state.lock().unwrap();
        if let Some(v) = get(&st) {
            return Some(v);
        }
        self.ensure(&mut st, key);
        get(&st)
    }

    pub fn type_decl(&self, name: &str) -> Option<TypeDecl> {
        self.lookup(name, |st| st.types.get(name).cloned())
    }

    pub fn func(&self, name: &str) -> Option<FuncDecl> {
        self.lookup(name, |st| st.funcs.get(name).cloned())
    }

    pub fn method(&self, ty: &str, name: &str) -> Option<FuncDecl> {
        self.lookup(&format!("{ty}.{name}"), |st| {
            st.methods.get(ty).and_then(|m| m.get(name)).cloned()
        })
    }

    /// Every method declared on type `ty` in this package.
    pub fn methods_of(&self, ty: &str) -> Vec<FuncDecl> {
        let prefix = format!("{ty}.");
        let mut names: Vec<String> = self
            .index
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix).map(str::to_string))
            .collect();
        names.sort();
        names.iter().filter_map(|m| self.method(ty, m)).collect()
    }

    pub fn var(&self, name: &str) -> Option<GoType> {
        self.lookup(&format!("var {name}"), |st| st.vars.get(name).cloned())
    }

    /// Declared in a generated file (protobuf messages and the like).
    pub fn is_generated_type(&self, name: &str) -> bool {
        self.lookup(name, |st| {
            st.types
                .contains_key(name)
                .then(|| st.generated_types.contains(name))
        })
        .unwrap_or(false)
    }
}

/// The top-level names a gofmt'd file declares, read line by line: `F`
/// (funcs), `T.M` (methods), `T` (types), `var V` (variables).
pub fn top_level_names(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    // Inside `type (` or `var (` groups: which.
    let mut group: Option<&str> = None;
    for line in src.lines() {
        if let Some(kind) = group {
            if line.starts_with(')') {
                group = None;
                continue;
            }
            // One tab: a spec of the group.
            if let Some(rest) = line.strip_prefix('\t')
                && !rest.starts_with(['\t', ' ', '/', ')'])
            {
                let names: Vec<&str> = if kind == "type" {
                    vec![ident_prefix(rest)]
                } else {
                    rest.split(['=', ' '])
                        .next()
                        .unwrap_or("")
                        .split(',')
                        .map(str::trim)
                        .collect()
                };
                for n in names {
                    if !n.is_empty() {
                        out.push(if kind == "var" {
                            format!("var {n}")
                        } else {
                            n.to_string()
                        });
                    }
                }
                // `\tName, Other Type` in var groups are handled by the split.
                if kind == "var" {
                    for n in rest.split(['=']).next().unwrap_or("").split(',') {
                        let n = ident_prefix(n.trim());
                        if !n.is_empty() {
                            out.push(format!("var {n}"));
                        }
                    }
                }
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("func ") {
            if let Some(recv) = rest.strip_prefix('(') {
                // `(r *T) M(`, `(T) M(`, `(r *T[K]) M(`
                let Some(close) = recv.find(')') else {
                    continue;
                };
                let ty = recv[..close]
                    .split_whitespace()
                    .last()
                    .unwrap_or("")
                    .trim_start_matches('*');
                let ty = ty.split('[').next().unwrap_or("");
                let m = ident_prefix(recv[close + 1..].trim_start());
                if !ty.is_empty() && !m.is_empty() {
                    out.push(format!("{ty}.{m}"));
                }
            } else {
                let n = ident_prefix(rest);
                if !n.is_empty() {
                    out.push(n.to_string());
                }
            }
        } else if let Some(rest) = line.strip_prefix("type ") {
            if rest.trim_end() == "(" {
                group = Some("type");
            } else {
                let n = ident_prefix(rest);
                if !n.is_empty() {
                    out.push(n.to_string());
                }
            }
        } else if let Some(rest) = line.strip_prefix("var ") {
            if rest.trim_end() == "(" {
                group = Some("var");
            } else {
                for n in rest.split(['=']).next().unwrap_or("").split(',') {
                    let n = ident_prefix(n.trim());
                    if !n.is_empty() {
                        out.push(format!("var {n}"));
                    }
                }
            }
        }
    }
    out
}

fn ident_prefix(s: &str) -> &str {
    let end = s
        .char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
        .map(|(i, _)| i)
        .unwrap_or(s.len());
    &s[..end]
}

/// Adds one file's declarations (the first declaration of a name wins:
/// files for other platforms may declare it again).
/// `path`: where the package's index found the file (a unit's copy may
/// name it differently, `./a.go`).
fn add_file(st: &mut Parsed, pkg: &str, file: &GoFile, path: &Arc<Path>) {
    let src = file.text();
    let root = file.root();
    let mut cursor = root.walk();
    for decl in root.named_children(&mut cursor) {
        match decl.kind() {
            "type_declaration" => {
                let mut c = decl.walk();
                for spec in decl.named_children(&mut c) {
                    let alias = spec.kind() == "type_alias";
                    if !matches!(spec.kind(), "type_spec" | "type_alias") {
                        continue;
                    }
                    let (Some(name), Some(ty)) = (
                        spec.child_by_field_name("name"),
                        spec.child_by_field_name("type"),
                    ) else {
                        continue;
                    };
                    let params = type_params(spec, src);
                    let name = text(name, src).to_string();
                    if file.generated {
                        st.generated_types.insert(name.clone());
                    }
                    let d = type_decl(ty, file, pkg, &params, alias);
                    st.types.entry(name).or_insert(d);
                }
            }
            "var_declaration" => {
                for spec in descendants_of_kind(decl, "var_spec") {
                    let ty = match spec.child_by_field_name("type") {
                        Some(t) => type_of_type_node(t, file, pkg),
                        None => GoType::Other,
                    };
                    let mut c = spec.walk();
                    for name in spec.children_by_field_name("name", &mut c) {
                        st.vars
                            .entry(text(name, src).to_string())
                            .or_insert(ty.clone());
                    }
                }
            }
            "function_declaration" => {
                let Some(name) = decl.child_by_field_name("name") else {
                    continue;
                };
                let params = type_params(decl, src);
                let d = FuncDecl {
                    sig: signature(decl, file, pkg, &params),
                    file: path.clone(),
                    range: decl.byte_range(),
                    receiver: None,
                };
                st.funcs.entry(text(name, src).to_string()).or_insert(d);
            }
            "method_declaration" => {
                let (Some(name), Some((recv_ty, recv_name, params))) =
                    (decl.child_by_field_name("name"), receiver(decl, src))
                else {
                    continue;
                };
                let d = FuncDecl {
                    sig: signature(decl, file, pkg, &params),
                    file: path.clone(),
                    range: decl.byte_range(),
                    receiver: recv_name,
                };
                st.methods
                    .entry(recv_ty)
                    .or_default()
                    .entry(text(name, src).to_string())
                    .or_insert(d);
            }
            _ => {}
        }
    }
}

fn descendants_of_kind<'t>(n: Node<'t>, kind: &str) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    let mut stack = vec![n];
    while let Some(x) = stack.pop() {
        if x.kind() == kind {
            out.push(x);
            continue;
        }
        let mut c = x.walk();
        stack.extend(x.named_children(&mut c));
    }
    out
}

/// Names of the type parameters of a generic function or type.
fn type_params(decl: Node, src: &str) -> Vec<String> {
    let Some(list) = decl.child_by_field_name("type_parameters") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut c = list.walk();
    for d in list.named_children(&mut c) {
        let mut c2 = d.walk();
        out.extend(
            d.children_by_field_name("name", &mut c2)
                .map(|n| text(n, src).to_string()),
        );
    }
    out
}

/// A type node, with the type parameters in scope resolved to `Other`.
fn resolve(node: Node, file: &GoFile, pkg: &str, tparams: &[String]) -> GoType {
    if !tparams.is_empty() {
        let t = text(node, file.text()).trim_start_matches(['*', '[', ']']);
        if tparams.iter().any(|p| p == t) {
            return GoType::Other;
        }
    }
    type_of_type_node(node, file, pkg)
}

fn type_decl(ty: Node, file: &GoFile, pkg: &str, tparams: &[String], alias: bool) -> TypeDecl {
    let src = file.text();
    match ty.kind() {
        "struct_type" => {
            let mut fields = Vec::new();
            for f in descendants_of_kind(ty, "field_declaration") {
                let Some(t) = f.child_by_field_name("type") else {
                    continue;
                };
                let gt = resolve(t, file, pkg, tparams);
                let mut c = f.walk();
                let names: Vec<String> = f
                    .children_by_field_name("name", &mut c)
                    .map(|n| text(n, src).to_string())
                    .collect();
                if names.is_empty() {
                    // Embedded: named after its type.
                    let name = match &gt {
                        GoType::Named(tn) => tn.name.clone(),
                        _ => continue,
                    };
                    fields.push(Field {
                        name,
                        ty: gt,
                        embedded: true,
                    });
                } else {
                    for name in names {
                        fields.push(Field {
                            name,
                            ty: gt.clone(),
                            embedded: false,
                        });
                    }
                }
            }
            // Fields come out of a stack in reverse order; keep source order.
            fields.reverse();
            TypeDecl::Struct(fields)
        }
        "interface_type" => {
            let mut methods = HashMap::new();
            let mut embeds = Vec::new();
            let mut c = ty.walk();
            for el in ty.named_children(&mut c) {
                match el.kind() {
                    "method_elem" => {
                        if let Some(name) = el.child_by_field_name("name") {
                            methods.insert(
                                text(name, src).to_string(),
                                signature(el, file, pkg, tparams),
                            );
                        }
                    }
                    "type_elem" => {
                        // One term: an embedded interface; a union adds no methods.
                        let mut c2 = el.walk();
                        let terms: Vec<Node> = el.named_children(&mut c2).collect();
                        if let [t] = terms.as_slice() {
                            embeds.push(resolve(*t, file, pkg, tparams));
                        }
                    }
                    _ => {}
                }
            }
            TypeDecl::Interface { methods, embeds }
        }
        _ => TypeDecl::Other {
            underlying: resolve(ty, file, pkg, tparams),
            alias,
        },
    }
}

/// The signature of a function, method, method element or function type.
pub fn signature(decl: Node, file: &GoFile, pkg: &str, tparams: &[String]) -> Sig {
    let mut all_params: Vec<String> = tparams.to_vec();
    all_params.extend(type_params(decl, file.text()));
    let params = decl
        .child_by_field_name("parameters")
        .map(|p| param_list(p, file, pkg, &all_params))
        .unwrap_or_default();
    let results = match decl.child_by_field_name("result") {
        Some(r) if r.kind() == "parameter_list" => param_list(r, file, pkg, &all_params),
        Some(r) => vec![Param {
            name: None,
            ty: resolve(r, file, pkg, &all_params),
            variadic: false,
        }],
        None => Vec::new(),
    };
    let error_last = decl.child_by_field_name("result").is_some_and(|r| {
        text(r, file.text())
            .trim_end_matches(')')
            .trim_end()
            .ends_with("error")
    });
    Sig {
        params,
        results,
        error_last,
    }
}

fn param_list(list: Node, file: &GoFile, pkg: &str, tparams: &[String]) -> Vec<Param> {
    let src = file.text();
    let mut out = Vec::new();
    let mut c = list.walk();
    for d in list.named_children(&mut c) {
        let variadic = d.kind() == "variadic_parameter_declaration";
        if !variadic && d.kind() != "parameter_declaration" {
            continue;
        }
        let ty = d
            .child_by_field_name("type")
            .map(|t| resolve(t, file, pkg, tparams))
            .unwrap_or(GoType::Other);
        let mut c2 = d.walk();
        let names: Vec<String> = d
            .children_by_field_name("name", &mut c2)
            .map(|n| text(n, src).to_string())
            .collect();
        if names.is_empty() {
            out.push(Param {
                name: None,
                ty,
                variadic,
            });
        } else {
            for n in names {
                out.push(Param {
                    name: (n != "_").then_some(n),
                    ty: ty.clone(),
                    variadic,
                });
            }
        }
    }
    out
}

/// A method's receiver: (type name, receiver name, type parameters).
fn receiver(decl: Node, src: &str) -> Option<(String, Option<String>, Vec<String>)> {
    let recv = decl.child_by_field_name("receiver")?;
    let mut c = recv.walk();
    let param = recv
        .named_children(&mut c)
        .find(|n| n.kind() == "parameter_declaration")?;
    let name = param
        .child_by_field_name("name")
        .map(|n| text(n, src).to_string())
        .filter(|n| n != "_");
    let mut t = param.child_by_field_name("type")?;
    if t.kind() == "pointer_type" {
        t = t.named_child(0)?;
    }
    let mut tparams = Vec::new();
    if t.kind() == "generic_type" {
        if let Some(args) = t.child_by_field_name("type_arguments") {
            tparams = text(args, src)
                .trim_matches(['[', ']'])
                .split(',')
                .map(|s| s.trim().to_string())
                .collect();
        }
        t = t.child_by_field_name("type")?;
    }
    (t.kind() == "type_identifier").then(|| (text(t, src).to_string(), name, tparams))
}
