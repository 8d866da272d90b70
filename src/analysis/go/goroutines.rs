//! Goroutines in a package: the `go` statements (around the prefilter's
//! hits), the code each one runs (a func literal, or a function or method
//! of the package), and the facts the goroutine rules share about the
//! package, built once per package: its functions by name, its
//! package-level background contexts, and where a function's name is
//! written (so a rule that asks "who else calls this function" reads the
//! few places that name it instead of walking the package again).

use std::cell::{OnceCell, RefCell};
use std::collections::{HashMap, HashSet};

use streaming_iterator::StreamingIterator;
use tree_sitter::{Node, QueryCursor};

use super::scope::{self, Resolution};
use super::types::TypeEnv;
use super::uses::NameIndex;
use super::{GoFile, GoPackage};
use crate::catalog::go::GoCatalog;
use crate::embedded_query;
use crate::lang::go::enclosing_function;
use crate::lang::{Language, text};

/// A `go f(...)` statement.
#[derive(Clone, Copy)]
pub struct GoStmt<'a> {
    pub file: &'a GoFile,
    /// The `go_statement`.
    pub go: Node<'a>,
    /// Its call expression.
    pub call: Node<'a>,
}

/// The go statements of a file that the prefilter points at (every one
/// when the run has no prefilter), in file order. Generated files and test
/// files are left out: nothing is reported there.
pub fn go_statements(file: &GoFile) -> Vec<GoStmt<'_>> {
    let mut out = Vec::new();
    if file.generated || file.parsed.path.to_string_lossy().ends_with("_test.go") {
        return out;
    }
    let query = embedded_query!(Language::Go, "go/go_statements.scm");
    let names = query.capture_names();
    let mut cursor = QueryCursor::new();
    let mut seen = HashSet::new();
    for range in file.ranges_around_hits(&["go_statement"]) {
        cursor.set_byte_range(range);
        let mut matches = cursor.matches(query, file.root(), file.text().as_bytes());
        while let Some(m) = matches.next() {
            let (mut go, mut call) = (None, None);
            for c in m.captures() {
                match names[c.index as usize] {
                    "go" => go = Some(c.node),
                    "call" => call = Some(c.node),
                    _ => {}
                }
            }
            if let (Some(go), Some(call)) = (go, call)
                && seen.insert(go.id())
            {
                out.push(GoStmt { file, go, call });
            }
        }
    }
    out
}

/// Facts about one package that every goroutine rule reads, computed once
/// per rule run and then looked up.
pub struct PackageFacts<'a> {
    pub pkg: &'a GoPackage,
    pub catalog: &'a GoCatalog,
    /// Top-level functions and methods by name.
    funcs: HashMap<&'a str, Vec<(&'a GoFile, Node<'a>)>>,
    /// Package-level variables set to `context.Background()`/`TODO()`.
    background_vars: HashSet<String>,
    /// Where the names of the package's functions are written: all of them
    /// found in one pass over the package's text, on first use.
    names: OnceCell<NameIndex<'a>>,
    /// Whether each function runs once per process (`once`), by node id.
    pub(super) once_memo: RefCell<HashMap<usize, bool>>,
    /// The package-level variables (outside tests), on first use.
    package_vars: OnceCell<HashSet<String>>,
    /// Whether each type named so far has one value only (`once`).
    singleton_memo: RefCell<HashMap<String, bool>>,
}

