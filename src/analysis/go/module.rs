//! Go modules (go.mod) and the module index: resources the scanned code
//! itself declares. A type with a `Close()`/`Stop()` method and a function
//! that builds it (`func NewStore(...) (*Store, error)`), or a wrapper that
//! returns a catalog resource (`func openDB() (*sql.DB, error)`), become
//! catalog entries for the run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tree_sitter::Node;

use super::types::{result_types, type_of_type_node};
use super::{GoFile, GoType};
use crate::catalog::go::{GoCatalog, Lookup, Release, Resource, Target, TypeName};
use crate::catalog::pattern::{NamePattern, PackagePattern};
use crate::catalog::{Kind, Origin};
use crate::lang::text;

#[derive(Debug, PartialEq, Eq)]
pub struct GoModule {
    pub root: PathBuf,
    pub path: String,
    /// The `go` directive: (major, minor).
    pub go_version: Option<(u32, u32)>,
    /// `require` lines: module path -> version.
    pub requires: Vec<(String, String)>,
    /// `replace` lines whose target is a local folder: module path -> folder
    /// (absolute, resolved against the module root).
    pub local_replaces: Vec<(String, PathBuf)>,
    /// `replace` lines whose target is another module: path -> (path, version).
    pub module_replaces: Vec<(String, (String, String))>,
}

impl GoModule {
    pub fn parse(root: PathBuf, go_mod: &str) -> Option<GoModule> {
        let mut path = None;
        let mut go_version = None;
        let mut requires = Vec::new();
        let mut local_replaces = Vec::new();
        let mut module_replaces = Vec::new();
        // The directive of the `( ... )` block we are in.
        let mut block: Option<&str> = None;
        for line in go_mod.lines() {
            let line = line.split("//").next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let (directive, rest) = match block {
                Some(_) if line == ")" => {
                    block = None;
                    continue;
                }
                Some(d) => (d, line),
                None => {
                    let (d, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
                    let rest = rest.trim();
                    if rest == "(" {
                        block = Some(match d {
                            "require" => "require",
                            "replace" => "replace",
                            _ => "other",
                        });
                        continue;
                    }
                    (d, rest)
                }
            };
            match directive {
                "module" => path = Some(rest.trim_matches('"').to_string()),
                "go" => {
                    let mut it = rest.split('.');
                    let major = it.next().and_then(|s| s.parse().ok());
                    let minor = it.next().and_then(|s| s.parse().ok());
                    if let (Some(a), Some(b)) = (major, minor) {
                        go_version = Some((a, b));
                    }
                }
                "require" => {
                    let mut it = rest.split_whitespace();
                    if let (Some(m), Some(v)) = (it.next(), it.next()) {
                        requires.push((m.trim_matches('"').to_string(), v.to_string()));
                    }
                }
                "replace" => {
                    let Some((old, new)) = rest.split_once("=>") else {
                        continue;
                    };
                    let old = old.split_whitespace().next().unwrap_or("").to_string();
                    let mut new_parts = new.split_whitespace();
                    let target = new_parts.next().unwrap_or("");
                    if target.starts_with("./")
                        || target.starts_with("../")
                        || target.starts_with('/')
                    {
                        local_replaces.push((old, root.join(target)));
                    } else if let Some(v) = new_parts.next() {
                        module_replaces.push((old, (target.to_string(), v.to_string())));
                    }
                }
                _ => {}
            }
        }
        Some(GoModule {
            root,
            path: path?,
            go_version,
            requires,
            local_replaces,
            module_replaces,
        })
    }

    pub fn import_path_of(&self, dir: &Path) -> Option<String> {
        let rel = dir.strip_prefix(&self.root).ok()?;
        let mut p = self.path.clone();
        for c in rel.components() {
            let s = c.as_os_str().to_str()?;
            if s == "." {
                continue;
            }
            p.push('/');
            p.push_str(s);
        }
        Some(p)
    }

    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        self.go_version.is_some_and(|v| v >= (major, minor))
    }
}

/// Finds the module a folder belongs to (nearest go.mod upwards), cached.
#[derive(Default)]
pub struct ModuleFinder {
    cache: Mutex<HashMap<PathBuf, Option<Arc<GoModule>>>>,
}

