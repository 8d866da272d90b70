//! Go analysis. A Go package (one folder) is the unit: rules see all of its
//! parsed files, the package-level declarations they share, and the module
//! index (what the scanned module itself teaches about resources).

pub mod calls;
pub mod cfg;
pub mod channels;
pub mod contexts;
pub mod decls;
pub mod declview;
pub mod deps;
pub mod flow;
pub mod goroutines;
pub mod handlers;
pub mod joins;
pub mod loops;
pub mod module;
pub mod once;
pub mod ownership;
pub mod program;
pub mod resources;
pub mod scope;
pub mod summaries;
pub mod syntax;
pub mod types;
pub mod uses;
pub mod wrappers;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use tree_sitter::Node;

use crate::catalog::go::TypeName;
use crate::lang::go::unquote;
use crate::lang::text;
use crate::parse::ParsedFile;
pub use module::{GoModule, ModuleIndex};

/// One parsed Go file with what its analysis needs from the file header.
pub struct GoFile {
    pub parsed: ParsedFile,
    pub package_name: String,
    pub imports: Imports,
    /// `// Code generated ... DO NOT EDIT.`: never reported, never edited.
    pub generated: bool,
    /// Where the engine's prefilter literals occur (`.Open(`, `Client(`,
    /// `\tgo `), one byte into each hit so that it lands inside the code the
    /// literal belongs to. Every construction a catalog rule can report
    /// contains one. None when the run has no prefilter.
    pub anchors: Option<Vec<usize>>,
    /// `ranges_around_hits` by the kinds asked for (several rules ask for
    /// the same ones).
    hit_ranges: std::sync::Mutex<HashMap<String, Vec<std::ops::Range<usize>>>>,
}

impl GoFile {
    pub fn new(parsed: ParsedFile) -> GoFile {
        let (package_name, imports) = header(&parsed);
        let generated = is_generated(parsed.text());
        GoFile {
            parsed,
            package_name,
            imports,
            generated,
            anchors: None,
            hit_ranges: Default::default(),
        }
    }

    /// Byte ranges worth querying for constructions: the assignments around
    /// the prefilter's hits (or the whole file without a prefilter), so a
    /// rule's query does not visit every statement of a large file.
    pub fn candidate_ranges(&self) -> Vec<std::ops::Range<usize>> {
        self.ranges_around_hits(&["short_var_declaration", "assignment_statement", "var_spec"])
    }

    /// The `@assign` / `@call` captures of an acquisition query (a call
    /// assigned with `:=`, `=` or `var`), around the prefilter's hits, each
    /// statement once, in file order.
    pub fn acquisitions(&self, query: &tree_sitter::Query) -> Vec<(Node<'_>, Node<'_>)> {
        self.acquisitions_around(query, self.candidate_ranges())
    }

    /// As `acquisitions`, with `return` statements around the hits too (a
    /// factory returning what it builds).
    pub fn acquisitions_and_returns(
        &self,
        query: &tree_sitter::Query,
    ) -> Vec<(Node<'_>, Node<'_>)> {
        let ranges = self.ranges_around_hits(&[
            "short_var_declaration",
            "assignment_statement",
            "var_spec",
            "return_statement",
        ]);
        self.acquisitions_around(query, ranges)
    }

    fn acquisitions_around(
        &self,
        query: &tree_sitter::Query,
        ranges: Vec<std::ops::Range<usize>>,
    ) -> Vec<(Node<'_>, Node<'_>)> {
        use streaming_iterator::StreamingIterator;
        let names = query.capture_names();
        let mut cursor = tree_sitter::QueryCursor::new();
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for range in ranges {
            cursor.set_byte_range(range);
            let mut matches = cursor.matches(query, self.root(), self.text().as_bytes());
            while let Some(m) = matches.next() {
                let (mut assign, mut call) = (None, None);
                for c in m.captures() {
                    match names[c.index as usize] {
                        "assign" => assign = Some(c.node),
                        "call" => call = Some(c.node),
                        _ => {}
                    }
                }
                if let (Some(assign), Some(call)) = (assign, call)
                    && seen.insert(assign.id())
                {
                    out.push((assign, call));
                }
            }
        }
        out
    }

