//! Phase two of the analysis: fixes that reach into other packages.
//!
//! Units (Go packages) are analysed one by one, in parallel, and a rule sees
//! only its own unit. Some fixes cannot be written from there: giving a
//! function a new parameter means rewriting every call of it, and the calls
//! may be anywhere in the module. Such a rule builds the part of the fix it
//! can see (the function itself), and attaches to the finding a `CallerFix`
//! naming the functions whose uses it must rewrite (`WithCallers::with_callers`).
//!
//! After the parallel pass, the engine completes those findings here:
//!
//! 1. **Where to look.** A target declared in a Go module is looked for in
//!    every Go file of that module (walked once per run from the `go.mod`
//!    folder, test files included, nested modules, vendor/ and testdata/
//!    excluded), because a caller the fix does not update would no longer
//!    compile. Outside a module, only the scanned files of the target's own
//!    folder are searched: nothing else can import it.
//! 2. **Prefilter.** Each candidate file is read (edited text wins, see
//!    `Overlay`) and kept only if it mentions a target's name.
//! 3. **One package at a time.** The folders with a hit are parsed one at a
//!    time per worker (all files of the folder, so that types of receivers
//!    can be told), `analysis::go::uses` lists the uses of each target, and
//!    the rule's `CallerFix::visit` turns them into edits, notes, or reasons
//!    to give up. The package is dropped before the next one is parsed, so
//!    memory stays bounded by the number of workers, not the module's size.
//! 4. **All or nothing.** The edits join the finding's fix (a multi-file fix,
//!    which `apply` applies all-or-nothing), with gofmt's alignment of
//!    trailing comments kept on the lines they touch. leakfix edits the
//!    scanned files, and the `_test.go` files beside them (not scanned by
//!    default, but they must keep compiling). Any reason to give up, a use
//!    in a file it may not edit (outside the given paths, excluded, or
//!    generated), a file with a hit that does not parse, or edits that
//!    overlap, removes the fix and says why in the finding's notes.
//!
//! Nothing here is specific to one rule: any rule whose fix changes a
//! signature (adds a parameter, renames, changes a result) can use it.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use aho_corasick::AhoCorasick;
use rayon::prelude::*;

use crate::analysis::go::uses::{FuncUse, NameIndex, UseKind, uses_in_index};
use crate::analysis::go::{GoFile, GoPackage};
use crate::analysis::inputs::{self, Fingerprint, Input};
use crate::engine::{Engine, Overlay};
use crate::finding::Finding;
use crate::lang::Language;
use crate::parse::ParsedFile;
use crate::rules::Context;
use crate::rules::callers::{CallerEdits, CallerFix, shown_path};
use crate::walk::skipped_dir;

/// Where the scanned files are, and the Go files of each module.
pub struct Index {
    /// Absolute path of each scanned Go file -> the path it was walked as.
    walked: HashMap<PathBuf, Arc<Path>>,
    /// Absolute folder of each scanned Go file -> that folder as walked.
    dirs: HashMap<PathBuf, PathBuf>,
    /// Module root -> folder -> Go files (absolute), walked on first need,
    /// and the fingerprint of that list.
    modules: Mutex<HashMap<PathBuf, (Arc<FilesByDir>, Fingerprint)>>,
    /// The fingerprint of `walked` (`Input::ScannedGoFiles`).
    scanned: Fingerprint,
}

/// Folder -> its Go files (absolute paths).
type FilesByDir = BTreeMap<PathBuf, Vec<PathBuf>>;

impl Index {
    pub fn new(files: &[crate::walk::WalkedFile]) -> Index {
        let mut walked = HashMap::new();
        let mut dirs = HashMap::new();
        for f in files.iter().filter(|f| f.language == Language::Go) {
            let abs = std::path::absolute(&f.path).unwrap_or_else(|_| f.path.to_path_buf());
            if let (Some(abs_dir), Some(dir)) = (abs.parent(), f.path.parent()) {
                dirs.insert(abs_dir.to_path_buf(), dir.to_path_buf());
            }
            walked.insert(abs, f.path.clone());
        }
        let mut listed: Vec<(&PathBuf, &Arc<Path>)> = walked.iter().collect();
        listed.sort();
        let scanned = inputs::fingerprint(format!("{listed:?}").as_bytes());
        Index {
            walked,
            dirs,
            modules: Mutex::default(),
            scanned,
        }
    }