impl ModuleFinder {
    pub fn find(&self, dir: &Path) -> Option<Arc<GoModule>> {
        let abs = std::path::absolute(dir).ok()?;
        self.find_abs(&abs)
    }

    fn find_abs(&self, dir: &Path) -> Option<Arc<GoModule>> {
        if let Some(hit) = self.cache.lock().unwrap().get(dir) {
            return hit.clone();
        }
        let go_mod = dir.join("go.mod");
        let found = match std::fs::read_to_string(&go_mod) {
            Ok(text) => GoModule::parse(dir.to_path_buf(), &text).map(Arc::new),
            Err(_) => dir.parent().and_then(|p| self.find_abs(p)),
        };
        self.cache
            .lock()
            .unwrap()
            .insert(dir.to_path_buf(), found.clone());
        found
    }
}

/// Release methods recognised on types declared in the scanned code.
const LEARNED_RELEASE_METHODS: [&str; 2] = ["Close", "Stop"];

/// Name prefixes of functions that build (rather than fetch) a value.
const CONSTRUCTOR_PREFIXES: [&str; 8] = [
    "New", "new", "Open", "open", "Dial", "dial", "Connect", "connect",
];

/// Interfaces embedded in an interface that make it releasable.
const CLOSER_INTERFACES: [&str; 4] = [
    "io.Closer",
    "io.ReadCloser",
    "io.WriteCloser",
    "io.ReadWriteCloser",
];

/// What a file's text says about releasable types, read line by line
/// without parsing (gofmt'd declarations are regular enough): every file of
/// the module is read, and only the few that may declare a relevant
/// constructor are parsed afterwards.
#[derive(Debug, Default)]
pub struct TextFacts {
    /// Types with a `Close()`/`Stop()` method: (type, method, returns error).
    pub release_methods: Vec<(TypeName, &'static str, bool)>,
    /// Interfaces whose method set includes Close() or Stop().
    pub releasable_interfaces: Vec<TypeName>,
    /// Declares a function whose name starts like a constructor's.
    pub has_constructor: bool,
    /// Functions, methods and interface methods with their results as
    /// written (one-line signatures): (name, results text).
    pub signatures: Vec<(String, String)>,
    /// Interfaces and the interfaces they embed (simple names).
    pub embeds: Vec<(String, Vec<String>)>,
}

/// The results part of a signature line after the name: `(a int) (*T, error) {` -> `(*T, error)`.
fn results_text(after_name: &str) -> Option<String> {
    let rest = after_name.strip_prefix('[').map_or(Some(after_name), |r| {
        // Type parameters: skip to their closing bracket.
        let mut depth = 1;
        for (i, c) in r.char_indices() {
            match c {
                '[' => depth += 1,
                ']' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(&r[i + 1..]);
                    }
                }
                _ => {}
            }
        }
        None
    })?;
    let rest = rest.strip_prefix('(')?;
    let mut depth = 1;
    for (i, c) in rest.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    let results = rest[i + 1..].trim_end().trim_end_matches('{').trim();
                    return (!results.is_empty()).then(|| results.to_string());
                }
            }
            _ => {}
        }
    }
    None
}

fn ident_at_start(s: &str) -> &str {
    let end = s
        .char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
        .map(|(i, _)| i)
        .unwrap_or(s.len());
    &s[..end]
}

