//! Wires the steps: files are grouped into units (a Go package, a Rust
//! file), each unit is read, prefiltered, parsed and handed to the rules on
//! a worker thread, and the findings come back sorted. The same engine runs
//! again over edited text (an `Overlay`) to check fixes and to find what
//! remains after them.

use std::collections::{BTreeMap, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aho_corasick::AhoCorasick;
use rayon::prelude::*;

use crate::analysis::go::module::{
    GoModule, ModuleFinder, TextFacts, constructor_literals, constructor_view, constructors,
    scan_text,
};
use crate::analysis::go::program::Program;
use crate::analysis::go::{GoFile, GoPackage, ModuleIndex};
use crate::analysis::rust::{CrateFinder, RustFile};
use crate::catalog::go::GoCatalog;
use crate::catalog::rust::RustCatalog;
use crate::finding::{Finding, Problem, ProblemKind};
use crate::lang::Language;
use crate::parse::{ParsedFile, read_source};
use crate::rules::{Rule, Unit};
use crate::source::SourceText;
use crate::walk::WalkedFile;

/// What rules may read besides the unit itself.
pub struct Context<'a> {
    /// Learned entries, then user configuration, then the built-in catalog.
    pub go_catalog: &'a GoCatalog,
    pub index: &'a ModuleIndex,
    /// User configuration, then the built-in Rust catalog.
    pub rust_catalog: &'a RustCatalog,
    /// Report test code too (`--include-tests`): Rust test modules and
    /// `#[test]` functions live in ordinary files, so rules check it.
    pub include_tests: bool,
}

/// A group of files analysed together.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum UnitSpec {
    GoPackage { dir: PathBuf, files: Vec<Arc<Path>> },
    RustFile(Arc<Path>),
}

impl UnitSpec {
    pub fn files(&self) -> Vec<&Arc<Path>> {
        match self {
            UnitSpec::GoPackage { files, .. } => files.iter().collect(),
            UnitSpec::RustFile(f) => vec![f],
        }
    }
}

/// Edited file contents that take the place of what is on disk.
#[derive(Default, Clone)]
pub struct Overlay {
    texts: HashMap<Arc<Path>, SourceText>,
}

impl Overlay {
    pub fn get(&self, path: &Path) -> Option<&SourceText> {
        self.texts.get(path)
    }

    pub fn insert(&mut self, path: Arc<Path>, text: SourceText) {
        self.texts.insert(path, text);
    }

    pub fn paths(&self) -> impl Iterator<Item = &Arc<Path>> {
        self.texts.keys()
    }

    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    pub fn load(&self, path: &Arc<Path>) -> Result<SourceText, Problem> {
        match self.texts.get(path) {
            Some(t) => Ok(t.clone()),
            None => read_source(path),
        }
    }
}

#[derive(Default)]
pub struct Analysis {
    pub findings: Vec<Finding>,
    pub problems: Vec<Problem>,
}

pub struct Engine {
    rules: Vec<&'static dyn Rule>,
    catalog: GoCatalog,
    index: ModuleIndex,
    /// Literals one of which a Go package must contain to be analysed at all
    /// (None: every package is).
    go_prefilter: Option<AhoCorasick>,
    pub units: Vec<UnitSpec>,
    pool: rayon::ThreadPool,
    modules: ModuleFinder,
    /// Where scanned files are, for fixes completed at callers (`crate::callers`).
    caller_index: crate::callers::Index,
    rust_catalog: RustCatalog,
    rust_prefilter: AhoCorasick,
    crates: CrateFinder,
    include_tests: bool,
    /// The Go packages around the scanned ones (declarations read on demand).
    program: Arc<Program>,
}

