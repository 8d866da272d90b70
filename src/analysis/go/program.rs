//! The program around the analysed code: every Go package an analysis may
//! need to look into, found by import path — the scanned modules and the
//! folders their go.mod `replace`s modules with, the standard library in
//! GOROOT, dependencies in `vendor/` or the module cache — with the
//! declarations of each (see `decls`), loaded on first use from a
//! declaration view (bodies blanked) and shared by every worker thread.
//!
//! Analyses ask it what a type's methods and fields are, what a function
//! returns, and for a function's parsed body (function summaries read it).
//! A package whose source is not on disk is simply unknown: callers fall
//! back to the catalog and stay conservative.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use super::decls::{FuncDecl, PackageInfo, PackageOrigin, Sig, TypeDecl};
use super::{GoFile, GoModule, GoType};
use crate::analysis::inputs::{self, Fingerprint, Input};
use crate::catalog::go::TypeName;
use crate::lang::Language;
use crate::parse::ParsedFile;

/// A value read on first use, with the fingerprint of what it was read
/// from (recorded as an input of every analysis that uses it).
type Slot<T> = Arc<OnceLock<(Option<Arc<T>>, Fingerprint)>>;

/// Where Go code lives on this machine, and what has been read of it.
pub struct Program {
    /// Workspace modules, longest path first (so the first prefix match is
    /// the most specific): the scanned modules and local `replace` targets.
    modules: Vec<(String, PathBuf)>,
    /// `require`d module versions of every workspace module (first wins).
    requires: HashMap<String, String>,
    /// `replace`s of one module by another (path -> (path, version)).
    module_replaces: HashMap<String, (String, String)>,
    /// `vendor/` folders of the workspace modules.
    vendors: Vec<PathBuf>,
    goroot: Option<PathBuf>,
    modcache: Option<PathBuf>,
    packages: Mutex<HashMap<PathBuf, Slot<PackageInfo>>>,
    files: Mutex<HashMap<PathBuf, Slot<GoFile>>>,
    /// Bytes of source held in `files`, to bound memory.
    file_bytes: Mutex<usize>,
    /// Function summaries kept for the run.
    pub summaries: super::summaries::Memo,
    /// A fingerprint of where this program looks for packages (the modules,
    /// their requirements and replacements, GOROOT, the module cache).
    pub fingerprint: Fingerprint,
    /// Parsed function snippets: (file, start) -> (file, range in it, hash).
    functions: Mutex<HashMap<(PathBuf, usize), FunctionSlot>>,
    /// `locate_now` answers: the folders do not change during a run, and
    /// every declaration asked for looks its package up.
    located: Mutex<HashMap<String, Option<(PathBuf, PackageOrigin)>>>,
}

type FunctionSlot = Arc<OnceLock<(Option<FunctionSnippet>, Fingerprint)>>;
type FunctionSnippet = (Arc<GoFile>, std::ops::Range<usize>, u64);

/// A method found on a type (declared on it, promoted from an embedded
/// field, or in an interface's method set).
#[derive(Clone, Debug)]
pub struct Method {
    pub sig: Sig,
    /// The concrete declaration (None for interface methods).
    pub decl: Option<(Arc<PackageInfo>, FuncDecl)>,
    /// The type the method is declared on.
    pub owner: TypeName,
}

const HELD_SOURCE_LIMIT: usize = 48 << 20;

/// The files of the units being analysed right now, as parsed for them:
/// a package's declarations are read from these instead of parsing a
/// declaration view of the same text again (see `parsed_now`).
static PARSED_NOW: std::sync::LazyLock<Mutex<HashMap<PathBuf, std::sync::Weak<GoFile>>>> =
    std::sync::LazyLock::new(Default::default);

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Offers a unit's parsed files to declaration reading while the unit is
/// analysed (`withdraw` when it is done).
pub fn offer(files: &[Arc<GoFile>]) {
    let mut map = PARSED_NOW.lock().unwrap();
    for f in files {
        map.insert(absolute(&f.parsed.path), Arc::downgrade(f));
    }
}

