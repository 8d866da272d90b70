//! What an analysis read besides the files of its unit: other packages'
//! declarations, function bodies in other files, the standard library and
//! the module cache. The results cache (`crate::engine::cache`) keeps a unit's
//! results only together with these inputs and the fingerprint of each as
//! it was read, and reuses them only while every one is unchanged.
//!
//! Reads are recorded where they happen (`Program`, a rule reading its
//! folder) into the innermost open frame of the current thread. A unit's
//! analysis runs in a root frame (`collect_root`). Anything kept for the
//! whole run and reused by later units (a function summary, a package's
//! declarations) is computed in a nested frame (`collect`), keeps the inputs
//! of that frame beside it, and `replay`s them into whoever reuses it: a
//! unit's inputs are the same whether it computed a summary or found it
//! computed by another unit.
//!
//! A unit's rules run on one thread, so a thread-local stack of frames sees
//! every read; a worker that steals another unit's job while it waits runs
//! that unit in a root frame of its own, above and apart from the first.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Something an analysis read.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Input {
    /// The bytes of a file (or that it cannot be read).
    File(PathBuf),
    /// Where the Go program finds a package (import path -> folder, origin).
    GoLocate(String),
    /// The non-test `.go` files of a folder a Go package is read from:
    /// their names and bytes.
    GoPackageDir(PathBuf),
    /// Every `.go` file directly in a folder, tests included: names and bytes.
    GoFilesIn(PathBuf),
    /// A file as the run reads it: its edited text while fixes are being
    /// applied (`engine::Overlay`), else what is on disk.
    Source(PathBuf),
    /// The Go module a folder belongs to (its go.mod).
    GoModuleOf(PathBuf),
    /// The list of Go files of a module (test files included).
    GoModuleFiles(PathBuf),
    /// The set of Go files the run was asked to scan.
    ScannedGoFiles,
}

/// A 128-bit hash of what an input was (xxh3).
pub type Fingerprint = u128;

/// The fingerprint of something that is not there.
pub const ABSENT: Fingerprint = 0;

/// Inputs read, each with its fingerprint, in a stable order.
pub type Inputs = BTreeMap<Input, Fingerprint>;

/// Recorded when one input was seen with two fingerprints in one frame (it
/// changed while leakfix ran): no later run will find it so, so whatever
/// depended on it is never reused.
const CHANGED_DURING_RUN: Fingerprint = Fingerprint::MAX;

struct Frame {
    inputs: Inputs,
    /// A unit's frame: its inputs do not flow into the frame below.
    root: bool,
}

thread_local! {
    static FRAMES: RefCell<Vec<Frame>> = const { RefCell::new(Vec::new()) };
}

pub fn fingerprint(bytes: &[u8]) -> Fingerprint {
    // Never ABSENT or CHANGED_DURING_RUN (a 2^-127 chance, made nil).
    xxhash_rust::xxh3::xxh3_128(bytes).clamp(1, Fingerprint::MAX - 1)
}

/// `fingerprint` of the parts put end to end, without copying them.
pub fn fingerprint_concat(parts: &[&[u8]]) -> Fingerprint {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for p in parts {
        h.update(p);
    }
    h.digest128().clamp(1, Fingerprint::MAX - 1)
}

/// Fingerprints several parts as one (each part's length is hashed too).
pub struct Hasher(xxhash_rust::xxh3::Xxh3);

impl Default for Hasher {
    fn default() -> Self {
        Hasher(xxhash_rust::xxh3::Xxh3::new())
    }
}

