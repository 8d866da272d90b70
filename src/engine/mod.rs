//! Wires the steps: files are grouped into units (a Go package, a Rust
//! file), each unit is read, prefiltered, parsed and handed to the rules on
//! a worker thread, and the findings come back sorted. The same engine runs
//! again over edited text (an `Overlay`) to check fixes and to find what
//! remains after them.

pub mod cache;
pub mod callers;

use std::collections::{BTreeMap, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use aho_corasick::AhoCorasick;
use rayon::prelude::*;

use crate::analysis::go::module::{
    GoModule, ModuleFinder, TextFacts, constructor_literals, constructor_view, constructors,
    scan_text,
};
use crate::analysis::go::program::Program;
use crate::analysis::go::{GoFile, GoPackage, ModuleIndex};
use crate::analysis::inputs::{self, Fingerprint, Input};
use crate::analysis::js::{JsFile, PackageFinder, PackageInfo};
use crate::analysis::rust::{CrateFinder, RustFile};
use crate::catalog::go::GoCatalog;
use crate::catalog::js::JsCatalog;
use crate::catalog::rust::RustCatalog;
use crate::finding::{Finding, Problem, ProblemKind};
use crate::lang::Language;
use crate::parse::{ParsedFile, read_source};
use crate::rules::{Context, Rule, Unit};
use crate::source::SourceText;
use crate::suppress::{IgnoreFile, MARKER};
use crate::walk::WalkedFile;

/// A group of files analysed together.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum UnitSpec {
    GoPackage {
        dir: PathBuf,
        files: Vec<Arc<Path>>,
    },
    RustFile(Arc<Path>),
    /// A JavaScript or TypeScript file (read with its nearest package.json).
    JsFile(Arc<Path>, Language),
}

impl UnitSpec {
    pub fn files(&self) -> Vec<&Arc<Path>> {
        match self {
            UnitSpec::GoPackage { files, .. } => files.iter().collect(),
            UnitSpec::RustFile(f) | UnitSpec::JsFile(f, _) => vec![f],
        }
    }
}

/// What `Input::Source` of a loaded file is.
pub fn source_fingerprint(loaded: &Result<SourceText, Problem>) -> Fingerprint {
    inputs::source_fingerprint(loaded.as_ref().map_err(|p| p.message.as_str()))
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

    /// The file's text as the run reads it: edited, or from disk. Recorded
    /// as an input of the analysis that asks (`analysis::inputs`).
    pub fn load(&self, path: &Arc<Path>) -> Result<SourceText, Problem> {
        let loaded = match self.texts.get(path) {
            Some(t) => Ok(t.clone()),
            None => read_source(path),
        };
        if inputs::is_recording() {
            inputs::record(
                Input::Source(path.to_path_buf()),
                source_fingerprint(&loaded),
            );
        }
        loaded
    }
}

#[derive(Default)]
pub struct Analysis {
    pub findings: Vec<Finding>,
    pub problems: Vec<Problem>,
    /// The analysed files that contain `leakfix:ignore` markers, with what
    /// each marker silenced (for `unused-ignore`).
    pub ignores: Vec<IgnoreFile>,
}

impl Analysis {
    fn extend(&mut self, other: Analysis) {
        self.findings.extend(other.findings);
        self.problems.extend(other.problems);
        self.ignores.extend(other.ignores);
    }
}

/// Runs over every analysis before `Engine::analyse` returns it, the first
/// and each re-analysis after fixes alike: what `crate::adopt` adds and
/// hides (unused ignores, the baseline, new code only).
pub trait AnalysisPass: Send + Sync {
    fn run(&self, analysis: &mut Analysis, overlay: &Overlay);
}

pub struct Engine {
    rules: Vec<&'static dyn Rule>,
    /// Built on first need (see `GoFacts`).
    go: OnceLock<GoFacts>,
    go_sources: GoSources,
    pub units: Vec<UnitSpec>,
    pool: rayon::ThreadPool,
    modules: ModuleFinder,
    /// Where scanned files are, for fixes completed at callers (`crate::engine::callers`).
    caller_index: crate::engine::callers::Index,
    rust_catalog: RustCatalog,
    rust_prefilter: AhoCorasick,
    crates: CrateFinder,
    include_tests: bool,
    /// The Go packages around the scanned ones (declarations read on demand).
    program: Arc<Program>,
    js_catalog: JsCatalog,
    js_prefilter: AhoCorasick,
    packages: PackageFinder,
    js_add_dependencies: bool,
    pass: Option<Box<dyn AnalysisPass>>,
    /// Nanoseconds each rule's `check` has taken, summed over every unit
    /// and thread (`LEAKFIX_TIMINGS`), in the order of `rules`.
    rule_nanos: Vec<AtomicU64>,
    /// The results cache (`crate::engine::cache`); None with `--no-cache`.
    cache: Option<crate::engine::cache::Cache>,
    /// What the scanned code teaches as a whole (the module index) and
    /// where Go packages are found: part of every cache key.
    fingerprint: Fingerprint,
}