/// Takes back what `offer` gave.
pub fn withdraw(files: &[Arc<GoFile>]) {
    let mut map = PARSED_NOW.lock().unwrap();
    for f in files {
        let key = absolute(&f.parsed.path);
        if map
            .get(&key)
            .is_some_and(|w| std::ptr::eq(w.as_ptr(), Arc::as_ptr(f)))
        {
            map.remove(&key);
        }
    }
}

/// The file at `path` as parsed for a unit being analysed, if its text is
/// `text` (what is on disk: an edited copy is never used). Its declarations
/// are those of its declaration view: the view only blanks function bodies.
pub fn parsed_now(path: &Path, text: &str) -> Option<Arc<GoFile>> {
    let f = PARSED_NOW.lock().unwrap().get(&absolute(path))?.upgrade()?;
    (f.text() == text).then_some(f)
}

impl Program {
    /// A program over the given workspace modules (each module once).
    pub fn new(workspace: &[Arc<GoModule>]) -> Program {
        let mut modules: Vec<(String, PathBuf)> = Vec::new();
        let mut requires = HashMap::new();
        let mut module_replaces = HashMap::new();
        let mut vendors = Vec::new();
        let mut queue: Vec<Arc<GoModule>> = workspace.to_vec();
        let mut seen = std::collections::HashSet::new();
        while let Some(m) = queue.pop() {
            if !seen.insert(m.root.clone()) {
                continue;
            }
            modules.push((m.path.clone(), m.root.clone()));
            let vendor = m.root.join("vendor");
            if vendor.join("modules.txt").is_file() {
                vendors.push(vendor);
            }
            for (p, v) in &m.requires {
                requires.entry(p.clone()).or_insert_with(|| v.clone());
            }
            for (p, r) in &m.module_replaces {
                module_replaces
                    .entry(p.clone())
                    .or_insert_with(|| r.clone());
            }
            for (path, dir) in &m.local_replaces {
                let dir = normalize(dir);
                modules.push((path.clone(), dir.clone()));
                if let Ok(text) = std::fs::read_to_string(dir.join("go.mod"))
                    && let Some(sub) = GoModule::parse(dir.clone(), &text)
                {
                    // Its own requirements matter for its imports.
                    queue.push(Arc::new(GoModule {
                        path: path.clone(),
                        ..sub
                    }));
                }
            }
        }
        modules.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.cmp(b)));
        modules.dedup();
        let goroot = find_goroot();
        let modcache = find_modcache();
        let fingerprint = {
            let mut requires: Vec<_> = requires.iter().collect();
            requires.sort();
            let mut replaces: Vec<_> = module_replaces.iter().collect();
            replaces.sort();
            let described = format!(
                "{modules:?}\n{requires:?}\n{replaces:?}\n{vendors:?}\n{goroot:?}\n{modcache:?}"
            );
            inputs::fingerprint(described.as_bytes())
        };
        Program {
            modules,
            requires,
            module_replaces,
            vendors,
            fingerprint,
            goroot,
            modcache,
            packages: Mutex::default(),
            files: Mutex::default(),
            file_bytes: Mutex::default(),
            summaries: Default::default(),
            functions: Mutex::default(),
            located: Mutex::default(),
        }
    }

    /// A program that knows only the standard library (tests, single files).
    pub fn empty() -> Program {
        Program::new(&[])
    }

    /// The folder holding package `import_path`, and what kind of code it is.
    pub fn locate(&self, import_path: &str) -> Option<(PathBuf, PackageOrigin)> {
        let found = self.locate_now(import_path);
        if inputs::is_recording() {
            inputs::record(
                Input::GoLocate(import_path.to_string()),
                located_fingerprint(&found),
            );
        }
        found
    }

    /// What an input the program records is now (None: not the program's);
    /// `contents` fingerprints a file.
    pub fn input_now(
        &self,
        input: &Input,
        contents: &dyn Fn(&Path) -> Fingerprint,
    ) -> Option<Fingerprint> {
        match input {
            Input::GoLocate(p) => Some(located_fingerprint(&self.locate_now(p))),
            Input::GoPackageDir(dir) => Some(match package_names(dir) {
                Some(names) => inputs::files_fingerprint(
                    names.iter().map(|n| (n.as_str(), contents(&dir.join(n)))),
                ),
                None => inputs::ABSENT,
            }),
            _ => None,
        }
    }

    fn locate_now(&self, import_path: &str) -> Option<(PathBuf, PackageOrigin)> {
        if let Some(known) = self.located.lock().unwrap().get(import_path) {
            return known.clone();
        }
        let found = self.locate_uncached(import_path);
        self.located
            .lock()
            .unwrap()
            .insert(import_path.to_string(), found.clone());
        found
    }

    fn locate_uncached(&self, import_path: &str) -> Option<(PathBuf, PackageOrigin)> {
        if import_path.is_empty() || import_path.starts_with("_/") {
            return import_path
                .strip_prefix("_/")
                .map(|d| (PathBuf::from(d), PackageOrigin::Workspace));
        }
        for (path, root) in &self.modules {
            if let Some(rest) = under(import_path, path) {
                let dir = root.join(rest);
                return dir.is_dir().then_some((dir, PackageOrigin::Workspace));
            }
        }
        let first = import_path.split('/').next().unwrap_or("");
        if !first.contains('.') {
            let dir = self.goroot.as_ref()?.join("src").join(import_path);
            return dir.is_dir().then_some((dir, PackageOrigin::Stdlib));
        }
        for v in &self.vendors {
            let dir = v.join(import_path);
            if dir.is_dir() {
                return Some((dir, PackageOrigin::Dependency));
            }
        }
        let cache = self.modcache.as_ref()?;
        // The longest required module path that is a prefix of the import path.
        let (module, version) = self
            .requires
            .iter()
            .filter(|(m, _)| under(import_path, m).is_some())
            .max_by_key(|(m, _)| m.len())?;
        let rest = under(import_path, module)?;
        let (module, version) = match self.module_replaces.get(module) {
            Some((m, v)) => (m.as_str(), v.as_str()),
            None => (module.as_str(), version.as_str()),
        };
        let dir = cache
            .join(format!("{}@{}", escape_module_path(module), version))
            .join(rest);
        dir.is_dir().then_some((dir, PackageOrigin::Dependency))
    }

    /// The declarations of a package, read on first use.
    pub fn package(&self, import_path: &str) -> Option<Arc<PackageInfo>> {
        let (dir, origin) = self.locate(import_path)?;
        let slot = {
            let mut map = self.packages.lock().unwrap();
            map.entry(dir.clone()).or_default().clone()
        };
        let (info, fp) = slot.get_or_init(|| {
            let (info, fp) = load_package(import_path, &dir, origin);
            (info.map(Arc::new), fp)
        });
        inputs::record(Input::GoPackageDir(dir), *fp);
        info.clone()
    }

    /// A fully parsed file (for reading function bodies), cached.
    pub fn file(&self, path: &Path) -> Option<Arc<GoFile>> {
        let slot = {
            let mut map = self.files.lock().unwrap();
            map.entry(path.to_path_buf()).or_default().clone()
        };
        let (file, fp) = slot.get_or_init(|| {
            let (bytes, fp) = inputs::read_file(path);
            let parse = || {
                let path: Arc<Path> = Arc::from(path);
                if std::env::var_os("LEAKFIX_TRACE_PROGRAM").is_some() {
                    eprintln!("program: parse file {}", path.display());
                }
                let source = crate::source::SourceText::from_bytes(bytes?).ok()?;
                let len = source.text().len();
                let parsed = ParsedFile::parse(path, Language::Go, source).ok()?;
                *self.file_bytes.lock().unwrap() += len;
                Some(Arc::new(GoFile::new(parsed)))
            };
            (parse(), fp)
        });
        inputs::record(Input::File(path.to_path_buf()), *fp);
        let file = file.clone();
        // Bound what is held: forget every parsed file past the limit (they
        // are parsed again if asked for; summaries are kept elsewhere).
        let mut bytes = self.file_bytes.lock().unwrap();
        if *bytes > HELD_SOURCE_LIMIT {
            self.files.lock().unwrap().clear();
            *bytes = 0;
        }
        file
    }

    /// One function of a file, parsed on its own: the file's header (package
    /// clause and imports) followed by the function's text. Returns the
    /// parsed snippet, the function's range in it, and a hash of its text.
    /// Much cheaper than parsing the whole file to read one body.
    pub fn function(&self, path: &Path, range: &std::ops::Range<usize>) -> Option<FunctionSnippet> {
        let slot = {
            let mut map = self.functions.lock().unwrap();
            map.entry((path.to_path_buf(), range.start))
                .or_default()
                .clone()
        };
        let (snippet, fp) = slot.get_or_init(|| {
            let (bytes, fp) = inputs::read_file(path);
            (snippet(path, bytes, range), fp)
        });
        inputs::record(Input::File(path.to_path_buf()), *fp);
        snippet.clone()
    }
    /// The declaration of a named type.
    pub fn type_decl(&self, t: &TypeName) -> Option<(Arc<PackageInfo>, TypeDecl)> {
        let pkg = self.package(&t.package)?;
        let d = pkg.type_decl(&t.name)?;
        Some((pkg, d))
    }

    /// Is this a (named) interface type?
    pub fn is_interface(&self, t: &TypeName) -> bool {
        self.interface_depth(t, 0)
    }

    fn interface_depth(&self, t: &TypeName, depth: usize) -> bool {
        if depth > 4 {
            return false;
        }
        match self.type_decl(t) {
            Some((_, TypeDecl::Interface { .. })) => true,
            Some((
                _,
                TypeDecl::Other {
                    underlying: GoType::Named(u),
                    ..
                },
            )) => self.interface_depth(&u, depth + 1),
            _ => false,
        }
    }

    /// A package-level function.
    pub fn func(&self, package: &str, name: &str) -> Option<(Arc<PackageInfo>, FuncDecl)> {
        let pkg = self.package(package)?;
        let d = pkg.func(name)?;
        Some((pkg, d))
    }

    /// The declared type of a package-level variable.
    pub fn var(&self, package: &str, name: &str) -> Option<GoType> {
        self.package(package)?.var(name)
    }

    /// A method of a named type: declared on it, promoted through embedded
    /// fields, or in its interface method set.
    pub fn method(&self, t: &TypeName, name: &str) -> Option<Method> {
        self.method_depth(t, name, 0)
    }

    fn method_depth(&self, t: &TypeName, name: &str, depth: usize) -> Option<Method> {
        if depth > 4 {
            return None;
        }
        let pkg = self.package(&t.package)?;
        if let Some(d) = pkg.method(&t.name, name) {
            return Some(Method {
                sig: d.sig.clone(),
                decl: Some((pkg.clone(), d)),
                owner: t.clone(),
            });
        }
        match &pkg.type_decl(&t.name)? {
            TypeDecl::Interface { methods, embeds } => {
                if let Some(sig) = methods.get(name) {
                    return Some(Method {
                        sig: sig.clone(),
                        decl: None,
                        owner: t.clone(),
                    });
                }
                embeds.iter().find_map(|e| match e {
                    GoType::Named(e) => self.method_depth(e, name, depth + 1),
                    _ => None,
                })
            }
            TypeDecl::Struct(fields) => fields.iter().filter(|f| f.embedded).find_map(|f| match &f
                .ty
            {
                GoType::Named(e) => self.method_depth(e, name, depth + 1),
                _ => None,
            }),
            TypeDecl::Other {
                underlying: GoType::Named(u),
                alias,
            } => {
                // An alias has its target's methods; a defined type over an
                // interface has the interface's method set.
                let alias = *alias;
                let u = u.clone();
                if alias || self.is_interface(&u) {
                    self.method_depth(&u, name, depth + 1)
                } else {
                    None
                }
            }
            TypeDecl::Other { .. } => None,
        }
    }

    /// The type of a field of a struct type (promoted fields included).
    pub fn field(&self, t: &TypeName, name: &str) -> Option<GoType> {
        self.field_depth(t, name, 0)
    }

    fn field_depth(&self, t: &TypeName, name: &str, depth: usize) -> Option<GoType> {
        if depth > 4 {
            return None;
        }
        let (_, decl) = self.type_decl(t)?;
        match decl {
            TypeDecl::Struct(fields) => {
                if let Some(f) = fields.iter().find(|f| f.name == name) {
                    return Some(f.ty.clone());
                }
                fields
                    .iter()
                    .filter(|f| f.embedded)
                    .find_map(|f| match &f.ty {
                        GoType::Named(e) => self.field_depth(e, name, depth + 1),
                        _ => None,
                    })
            }
            TypeDecl::Other {
                underlying: GoType::Named(u),
                ..
            } => self.field_depth(&u, name, depth + 1),
            _ => None,
        }
    }

    /// The fields of a struct type (None if it is not one, or unknown).
    pub fn struct_fields(&self, t: &TypeName) -> Option<Vec<GoType>> {
        match self.type_decl(t)?.1 {
            TypeDecl::Struct(fields) => Some(fields.into_iter().map(|f| f.ty).collect()),
            TypeDecl::Other {
                underlying: GoType::Named(u),
                alias: true,
            } => self.struct_fields(&u),
            _ => None,
        }
    }

    /// Whether the type was declared in a generated file (protobuf messages).
    pub fn is_generated_type(&self, t: &TypeName) -> bool {
        self.package(&t.package)
            .is_some_and(|p| p.is_generated_type(&t.name))
    }

    pub fn origin(&self, package: &str) -> Option<PackageOrigin> {
        self.locate(package).map(|(_, o)| o)
    }
}