    /// The nearest enclosing nodes of one of `kinds` around the prefilter's
    /// hits (within the same function), or the whole file without a prefilter.
    pub fn ranges_around_hits(&self, kinds: &[&str]) -> Vec<std::ops::Range<usize>> {
        let Some(anchors) = &self.anchors else {
            #[allow(clippy::single_range_in_vec_init)] // one range: the whole file
            return vec![0..self.text().len()];
        };
        let key = kinds.join(" ");
        if let Some(known) = self.hit_ranges.lock().unwrap().get(&key) {
            return known.clone();
        }
        let root = self.root();
        let mut ranges: Vec<std::ops::Range<usize>> = Vec::new();
        let mut chain = Vec::new();
        for &at in anchors {
            let Some(target) = root.descendant_for_byte_range(at, at + 1) else {
                continue;
            };
            // The node's ancestors, found in one descent from the root
            // (`Node::parent` descends from the root on every call).
            chain.clear();
            let mut n = root;
            while n.id() != target.id() {
                chain.push(n);
                match n.child_with_descendant(target) {
                    Some(c) => n = c,
                    None => break,
                }
            }
            let mut node = target;
            loop {
                if kinds.contains(&node.kind()) {
                    ranges.push(node.byte_range());
                    break;
                }
                if crate::lang::go::is_function(node)
                    || matches!(node.kind(), "block" | "source_file")
                {
                    break;
                }
                match chain.pop() {
                    Some(p) => node = p,
                    None => break,
                }
            }
        }
        ranges.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
        // Drop ranges inside an earlier one: a query over the outer range sees them.
        let mut out: Vec<std::ops::Range<usize>> = Vec::new();
        for r in ranges {
            if out.last().is_none_or(|l| r.start >= l.end) {
                out.push(r);
            }
        }
        self.hit_ranges.lock().unwrap().insert(key, out.clone());
        out
    }

    pub fn text(&self) -> &str {
        self.parsed.text()
    }

    pub fn root(&self) -> Node<'_> {
        self.parsed.tree.root_node()
    }
}

/// The package name and imports of a file.
fn header(parsed: &ParsedFile) -> (String, Imports) {
    let root = parsed.tree.root_node();
    let src = parsed.text();
    let mut package_name = String::new();
    let mut imports = Imports::default();
    let mut cursor = root.walk();
    for child in root.named_children(&mut cursor) {
        match child.kind() {
            "package_clause" => {
                let mut c = child.walk();
                if let Some(id) = child
                    .named_children(&mut c)
                    .find(|n| n.kind() == "package_identifier")
                {
                    package_name = text(id, src).to_string();
                }
            }
            "import_declaration" => imports.collect(child, src),
            _ => {}
        }
    }
    (package_name, imports)
}

/// Go's convention for generated files (https://go.dev/s/generatedcode):
/// a line `// Code generated ... DO NOT EDIT.` before the package clause.
fn is_generated(src: &str) -> bool {
    for line in src.lines() {
        let l = line.trim();
        if l.starts_with("package ") {
            return false;
        }
        if l.starts_with("// Code generated ") && l.ends_with("DO NOT EDIT.") {
            return true;
        }
    }
    false
}

/// A file's imports: local name -> import path.
#[derive(Clone, Debug, Default)]
pub struct Imports {
    by_name: HashMap<String, String>,
    /// Imports whose package name was guessed from the path.
    guessed: Vec<(String, String)>,
    /// Byte range of the import declarations (for edits adding imports).
    pub decls: Vec<std::ops::Range<usize>>,
}

impl Imports {
    fn collect(&mut self, decl: Node, src: &str) {
        self.decls.push(decl.byte_range());
        let mut stack = vec![decl];
        while let Some(n) = stack.pop() {
            if n.kind() == "import_spec" {
                let Some(path) = n.child_by_field_name("path") else {
                    continue;
                };
                let path = unquote(text(path, src)).to_string();
                match n.child_by_field_name("name") {
                    Some(name) if name.kind() == "package_identifier" => {
                        self.by_name.insert(text(name, src).to_string(), path);
                    }
                    Some(_) => {} // `_` or `.`: no name to call through
                    None => {
                        let guess = guess_package_name(&path);
                        self.by_name
                            .entry(guess.clone())
                            .or_insert_with(|| path.clone());
                        self.guessed.push((guess, path));
                    }
                }
            } else {
                let mut c = n.walk();
                stack.extend(n.named_children(&mut c));
            }
        }
    }

    /// The import path a package name refers to in this file.
    pub fn resolve(&self, name: &str) -> Option<&str> {
        if let Some(p) = self.by_name.get(name) {
            return Some(p);
        }
        // A package whose name differs from its path (paho.mqtt.golang is
        // package mqtt): accept a unique guessed import whose path mentions it.
        let mut hits = self.guessed.iter().filter(|(_, p)| {
            p.rsplit('/')
                .next()
                .is_some_and(|last| last.split(['.', '-']).any(|part| part == name))
        });
        match (hits.next(), hits.next()) {
            (Some((_, p)), None) => Some(p),
            _ => None,
        }
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.by_name.values().map(String::as_str)
    }