pub fn scan_text(src: &str, import_path: &str) -> TextFacts {
    let mut facts = TextFacts::default();
    // The interface whose body we are in: (name, releasable, embeds).
    let mut interface: Option<(&str, bool, Vec<String>)> = None;
    for raw in src.lines() {
        let line = raw.trim_end();
        if let Some((name, releasable, embeds)) = &mut interface {
            let t = line.trim();
            if t == "}" {
                if *releasable {
                    facts
                        .releasable_interfaces
                        .push(TypeName::new(import_path, *name));
                }
                facts
                    .embeds
                    .push((name.to_string(), std::mem::take(embeds)));
                interface = None;
            } else if LEARNED_RELEASE_METHODS
                .iter()
                .any(|m| t.starts_with(m) && t[m.len()..].starts_with("()"))
                || CLOSER_INTERFACES.contains(&t)
            {
                *releasable = true;
            } else {
                let n = ident_at_start(t);
                let after = &t[n.len()..];
                if !n.is_empty() && after.starts_with('(') {
                    if let Some(r) = results_text(after) {
                        facts.signatures.push((n.to_string(), r));
                    }
                } else if !n.is_empty() && (after.is_empty() || after.starts_with('.')) {
                    // An embedded interface: `Provider`, `content.Provider`.
                    let simple = t.rsplit('.').next().unwrap_or(t);
                    embeds.push(simple.to_string());
                }
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("func ") {
            if let Some(recv) = rest.strip_prefix('(') {
                if let Some(fact) = release_method(recv, import_path) {
                    facts.release_methods.push(fact);
                }
                if let Some(close) = recv.find(')') {
                    let after = recv[close + 1..].trim_start();
                    let n = ident_at_start(after);
                    if !n.is_empty()
                        && let Some(r) = results_text(&after[n.len()..])
                    {
                        facts.signatures.push((n.to_string(), r));
                    }
                }
            } else {
                if CONSTRUCTOR_PREFIXES.iter().any(|p| rest.starts_with(p)) {
                    facts.has_constructor = true;
                }
                let n = ident_at_start(rest);
                if !n.is_empty()
                    && let Some(r) = results_text(&rest[n.len()..])
                {
                    facts.signatures.push((n.to_string(), r));
                }
            }
            continue;
        }
        // `type X interface {` or, in a type group, `\tX interface {`.
        let t = line
            .trim_start()
            .strip_prefix("type ")
            .unwrap_or(line.trim_start());
        if let Some(name) = t
            .strip_suffix(" interface {")
            .or_else(|| t.strip_suffix(" interface{"))
        {
            if !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                interface = Some((name, false, Vec::new()));
            }
        } else if let Some((name, body)) = t.split_once(" interface {") {
            // One-line interface: `type C interface { Close() error }`.
            if name.chars().all(|c| c.is_alphanumeric() || c == '_')
                && LEARNED_RELEASE_METHODS
                    .iter()
                    .any(|m| body.contains(&format!("{m}()")))
            {
                facts
                    .releasable_interfaces
                    .push(TypeName::new(import_path, name));
            }
        }
    }
    facts
}

/// Standard-library functions and methods whose results have a release
/// method (generated: scripts/gen-go-stdlib.py).
static STDLIB_RELEASING: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
    #[derive(serde::Deserialize)]
    struct File {
        releasing: Vec<String>,
    }
    toml::from_str::<File>(include_str!("../../../catalog/go-stdlib.toml"))
        .expect("catalog/go-stdlib.toml is valid")
        .releasing
});

/// Standard-library types with a release method, by simple name, that
/// scanned code declares results of (`(*os.File, error)`, `io.ReadCloser`).
const STDLIB_RELEASABLE: [&str; 16] = [
    "File",
    "Conn",
    "Listener",
    "ReadCloser",
    "WriteCloser",
    "ReadWriteCloser",
    "Closer",
    "PipeReader",
    "PipeWriter",
    "Ticker",
    "Timer",
    "Root",
    "DB",
    "Rows",
    "Stmt",
    "Tx",
];

/// The names of functions and methods that may return a value with a
/// release method: the cheap filter that decides which calls (and files)
/// the analysis looks at. Over-approximates: types are matched by simple
/// name, whatever their package.
pub fn releasing_names(
    texts: &[TextFacts],
    catalog: &GoCatalog,
) -> std::collections::HashSet<String> {
    let mut releasable: std::collections::HashSet<&str> = STDLIB_RELEASABLE.into_iter().collect();
    for t in texts {
        releasable.extend(t.release_methods.iter().map(|(ty, _, _)| ty.name.as_str()));
        releasable.extend(t.releasable_interfaces.iter().map(|ty| ty.name.as_str()));
    }
    for r in catalog.resources() {
        if let Some(t) = &r.type_name {
            releasable.insert(t.name.as_str());
        }
    }
    // Interfaces embedding a releasable one are releasable.
    loop {
        let before = releasable.len();
        for t in texts {
            for (name, embeds) in &t.embeds {
                if embeds.iter().any(|e| releasable.contains(e.as_str())) {
                    releasable.insert(name.as_str());
                }
            }
        }
        if releasable.len() == before {
            break;
        }
    }
    let mut out: std::collections::HashSet<String> = STDLIB_RELEASING.iter().cloned().collect();
    for t in texts {
        for (name, results) in &t.signatures {
            let mentions = results
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .any(|w| releasable.contains(w));
            if mentions {
                out.insert(name.clone());
            }
        }
    }
    out
}