impl<'a> PackageFacts<'a> {
    pub fn new(pkg: &'a GoPackage, catalog: &'a GoCatalog) -> PackageFacts<'a> {
        let mut funcs: HashMap<&'a str, Vec<(&'a GoFile, Node<'a>)>> = HashMap::new();
        for file in &pkg.files {
            let root = file.root();
            let mut c = root.walk();
            for d in root.named_children(&mut c) {
                if matches!(d.kind(), "function_declaration" | "method_declaration")
                    && let Some(n) = d.child_by_field_name("name")
                {
                    funcs
                        .entry(text(n, file.text()))
                        .or_default()
                        .push((file, d));
                }
            }
        }
        PackageFacts {
            pkg,
            catalog,
            funcs,
            background_vars: super::contexts::background_vars(pkg),
            names: OnceCell::new(),
            once_memo: RefCell::default(),
            package_vars: OnceCell::new(),
            singleton_memo: RefCell::default(),
        }
    }

    /// Is `name` a package-level variable of the package (tests aside)?
    pub fn is_package_var(&self, name: &str) -> bool {
        self.package_vars
            .get_or_init(|| {
                let mut out = HashSet::new();
                for file in self.production_files() {
                    let root = file.root();
                    let mut c = root.walk();
                    for d in root.named_children(&mut c) {
                        if d.kind() != "var_declaration" {
                            continue;
                        }
                        let mut stack = vec![d];
                        while let Some(n) = stack.pop() {
                            if n.kind() == "var_spec" {
                                let mut c = n.walk();
                                out.extend(
                                    n.children_by_field_name("name", &mut c)
                                        .map(|x| text(x, file.text()).to_string()),
                                );
                            } else {
                                let mut c = n.walk();
                                stack.extend(n.named_children(&mut c));
                            }
                        }
                    }
                }
                out
            })
            .contains(name)
    }

    /// Does the package make exactly one value of the type `name`, a
    /// package-level variable (`var Bucket bucket`, `var hub = &Hub{}`),
    /// and name the type nowhere else but in its declaration and its
    /// methods' receivers? Only for types other packages cannot make:
    /// unexported ones, or any in package main.
    pub fn is_singleton_type(&self, name: &str, package_name: &str) -> bool {
        if package_name != "main" && !name.starts_with(|c: char| c.is_ascii_lowercase()) {
            return false;
        }
        if let Some(&known) = self.singleton_memo.borrow().get(name) {
            return known;
        }
        let answer = self.compute_singleton(name);
        self.singleton_memo
            .borrow_mut()
            .insert(name.to_string(), answer);
        answer
    }

    fn compute_singleton(&self, name: &str) -> bool {
        let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80;
        let mut values = 0;
        for file in self.production_files() {
            let src = file.text();
            let bytes = src.as_bytes();
            for (start, _) in src.match_indices(name) {
                let end = start + name.len();
                if start > 0 && is_word(bytes[start - 1])
                    || end < bytes.len() && is_word(bytes[end])
                {
                    continue;
                }
                let Some(n) = file.root().descendant_for_byte_range(start, end) else {
                    continue;
                };
                if n.kind() != "type_identifier" || n.start_byte() != start || n.end_byte() != end {
                    continue;
                }
                match type_use(n) {
                    TypeUse::Declaration | TypeUse::Receiver => {}
                    TypeUse::PackageValue => values += 1,
                    TypeUse::Other => return false,
                }
            }
        }
        values == 1
    }

    fn production_files(&self) -> impl Iterator<Item = &'a GoFile> {
        self.pkg
            .files
            .iter()
            .filter(|f| !f.parsed.path.to_string_lossy().ends_with("_test.go"))
            .map(|f| &**f)
    }

    /// The package's functions and methods named `name`.
    pub fn funcs_named(&self, name: &str) -> &[(&'a GoFile, Node<'a>)] {
        self.funcs.get(name).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Is `name` a package-level `var name = context.Background()`?
    pub fn is_background_var(&self, name: &str) -> bool {
        self.background_vars.contains(name)
    }

    /// Where the package's function and method names are written (an
    /// index that answers for any of them).
    pub fn names(&self) -> &NameIndex<'a> {
        self.names.get_or_init(|| {
            let names: Vec<&str> = self.funcs.keys().copied().collect();
            NameIndex::new(self.pkg, &names)
        })
    }

    /// The code a go statement runs: the literal, or the package's function
    /// or method it calls. None when leakfix cannot see it.
    pub fn worker(&self, g: &GoStmt<'a>) -> Option<Worker<'a>> {
        let callee = g.call.child_by_field_name("function")?;
        let src = g.file.text();
        match callee.kind() {
            "func_literal" => Some(Worker {
                func: callee,
                file: g.file,
                literal: true,
            }),
            "identifier" => {
                let name = text(callee, src);
                let func = enclosing_function(g.go)?;
                if !matches!(scope::resolve(func, name, callee, src), Resolution::Package) {
                    return None;
                }
                self.unique_decl(name, |d, _| d.kind() == "function_declaration")
            }
            "selector_expression" => {
                let operand = callee.child_by_field_name("operand")?;
                let name = text(callee.child_by_field_name("field")?, src);
                let func = enclosing_function(g.go)?;
                let env = TypeEnv::for_function(self.pkg, g.file, self.catalog, func);
                if env.package_of(operand).is_some() {
                    return None; // another package's function: not visible here
                }
                let t = env.type_of(operand)?;
                if t.package != self.pkg.import_path {
                    return None;
                }
                self.unique_decl(name, |d, s| {
                    d.kind() == "method_declaration"
                        && super::module::receiver_type_name(d, s).as_deref()
                            == Some(t.name.as_str())
                })
            }
            _ => None,
        }
    }

    /// The package's one declaration named `name` that `want` accepts.
    fn unique_decl(&self, name: &str, want: impl Fn(Node, &str) -> bool) -> Option<Worker<'a>> {
        let mut found = None;
        for &(file, d) in self.funcs_named(name) {
            if want(d, file.text()) {
                if found.is_some() {
                    return None; // build-tagged twins: cannot tell which
                }
                found = Some(Worker {
                    func: d,
                    file,
                    literal: false,
                });
            }
        }
        found
    }
}

