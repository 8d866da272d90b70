//! Stamps the binary with a build id: a hash of everything that decides
//! what leakfix reports (its sources, built-in catalogs and queries, the
//! locked dependencies). The results cache (`src/cache`) keys every entry
//! with it, so a binary built from other code never reads entries an
//! older one wrote, even when the version number did not change.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

const INPUTS: [&str; 6] = [
    "src",
    "catalog",
    "queries",
    "Cargo.toml",
    "Cargo.lock",
    "build.rs",
];

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let mut files = Vec::new();
    for input in INPUTS {
        println!("cargo:rerun-if-changed={input}");
        collect(&root.join(input), &mut files);
    }
    files.sort();
    // SipHash with fixed keys: the same sources give the same id.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for f in &files {
        f.strip_prefix(&root).unwrap_or(f).hash(&mut h);
        std::fs::read(f).unwrap_or_default().hash(&mut h);
    }
    println!(
        "cargo:rustc-env=LEAKFIX_BUILD_ID={}-{:016x}",
        std::env::var("CARGO_PKG_VERSION").unwrap_or_default(),
        h.finish()
    );
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_file() {
        out.push(path.to_path_buf());
    } else if let Ok(entries) = std::fs::read_dir(path) {
        for e in entries.flatten() {
            collect(&e.path(), out);
        }
    }
}