impl Hasher {
    pub fn part(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.update(&(bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
        self
    }

    pub fn finish(&self) -> Fingerprint {
        self.0.digest128().clamp(1, Fingerprint::MAX - 1)
    }
}

/// Records that the running analysis read `input`, as `fp`.
pub fn record(input: Input, fp: Fingerprint) {
    FRAMES.with(|f| {
        if let Some(top) = f.borrow_mut().last_mut() {
            add(&mut top.inputs, input, fp);
        }
    });
}

fn add(inputs: &mut Inputs, input: Input, fp: Fingerprint) {
    inputs
        .entry(input)
        .and_modify(|old| {
            if *old != fp {
                *old = CHANGED_DURING_RUN;
            }
        })
        .or_insert(fp);
}

/// Adds `more` to `inputs`.
pub fn merge(inputs: &mut Inputs, more: Inputs) {
    for (i, fp) in more {
        add(inputs, i, fp);
    }
}

/// Records inputs kept with something reused (see the module docs).
pub fn replay(inputs: &Inputs) {
    if inputs.is_empty() {
        return;
    }
    FRAMES.with(|f| {
        if let Some(top) = f.borrow_mut().last_mut() {
            for (i, fp) in inputs {
                add(&mut top.inputs, i.clone(), *fp);
            }
        }
    });
}

/// The inputs of the innermost frame so far.
pub fn snapshot() -> Inputs {
    FRAMES.with(|f| {
        f.borrow()
            .last()
            .map(|t| t.inputs.clone())
            .unwrap_or_default()
    })
}

/// Runs `f` in a nested frame: returns what it read, which also counts as
/// read by the enclosing frame.
pub fn collect<R>(f: impl FnOnce() -> R) -> (R, Inputs) {
    run_in_frame(false, f)
}

/// Runs a unit's analysis in a frame of its own.
pub fn collect_root<R>(f: impl FnOnce() -> R) -> (R, Inputs) {
    run_in_frame(true, f)
}

fn run_in_frame<R>(root: bool, f: impl FnOnce() -> R) -> (R, Inputs) {
    /// Drops the frame when `f` panics (the engine catches panics).
    struct OnPanic {
        depth: usize,
        armed: bool,
    }
    impl Drop for OnPanic {
        fn drop(&mut self) {
            if self.armed {
                FRAMES.with(|f| f.borrow_mut().truncate(self.depth));
            }
        }
    }
    let depth = FRAMES.with(|f| {
        let mut frames = f.borrow_mut();
        frames.push(Frame {
            inputs: Inputs::new(),
            root,
        });
        frames.len() - 1
    });
    let mut guard = OnPanic { depth, armed: true };
    let r = f();
    guard.armed = false;
    let inputs = FRAMES.with(|f| {
        let mut frames = f.borrow_mut();
        let frame = frames.pop().expect("the frame pushed above");
        debug_assert_eq!(frames.len(), depth, "frames nest");
        if !frame.root
            && let Some(below) = frames.last_mut()
        {
            for (i, fp) in &frame.inputs {
                add(&mut below.inputs, i.clone(), *fp);
            }
        }
        frame.inputs
    });
    (r, inputs)
}

/// Carries the recording of the current thread into work it hands to
/// other threads (rayon): `run` each piece of work through it, then
/// `finish` on the thread that made it.
pub struct Carry(Option<std::sync::Arc<std::sync::Mutex<Inputs>>>);

pub fn carry() -> Carry {
    Carry(is_recording().then(Default::default))
}

impl Carry {
    pub fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.0 {
            None => f(),
            Some(sink) => {
                let (r, read) = collect_root(f);
                let mut sink = sink.lock().unwrap();
                for (i, fp) in read {
                    add(&mut sink, i, fp);
                }
                r
            }
        }
    }

    pub fn finish(self) {
        if let Some(sink) = self.0 {
            replay(&sink.lock().unwrap());
        }
    }
}

/// A file's bytes (None if unreadable) and their fingerprint.
pub fn read_file(path: &Path) -> (Option<Vec<u8>>, Fingerprint) {
    match std::fs::read(path) {
        Ok(b) => {
            let fp = fingerprint(&b);
            (Some(b), fp)
        }
        Err(_) => (None, ABSENT),
    }
}

/// The fingerprint of a set of named files (names sorted by the caller),
/// each given by the fingerprint of its contents.
pub fn files_fingerprint<'a>(
    files: impl IntoIterator<Item = (&'a str, Fingerprint)>,
) -> Fingerprint {
    let mut h = Hasher::default();
    for (name, fp) in files {
        h.part(name.as_bytes()).part(&fp.to_le_bytes());
    }
    h.finish()
}

/// `Input::GoFilesIn(dir)` as it is now; `contents` fingerprints a file.
pub fn go_files_in(dir: &Path, contents: &dyn Fn(&Path) -> Fingerprint) -> Fingerprint {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return ABSENT;
    };
    let mut names: Vec<String> = rd
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".go"))
        .collect();
    names.sort();
    files_fingerprint(names.iter().map(|n| (n.as_str(), contents(&dir.join(n)))))
}