    /// What an input this index records is now (None: not the index's).
    pub fn input_now(&self, input: &Input) -> Option<Fingerprint> {
        match input {
            Input::ScannedGoFiles => Some(self.scanned),
            Input::GoModuleFiles(root) => Some(listing_fingerprint(&walk_module(root))),
            _ => None,
        }
    }

    /// The path a file is read and edited under, and whether leakfix may
    /// edit it: a scanned file, or a test file beside one (tests are not
    /// scanned by default, yet must keep compiling).
    fn edit_path(&self, abs: &Path) -> (Arc<Path>, bool) {
        inputs::record(Input::ScannedGoFiles, self.scanned);
        if let Some(p) = self.walked.get(abs) {
            return (p.clone(), true);
        }
        match (abs.parent().and_then(|d| self.dirs.get(d)), abs.file_name()) {
            (Some(dir), Some(name)) => {
                let is_test = crate::walk::is_test_file(abs, Language::Go);
                (Arc::from(dir.join(name).as_path()), is_test)
            }
            _ => (Arc::from(abs), false),
        }
    }

    /// Folder -> Go files of the module rooted at `root`.
    fn module_files(&self, root: &Path) -> Arc<FilesByDir> {
        let hit = self.modules.lock().unwrap().get(root).cloned();
        let (files, fp) = hit.unwrap_or_else(|| {
            let files = walk_module(root);
            let fp = listing_fingerprint(&files);
            let found = (Arc::new(files), fp);
            self.modules
                .lock()
                .unwrap()
                .insert(root.to_path_buf(), found.clone());
            found
        });
        inputs::record(Input::GoModuleFiles(root.to_path_buf()), fp);
        files
    }

    /// The scanned Go files of one folder (for code outside any module).
    fn scanned_files_of(&self, dir: &Path) -> Vec<PathBuf> {
        inputs::record(Input::ScannedGoFiles, self.scanned);
        let mut files: Vec<PathBuf> = self
            .walked
            .keys()
            .filter(|p| p.parent() == Some(dir))
            .cloned()
            .collect();
        files.sort();
        files
    }
}

fn listing_fingerprint(files: &FilesByDir) -> Fingerprint {
    inputs::fingerprint(format!("{files:?}").as_bytes())
}

/// Every `.go` file of a module: test files too (they must keep compiling),
/// but not nested modules, vendor/, testdata/ or hidden folders.
fn walk_module(root: &Path) -> FilesByDir {
    let mut out = FilesByDir::new();
    let walker = ignore::WalkBuilder::new(root)
        .hidden(true)
        .parents(true)
        .ignore(true)
        .git_ignore(true)
        .git_exclude(true)
        .require_git(false)
        .filter_entry(|e| {
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            !(is_dir
                && e.depth() > 0
                && (e
                    .file_name()
                    .to_str()
                    .is_some_and(|n| skipped_dir(e.path(), n))
                    || e.path().join("go.mod").is_file()))
        })
        .build();
    for entry in walker.flatten() {
        let p = entry.path();
        if entry.file_type().is_some_and(|t| t.is_file())
            && p.extension().is_some_and(|x| x == "go")
            && let Some(dir) = p.parent()
        {
            out.entry(dir.to_path_buf())
                .or_default()
                .push(p.to_path_buf());
        }
    }
    for files in out.values_mut() {
        files.sort();
    }
    out
}

/// One finding waiting for its callers.
struct Request {
    finding: usize,
    fix: Arc<dyn CallerFix>,
    /// Folders to search (absolute) -> their files.
    scope: BTreeMap<PathBuf, Vec<PathBuf>>,
}