/// The code that runs as the goroutine.
#[derive(Clone, Copy)]
pub struct Worker<'a> {
    /// A func literal, or a function or method declaration of the package.
    pub func: Node<'a>,
    pub file: &'a GoFile,
    pub literal: bool,
}

impl<'a> Worker<'a> {
    pub fn src(&self) -> &'a str {
        self.file.text()
    }

    pub fn body(&self) -> Option<Node<'a>> {
        self.func.child_by_field_name("body")
    }

    pub fn name(&self) -> String {
        match self.func.child_by_field_name("name") {
            Some(n) => text(n, self.src()).to_string(),
            None => "func literal".into(),
        }
    }
}

/// Where a type's name is written.
enum TypeUse {
    /// `type T struct { ... }`.
    Declaration,
    /// A method's receiver, `func (t *T) M()`.
    Receiver,
    /// The one value of a package-level variable: `var x T`, `var x *T`,
    /// `var x = T{...}`, `var x = &T{...}`.
    PackageValue,
    Other,
}

fn type_use(n: Node) -> TypeUse {
    let Some(mut p) = n.parent() else {
        return TypeUse::Other;
    };
    if p.kind() == "type_spec"
        && p.child_by_field_name("name")
            .is_some_and(|x| x.id() == n.id())
    {
        return TypeUse::Declaration;
    }
    let mut inner = n;
    if p.kind() == "pointer_type" {
        inner = p;
        match p.parent() {
            Some(q) => p = q,
            None => return TypeUse::Other,
        }
    }
    if p.kind() == "parameter_declaration"
        && p.parent().and_then(|l| l.parent()).is_some_and(|m| {
            m.kind() == "method_declaration"
                && m.child_by_field_name("receiver")
                    .is_some_and(|r| r.id() == p.parent().map_or(0, |l| l.id()))
        })
    {
        return TypeUse::Receiver;
    }
    let top_spec = |spec: Node| {
        let mut d = spec.parent();
        if let Some(list) = d.filter(|l| l.kind() == "var_spec_list") {
            d = list.parent();
        }
        spec.kind() == "var_spec"
            && d.is_some_and(|d| {
                d.kind() == "var_declaration"
                    && d.parent().is_some_and(|r| r.kind() == "source_file")
            })
    };
    // `var x T` / `var x *T`, one name.
    if top_spec(p)
        && p.child_by_field_name("type")
            .is_some_and(|t| t.id() == inner.id())
    {
        let mut c = p.walk();
        return if p.children_by_field_name("name", &mut c).count() == 1 {
            TypeUse::PackageValue
        } else {
            TypeUse::Other
        };
    }
    // `var x = T{...}` / `var x = &T{...}`.
    if inner.id() == n.id() && p.kind() == "composite_literal" {
        let mut v = p;
        if let Some(u) = v.parent().filter(|u| u.kind() == "unary_expression") {
            v = u;
        }
        if let Some(list) = v.parent().filter(|l| l.kind() == "expression_list")
            && let Some(spec) = list.parent()
            && top_spec(spec)
            && spec
                .child_by_field_name("value")
                .is_some_and(|x| x.id() == list.id())
            && list.named_child_count() == 1
        {
            return TypeUse::PackageValue;
        }
    }
    TypeUse::Other
}
