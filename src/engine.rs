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

use crate::analysis::go::module::{FACT_LITERALS, FileFacts, GoModule, ModuleFinder, file_facts};
use crate::analysis::go::{GoFile, GoPackage, ModuleIndex};
use crate::catalog::go::GoCatalog;
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
    go_prefilter: AhoCorasick,
    pub units: Vec<UnitSpec>,
    /// Literals that make every file of a Go package worth parsing, for
    /// the rules that need whole packages (`Rule::package_literals`).
    package_prefilter: Option<AhoCorasick>,
    pool: rayon::ThreadPool,
    modules: ModuleFinder,
    /// Where scanned files are, for fixes completed at callers (`crate::callers`).
    caller_index: crate::callers::Index,
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

        // Learn from the scanned Go code.
        let fact_filter = AhoCorasick::new(FACT_LITERALS.iter().chain(&[
            "func New",
            "func Open",
            "func Dial",
            "func Connect",
            "func new",
            "func open",
            "func dial",
            "func connect",
        ]))?;
        let (facts, problems): (Vec<FileFacts>, Vec<Problem>) = pool.install(|| {
            let results: Vec<Result<Option<FileFacts>, Problem>> = units
                .par_iter()
                .filter_map(|u| match u {
                    UnitSpec::GoPackage { dir, files } => Some((dir, files)),
                    _ => None,
                })
                .flat_map_iter(|(dir, files)| {
                    let module = finder.find(dir);
                    let import_path = module
                        .as_ref()
                        .and_then(|m| {
                            m.import_path_of(&std::path::absolute(dir).unwrap_or(dir.clone()))
                        })
                        .unwrap_or_else(|| format!("_/{}", dir.display()));
                    files
                        .iter()
                        .map(move |p| (p.clone(), import_path.clone()))
                        .collect::<Vec<_>>()
                })
                .map(|(path, import_path)| {
                    let source = read_source(&path)?;
                    if !fact_filter.is_match(source.text()) {
                        return Ok(None);
                    }
                    let parsed = ParsedFile::parse(path, Language::Go, source)?;
                    Ok(Some(file_facts(&GoFile::new(parsed), &import_path)))
                })
                .collect();
            let mut facts = Vec::new();
            let mut problems = Vec::new();
            for r in results {
                match r {
                    Ok(Some(f)) => facts.push(f),
                    Ok(None) => {}
                    Err(p) => problems.push(p),
                }
            }
            (facts, problems)
        });
        let index = ModuleIndex::build(facts, catalog);
        let catalog = GoCatalog::layered(index.learned.clone(), catalog);

        let mut literals = catalog.prefilter_literals();
        literals.extend(index.learned_names.iter().cloned());
        let go_prefilter = AhoCorasick::new(&literals)?;
        let package_literals: Vec<&str> = rules
            .iter()
            .filter_map(|r| r.package_literals())
            .flatten()
            .copied()
            .collect();
        let package_prefilter = if package_literals.is_empty() {
            None
        } else {
            Some(AhoCorasick::new(&package_literals)?)
        };
        Ok((
            Engine {
                rules,
                catalog,
                index,
                go_prefilter,
                package_prefilter,
                units,
                pool,
                modules: finder,
                caller_index: crate::callers::Index::new(files),
            },
            problems,
        ))
    }

    pub fn context(&self) -> Context<'_> {
        Context {
            go_catalog: &self.catalog,
            index: &self.index,
        }
    }

    pub(crate) fn caller_index(&self) -> &crate::callers::Index {
        &self.caller_index
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
                let mut sources = Vec::new();
                for path in files {
                    match overlay.load(path) {
                        Ok(s) => sources.push((path, s)),
                        Err(p) => problems.push(p),
                    }
                }
                // A rule that needs whole packages gets every file once one matches.
                let whole = self
                    .package_prefilter
                    .as_ref()
                    .is_some_and(|p| sources.iter().any(|(_, s)| p.is_match(s.text())));
                let mut parsed = Vec::new();
                for (path, source) in sources {
                    if !whole && !self.go_prefilter.is_match(source.text()) {
                        continue;
                    }
                    match ParsedFile::parse(path.clone(), Language::Go, source) {
                        Ok(f) => parsed.push(GoFile::new(f)),
                        Err(p) => problems.push(p),
                    }
                }
                if parsed.is_empty() {
                    return (findings, problems);
                }
                let module = self.modules.find(dir);
                let abs = std::path::absolute(dir).unwrap_or(dir.clone());
                let pkg = GoPackage::new(abs, module, parsed);
                for rule in rules {
                    let mut out = Vec::new();
                    rule.check(&Unit::Go(&pkg), &cx, &mut out);
                    findings.extend(out.into_iter().filter(|f| !is_suppressed(&pkg, f)));
                }
            }
            UnitSpec::RustFile(_) => {}
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
