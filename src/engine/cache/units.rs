//! How the engine uses the cache for one unit: its key (what the analysis
//! is a function of, known before it runs), what each recorded input is
//! now, and look-up before analysis, store after.

use std::path::Path;
use std::sync::Arc;

use super::ProblemRecord;
use crate::analysis::inputs::{self, ABSENT, Fingerprint, Hasher, Input};
use crate::engine::{Analysis, Engine, Overlay, UnitSpec, module_fingerprint};
use crate::finding::Problem;
use crate::parse::read_source;

/// What the Go module index was built from: every scanned Go file (path,
/// import path of its folder, contents as read).
fn index_key(engine: &Engine) -> Option<Fingerprint> {
    let cache = engine.cache()?;
    let mut h = Hasher::default();
    h.part(b"go module index");
    for (path, import_path) in engine.go_files() {
        h.part(path.as_os_str().as_encoded_bytes())
            .part(import_path.as_bytes())
            .part(&source_now(engine, path).to_le_bytes());
    }
    Some(cache.key(h.finish()))
}

#[derive(serde::Serialize, serde::Deserialize)]
struct IndexEntry {
    fingerprint: String,
    problems: Vec<ProblemRecord>,
}

/// The fingerprint of the Go module index (and the problems met building
/// it) when an earlier run built it from the same files.
pub fn index(engine: &Engine) -> Option<(Fingerprint, Vec<Problem>)> {
    let key = index_key(engine)?;
    let entry: IndexEntry = engine.cache()?.get_index(key)?;
    let fp = Fingerprint::from_str_radix(&entry.fingerprint, 16).ok()?;
    let problems = entry
        .problems
        .into_iter()
        .map(ProblemRecord::into_problem)
        .collect::<Option<Vec<_>>>()?;
    Some((fp, problems))
}

/// Keeps the fingerprint of the index just built.
pub fn keep_index(engine: &Engine, fp: Fingerprint, problems: &[Problem]) {
    let Some(key) = index_key(engine) else {
        return;
    };
    let entry = IndexEntry {
        fingerprint: format!("{fp:x}"),
        problems: problems.iter().map(ProblemRecord::of).collect(),
    };
    if let Some(cache) = engine.cache() {
        cache.put_index(key, &entry);
    }
}

/// A unit analysed (not read from the cache): its key and what it read,
/// kept once its findings are complete (`complete`).
pub struct Pending {
    key: Fingerprint,
    inputs: inputs::Inputs,
}

/// Analyses `unit`, or reads what an earlier run found in it.
pub fn analyse(engine: &Engine, unit: &UnitSpec, overlay: &Overlay) -> (Analysis, Option<Pending>) {
    let Some(cache) = engine.cache() else {
        return (engine.analyse_unit(unit, overlay), None);
    };
    // (In a frame of its own: a worker may run this while it waits inside
    // another unit's analysis, whose inputs these are not.)
    let key = cache.key(inputs::collect_root(|| unit_key(engine, unit, overlay)).0);
    let now = |input: &Input| input_now(engine, input, overlay);
    let load = |p: &Path| overlay.load(&Arc::from(p)).ok();
    if let Some(hit) = inputs::collect_root(|| cache.get(key, &now, &load)).0 {
        return (hit, None);
    }
    let (analysis, read) = inputs::collect_root(|| engine.analyse_unit(unit, overlay));
    (analysis, Some(Pending { key, inputs: read }))
}

/// Completes the findings of a unit whose fix reaches into other packages
/// (`crate::engine::callers`), then keeps the unit's entry with what both read.
pub fn complete(
    engine: &Engine,
    analysis: &mut Analysis,
    pending: Option<Pending>,
    overlay: &Overlay,
) {
    let mut pending = pending;
    if analysis.findings.iter().any(|f| f.callers.is_some()) {
        let ((), read) = inputs::collect_root(|| {
            crate::engine::callers::complete(engine, &mut analysis.findings, overlay)
        });
        if let Some(p) = &mut pending {
            inputs::merge(&mut p.inputs, read);
        }
    }
    if let (Some(cache), Some(p)) = (engine.cache(), pending) {
        cache.put(p.key, &p.inputs, analysis);
    }
}

/// A fingerprint of the unit's own parts: its files as this run reads them,
/// and what is around it (the Go module, the crate, package.json).
fn unit_key(engine: &Engine, unit: &UnitSpec, overlay: &Overlay) -> Fingerprint {
    let mut h = Hasher::default();
    h.part(&engine.fingerprint().to_le_bytes());
    match unit {
        UnitSpec::GoPackage { dir, .. } => {
            let abs = std::path::absolute(dir).unwrap_or(dir.clone());
            let module = engine.module_of_now(dir);
            h.part(b"go")
                .part(abs.as_os_str().as_encoded_bytes())
                .part(&module_fingerprint(module.as_deref()).to_le_bytes());
        }
        UnitSpec::RustFile(path) => {
            let krate = engine.crate_of(path);
            h.part(b"rust").part(format!("{krate:?}").as_bytes());
        }
        UnitSpec::JsFile(path, language) => {
            let package = engine.js_package(path, overlay);
            h.part(b"js")
                .part(language.name().as_bytes())
                .part(format!("{language:?} {package:?}").as_bytes());
        }
    }
    for path in unit.files() {
        let fp = match overlay.get(path) {
            Some(text) => inputs::source_fingerprint(Ok(text)),
            None => source_now(engine, path),
        };
        h.part(path.as_os_str().as_encoded_bytes())
            .part(&fp.to_le_bytes());
    }
    h.finish()
}

/// `Input::Source` of a file on disk, as `Overlay::load` would record it
/// (worked out once per run).
fn source_now(engine: &Engine, path: &Path) -> Fingerprint {
    let cache = engine.cache().expect("only asked with a cache");
    cache.now(&Input::Source(path.to_path_buf()), || {
        source_now_uncached(cache, path)
    })
}

fn source_now_uncached(cache: &super::Cache, path: &Path) -> Fingerprint {
    let c = cache.contents(path);
    if c.utf8 {
        c.fp
    } else {
        // The reason it cannot be read, as the run reports it.
        crate::engine::source_fingerprint(&read_source(&Arc::from(path)))
    }
}

/// What an input is now (edited text wins, as it does for the analysis).
fn input_now(engine: &Engine, input: &Input, overlay: &Overlay) -> Fingerprint {
    if let Input::Source(p) = input
        && let Some(text) = overlay.get(p)
    {
        return inputs::source_fingerprint(Ok(text));
    }
    let cache = engine.cache().expect("only asked with a cache");
    let contents = |p: &Path| cache.contents(p).fp;
    cache.now(input, || match input {
        Input::File(p) => contents(p),
        Input::Source(p) => source_now_uncached(cache, p),
        Input::GoFilesIn(dir) => inputs::go_files_in(dir, &contents),
        Input::GoModuleOf(dir) => module_fingerprint(engine.module_of_now(dir).as_deref()),
        Input::GoLocate(_) | Input::GoPackageDir(_) => engine
            .program()
            .input_now(input, &contents)
            .unwrap_or(ABSENT),
        Input::GoModuleFiles(_) | Input::ScannedGoFiles => {
            engine.caller_index().input_now(input).unwrap_or(ABSENT)
        }
    })
}