/// Where a file's header (package clause, imports, comments) ends: the
/// start of its first top-level declaration other than an import.
fn header_end(src: &str) -> usize {
    let mut at = 0;
    for line in src.split_inclusive('\n') {
        if ["func ", "type ", "var ", "const "]
            .iter()
            .any(|k| line.starts_with(k))
        {
            return at;
        }
        at += line.len();
    }
    at
}

/// One function of a file parsed on its own (see `Program::function`).
fn snippet(
    path: &Path,
    bytes: Option<Vec<u8>>,
    range: &std::ops::Range<usize>,
) -> Option<FunctionSnippet> {
    let text = String::from_utf8(bytes?).ok()?;
    let body = text.get(range.clone())?;
    let header = &text[..header_end(&text).min(range.start)];
    let snippet = format!("{header}\n{body}\n");
    let start = header.len() + 1;
    let path: Arc<Path> = Arc::from(path);
    let parsed =
        ParsedFile::parse(path, Language::Go, crate::source::SourceText::new(snippet)).ok()?;
    Some((
        Arc::new(GoFile::new(parsed)),
        start..start + body.len(),
        super::summaries::hash_text(body),
    ))
}

/// The fingerprint of where a package was found.
fn located_fingerprint(found: &Option<(PathBuf, PackageOrigin)>) -> Fingerprint {
    match found {
        Some((dir, origin)) => inputs::fingerprint(format!("{dir:?} {origin:?}").as_bytes()),
        None => inputs::ABSENT,
    }
}