    /// The local name under which `path` is imported, if it is.
    pub fn name_of(&self, path: &str) -> Option<&str> {
        self.by_name
            .iter()
            .find(|(_, p)| *p == path)
            .map(|(n, _)| n.as_str())
    }
}

/// The package name Go would most likely find at an import path: the last
/// element, without a major-version suffix (`/v9`, `.v3`) or a `go-` prefix.
pub fn guess_package_name(path: &str) -> String {
    let mut parts: Vec<&str> = path.split('/').collect();
    if parts.len() > 1
        && let Some(last) = parts.last()
        && last.len() > 1
        && last.starts_with('v')
        && last[1..].chars().all(|c| c.is_ascii_digit())
    {
        parts.pop();
    }
    let mut last = parts.last().copied().unwrap_or(path);
    if let Some(dot) = last.find(".v")
        && last[dot + 2..].chars().all(|c| c.is_ascii_digit())
    {
        last = &last[..dot];
    }
    let last = last.strip_prefix("go-").unwrap_or(last);
    last.strip_suffix("-go").unwrap_or(last).replace('-', "_")
}

/// A function's signature as far as the analysis needs it.
#[derive(Clone, Debug, Default)]
pub struct Signature {
    /// Result types (resolved where possible); `None` for a type we cannot name.
    pub results: Vec<GoType>,
}

/// A type as the analysis sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GoType {
    /// A named type (pointer-ness dropped): `*sql.DB` -> database/sql.DB.
    Named(TypeName),
    /// Cannot reference anything that must be released: `error`, `string`,
    /// numbers, `bool`, `time.Time`, `time.Duration`.
    Plain,
    /// `[]T`, `[N]T`.
    Slice(Box<GoType>),
    /// `map[K]V`.
    Map(Box<GoType>, Box<GoType>),
    /// `chan T`, `<-chan T`, `chan<- T`.
    Chan(Box<GoType>),
    /// A function type: it may close over anything.
    Func,
    /// Anything else (interfaces, funcs, channels, unresolved names).
    Other,
}

/// Package-level declarations shared by the files of a package.
#[derive(Default)]
pub struct PackageDecls {
    /// struct type name -> field name -> field type
    pub struct_fields: HashMap<String, HashMap<String, GoType>>,
    /// package-level variables -> declared type (if written)
    pub vars: HashMap<String, GoType>,
    /// functions -> signature
    pub funcs: HashMap<String, Signature>,
    /// (receiver type name, method name) -> signature
    pub methods: HashMap<(String, String), Signature>,
    /// Functions that release (close, stop...) some of their parameters:
    /// name -> indices of those parameters.
    pub releasing_params: HashMap<String, Vec<usize>>,
}

pub struct GoPackage {
    pub dir: PathBuf,
    /// The import path (module path + folder), or `_/<folder>` outside a module.
    pub import_path: String,
    pub module: Option<Arc<GoModule>>,
    pub files: Vec<Arc<GoFile>>,
    pub decls: PackageDecls,
    /// Every other package the analysis may look into.
    pub program: Arc<program::Program>,
    /// Function summaries made while analysing this package.
    pub summaries: Arc<summaries::SummaryCache>,
    /// Holds only some files of the package (read for function bodies):
    /// the rest of its declarations come from the program.
    pub partial: bool,
    /// Functions (`F`) and methods (`T.M`) declared in `files`: (file index, range).
    decl_index: std::sync::OnceLock<HashMap<String, (usize, std::ops::Range<usize>)>>,
}

impl GoPackage {
    /// A package of in-memory files in folder `dir` (for tests); every file must parse.
    #[cfg(test)]
    pub fn from_sources(dir: &str, files: &[(&str, &str)]) -> GoPackage {
        let files = files
            .iter()
            .map(|(name, src)| {
                let path = std::sync::Arc::from(std::path::Path::new(name));
                let source = crate::source::SourceText::new(src.to_string());
                GoFile::new(
                    ParsedFile::parse(path, crate::lang::Language::Go, source)
                        .expect("fixture parses"),
                )
            })
            .collect();
        GoPackage::new(
            PathBuf::from(dir),
            None,
            files,
            Arc::new(program::Program::empty()),
        )
    }