/// `s *Store) Close() error {` -> (Store, "Close", true).
fn release_method(recv: &str, import_path: &str) -> Option<(TypeName, &'static str, bool)> {
    let close = recv.find(')')?;
    let receiver = recv[..close].split_whitespace().last()?;
    let ty = receiver.trim_start_matches('*');
    let ty = ty.split('[').next()?;
    if ty.is_empty() || !ty.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    let rest = recv[close + 1..].trim_start();
    let method = LEARNED_RELEASE_METHODS
        .iter()
        .find(|m| rest.starts_with(*m))?;
    let after = rest[method.len()..].strip_prefix("()")?.trim();
    let returns_error = match after.split('{').next().unwrap_or("").trim() {
        "" => false,
        "error" => true,
        _ => return None, // other results: not a plain release method
    };
    Some((TypeName::new(import_path, ty), method, returns_error))
}

/// The file with everything but its package clause, imports and
/// constructor-like functions (whose signature `returns_wanted` accepts)
/// blanked out (spaces; line breaks kept), so
/// parsing it for constructors costs little more than those functions.
/// Relies on gofmt's layout (a top-level function ends with a `}` line);
/// the caller falls back to the full text if the view does not parse.
pub fn constructor_view(src: &str, returns_wanted: impl Fn(&str) -> bool) -> Option<String> {
    let mut out = String::with_capacity(src.len());
    let mut keep = true; // package clause and imports come first
    let mut in_func = false;
    let mut any = false;
    for line in src.split_inclusive('\n') {
        let t = line.trim_end();
        if let Some(name) = t.strip_prefix("func ") {
            // A constructor whose one-line signature names no wanted type
            // cannot teach the index anything; a multi-line one might.
            let signature_ok = !t.ends_with('{') || returns_wanted(t);
            keep = !name.starts_with('(')
                && CONSTRUCTOR_PREFIXES.iter().any(|p| name.starts_with(p))
                && signature_ok;
            any |= keep;
            // A one-line function (`func f() {}`) ends where it starts.
            in_func = !(t.ends_with('}') && t.contains('{'));
        } else if !in_func
            && (t.starts_with("type ") || t.starts_with("var ") || t.starts_with("const "))
        {
            keep = false;
        }
        if keep {
            out.push_str(line);
        } else {
            out.extend(
                line.chars()
                    .map(|c| if c == '\n' || c == '\r' { c } else { ' ' }),
            );
        }
        if in_func && t == "}" {
            in_func = false;
            keep = false;
        }
    }
    any.then_some(out)
}

/// A constructor found in a parsed file: (package, function, result type, returns error).
pub type Constructor = (String, String, TypeName, bool);

/// Functions that build (not fetch) a named type, with their result type.
pub fn constructors(file: &GoFile, import_path: &str) -> Vec<Constructor> {
    let mut out = Vec::new();
    let src = file.text();
    let root = file.root();
    let mut cursor = root.walk();
    for decl in root.named_children(&mut cursor) {
        if decl.kind() != "function_declaration" {
            continue;
        }
        let Some(name) = decl.child_by_field_name("name") else {
            continue;
        };
        let name = text(name, src);
        if !CONSTRUCTOR_PREFIXES.iter().any(|p| name.starts_with(p)) || is_getter(decl, src) {
            continue;
        }
        let results = result_types(decl, file, import_path);
        let Some(GoType::Named(first)) = results.first() else {
            continue;
        };
        let error = results.len() == 2 && is_error_result(decl, src);
        if results.len() > 2 || (results.len() == 2 && !error) {
            continue;
        }
        out.push((
            import_path.to_string(),
            name.to_string(),
            first.clone(),
            error,
        ));
    }
    out
}