/// `import_path` is `module` or below it: the rest (`""` for the module itself).
fn under<'a>(import_path: &'a str, module: &str) -> Option<&'a str> {
    let rest = import_path.strip_prefix(module)?;
    if rest.is_empty() {
        Some("")
    } else {
        rest.strip_prefix('/')
    }
}

/// `github.com/Azure/x` -> `github.com/!azure/x`, as the module cache spells it.
fn escape_module_path(p: &str) -> String {
    let mut out = String::with_capacity(p.len() + 4);
    for c in p.chars() {
        if c.is_ascii_uppercase() {
            out.push('!');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

/// GOROOT: `$GOROOT`, else the root of the `go` found on PATH.
fn find_goroot() -> Option<PathBuf> {
    if let Some(r) = std::env::var_os("GOROOT").filter(|r| !r.is_empty()) {
        return Some(PathBuf::from(r));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        let go = dir.join("go");
        if go.is_file()
            && let Ok(real) = std::fs::canonicalize(&go)
            && let Some(root) = real.parent().and_then(Path::parent)
            && root.join("src").join("os").is_dir()
        {
            return Some(root.to_path_buf());
        }
    }
    None
}

/// GOMODCACHE: `$GOMODCACHE`, else `$GOPATH/pkg/mod`, else `~/go/pkg/mod`.
fn find_modcache() -> Option<PathBuf> {
    if let Some(c) = std::env::var_os("GOMODCACHE").filter(|c| !c.is_empty()) {
        return Some(PathBuf::from(c));
    }
    let gopath = std::env::var_os("GOPATH")
        .filter(|g| !g.is_empty())
        .and_then(|g| std::env::split_paths(&g).next())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join("go")))?;
    let dir = gopath.join("pkg").join("mod");
    dir.is_dir().then_some(dir)
}

/// GOOS names other than Linux: files for them sort after the rest, so a
/// declaration the platforms share is read from a Linux or generic file.
const OTHER_PLATFORMS: [&str; 12] = [
    "windows", "darwin", "plan9", "js", "wasip1", "wasm", "solaris", "aix", "illumos", "ios",
    "android", "openbsd",
];

/// The non-test `.go` files of a folder in the order a package is read
/// (files for other platforms last), each with its bytes (None when
/// unreadable), and the fingerprint of them all (`Input::GoPackageDir`).
/// None when the folder cannot be listed.
type PackageFiles = Option<Vec<(String, Option<Vec<u8>>)>>;

fn package_files(dir: &Path) -> (PackageFiles, Fingerprint) {
    let Some(names) = package_names(dir) else {
        return (None, inputs::ABSENT);
    };
    let files: Vec<(String, Option<Vec<u8>>)> = names
        .into_iter()
        .map(|n| {
            let bytes = std::fs::read(dir.join(&n)).ok();
            (n, bytes)
        })
        .collect();
    let fp = inputs::files_fingerprint(files.iter().map(|(name, bytes)| {
        let fp = bytes.as_deref().map_or(inputs::ABSENT, inputs::fingerprint);
        (name.as_str(), fp)
    }));
    let mut files = files;
    files.sort_by_key(|(n, _)| {
        let stem = n.trim_end_matches(".go");
        let foreign = OTHER_PLATFORMS
            .iter()
            .any(|p| stem.ends_with(&format!("_{p}")) || stem.contains(&format!("_{p}_")));
        (foreign, n.clone())
    });
    (Some(files), fp)
}

/// The names of the non-test `.go` files of a folder, sorted.
fn package_names(dir: &Path) -> Option<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".go") && !n.ends_with("_test.go"))
        .collect();
    names.sort();
    Some(names)
}

