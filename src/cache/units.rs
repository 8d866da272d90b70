//! How the engine uses the cache for one unit: its key (what the analysis
//! is a function of, known before it runs), what each recorded input is
//! now, and look-up before analysis, store after.

use std::path::Path;
use std::sync::Arc;

use crate::analysis::inputs::{self, ABSENT, Fingerprint, Hasher, Input};
use crate::engine::{Analysis, Engine, Overlay, UnitSpec, module_fingerprint};
use crate::parse::read_source;

/// Analyses `unit`, or reads what an earlier run found in it.
pub fn analyse(engine: &Engine, unit: &UnitSpec, overlay: &Overlay) -> Analysis {
    let Some(cache) = engine.cache() else {
        return engine.analyse_unit(unit, overlay);
    };
    // (In a frame of its own: a worker may run this while it waits inside
    // another unit's analysis, whose inputs these are not.)
    let key = cache.key(inputs::collect_root(|| unit_key(engine, unit, overlay)).0);
    let now = |input: &Input| input_now(engine, input, overlay);
    let load = |p: &Path| overlay.load(&Arc::from(p)).ok();
    if let Some(hit) = inputs::collect_root(|| cache.get(key, &now, &load)).0 {
        return hit;
    }
    let (analysis, read) = inputs::collect_root(|| engine.analyse_unit(unit, overlay));
    cache.put(key, &read, &analysis);
    analysis
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
            None => source_now(path),
        };
        h.part(path.as_os_str().as_encoded_bytes())
            .part(&fp.to_le_bytes());
    }
    h.finish()
}

/// `Input::Source` of a file on disk, as `Overlay::load` would record it.
fn source_now(path: &Path) -> Fingerprint {
    match std::fs::read(path) {
        Ok(bytes) if std::str::from_utf8(&bytes).is_ok() => inputs::fingerprint(&bytes),
        // The reason it cannot be read, as the run reports it.
        _ => crate::engine::source_fingerprint(&read_source(&Arc::from(path))),
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
    cache.now(input, || match input {
        Input::File(p) => inputs::file_now(p),
        Input::Source(p) => source_now(p),
        Input::GoFilesIn(dir) => inputs::go_files_in(dir),
        Input::GoModuleOf(dir) => module_fingerprint(engine.module_of_now(dir).as_deref()),
        Input::GoLocate(_) | Input::GoPackageDir(_) => {
            engine.program().input_now(input).unwrap_or(ABSENT)
        }
        Input::GoModuleFiles(_) | Input::ScannedGoFiles => {
            engine.caller_index().input_now(input).unwrap_or(ABSENT)
        }
    })
}