/// What the scanned Go code teaches as a whole: types with release methods
/// and their constructors (`ModuleIndex`), the catalog with them, and the
/// literals a package must contain to be analysed at all. Built on first
/// need: a run whose every Go unit is found in the cache never builds it.
struct GoFacts {
    /// Learned entries, then user configuration, then the built-in catalog.
    catalog: GoCatalog,
    index: ModuleIndex,
    /// Literals one of which a Go package must contain to be analysed at all
    /// (None: every package is).
    prefilter: Option<AhoCorasick>,
}

/// What `GoFacts` are built from.
struct GoSources {
    /// Every scanned Go file with the import path of its folder.
    files: Vec<(Arc<Path>, String)>,
    /// The configured catalog (built-in and user entries).
    catalog: GoCatalog,
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
        Engine::new_cached(rules, catalog, files, jobs, None)
    }

    /// `new`, reading and keeping results in `cache` (`crate::engine::cache`).
    pub fn new_cached(
        rules: Vec<&'static dyn Rule>,
        catalog: &GoCatalog,
        files: &[WalkedFile],
        jobs: Option<usize>,
        cache: Option<crate::engine::cache::Cache>,
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
                Language::JavaScript | Language::TypeScript | Language::Tsx => {
                    units.push(UnitSpec::JsFile(f.path.clone(), f.language))
                }
            }
        }
        units.extend(
            go_dirs
                .into_iter()
                .map(|(dir, files)| UnitSpec::GoPackage { dir, files }),
        );
        units.sort();

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

        let rust_catalog = RustCatalog::built_in()?;
        let rust_prefilter = AhoCorasick::new(rust_catalog.prefilter_literals())?;
        let js_catalog = JsCatalog::built_in()?;
        let js_prefilter = AhoCorasick::new(js_catalog.prefilter_literals())?;
        let rule_nanos = rules.iter().map(|_| AtomicU64::new(0)).collect();
        let mut engine = Engine {
            rules,
            rule_nanos,
            go: OnceLock::new(),
            go_sources: GoSources {
                files: go_files,
                catalog: catalog.clone(),
            },
            units,
            pool,
            modules: finder,
            caller_index: crate::engine::callers::Index::new(files),
            rust_catalog,
            rust_prefilter,
            crates: CrateFinder::default(),
            include_tests: false,
            program,
            js_catalog,
            js_prefilter,
            packages: PackageFinder::default(),
            js_add_dependencies: true,
            pass: None,
            cache,
            fingerprint: 0,
        };
        // The index's fingerprint is part of every cache key: from the
        // cache when the Go files are those it was built from, else built.
        let (index_fingerprint, problems) = match crate::engine::cache::units::index(&engine) {
            Some(known) => known,
            None => {
                let (facts, problems) = engine.build_go_facts()?;
                let fp = facts.index.fingerprint();
                let _ = engine.go.set(facts);
                crate::engine::cache::units::keep_index(&engine, fp, &problems);
                (fp, problems)
            }
        };
        let mut h = inputs::Hasher::default();
        h.part(&index_fingerprint.to_le_bytes())
            .part(&engine.program.fingerprint.to_le_bytes());
        engine.fingerprint = h.finish();
        Ok((engine, problems))
    }

    /// Learns from the scanned Go code: reads every Go file's text for types
    /// with release methods, then parses only the files that may declare a
    /// constructor of one of them (or of a catalog type).
    fn build_go_facts(&self) -> anyhow::Result<(GoFacts, Vec<Problem>)> {
        let go_files = &self.go_sources.files;
        let catalog = &self.go_sources.catalog;
        let (texts, problems): (Vec<TextFacts>, Vec<Problem>) = self.pool.install(|| {
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
        let ctors = self.pool.install(|| {
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
        let catalog = GoCatalog::layered(index.learned.clone(), catalog);
        let prefilter = go_prefilter(&self.rules, &self.context_with(&catalog, &index))?;
        Ok((
            GoFacts {
                catalog,
                index,
                prefilter,
            },
            problems,
        ))
    }

    fn go(&self) -> &GoFacts {
        self.go.get_or_init(|| {
            self.build_go_facts()
                .expect("the literals of the built-in catalog compile")
                .0
        })
    }

    /// Every scanned Go file with the import path of its folder.
    pub(crate) fn go_files(&self) -> &[(Arc<Path>, String)] {
        &self.go_sources.files
    }

    /// Puts a user's `[rust]` catalog entries before the built-in ones.
    pub fn with_rust_catalog(mut self, user: RustCatalog) -> anyhow::Result<Engine> {
        self.rust_catalog = RustCatalog::layered(user, &self.rust_catalog);
        self.rust_prefilter = AhoCorasick::new(self.rust_catalog.prefilter_literals())?;
        Ok(self)
    }

    /// Puts a user's `[js]` catalog entries before the built-in ones.
    pub fn with_js(mut self, user: JsCatalog, add_dependencies: bool) -> anyhow::Result<Engine> {
        self.js_catalog = JsCatalog::layered(user, &self.js_catalog);
        self.js_prefilter = AhoCorasick::new(self.js_catalog.prefilter_literals())?;
        self.js_add_dependencies = add_dependencies;
        Ok(self)
    }

    /// Runs `check` and charges its time to `rule`.
    fn timed(&self, rule: &dyn Rule, check: impl FnOnce()) {
        let start = Instant::now();
        check();
        let nanos = start.elapsed().as_nanos() as u64;
        if let Some(i) = self
            .rules
            .iter()
            .position(|r| r.meta().id == rule.meta().id)
        {
            self.rule_nanos[i].fetch_add(nanos, Ordering::Relaxed);
        }
    }

    /// Time spent in each rule's `check` so far, summed over units and
    /// threads (facts a package computes once are charged to the first rule
    /// that asks for them; units answered from the results cache cost none).
    pub fn rule_times(&self) -> Vec<(&'static str, Duration)> {
        self.rules
            .iter()
            .zip(&self.rule_nanos)
            .map(|(r, n)| (r.meta().id, Duration::from_nanos(n.load(Ordering::Relaxed))))
            .collect()
    }

    /// Also report test code inside Rust files (`#[cfg(test)]` modules,
    /// `#[test]` functions); test files are left out by the walk.
    pub fn with_include_tests(mut self, include: bool) -> Engine {
        self.include_tests = include;
        self
    }

    pub fn cache(&self) -> Option<&crate::engine::cache::Cache> {
        self.cache.as_ref()
    }

    /// See `fingerprint`.
    pub(crate) fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }

    /// Every analysis goes through `pass` before it is returned.
    pub fn with_pass(mut self, pass: Box<dyn AnalysisPass>) -> Engine {
        self.pass = Some(pass);
        self
    }

    pub fn context(&self) -> Context<'_> {
        let go = self.go();
        self.context_with(&go.catalog, &go.index)
    }

    fn context_with<'a>(
        &'a self,
        go_catalog: &'a GoCatalog,
        index: &'a ModuleIndex,
    ) -> Context<'a> {
        Context {
            go_catalog,
            index,
            rust_catalog: &self.rust_catalog,
            include_tests: self.include_tests,
            js_catalog: &self.js_catalog,
            js_add_dependencies: self.js_add_dependencies,
        }
    }

    pub(crate) fn caller_index(&self) -> &crate::engine::callers::Index {
        &self.caller_index
    }

    pub(crate) fn program(&self) -> Arc<Program> {
        self.program.clone()
    }

    /// The Go module (nearest go.mod upwards) a folder belongs to.
    pub(crate) fn module_of(&self, dir: &Path) -> Option<Arc<GoModule>> {
        let m = self.modules.find(dir);
        if inputs::is_recording() {
            inputs::record(
                Input::GoModuleOf(dir.to_path_buf()),
                module_fingerprint(m.as_deref()),
            );
        }
        m
    }

    /// `module_of` without recording it (for cache keys).
    pub(crate) fn module_of_now(&self, dir: &Path) -> Option<Arc<GoModule>> {
        self.modules.find(dir)
    }

    /// The crate (nearest Cargo.toml with a package) of a Rust file.
    pub(crate) fn crate_of(&self, path: &Path) -> Option<Arc<crate::analysis::rust::CrateInfo>> {
        self.crates.find(path)
    }

    /// Runs `f` on the engine's worker threads.
    pub(crate) fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        self.pool.install(f)
    }

    /// Analyses `units` in parallel; results sorted by path and position.
    /// Findings whose fix reaches into other packages are completed after
    /// the parallel pass (`crate::engine::callers`).
    pub fn analyse(
        &self,
        units: &[UnitSpec],
        overlay: &Overlay,
        progress: Option<&(dyn Fn() + Sync)>,
    ) -> Analysis {
        let results: Vec<(Analysis, Option<crate::engine::cache::units::Pending>)> =
            self.pool.install(|| {
                units
                    .par_iter()
                    .map(|u| {
                        let r = catch_unwind(AssertUnwindSafe(|| {
                            crate::engine::cache::units::analyse(self, u, overlay)
                        }))
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
                            let failed = Analysis {
                                problems: vec![Problem {
                                    path,
                                    kind: ProblemKind::Internal,
                                    message: format!("internal error, please report it: {msg}"),
                                }],
                                ..Analysis::default()
                            };
                            (failed, None)
                        });
                        if let Some(p) = progress {
                            p();
                        }
                        r
                    })
                    .collect()
            });
        // Phase two, one unit after the other (each completion works in
        // parallel): findings whose fix reaches into other packages.
        let mut analysis = Analysis::default();
        for (mut r, pending) in results {
            crate::engine::cache::units::complete(self, &mut r, pending, overlay);
            analysis.extend(r);
        }
        if let Some(pass) = &self.pass {
            pass.run(&mut analysis, overlay);
        }
        analysis
            .findings
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        analysis.problems.sort_by(|a, b| a.path.cmp(&b.path));
        analysis
    }

    /// One unit's analysis (its findings whose fix reaches into other
    /// packages are completed afterwards, see `analyse`).
    pub(crate) fn analyse_unit(&self, unit: &UnitSpec, overlay: &Overlay) -> Analysis {
        let mut ignores = Vec::new();
        let (findings, problems) = self.run_rules(unit, overlay, &mut ignores);
        Analysis {
            findings,
            problems,
            ignores,
        }
    }

    /// The unit's findings; the files the rules ran over that carry
    /// `leakfix:ignore` markers go to `ignores` once the rules are done.
    fn run_rules(
        &self,
        unit: &UnitSpec,
        overlay: &Overlay,
        ignores: &mut Vec<IgnoreFile>,
    ) -> (Vec<Finding>, Vec<Problem>) {
        let mut findings = Vec::new();
        let mut problems = Vec::new();
        let cx = self.context();
        match unit {
            UnitSpec::GoPackage { dir, files } => {
                let rules: Vec<_> = self
                    .rules
                    .iter()
                    .filter(|r| r.meta().language == Some(Language::Go))
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
                // (A package with ignore markers is analysed all the same, to
                // tell whether they still silence anything.)
                let go = self.go();
                if let Some(filter) = &go.prefilter
                    && !sources
                        .iter()
                        .any(|(_, s)| filter.is_match(s.text()) || s.text().contains(MARKER))
                {
                    return (findings, problems);
                }
                // A large package's files are parsed in parallel too.
                let results: Vec<Result<GoFile, Problem>> = sources
                    .into_par_iter()
                    .map(|(path, source)| {
                        let mut file =
                            GoFile::new(ParsedFile::parse(path.clone(), Language::Go, source)?);
                        file.anchors = go.prefilter.as_ref().map(|filter| {
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
                crate::analysis::go::program::offer(&pkg.files);
                for rule in rules {
                    let mut out = Vec::new();
                    self.timed(*rule, || rule.check(&Unit::Go(&pkg), &cx, &mut out));
                    findings.extend(
                        out.into_iter()
                            .filter(|f| !is_suppressed(&pkg, f))
                            .map(|f| aligned(&pkg, f)),
                    );
                }
                crate::analysis::go::program::withdraw(&pkg.files);
                ignores.extend(
                    pkg.files
                        .iter()
                        .filter(|f| !f.generated)
                        .filter_map(|f| f.parsed.ignore_file()),
                );
            }
            UnitSpec::RustFile(path) => {
                let rules: Vec<_> = self
                    .rules
                    .iter()
                    .filter(|r| r.meta().language == Some(Language::Rust))
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
                if !self.rust_prefilter.is_match(source.text()) && !source.text().contains(MARKER) {
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
                let mut file = RustFile::new(parsed, krate);
                file.hits = Some(crate::analysis::rust::hits::hit_ranges(
                    &file,
                    &self.rust_prefilter,
                ));
                for rule in rules {
                    let mut out = Vec::new();
                    self.timed(*rule, || rule.check(&Unit::Rust(&file), &cx, &mut out));
                    findings.extend(out.into_iter().filter(|f| {
                        !file
                            .parsed
                            .suppressions
                            .is_suppressed(f.rule, f.start.line - 1)
                            && (self.include_tests || !file.is_test_code(f.range.start))
                    }));
                }
                // Rules skip test code without --include-tests: its markers
                // cannot be judged then.
                ignores.extend(file.parsed.ignore_file().and_then(|mut f| {
                    let src = &file.parsed.source;
                    f.markers.retain(|m| {
                        self.include_tests
                            || !(file.is_test_code(m.comment.start)
                                || src
                                    .next_line_start(m.comment.start)
                                    .is_some_and(|next| file.is_test_code(next)))
                    });
                    (!f.markers.is_empty()).then_some(f)
                }));
            }
            UnitSpec::JsFile(path, language) => self.analyse_js(
                path,
                *language,
                overlay,
                (&mut findings, &mut problems),
                ignores,
            ),
        }
        (findings, problems)
    }
}

impl Engine {
    /// A JavaScript/TypeScript file, read with its package (package.json as
    /// edited by earlier fixes, if any).
    fn analyse_js(
        &self,
        path: &Arc<Path>,
        language: Language,
        overlay: &Overlay,
        (findings, problems): (&mut Vec<Finding>, &mut Vec<Problem>),
        ignores: &mut Vec<IgnoreFile>,
    ) {
        let rules: Vec<_> = self
            .rules
            .iter()
            .filter(|r| r.meta().language == Some(language.family()))
            .collect();
        if rules.is_empty() {
            return;
        }
        let source = match overlay.load(path) {
            Ok(s) => s,
            Err(p) => return problems.push(p),
        };
        if !self.js_prefilter.is_match(source.text()) && !source.text().contains(MARKER)
            || crate::analysis::js::is_generated(path, source.text())
        {
            return;
        }
        let parsed = match ParsedFile::parse(path.clone(), language, source) {
            Ok(f) => f,
            Err(p) => return problems.push(p),
        };
        let package = self.js_package(path, overlay);
        let file = JsFile::new(parsed, package);
        let cx = self.context();
        for rule in rules {
            let mut out = Vec::new();
            self.timed(*rule, || rule.check(&Unit::Js(&file), &cx, &mut out));
            findings.extend(out.into_iter().filter(|f| {
                !file
                    .parsed
                    .suppressions
                    .is_suppressed(f.rule, f.start.line - 1)
            }));
        }
        ignores.extend(file.parsed.ignore_file());
    }
}

impl Engine {
    /// The package.json around a JavaScript/TypeScript file, as edited by
    /// earlier fixes, if any.
    pub(crate) fn js_package(&self, path: &Path, overlay: &Overlay) -> Option<Arc<PackageInfo>> {
        let mut package = self.packages.find(path);
        if let Some(p) = &package
            && let Some(edited) = overlay.get(&p.manifest)
        {
            let mut info = PackageInfo::from_manifest(p.manifest.clone(), edited.text());
            info.uses_prettier |= p.uses_prettier;
            info.prettier = p.prettier.clone();
            info.es_module_interop = p.es_module_interop;
            package = Some(Arc::new(info));
        }
        package
    }
}

/// What `Input::GoModuleOf` is.
pub(crate) fn module_fingerprint(m: Option<&GoModule>) -> Fingerprint {
    inputs::fingerprint(format!("{m:?}").as_bytes())
}

/// The union of the selected Go rules' literals; None if one of them
/// needs every file.
fn go_prefilter(
    rules: &[&'static dyn Rule],
    cx: &Context<'_>,
) -> anyhow::Result<Option<AhoCorasick>> {
    let mut literals = Vec::new();
    for rule in rules
        .iter()
        .filter(|r| r.meta().language == Some(Language::Go))
    {
        match rule.go_literals(cx) {
            Some(l) => literals.extend(l),
            None => return Ok(None),
        }
    }
    literals.sort();
    literals.dedup();
    Ok(Some(AhoCorasick::new(literals)?))
}

/// A Go fix with the trailing comments of the lines it touches lined up as
/// gofmt lines them up (an inserted line splits an aligned block; a longer
/// line moves its column), for every Go rule. A fix still to be completed at
/// its callers is lined up once their edits are in (`callers::complete`).
fn aligned(pkg: &GoPackage, mut f: Finding) -> Finding {
    if f.callers.is_some() {
        return f;
    }
    f.fix = f.fix.map(|fix| {
        crate::rewrite::go::with_aligned_comments(fix, |p| {
            pkg.files
                .iter()
                .find(|file| file.parsed.path == *p)
                .map(|file| file.parsed.source.clone())
        })
    });
    f
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