fn load_package(
    import_path: &str,
    dir: &Path,
    origin: PackageOrigin,
) -> (Option<PackageInfo>, Fingerprint) {
    if std::env::var_os("LEAKFIX_TRACE_PROGRAM").is_some() {
        eprintln!("program: load package {import_path}");
    }
    let (names, fp) = package_files(dir);
    let Some(names) = names else {
        return (None, fp);
    };
    // A folder holds one package (plus `package x_test` files and the odd
    // `package main` tool): keep the files of the first package name seen.
    let mut files = Vec::new();
    let mut package_name: Option<String> = None;
    for (name, bytes) in names {
        let path: Arc<Path> = Arc::from(dir.join(&name).as_path());
        let Some(Ok(text)) = bytes.map(String::from_utf8) else {
            continue;
        };
        if excluded_by_build_tag(&text) {
            continue;
        }
        let this = package_clause(&text);
        match (&package_name, this) {
            (None, Some(n)) => package_name = Some(n.to_string()),
            (Some(p), Some(n)) if p != n => continue,
            _ => {}
        }
        files.push((path, text));
    }
    let info = PackageInfo::new(import_path.to_string(), dir.to_path_buf(), origin, files);
    ((!info.is_empty()).then_some(info), fp)
}

/// The package name of a file (`package x` before any declaration).
fn package_clause(src: &str) -> Option<&str> {
    for line in src.lines() {
        if let Some(rest) = line.strip_prefix("package ") {
            return rest.split_whitespace().next();
        }
    }
    None
}