/// How the types a constructor may return are spelled in a file: the names
/// of releasable types of the scanned code, and `pkg.Type` for catalog types.
pub fn constructor_literals(texts: &[TextFacts], catalog: &GoCatalog) -> Vec<String> {
    let mut lits: Vec<String> = texts
        .iter()
        .flat_map(|t| {
            t.release_methods
                .iter()
                .map(|(ty, _, _)| ty)
                .chain(&t.releasable_interfaces)
        })
        .map(|t| t.name.clone())
        .collect();
    lits.extend(
        catalog
            .resources()
            .iter()
            .filter_map(|r| r.type_name.as_ref())
            .map(|t| format!("{}.{}", super::guess_package_name(&t.package), t.name)),
    );
    lits.sort();
    lits.dedup();
    lits
}

/// The receiver's type name (`func (s *Store) Close()` -> `Store`).
pub fn receiver_type_name(method: Node, src: &str) -> Option<String> {
    let recv = method.child_by_field_name("receiver")?;
    let mut c = recv.walk();
    let param = recv
        .named_children(&mut c)
        .find(|n| n.kind() == "parameter_declaration")?;
    let mut t = param.child_by_field_name("type")?;
    if t.kind() == "pointer_type" {
        t = t.named_child(0)?;
    }
    if t.kind() == "generic_type" {
        t = t.child_by_field_name("type")?;
    }
    (t.kind() == "type_identifier").then(|| text(t, src).to_string())
}

fn is_error_result(decl: Node, src: &str) -> bool {
    let Some(r) = decl.child_by_field_name("result") else {
        return false;
    };
    let t = text(r, src);
    t.trim_end_matches(')').trim_end().ends_with("error")
}

