//! Fingerprints of files' contents, remembered by their stat data so that a
//! warm run does not read every file again to learn it did not change.
//!
//! A file whose size, modification time, change time, inode and device are
//! what they were when its contents were hashed is taken to hold the same
//! contents, as git's index and ruff's cache do. The change time cannot be
//! set back by a program (`touch -d` sets the modification time, and moves
//! the change time forward), so rewriting a file always shows. A file
//! modified less than two seconds before it was hashed is not remembered
//! (it could be written again within the same timestamp tick); it is read
//! and hashed on every run until it settles.
//!
//! The table of one configuration of one project is one file in the cache,
//! read when the run starts and written (atomically) when it learned
//! something; concurrent runs may overwrite each other's additions, which
//! only costs hashing again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

use crate::analysis::inputs::{self, ABSENT, Fingerprint};

/// What a file's contents are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Contents {
    /// The fingerprint of its bytes; ABSENT when it cannot be read.
    pub fp: Fingerprint,
    /// Its bytes are UTF-8 (leakfix can analyse it).
    pub utf8: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Stat {
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
    ino: u64,
    dev: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Stamp {
    stat: Stat,
    fp: String,
    utf8: bool,
}

pub struct Stamps {
    file: PathBuf,
    /// Path -> stamp (paths that are not UTF-8 are never remembered).
    table: Mutex<HashMap<String, Stamp>>,
    learned: AtomicBool,
}

/// How long a file must have been left alone to be remembered.
const SETTLED_SECS: i64 = 2;

#[cfg(unix)]
fn stat_of(m: &std::fs::Metadata) -> Option<Stat> {
    use std::os::unix::fs::MetadataExt;
    Some(Stat {
        len: m.len(),
        mtime: (m.mtime(), m.mtime_nsec()),
        ctime: (m.ctime(), m.ctime_nsec()),
        ino: m.ino(),
        dev: m.dev(),
    })
}

/// Elsewhere nothing is remembered: every file is read.
#[cfg(not(unix))]
fn stat_of(_: &std::fs::Metadata) -> Option<Stat> {
    None
}

impl Stamps {
    /// The table kept in `file` (empty if there is none, or it is damaged).
    pub fn load(file: PathBuf) -> Stamps {
        let table = std::fs::read(&file)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        Stamps {
            file,
            table: Mutex::new(table),
            learned: AtomicBool::new(false),
        }
    }

    /// The contents of the file at `path` now: from the table when its stat
    /// data is the one remembered, else read and hashed (and remembered).
    pub fn contents(&self, path: &Path) -> Contents {
        let Ok(meta) = std::fs::metadata(path) else {
            return Contents {
                fp: ABSENT,
                utf8: false,
            };
        };
        let stat = stat_of(&meta);
        if let Some(stat) = stat
            && let Some(key) = path.to_str()
            && let Some(s) = self.table.lock().unwrap().get(key)
            && s.stat == stat
            && let Ok(fp) = Fingerprint::from_str_radix(&s.fp, 16)
        {
            return Contents { fp, utf8: s.utf8 };
        }
        let Ok(bytes) = std::fs::read(path) else {
            return Contents {
                fp: ABSENT,
                utf8: false,
            };
        };
        let contents = Contents {
            fp: inputs::fingerprint(&bytes),
            utf8: std::str::from_utf8(&bytes).is_ok(),
        };
        // Remember it only if it did not change while it was read, and has
        // been left alone for a moment.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        if let Some(stat) = stat
            && let Some(key) = path.to_str()
            && let Ok(after) = std::fs::metadata(path)
            && stat_of(&after) == Some(stat)
            && stat.mtime.0 < now - SETTLED_SECS
            && stat.ctime.0 < now - SETTLED_SECS
        {
            self.table.lock().unwrap().insert(
                key.to_string(),
                Stamp {
                    stat,
                    fp: format!("{:x}", contents.fp),
                    utf8: contents.utf8,
                },
            );
            self.learned.store(true, Ordering::Relaxed);
        }
        contents
    }

    /// Writes the table back if this run learned something.
    pub fn save(&self) {
        if !self.learned.load(Ordering::Relaxed) {
            return;
        }
        let table = self.table.lock().unwrap();
        if let Ok(bytes) = serde_json::to_vec(&*table) {
            let _ = super::write_atomically(&self.file, &bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contents_are_read_when_the_stat_data_is_not_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.go");
        std::fs::write(&f, "package a\n").unwrap();
        let stamps = Stamps::load(dir.path().join("stamps"));
        let first = stamps.contents(&f);
        assert_eq!(first.fp, inputs::fingerprint(b"package a\n"));
        assert!(first.utf8);
        // Just written: not remembered (it may change again within the tick).
        assert!(stamps.table.lock().unwrap().is_empty());
        std::fs::write(&f, "package b\n").unwrap();
        assert_eq!(stamps.contents(&f).fp, inputs::fingerprint(b"package b\n"));
        std::fs::write(&f, [0xff, 0xfe]).unwrap();
        assert!(!stamps.contents(&f).utf8);
        std::fs::remove_file(&f).unwrap();
        assert_eq!(stamps.contents(&f).fp, ABSENT);
    }

    #[cfg(unix)]
    #[test]
    fn a_remembered_file_is_not_read_until_its_stat_data_changes() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.go");
        std::fs::write(&f, "package a\n").unwrap();
        let stamps = Stamps::load(dir.path().join("stamps"));
        let stat = stat_of(&std::fs::metadata(&f).unwrap()).unwrap();
        // As if hashed long ago, to a value that reading would not give.
        stamps.table.lock().unwrap().insert(
            f.to_str().unwrap().to_string(),
            Stamp {
                stat,
                fp: "2a".into(),
                utf8: true,
            },
        );
        assert_eq!(stamps.contents(&f).fp, 0x2a, "taken from the table");
        std::fs::write(&f, "package a\n").unwrap(); // same bytes, new times
        assert_eq!(stamps.contents(&f).fp, inputs::fingerprint(b"package a\n"));
    }
}