/// `//go:build ignore` (generators and examples kept beside a package).
fn excluded_by_build_tag(src: &str) -> bool {
    for line in src.lines().take(40) {
        let l = line.trim();
        if l.starts_with("package ") {
            return false;
        }
        if let Some(expr) = l.strip_prefix("//go:build ") {
            return expr.trim() == "ignore";
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn workspace_packages_methods_fields_and_interfaces() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        write(
            root,
            "go.mod",
            "module example.com/app\n\ngo 1.22\n\nreplace example.com/fork => ./fork\n",
        );
        write(
            root,
            "store/store.go",
            "package store\n\nimport \"io\"\n\ntype Provider interface {\n\tReaderAt(name string) (ReaderAt, error)\n}\n\ntype ReaderAt interface {\n\tio.ReaderAt\n\tio.Closer\n\tSize() int64\n}\n\ntype Store interface {\n\tProvider\n}\n\ntype base struct{ n int }\n\nfunc (b *base) Close() error { return nil }\n\ntype DB struct {\n\t*base\n\tName string\n}\n\nfunc Open(p string) (*DB, error) {\n\treturn &DB{}, nil\n}\n",
        );
        write(root, "fork/go.mod", "module example.com/fork\n");
        write(
            root,
            "fork/c.go",
            "package fork\n\ntype Client struct{}\n\nfunc (c *Client) Close(ctx any) error { return nil }\n",
        );
        let m = GoModule::parse(
            root.to_path_buf(),
            &std::fs::read_to_string(root.join("go.mod")).unwrap(),
        )
        .unwrap();
        let p = Program::new(&[Arc::new(m)]);
        let store = TypeName::new("example.com/app/store", "Store");
        let m = p
            .method(&store, "ReaderAt")
            .expect("promoted interface method");
        assert!(m.decl.is_none());
        let GoType::Named(ra) = &m.sig.results[0].ty else {
            panic!()
        };
        assert_eq!(ra.name, "ReaderAt");
        let close = p
            .method(ra, "Close")
            .expect("io.Closer embedded, from GOROOT");
        assert_eq!(close.owner, TypeName::new("io", "Closer"));
        let db = TypeName::new("example.com/app/store", "DB");
        assert!(p.method(&db, "Close").is_some_and(|m| m.decl.is_some()));
        assert_eq!(p.field(&db, "n"), Some(GoType::Plain));
        assert!(p.is_interface(&store));
        assert!(!p.is_interface(&db));
        let (_, open) = p.func("example.com/app/store", "Open").unwrap();
        assert!(open.sig.returns_error());
        let fork = TypeName::new("example.com/fork", "Client");
        assert_eq!(p.method(&fork, "Close").unwrap().sig.params.len(), 1);
        let file = TypeName::new("os", "File");
        assert!(p.method(&file, "Close").is_some());
    }

    #[test]
    fn module_cache_paths_are_escaped() {
        assert_eq!(
            escape_module_path("github.com/Azure/go-x"),
            "github.com/!azure/go-x"
        );
        assert_eq!(under("a/b/c", "a/b"), Some("c"));
        assert_eq!(under("a/bc", "a/b"), None);
        assert_eq!(under("a/b", "a/b"), Some(""));
    }
}