/// A function that hands out a value kept elsewhere (a package variable, a
/// `sync.Once`) is a getter, not a constructor: closing its result would
/// close the shared value.
fn is_getter(decl: Node, src: &str) -> bool {
    let Some(body) = decl.child_by_field_name("body") else {
        return true;
    };
    let body_text = text(body, src);
    if body_text.contains(".Do(") || body_text.contains("sync.Once") {
        return true;
    }
    // Returning a bare identifier that is not declared in the function: a package variable.
    let mut stack = vec![body];
    let mut locals: Vec<&str> = Vec::new();
    let mut returned: Vec<&str> = Vec::new();
    while let Some(n) = stack.pop() {
        match n.kind() {
            "short_var_declaration" | "var_spec" | "parameter_declaration" => {
                let left = n.child_by_field_name("left");
                let mut c = n.walk();
                let names: Vec<Node> = match left {
                    Some(l) => l.named_children(&mut c).collect(),
                    None => n.children_by_field_name("name", &mut c).collect(),
                };
                locals.extend(
                    names
                        .iter()
                        .filter(|x| x.kind() == "identifier")
                        .map(|x| text(*x, src)),
                );
            }
            "return_statement" => {
                if let Some(list) = n.named_child(0) {
                    let mut c = list.walk();
                    if let Some(first) = list.named_children(&mut c).next()
                        && first.kind() == "identifier"
                    {
                        returned.push(text(first, src));
                    }
                }
            }
            _ => {}
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    if let Some(params) = decl.child_by_field_name("parameters") {
        locals.extend(text(params, src).split(|c: char| !c.is_alphanumeric() && c != '_'));
    }
    if let Some(results) = decl.child_by_field_name("result") {
        // Named results are locals too.
        locals.extend(text(results, src).split(|c: char| !c.is_alphanumeric() && c != '_'));
    }
    returned.iter().any(|r| *r != "nil" && !locals.contains(r))
}

/// Resources learned from the scanned module(s).
#[derive(Default)]
pub struct ModuleIndex {
    pub learned: GoCatalog,
    /// Constructors in the scanned code known to need no release (their
    /// type is declared there and has no release method).
    pub no_release: Vec<(String, String)>,
    /// Function names of learned constructors (for the text prefilter).
    pub learned_names: Vec<String>,
    /// Types declared in the scanned code that have a release method
    /// (concrete types, and interfaces whose method set has one).
    pub releasable_types: std::collections::HashSet<TypeName>,
    /// Names of functions and methods that may return a releasable value.
    pub releasing_names: std::collections::HashSet<String>,
}

impl ModuleIndex {
    /// Builds the index from every file's facts. Constructors returning a
    /// type with a learned release method, or a catalog resource type, become
    /// resources; those returning a declared type without one are recorded
    /// as needing none.
    pub fn build(
        texts: Vec<TextFacts>,
        ctors: Vec<Constructor>,
        catalog: &GoCatalog,
    ) -> ModuleIndex {
        let releasing_names = releasing_names(&texts, catalog);
        let mut releases: HashMap<TypeName, (&'static str, bool)> = HashMap::new();
        let mut interfaces = Vec::new();
        for f in texts {
            interfaces.extend(f.releasable_interfaces);
            for (t, m, e) in f.release_methods {
                // Close wins over Stop when a type has both.
                let keep = releases.get(&t).is_some_and(|(old, _)| *old == "Close");
                if !keep {
                    releases.insert(t, (m, e));
                }
            }
        }
        let catalog_types: HashMap<&TypeName, &Resource> = catalog
            .resources()
            .iter()
            .filter(|r| matches!(r.target, Target::Func { .. } | Target::Method { .. }))
            .filter_map(|r| r.type_name.as_ref().map(|t| (t, r)))
            .collect();

        let mut index = ModuleIndex {
            releasable_types: releases.keys().cloned().chain(interfaces).collect(),
            releasing_names,
            ..ModuleIndex::default()
        };
        for (package, name, ty, error) in ctors {
            // A constructor the catalog knows (a fork of a library that a
            // go.mod `replace` points into the scanned tree) keeps the
            // catalog's entry: what it says about sharing and releasing was
            // checked against the library.
            if matches!(
                catalog.lookup_func(&package, &name),
                Lookup::Resource(_) | Lookup::Ignored(_)
            ) {
                continue;
            }
            let (release, returns_error, kind, shareable) = if let Some((m, e)) = releases.get(&ty)
            {
                (
                    Release::parse(&format!("{{v}}.{m}()")).expect("valid template"),
                    *e,
                    Kind::Resource,
                    false,
                )
            } else if let Some(r) = catalog_types.get(&ty) {
                (
                    r.release.clone(),
                    r.release_returns_error,
                    r.kind,
                    r.shareable,
                )
            } else {
                if ty.package == package {
                    index.no_release.push((package, name));
                }
                continue;
            };
            index.learned_names.push(name.clone());
            index.learned.push_resource(Resource {
                target: Target::Func {
                    package: PackagePattern::new(&package),
                    names: vec![NamePattern::new(&name)],
                },
                result: 0,
                error,
                release,
                release_returns_error: returns_error,
                type_name: Some(ty.clone()),
                shareable,
                kind,
                doc: None,
                origin: Origin::Learned(format!("{package}.{name} returns {ty}")),
                also_released_by: Vec::new(),
                go_before: None,
            });
        }
        index.learned_names.sort();
        index.learned_names.dedup();
        index
    }

    /// A fingerprint of everything the index says (for cache keys).
    pub fn fingerprint(&self) -> crate::analysis::inputs::Fingerprint {
        let mut types: Vec<&TypeName> = self.releasable_types.iter().collect();
        types.sort();
        let mut names: Vec<&String> = self.releasing_names.iter().collect();
        names.sort();
        let described = format!(
            "{:?}\n{:?}\n{:?}\n{types:?}\n{names:?}",
            self.learned.resources(),
            self.no_release,
            self.learned_names
        );
        crate::analysis::inputs::fingerprint(described.as_bytes())
    }

    pub fn knows_no_release(&self, package: &str, name: &str) -> bool {
        self.no_release
            .iter()
            .any(|(p, n)| p == package && n == name)
    }
}

/// Types of a `type_identifier`/`qualified_type` node, for callers outside `types`.
pub fn named_type(node: Node, file: &GoFile, package: &str) -> Option<TypeName> {
    match type_of_type_node(node, file, package) {
        GoType::Named(t) => Some(t),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_scan_finds_release_methods_and_interfaces() {
        let src = "package store\n\nfunc (s *Store) Close() error {\n\treturn nil\n}\n\nfunc (t *Ticker[T]) Stop() {}\n\nfunc (s *Store) Close2() {}\n\nfunc (c conn) Close(ctx context.Context) error { return nil }\n\ntype Index interface {\n\tio.Closer\n\tGet(k string) string\n}\n\ntype (\n\tSink interface {\n\t\tWrite(b []byte)\n\t\tStop()\n\t}\n)\n\ntype One interface { Close() error }\n\nfunc NewStore() (*Store, error) { return nil, nil }\n";
        let f = scan_text(src, "example.com/store");
        let names: Vec<_> = f
            .release_methods
            .iter()
            .map(|(t, m, e)| (t.name.as_str(), *m, *e))
            .collect();
        assert_eq!(
            names,
            vec![("Store", "Close", true), ("Ticker", "Stop", false)]
        );
        let ifaces: Vec<_> = f
            .releasable_interfaces
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(ifaces, vec!["Index", "Sink", "One"]);
        assert!(f.has_constructor);
    }

    #[test]
    fn constructor_view_keeps_header_and_constructors() {
        let src = "package a\n\nimport \"os\"\n\ntype T struct{}\n\nfunc (t *T) Close() error {\n\treturn nil\n}\n\nfunc NewT() (*T, error) {\n\treturn &T{}, nil\n}\n\nfunc helper() {\n\tos.Exit(1)\n}\n";
        let view = constructor_view(src, |_| true).unwrap();
        assert_eq!(view.len(), src.len());
        assert!(constructor_view(src, |sig| sig.contains("*U")).is_none());
        assert!(view.contains("import \"os\""));
        assert!(view.contains("func NewT() (*T, error) {\n\treturn &T{}, nil\n}"));
        assert!(!view.contains("Close") && !view.contains("helper") && !view.contains("type T"));
        assert!(crate::lang::Language::Go.parse(&view).1.is_none());
    }

    #[test]
    fn go_mod_requires_and_replaces() {
        let m = GoModule::parse(
            PathBuf::from("/m"),
            "module example.com/app\n\ngo 1.22\n\nrequire (\n\tcloud.google.com/go/storage v1.40.0\n\tgithub.com/x/y v0.1.0 // indirect\n)\n\nrequire github.com/a/b v1.2.3\n\nreplace cloud.google.com/go/storage => ./fork/storage\n\nreplace (\n\tgithub.com/x/y v0.1.0 => github.com/z/y v0.2.0\n)\n",
        )
        .unwrap();
        assert_eq!(
            m.requires,
            vec![
                ("cloud.google.com/go/storage".into(), "v1.40.0".into()),
                ("github.com/x/y".into(), "v0.1.0".into()),
                ("github.com/a/b".into(), "v1.2.3".into()),
            ]
        );
        assert_eq!(
            m.local_replaces,
            vec![(
                "cloud.google.com/go/storage".into(),
                PathBuf::from("/m/./fork/storage")
            )]
        );
        assert_eq!(
            m.module_replaces,
            vec![(
                "github.com/x/y".into(),
                ("github.com/z/y".into(), "v0.2.0".into())
            )]
        );
    }

    #[test]
    fn go_mod_is_parsed() {
        let m = GoModule::parse(
            PathBuf::from("/m"),
            "// comment\nmodule example.com/app\n\ngo 1.21.4\n",
        )
        .unwrap();
        assert_eq!(m.path, "example.com/app");
        assert_eq!(m.go_version, Some((1, 21)));
        assert!(m.at_least(1, 21));
        assert!(!m.at_least(1, 22));
        assert_eq!(
            m.import_path_of(Path::new("/m/internal/db")).as_deref(),
            Some("example.com/app/internal/db")
        );
        assert_eq!(
            m.import_path_of(Path::new("/m")).as_deref(),
            Some("example.com/app")
        );
    }
}