impl Engine {
    /// Groups the walked files into units and learns what the scanned Go
    /// code declares (types with release methods and their constructors).
    pub fn new(
        rules: Vec<&'static dyn Rule>,
        catalog: &GoCatalog,
        files: &[WalkedFile],
        jobs: Option<usize>,
    ) -> anyhow::Result<(Engine, Vec<Problem>)> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(jobs.unwrap_or(0))
            .thread_name(|i| format!("leakfix-{i}"))
            .build()?;
        let finder = ModuleFinder::default();
        let mut go_dirs: BTreeMap<PathBuf, Vec<Arc<Path>>> = BTreeMap::new();
        let mut units = Vec::new();
        for f in files {
            match f.language {
                Language::Go => {
                    let dir = f.path.parent().map(Path::to_path_buf).unwrap_or_default();
                    go_dirs.entry(dir).or_default().push(f.path.clone());
                }
                Language::Rust => units.push(UnitSpec::RustFile(f.path.clone())),
            }
        }
        units.extend(
            go_dirs
                .into_iter()
                .map(|(dir, files)| UnitSpec::GoPackage { dir, files }),
        );
        units.sort();

        // Learn from the scanned Go code: read every Go file's text for types
        // with release methods, then parse only the files that may declare a
        // constructor of one of them (or of a catalog type).
        let go_files: Vec<(Arc<Path>, String)> = units
            .iter()
            .filter_map(|u| match u {
                UnitSpec::GoPackage { dir, files } => Some((dir, files)),
                _ => None,
            })
            .flat_map(|(dir, files)| {
                let import_path = finder
                    .find(dir)
                    .and_then(|m| {
                        m.import_path_of(&std::path::absolute(dir).unwrap_or(dir.clone()))
                    })
                    .unwrap_or_else(|| format!("_/{}", dir.display()));
                files.iter().map(move |p| (p.clone(), import_path.clone()))
            })
            .collect();
        let (texts, problems): (Vec<TextFacts>, Vec<Problem>) = pool.install(|| {
            let results: Vec<Result<TextFacts, Problem>> = go_files
                .par_iter()
                .map(|(path, import_path)| Ok(scan_text(read_source(path)?.text(), import_path)))
                .collect();
            // One entry per file, in order, so texts[i] stays go_files[i]'s.
            let mut texts = Vec::new();
            let mut problems = Vec::new();
            for r in results {
                match r {
                    Ok(t) => texts.push(t),
                    Err(p) => {
                        texts.push(TextFacts::default());
                        problems.push(p);
                    }
                }
            }
            (texts, problems)
        });
        let ctor_filter = AhoCorasick::new(constructor_literals(&texts, catalog))?;
        let candidates: Vec<&(Arc<Path>, String)> = go_files
            .iter()
            .zip(&texts)
            .filter(|(_, t)| t.has_constructor)
            .map(|(f, _)| f)
            .collect();
        let ctors = pool.install(|| {
            candidates
                .par_iter()
                .flat_map_iter(|(path, import_path)| {
                    let Ok(source) = read_source(path) else {
                        return Vec::new();
                    };
                    if !ctor_filter.is_match(source.text()) {
                        return Vec::new();
                    }
                    // Parse only the constructors; the whole file if that view
                    // does not parse.
                    let Some(view) =
                        constructor_view(source.text(), |sig| ctor_filter.is_match(sig))
                    else {
                        return Vec::new();
                    };
                    let view = SourceText::new(view);
                    let parsed = ParsedFile::parse(path.clone(), Language::Go, view)
                        .or_else(|_| ParsedFile::parse(path.clone(), Language::Go, source));
                    match parsed {
                        Ok(parsed) => constructors(&GoFile::new(parsed), import_path),
                        Err(_) => Vec::new(), // reported when the package is analysed
                    }
                })
                .collect()
        });
        let index = ModuleIndex::build(texts, ctors, catalog);
        // Every module a scanned Go folder belongs to, once.
        let mut workspace: Vec<Arc<GoModule>> = Vec::new();
        for u in &units {
            if let UnitSpec::GoPackage { dir, .. } = u
                && let Some(m) = finder.find(dir)
                && !workspace.iter().any(|w| Arc::ptr_eq(w, &m))
            {
                workspace.push(m);
            }
        }
        let program = Arc::new(Program::new(&workspace));
        let catalog = GoCatalog::layered(index.learned.clone(), catalog);

