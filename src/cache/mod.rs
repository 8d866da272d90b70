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
pub mod units;

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
    /// What every key starts from (build, configuration, working directory).
    base: Fingerprint,
    /// What each input is now, worked out once per run.
    now: Mutex<HashMap<Input, Fingerprint>>,
    warned: AtomicBool,
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
        let units = root.join(BUILD_ID).join("units");
        std::fs::create_dir_all(&units)
            .with_context(|| format!("cannot create {}", units.display()))?;
        let mut h = Hasher::default();
        h.part(BUILD_ID.as_bytes()).part(&base.to_le_bytes());
        Ok(Cache {
            units,
            base: h.finish(),
            now: Mutex::default(),
            warned: AtomicBool::new(false),
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