/// Completes every finding that asked for its callers (see the module docs).
pub fn complete(engine: &Engine, findings: &mut [Finding], overlay: &Overlay) {
    let index = engine.caller_index();
    let mut requests = Vec::new();
    for (i, f) in findings.iter_mut().enumerate() {
        let Some(fix) = f
            .callers
            .take()
            .and_then(|d| d.get::<Arc<dyn CallerFix>>().cloned())
        else {
            continue;
        };
        if f.fix.is_none() {
            continue;
        }
        let mut scope: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
        for t in fix.targets() {
            match engine.module_of(&t.dir) {
                Some(m) => scope.extend(
                    index
                        .module_files(&m.root)
                        .iter()
                        .map(|(d, fs)| (d.clone(), fs.clone())),
                ),
                None => {
                    scope.insert(t.dir.clone(), index.scanned_files_of(&t.dir));
                }
            }
        }
        requests.push(Request {
            finding: i,
            fix,
            scope,
        });
    }
    if requests.is_empty() {
        return;
    }

    // Which folders mention which request's targets.
    let mut files: BTreeSet<&PathBuf> = BTreeSet::new();
    for r in &requests {
        files.extend(r.scope.values().flatten());
    }
    let needles: Vec<Vec<String>> = requests
        .iter()
        .map(|r| r.fix.targets().iter().map(|t| t.name.clone()).collect())
        .collect();
    let all: Vec<&String> = needles.iter().flatten().collect();
    let Ok(matcher) = AhoCorasick::new(&all) else {
        return;
    };
    let owner: Vec<usize> = needles
        .iter()
        .enumerate()
        .flat_map(|(i, n)| std::iter::repeat_n(i, n.len()))
        .collect();
    // What the workers read counts as read by this unit (`analysis::inputs`).
    let carry = inputs::carry();
    let hits: Vec<(PathBuf, BTreeSet<usize>)> = engine.install(|| {
        files
            .par_iter()
            .filter_map(|abs| {
                carry.run(|| {
                    let (path, _) = index.edit_path(abs);
                    let source = overlay.load(&path).ok()?;
                    let found: BTreeSet<usize> = matcher
                        .find_overlapping_iter(source.text())
                        .map(|m| owner[m.pattern().as_usize()])
                        .collect();
                    let dir = abs.parent()?.to_path_buf();
                    let wanted: BTreeSet<usize> = found
                        .into_iter()
                        .filter(|&r| {
                            requests[r]
                                .scope
                                .get(&dir)
                                .is_some_and(|fs| fs.contains(abs))
                        })
                        .collect();
                    (!wanted.is_empty()).then_some((dir, wanted))
                })
            })
            .collect()
    });
    let mut by_dir: BTreeMap<PathBuf, BTreeSet<usize>> = BTreeMap::new();
    for (dir, rs) in hits {
        by_dir.entry(dir).or_default().extend(rs);
    }

    // One package at a time per worker.
    let cx = engine.context();
    let results: Vec<(usize, CallerEdits)> = engine.install(|| {
        by_dir
            .par_iter()
            .flat_map_iter(|(dir, wanted)| {
                let any = *wanted.iter().next().expect("a hit names a request");
                let files = requests[any].scope.get(dir).cloned().unwrap_or_default();
                carry.run(|| {
                    visit_package(
                        engine, index, overlay, &cx, dir, &files, wanted, &requests, &needles,
                    )
                })
            })
            .collect()
    });
    carry.finish();

    let mut merged: HashMap<usize, CallerEdits> = HashMap::new();
    for (r, e) in results {
        let m = merged.entry(r).or_default();
        m.edits.extend(e.edits);
        m.notes.extend(e.notes);
        m.blockers.extend(e.blockers);
    }
    for (r, req) in requests.iter().enumerate() {
        let mut done = merged.remove(&r).unwrap_or_default();
        done.notes.splice(0..0, req.fix.notes_when_fixed());
        finish(&mut findings[req.finding], done, overlay);
    }
}

