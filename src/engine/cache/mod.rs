//! The results cache: what the analysis of a unit (a Go package, a Rust or
//! JavaScript file) found, kept on disk so that a later run over the same
//! code reads it instead of analysing again, as ruff's cache does.
//!
//! **Key.** An entry is found by a key that hashes everything the unit's
//! analysis is a function of and that is known before it runs: the build of
//! leakfix (`LEAKFIX_BUILD_ID`, a hash of its sources), the configuration
//! (config file text, rules, options), the working directory, what the
//! scanned code teaches as a whole (the Go module index), where Go packages
//! are found, the unit's own files as read (edited text during a fix run)
//! and the module, crate or package.json around it.
//!
//! **Inputs.** Everything else the analysis read on the way is recorded
//! while it runs (`analysis::inputs`): other packages' declarations and
//! function bodies, the standard library and module cache, a folder's other
//! files, callers in other packages. The entry keeps each input with its
//! fingerprint, and is used only while every one of them is unchanged. So
//! changing one file re-analyses the unit that holds it and the units that
//! read it, nothing else.
//!
//! **Store.** One file per entry under `<cache dir>/<build id>/units/`,
//! written to a temporary file and renamed into place, so concurrent runs
//! never see half an entry (the last writer wins; both wrote the same
//! thing). An entry that cannot be read or decoded is a miss and is
//! written anew. The cache folder holds a `CACHEDIR.TAG` and a `.gitignore`.

mod record;
mod stamps;
pub mod units;

pub use record::ProblemRecord;
pub use stamps::Contents;

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::analysis::inputs::{Fingerprint, Hasher, Input, Inputs};
use crate::engine::Analysis;
use crate::source::SourceText;

/// Where leakfix keeps its caches (the results cache in `results/`, what
/// `--verify` keeps in `verify/`): `LEAKFIX_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/leakfix`, else `~/.cache/leakfix`, else the temporary
/// folder.
pub fn root_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("LEAKFIX_CACHE_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("leakfix");
    }
    if let Some(h) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(h).join(".cache").join("leakfix");
    }
    std::env::temp_dir().join("leakfix")
}

/// The build of leakfix: entries of other builds are never read.
pub const BUILD_ID: &str = env!("LEAKFIX_BUILD_ID");

pub struct Cache {
    /// `<root>/<build id>/units`.
    units: PathBuf,
    /// `<root>/<build id>/index`: what the Go module index was.
    index: PathBuf,
    /// What every key starts from (build, configuration, working directory).
    base: Fingerprint,
    /// What each input is now, worked out once per run.
    now: Mutex<HashMap<Input, Fingerprint>>,
    warned: AtomicBool,
    /// Contents of files remembered by their stat data.
    stamps: stamps::Stamps,
    pub hits: AtomicUsize,
    pub misses: AtomicUsize,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    key: String,
    /// (input, fingerprint in hex)
    inputs: Vec<(Input, String)>,
    unit: record::UnitRecord,
}

fn hex(fp: Fingerprint) -> String {
    format!("{fp:032x}")
}

impl Cache {
    /// Opens (creating) the cache under `root`. `base` fingerprints the
    /// configuration of the run.
    pub fn open(root: &Path, base: Fingerprint) -> Result<Cache> {
        Cache::open_for_build(root, base, BUILD_ID)
    }

    fn open_for_build(root: &Path, base: Fingerprint, build: &str) -> Result<Cache> {
        std::fs::create_dir_all(root)
            .with_context(|| format!("cannot create the cache folder {}", root.display()))?;
        for (name, text) in [
            (
                "CACHEDIR.TAG",
                "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by leakfix.\n# For information about cache directory tags see https://bford.info/cachedir/\n",
            ),
            (".gitignore", "# Automatically created by leakfix.\n*\n"),
        ] {
            let p = root.join(name);
            if !p.exists() {
                write_atomically(&p, text.as_bytes())
                    .with_context(|| format!("cannot write {}", p.display()))?;
            }
        }
        let units = root.join(build).join("units");
        let index = root.join(build).join("index");
        for d in [&units, &index] {
            std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
        }
        let mut h = Hasher::default();
        h.part(build.as_bytes()).part(&base.to_le_bytes());
        let base = h.finish();
        let stamps = stamps::Stamps::load(
            units
                .parent()
                .expect("units is in the build's folder")
                .join(format!("stamps-{}", hex(base))),
        );
        Ok(Cache {
            units,
            index,
            base,
            now: Mutex::default(),
            warned: AtomicBool::new(false),
            stamps,
            hits: AtomicUsize::new(0),
            misses: AtomicUsize::new(0),
        })
    }

    /// The key of a unit whose own parts hash to `unit`.
    pub fn key(&self, unit: Fingerprint) -> Fingerprint {
        let mut h = Hasher::default();
        h.part(&self.base.to_le_bytes()).part(&unit.to_le_bytes());
        h.finish()
    }

    fn path_of(&self, key: Fingerprint) -> PathBuf {
        let k = hex(key);
        self.units.join(&k[..2]).join(k)
    }

    /// What `input` is now, worked out once per run by `compute`.
    pub fn now(&self, input: &Input, compute: impl FnOnce() -> Fingerprint) -> Fingerprint {
        if let Some(fp) = self.now.lock().unwrap().get(input) {
            return *fp;
        }
        let fp = compute();
        self.now.lock().unwrap().insert(input.clone(), fp);
        fp
    }

    /// What the file at `path` holds now (see `stamps`).
    pub fn contents(&self, path: &Path) -> Contents {
        self.stamps.contents(path)
    }