/// Records `Input::GoFilesIn(dir)`.
pub fn record_go_files_in(dir: &Path) {
    if is_recording() {
        record(
            Input::GoFilesIn(dir.to_path_buf()),
            go_files_in(dir, &file_now),
        );
    }
}

/// Is an analysis recording its inputs on this thread?
pub fn is_recording() -> bool {
    FRAMES.with(|f| !f.borrow().is_empty())
}

/// `Input::File(path)` as it is now.
pub fn file_now(path: &Path) -> Fingerprint {
    read_file(path).1
}

/// The fingerprint of a file's text as read (`Input::Source`): of its
/// bytes (so of the file on disk when it was read from there), or of the
/// reason it could not be read.
pub fn source_fingerprint(source: Result<&crate::source::SourceText, &str>) -> Fingerprint {
    match source {
        Ok(s) => {
            let bom: &[u8] = if s.has_bom() {
                "\u{feff}".as_bytes()
            } else {
                b""
            };
            fingerprint_concat(&[bom, s.text().as_bytes()])
        }
        Err(e) => {
            let mut h = Hasher::default();
            h.part(b"unreadable").part(e.as_bytes());
            h.finish()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_frames_flow_into_their_parent_and_roots_do_not() {
        let a = Input::File("a".into());
        let b = Input::File("b".into());
        let c = Input::File("c".into());
        let ((inner, kept), outer) = collect_root(|| {
            record(a.clone(), 1);
            let kept = collect(|| record(b.clone(), 2)).1;
            let inner = collect_root(|| record(c.clone(), 3)).1;
            (inner, kept)
        });
        assert_eq!(kept.len(), 1);
        assert_eq!(inner.keys().collect::<Vec<_>>(), vec![&c]);
        assert_eq!(outer.keys().collect::<Vec<_>>(), vec![&a, &b]);
        assert!(!is_recording());
    }

    #[test]
    fn an_input_seen_twice_differently_never_matches() {
        let a = Input::File("a".into());
        let (_, got) = collect_root(|| {
            record(a.clone(), 1);
            record(a.clone(), 2);
        });
        assert_eq!(got[&a], CHANGED_DURING_RUN);
    }

    #[test]
    fn a_panic_pops_the_frame() {
        let r = std::panic::catch_unwind(|| collect_root(|| panic!("boom")));
        assert!(r.is_err());
        assert!(!is_recording());
    }

    #[test]
    fn a_source_is_fingerprinted_as_its_bytes() {
        let bytes = "\u{feff}package a\r\n".as_bytes();
        let s = crate::source::SourceText::from_bytes(bytes.to_vec()).unwrap();
        assert_eq!(source_fingerprint(Ok(&s)), fingerprint(bytes));
        assert_ne!(source_fingerprint(Err("x")), source_fingerprint(Err("y")));
    }

    #[test]
    fn work_carried_to_other_threads_counts_as_read_here() {
        let a = Input::File("a".into());
        let (_, got) = collect_root(|| {
            let carry = carry();
            std::thread::scope(|s| {
                s.spawn(|| carry.run(|| record(a.clone(), 7)));
            });
            carry.finish();
        });
        assert_eq!(got.get(&a), Some(&7));
    }
}