#[allow(clippy::too_many_arguments)]
fn visit_package(
    engine: &Engine,
    index: &Index,
    overlay: &Overlay,
    cx: &Context<'_>,
    dir: &Path,
    files: &[PathBuf],
    wanted: &BTreeSet<usize>,
    requests: &[Request],
    needles: &[Vec<String>],
) -> Vec<(usize, CallerEdits)> {
    let mut parsed = Vec::new();
    let mut broken: Vec<(Arc<Path>, String)> = Vec::new();
    let mut editable: HashMap<Arc<Path>, bool> = HashMap::new();
    for abs in files {
        let (path, can_edit) = index.edit_path(abs);
        let Ok(source) = overlay.load(&path) else {
            continue;
        };
        let text = source.text().to_string();
        match ParsedFile::parse(path.clone(), Language::Go, source) {
            Ok(p) => {
                let file = GoFile::new(p);
                editable.insert(path, can_edit && !file.generated);
                parsed.push(file);
            }
            Err(_) => broken.push((path, text)),
        }
    }
    let module = engine.module_of(dir);
    let pkg = GoPackage::new(dir.to_path_buf(), module, parsed, engine.program());
    // One scan of the package for every target of every request.
    let wanted_names: Vec<&String> = wanted.iter().flat_map(|&r| &needles[r]).collect();
    let names = NameIndex::new(&pkg, &wanted_names);
    let mut out = Vec::new();
    for &r in wanted {
        let req = &requests[r];
        let mut result = CallerEdits::default();
        for (path, text) in &broken {
            if needles[r].iter().any(|n| text.contains(n.as_str())) {
                result.blockers.push(format!(
                    "{} mentions `{}` but does not parse, so its calls cannot be updated",
                    shown_path(pkg.module.as_deref(), path),
                    needles[r].join("`, `")
                ));
            }
        }
        let mut uses: Vec<FuncUse> = Vec::new();
        for (ti, t) in req.fix.targets().iter().enumerate() {
            let mut found = uses_in_index(&pkg, &names, t, cx.go_catalog);
            for u in &mut found {
                u.target = ti;
            }
            for u in &found {
                let path = &u.file.parsed.path;
                if matches!(u.kind, UseKind::Call | UseKind::Value)
                    && !editable.get(path).copied().unwrap_or(false)
                {
                    let why = if u.file.generated {
                        "a generated file"
                    } else {
                        "a file leakfix was not asked to scan (outside the given paths, or excluded)"
                    };
                    result.blockers.push(format!(
                        "`{}` is used at {}:{}, in {why}",
                        t.display(),
                        shown_path(pkg.module.as_deref(), path),
                        u.node.start_position().row + 1
                    ));
                }
            }
            uses.extend(found);
        }
        let visited = req.fix.visit(&pkg, &uses, cx);
        result.edits.extend(visited.edits);
        result.notes.extend(visited.notes);
        result.blockers.extend(visited.blockers);
        out.push((r, result));
    }
    out
}

/// Joins the callers' edits to the finding's fix (with the comment
/// alignment gofmt would give the lines they touch), or removes the fix.
fn finish(finding: &mut Finding, done: CallerEdits, overlay: &Overlay) {
    let mut seen = HashSet::new();
    let mut blockers: Vec<String> = done
        .blockers
        .into_iter()
        .filter(|b| seen.insert(b.clone()))
        .collect();
    // gofmt lines up trailing comments: keep them lined up around the edits.
    let fix = finding.fix.take().map(|f| {
        crate::rewrite::go::with_aligned_comments(f.with_edits(done.edits), |p| {
            overlay.load(p).ok()
        })
    });
    if fix.as_ref().is_some_and(|f| f.has_overlapping_edits()) {
        blockers.push("the edits at its callers would overlap".into());
    }
    if blockers.is_empty() {
        finding.fix = fix;
        let mut seen: HashSet<String> = finding.notes.iter().cloned().collect();
        finding
            .notes
            .extend(done.notes.into_iter().filter(|n| seen.insert(n.clone())));
    } else {
        blockers.sort();
        finding
            .notes
            .push(format!("no fix: {}", blockers.join("; ")));
    }
}