    pub fn new(
        dir: PathBuf,
        module: Option<Arc<GoModule>>,
        files: Vec<GoFile>,
        program: Arc<program::Program>,
    ) -> GoPackage {
        let files: Vec<Arc<GoFile>> = files.into_iter().map(Arc::new).collect();
        GoPackage::with_shared_files(dir, module, files, program)
    }

    /// A package over files that may be shared with the program's cache.
    pub fn with_shared_files(
        dir: PathBuf,
        module: Option<Arc<GoModule>>,
        files: Vec<Arc<GoFile>>,
        program: Arc<program::Program>,
    ) -> GoPackage {
        let import_path = module
            .as_ref()
            .and_then(|m| m.import_path_of(&dir))
            .unwrap_or_else(|| format!("_/{}", dir.display()));
        GoPackage::build(
            import_path,
            dir,
            module,
            files,
            program,
            Default::default(),
            false,
        )
    }

    /// A package made of some files of another package, to read function
    /// bodies there; it shares the summaries of the unit that asked.
    pub fn foreign(
        import_path: String,
        dir: PathBuf,
        files: Vec<Arc<GoFile>>,
        program: Arc<program::Program>,
        summaries: Arc<summaries::SummaryCache>,
    ) -> GoPackage {
        GoPackage::build(import_path, dir, None, files, program, summaries, true)
    }

    fn build(
        import_path: String,
        dir: PathBuf,
        module: Option<Arc<GoModule>>,
        files: Vec<Arc<GoFile>>,
        program: Arc<program::Program>,
        summaries: Arc<summaries::SummaryCache>,
        partial: bool,
    ) -> GoPackage {
        let mut decls = PackageDecls::default();
        if !partial {
            for f in &files {
                types::collect_decls(f, &import_path, &mut decls);
            }
        }
        GoPackage {
            dir,
            import_path,
            module,
            files,
            decls,
            program,
            summaries,
            partial,
            decl_index: Default::default(),
        }
    }

    /// Functions (`F`) and methods (`T.M`) declared in this package's files.
    pub fn decl_index(&self) -> &HashMap<String, (usize, std::ops::Range<usize>)> {
        self.decl_index.get_or_init(|| {
            let mut out = HashMap::new();
            for (i, f) in self.files.iter().enumerate() {
                let src = f.text();
                let root = f.root();
                let mut c = root.walk();
                for d in root.named_children(&mut c) {
                    let Some(name) = d.child_by_field_name("name") else {
                        continue;
                    };
                    let key = match d.kind() {
                        "function_declaration" => text(name, src).to_string(),
                        "method_declaration" => match module::receiver_type_name(d, src) {
                            Some(t) => format!("{t}.{}", text(name, src)),
                            None => continue,
                        },
                        _ => continue,
                    };
                    out.entry(key).or_insert((i, d.byte_range()));
                }
            }
            out
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_from_paths() {
        assert_eq!(guess_package_name("github.com/redis/go-redis/v9"), "redis");
        assert_eq!(guess_package_name("gopkg.in/yaml.v3"), "yaml");
        assert_eq!(guess_package_name("cloud.google.com/go/storage"), "storage");
        assert_eq!(guess_package_name("os"), "os");
        assert_eq!(guess_package_name("github.com/segmentio/kafka-go"), "kafka");
    }

    #[test]
    fn imports_resolve_names_that_differ_from_paths() {
        let parsed = crate::parse::ParsedFile::parse(
            std::sync::Arc::from(std::path::Path::new("a.go")),
            crate::lang::Language::Go,
            crate::source::SourceText::new(
                "package a\nimport (\n\t\"os\"\n\tfs \"cloud.google.com/go/firestore\"\n\t\"github.com/eclipse/paho.mqtt.golang\"\n)\n".into(),
            ),
        )
        .ok()
        .unwrap();
        let f = GoFile::new(parsed);
        assert_eq!(f.package_name, "a");
        assert_eq!(f.imports.resolve("os"), Some("os"));
        assert_eq!(
            f.imports.resolve("fs"),
            Some("cloud.google.com/go/firestore")
        );
        assert_eq!(
            f.imports.resolve("mqtt"),
            Some("github.com/eclipse/paho.mqtt.golang")
        );
        assert_eq!(f.imports.resolve("firestore"), None);
    }

    #[test]
    fn generated_files() {
        assert!(is_generated(
            "// Code generated by protoc-gen-go. DO NOT EDIT.\npackage a\n"
        ));
        assert!(!is_generated(
            "package a\n// Code generated by x. DO NOT EDIT.\n"
        ));
    }
}