    /// At the end of the run: keeps what was learned about files.
    pub fn finish(&self) {
        self.stamps.save();
    }

    /// A small value kept under `key` in the index folder (None: absent or
    /// damaged).
    pub fn get_index<T: serde::de::DeserializeOwned>(&self, key: Fingerprint) -> Option<T> {
        let bytes = std::fs::read(self.index.join(hex(key))).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    pub fn put_index<T: Serialize>(&self, key: Fingerprint, value: &T) {
        let path = self.index.join(hex(key));
        let written = serde_json::to_vec(value)
            .map_err(anyhow::Error::from)
            .and_then(|bytes| write_atomically(&path, &bytes));
        if let Err(e) = written
            && !self.warned.swap(true, Ordering::Relaxed)
        {
            eprintln!(
                "leakfix: warning: cannot write to the cache ({}): {e:#}",
                path.display()
            );
        }
    }

    /// Forgets what inputs were found to be: files were written since.
    pub fn forget_now(&self) {
        self.now.lock().unwrap().clear();
    }

    /// The entry for `key`, if there is one whose inputs are all as they
    /// were (`now` tells what an input is now). `load` reads a file as this
    /// run does.
    pub fn get(
        &self,
        key: Fingerprint,
        now: &dyn Fn(&Input) -> Fingerprint,
        load: &dyn Fn(&Path) -> Option<SourceText>,
    ) -> Option<Analysis> {
        let found = self.read(key, now, load);
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    fn read(
        &self,
        key: Fingerprint,
        now: &dyn Fn(&Input) -> Fingerprint,
        load: &dyn Fn(&Path) -> Option<SourceText>,
    ) -> Option<Analysis> {
        let bytes = std::fs::read(self.path_of(key)).ok()?;
        // A damaged or foreign entry is a miss (and is written anew).
        let entry: Entry = serde_json::from_slice(&bytes).ok()?;
        if entry.key != hex(key) {
            return None;
        }
        for (input, fp) in &entry.inputs {
            if hex(now(input)) != *fp {
                return None;
            }
        }
        entry.unit.into_analysis(load)
    }

    /// Keeps what the analysis of unit `key` found, with what it read.
    /// Failing to write is not an error: the run goes on without the entry
    /// (and says so once).
    pub fn put(&self, key: Fingerprint, inputs: &Inputs, analysis: &Analysis) {
        let Some(unit) = record::UnitRecord::of(analysis) else {
            return;
        };
        let entry = Entry {
            key: hex(key),
            inputs: inputs.iter().map(|(i, fp)| (i.clone(), hex(*fp))).collect(),
            unit,
        };
        let path = self.path_of(key);
        let written = serde_json::to_vec(&entry)
            .map_err(anyhow::Error::from)
            .and_then(|bytes| {
                std::fs::create_dir_all(path.parent().expect("entries are in a folder"))?;
                write_atomically(&path, &bytes)
            });
        if let Err(e) = written
            && !self.warned.swap(true, Ordering::Relaxed)
        {
            eprintln!(
                "leakfix: warning: cannot write to the cache ({}): {e:#}",
                path.display()
            );
        }
    }
}

/// Writes `bytes` to a temporary file beside `path` and renames it into
/// place: readers see the old file or the new one, never part of one.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Problem, ProblemKind};

    fn analysis() -> Analysis {
        Analysis {
            problems: vec![Problem {
                path: std::sync::Arc::from(Path::new("a.go")),
                kind: ProblemKind::Syntax,
                message: "syntax error at 1:1".into(),
            }],
            ..Analysis::default()
        }
    }

    #[test]
    fn entries_of_another_build_or_configuration_are_not_read() {
        let root = tempfile::tempdir().unwrap();
        let none = |_: &Path| None;
        let now = |_: &Input| 7;
        let a = Cache::open_for_build(root.path(), 1, "a").unwrap();
        let key = a.key(42);
        a.put(key, &Inputs::new(), &analysis());
        assert!(a.get(key, &now, &none).is_some());
        let b = Cache::open_for_build(root.path(), 1, "b").unwrap();
        assert!(b.get(b.key(42), &now, &none).is_none(), "another build");
        let c = Cache::open_for_build(root.path(), 2, "a").unwrap();
        assert!(
            c.get(c.key(42), &now, &none).is_none(),
            "another configuration"
        );
        assert!(root.path().join("CACHEDIR.TAG").is_file());
        assert!(root.path().join(".gitignore").is_file());
    }

    #[test]
    fn an_entry_is_read_only_while_its_inputs_are_as_recorded() {
        let root = tempfile::tempdir().unwrap();
        let none = |_: &Path| None;
        let cache = Cache::open_for_build(root.path(), 1, "a").unwrap();
        let key = cache.key(42);
        let mut inputs = Inputs::new();
        inputs.insert(Input::File("dep.go".into()), 7);
        inputs.insert(Input::GoLocate("example.com/dep".into()), 8);
        cache.put(key, &inputs, &analysis());
        let same = |i: &Input| inputs[i];
        let got = cache.get(key, &same, &none).expect("a hit");
        assert_eq!(got.problems.len(), 1);
        assert_eq!(got.problems[0].message, "syntax error at 1:1");
        let changed = |i: &Input| {
            if matches!(i, Input::File(_)) {
                9
            } else {
                inputs[i]
            }
        };
        assert!(cache.get(key, &changed, &none).is_none());
        assert_eq!(cache.hits.load(Ordering::Relaxed), 1);
        assert_eq!(cache.misses.load(Ordering::Relaxed), 1);
    }
}