        let rust_catalog = RustCatalog::built_in()?;
        let rust_prefilter = AhoCorasick::new(rust_catalog.prefilter_literals())?;
        let mut engine = Engine {
            rules,
            catalog,
            index,
            go_prefilter: None,
            units,
            pool,
            modules: finder,
            caller_index: crate::callers::Index::new(files),
            rust_catalog,
            rust_prefilter,
            crates: CrateFinder::default(),
            include_tests: false,
            program,
        };
        engine.go_prefilter = engine.go_prefilter()?;
        Ok((engine, problems))
    }

    /// The union of the selected Go rules' literals; None if one of them
    /// needs every file.
    fn go_prefilter(&self) -> anyhow::Result<Option<AhoCorasick>> {
        let cx = self.context();
        let mut literals = Vec::new();
        for rule in self
            .rules
            .iter()
            .filter(|r| r.meta().language == Language::Go)
        {
            match rule.go_literals(&cx) {
                Some(l) => literals.extend(l),
                None => return Ok(None),
            }
        }
        literals.sort();
        literals.dedup();
        Ok(Some(AhoCorasick::new(literals)?))
    }

    /// Puts a user's `[rust]` catalog entries before the built-in ones.
    pub fn with_rust_catalog(mut self, user: RustCatalog) -> anyhow::Result<Engine> {
        self.rust_catalog = RustCatalog::layered(user, &self.rust_catalog);
        self.rust_prefilter = AhoCorasick::new(self.rust_catalog.prefilter_literals())?;
        Ok(self)
    }

    /// Also report test code inside Rust files (`#[cfg(test)]` modules,
    /// `#[test]` functions); test files are left out by the walk.
    pub fn with_include_tests(mut self, include: bool) -> Engine {
        self.include_tests = include;
        self
    }

    pub fn context(&self) -> Context<'_> {
        Context {
            go_catalog: &self.catalog,
            index: &self.index,
            rust_catalog: &self.rust_catalog,
            include_tests: self.include_tests,
        }
    }

    pub(crate) fn caller_index(&self) -> &crate::callers::Index {
        &self.caller_index
    }

    pub(crate) fn program(&self) -> Arc<Program> {
        self.program.clone()
    }

    /// The Go module (nearest go.mod upwards) a folder belongs to.
    pub(crate) fn module_of(&self, dir: &Path) -> Option<Arc<GoModule>> {
        self.modules.find(dir)
    }

    /// Runs `f` on the engine's worker threads.
    pub(crate) fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        self.pool.install(f)
    }

    /// Analyses `units` in parallel; results sorted by path and position.
    /// Findings whose fix reaches into other packages are completed after
    /// the parallel pass (`crate::callers`).
    pub fn analyse(
        &self,
        units: &[UnitSpec],
        overlay: &Overlay,
        progress: Option<&(dyn Fn() + Sync)>,
    ) -> Analysis {
        let results: Vec<(Vec<Finding>, Vec<Problem>)> = self.pool.install(|| {
            units
                .par_iter()
                .map(|u| {
                    let r = catch_unwind(AssertUnwindSafe(|| self.analyse_unit(u, overlay)))
                        .unwrap_or_else(|panic| {
                            let msg = panic
                                .downcast_ref::<String>()
                                .cloned()
                                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                                .unwrap_or_default();
                            let path = u
                                .files()
                                .first()
                                .map(|p| (*p).clone())
                                .unwrap_or_else(|| Arc::from(Path::new(".")));
                            (
                                Vec::new(),
                                vec![Problem {
                                    path,
                                    kind: ProblemKind::Internal,
                                    message: format!("internal error, please report it: {msg}"),
                                }],
                            )
                        });
                    if let Some(p) = progress {
                        p();
                    }
                    r
                })
                .collect()
        });
        let mut analysis = Analysis::default();
        for (f, p) in results {
            analysis.findings.extend(f);
            analysis.problems.extend(p);
        }
        crate::callers::complete(self, &mut analysis.findings, overlay);
        analysis
            .findings
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        analysis.problems.sort_by(|a, b| a.path.cmp(&b.path));
        analysis
    }

    fn analyse_unit(&self, unit: &UnitSpec, overlay: &Overlay) -> (Vec<Finding>, Vec<Problem>) {
        let mut findings = Vec::new();
        let mut problems = Vec::new();
        let cx = self.context();
        match unit {
            UnitSpec::GoPackage { dir, files } => {
                let rules: Vec<_> = self
                    .rules
                    .iter()
                    .filter(|r| r.meta().language == Language::Go)
                    .collect();
                if rules.is_empty() {
                    return (findings, problems);
                }
                // A package none of whose files mentions a known constructor
                // is skipped unparsed; otherwise every file is parsed, since
                // rules see the package whole (a handler registered in one
                // file, a name declared in another).
                let mut sources = Vec::new();
                for path in files {
                    match overlay.load(path) {
                        Ok(s) => sources.push((path, s)),
                        Err(p) => problems.push(p),
                    }
                }
                if let Some(filter) = &self.go_prefilter
                    && !sources.iter().any(|(_, s)| filter.is_match(s.text()))
                {
                    return (findings, problems);
                }
                // A large package's files are parsed in parallel too.
                let results: Vec<Result<GoFile, Problem>> = sources
                    .into_par_iter()
                    .map(|(path, source)| {
                        let mut file =
                            GoFile::new(ParsedFile::parse(path.clone(), Language::Go, source)?);
                        file.anchors = self.go_prefilter.as_ref().map(|filter| {
                            filter
                                .find_overlapping_iter(file.text())
                                .map(|m| (m.start() + 1).min(m.end() - 1))
                                .collect()
                        });
                        Ok(file)
                    })
                    .collect();
                let mut parsed = Vec::new();
                for r in results {
                    match r {
                        Ok(f) => parsed.push(f),
                        Err(p) => problems.push(p),
                    }
                }
                if parsed.is_empty() {
                    return (findings, problems);
                }
                let module = self.modules.find(dir);
                let abs = std::path::absolute(dir).unwrap_or(dir.clone());
                let pkg = GoPackage::new(abs, module, parsed, self.program.clone());
                for rule in rules {
                    let mut out = Vec::new();
                    rule.check(&Unit::Go(&pkg), &cx, &mut out);
                    findings.extend(out.into_iter().filter(|f| !is_suppressed(&pkg, f)));
                }
            }
            UnitSpec::RustFile(path) => {
                let rules: Vec<_> = self
                    .rules
                    .iter()
                    .filter(|r| r.meta().language == Language::Rust)
                    .collect();
                if rules.is_empty() {
                    return (findings, problems);
                }
                let source = match overlay.load(path) {
                    Ok(s) => s,
                    Err(p) => {
                        problems.push(p);
                        return (findings, problems);
                    }
                };
                if !self.rust_prefilter.is_match(source.text()) {
                    return (findings, problems);
                }
                let parsed = match ParsedFile::parse(path.clone(), Language::Rust, source) {
                    Ok(f) => f,
                    Err(p) => {
                        problems.push(p);
                        return (findings, problems);
                    }
                };
                let krate = self.crates.find(path);
                let file = RustFile::new(parsed, krate);
                for rule in rules {
                    let mut out = Vec::new();
                    rule.check(&Unit::Rust(&file), &cx, &mut out);
                    findings.extend(out.into_iter().filter(|f| {
                        !file
                            .parsed
                            .suppressions
                            .is_suppressed(f.rule, f.start.line - 1)
                            && (self.include_tests || !file.is_test_code(f.range.start))
                    }));
                }
            }
        }
        (findings, problems)
    }
}

fn is_suppressed(pkg: &GoPackage, f: &Finding) -> bool {
    pkg.files
        .iter()
        .find(|file| file.parsed.path == f.path)
        .is_some_and(|file| {
            file.parsed
                .suppressions
                .is_suppressed(f.rule, f.start.line - 1)
        })
}
