//! What a Rust file's crate says about itself in `Cargo.toml`: the oldest
//! Rust it must build with (`rust-version`, else what its `edition` implies),
//! and its dependencies with their features. Workspace inheritance
//! (`edition.workspace = true`, `tokio = { workspace = true }`) is followed to
//! the workspace root. Read once per manifest and cached.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use toml::Value;

/// A Rust version `major.minor` (patch levels never matter here).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RustVersion(pub u32, pub u32);

impl RustVersion {
    pub fn parse(s: &str) -> Option<RustVersion> {
        let mut parts = s.trim().split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().unwrap_or("0").parse().ok()?;
        Some(RustVersion(major, minor))
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dependency {
    /// The package's real name (differs from the key with `package = "..."`).
    pub package: String,
    pub features: Vec<String>,
    pub default_features: bool,
    /// A `path = "..."` dependency (a local crate, or a stand-in).
    pub path: bool,
    /// The version requirement as written, if any.
    pub version: Option<String>,
}

impl Dependency {
    pub fn has_feature(&self, f: &str) -> bool {
        self.features.iter().any(|x| x == f)
    }
}

#[derive(Clone, Debug, Default)]
pub struct CrateInfo {
    pub manifest: PathBuf,
    pub name: Option<String>,
    pub edition: Option<String>,
    pub rust_version: Option<RustVersion>,
    /// Normal and target-specific dependencies, by the name code uses
    /// (dashes become underscores).
    pub dependencies: BTreeMap<String, Dependency>,
    /// Versions resolved in Cargo.lock, by package name (the newest when
    /// several are locked).
    pub locked: BTreeMap<String, RustVersion>,
    /// How rustfmt lays out the crate's code.
    pub rustfmt: super::rustfmt::RustfmtStyle,
}

impl CrateInfo {
    /// The oldest Rust the crate promises to build with: `rust-version`, else
    /// the first release of its edition.
    pub fn min_rust(&self) -> RustVersion {
        if let Some(v) = self.rust_version {
            return v;
        }
        match self.edition.as_deref() {
            Some("2024") => RustVersion(1, 85),
            Some("2021") => RustVersion(1, 56),
            Some("2018") => RustVersion(1, 31),
            _ => RustVersion(1, 0),
        }
    }

    /// Does `min_rust` reach `v`? A crate that names neither a rust-version
    /// nor an edition older than 2021 is taken to build with a current
    /// toolchain only for features that old editions cannot have missed.
    pub fn allows(&self, v: RustVersion) -> bool {
        self.min_rust() >= v
    }

    pub fn dependency(&self, name: &str) -> Option<&Dependency> {
        self.dependencies.get(name)
    }

    /// Parses a manifest's text. `workspace` is the workspace root manifest's
    /// table, for inherited keys.
    pub fn from_manifest(manifest: PathBuf, text: &str, workspace: Option<&Value>) -> CrateInfo {
        let Ok(doc) = text.parse::<toml::Table>() else {
            return CrateInfo {
                manifest,
                ..Default::default()
            };
        };
        let ws_package = workspace.and_then(|w| w.get("workspace")?.get("package"));
        let ws_deps = workspace.and_then(|w| w.get("workspace")?.get("dependencies"));
        let package = doc.get("package");
        let inherited = |key: &str| -> Option<String> {
            let v = package?.get(key)?;
            match v {
                Value::String(s) => Some(s.clone()),
                Value::Table(t) if t.get("workspace").and_then(Value::as_bool) == Some(true) => {
                    ws_package?.get(key)?.as_str().map(str::to_string)
                }
                _ => None,
            }
        };
        let mut info = CrateInfo {
            manifest,
            name: inherited("name"),
            edition: inherited("edition"),
            rust_version: inherited("rust-version").and_then(|v| RustVersion::parse(&v)),
            ..Default::default()
        };
        let mut tables: Vec<&Value> = doc.get("dependencies").into_iter().collect();
        if let Some(Value::Table(targets)) = doc.get("target") {
            for t in targets.values() {
                if let Some(d) = t.get("dependencies") {
                    tables.push(d);
                }
            }
        }
        for table in tables {
            let Value::Table(deps) = table else { continue };
            for (key, spec) in deps {
                let base = match spec {
                    Value::Table(t)
                        if t.get("workspace").and_then(Value::as_bool) == Some(true) =>
                    {
                        ws_deps.and_then(|d| d.get(key))
                    }
                    _ => None,
                };
                let mut dep = parse_dependency(key, base.unwrap_or(spec));
                if base.is_some()
                    && let Some(Value::Array(extra)) = spec.get("features")
                {
                    dep.features
                        .extend(extra.iter().filter_map(Value::as_str).map(str::to_string));
                }
                info.dependencies.insert(key.replace('-', "_"), dep);
            }
        }
        info
    }
}

fn parse_dependency(key: &str, spec: &Value) -> Dependency {
    match spec {
        Value::String(v) => Dependency {
            package: key.to_string(),
            default_features: true,
            version: Some(v.clone()),
            ..Default::default()
        },
        Value::Table(t) => Dependency {
            package: t
                .get("package")
                .and_then(Value::as_str)
                .unwrap_or(key)
                .to_string(),
            features: t
                .get("features")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            default_features: t
                .get("default-features")
                .or_else(|| t.get("default_features"))
                .and_then(Value::as_bool)
                .unwrap_or(true),
            path: t.contains_key("path"),
            version: t.get("version").and_then(Value::as_str).map(str::to_string),
        },
        _ => Dependency {
            package: key.to_string(),
            default_features: true,
            ..Default::default()
        },
    }
}

fn parse_lock(text: &str) -> BTreeMap<String, RustVersion> {
    let mut out: BTreeMap<String, RustVersion> = BTreeMap::new();
    let Ok(doc) = text.parse::<toml::Table>() else {
        return out;
    };
    let Some(Value::Array(pkgs)) = doc.get("package") else {
        return out;
    };
    for p in pkgs {
        let (Some(name), Some(v)) = (
            p.get("name").and_then(Value::as_str),
            p.get("version")
                .and_then(Value::as_str)
                .and_then(RustVersion::parse),
        ) else {
            continue;
        };
        let e = out.entry(name.to_string()).or_insert(v);
        if v > *e {
            *e = v;
        }
    }
    out
}

/// Finds and caches the crate a file belongs to.
#[derive(Default)]
pub struct CrateFinder {
    cache: Mutex<HashMap<PathBuf, Option<Arc<CrateInfo>>>>,
}

impl CrateFinder {
    /// The crate of the file at `path` (the nearest `Cargo.toml` with a
    /// `[package]` above it), if any.
    pub fn find(&self, path: &Path) -> Option<Arc<CrateInfo>> {
        let abs = std::path::absolute(path).ok()?;
        let mut dir = abs.parent()?.to_path_buf();
        let mut seen = Vec::new();
        loop {
            let cached = self.cache.lock().unwrap().get(&dir).cloned();
            if let Some(hit) = cached {
                self.remember(&seen, &hit);
                return hit;
            }
            seen.push(dir.clone());
            let manifest = dir.join("Cargo.toml");
            if let Ok(text) = std::fs::read_to_string(&manifest)
                && text
                    .parse::<toml::Table>()
                    .is_ok_and(|t| t.contains_key("package"))
            {
                let info = Arc::new(load(&dir, manifest, &text));
                let hit = Some(info);
                self.remember(&seen, &hit);
                return hit;
            }
            if !dir.pop() {
                self.remember(&seen, &None);
                return None;
            }
        }
    }

    fn remember(&self, dirs: &[PathBuf], hit: &Option<Arc<CrateInfo>>) {
        let mut cache = self.cache.lock().unwrap();
        for d in dirs {
            cache.insert(d.clone(), hit.clone());
        }
    }
}

fn load(dir: &Path, manifest: PathBuf, text: &str) -> CrateInfo {
    // The workspace root: this manifest if it has [workspace], else the
    // nearest ancestor manifest that has one.
    let mut workspace: Option<Value> = None;
    let mut lock_dir = None;
    let own = text.parse::<toml::Table>().ok();
    if own.as_ref().is_some_and(|t| t.contains_key("workspace")) {
        workspace = own.map(Value::Table);
        lock_dir = Some(dir.to_path_buf());
    } else {
        let mut d = dir.to_path_buf();
        while d.pop() {
            if let Ok(t) = std::fs::read_to_string(d.join("Cargo.toml"))
                && let Ok(t) = t.parse::<toml::Table>()
                && t.contains_key("workspace")
            {
                workspace = Some(Value::Table(t));
                lock_dir = Some(d.clone());
                break;
            }
        }
    }
    let mut info = CrateInfo::from_manifest(manifest, text, workspace.as_ref());
    info.rustfmt = super::rustfmt::RustfmtStyle::find(dir, info.edition.as_deref());
    let lock = lock_dir
        .unwrap_or_else(|| dir.to_path_buf())
        .join("Cargo.lock");
    if let Ok(t) = std::fs::read_to_string(lock) {
        info.locked = parse_lock(&t);
    }
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_dependencies_and_inheritance() {
        let ws: Value = r#"
            [workspace.package]
            edition = "2021"
            rust-version = "1.75"
            [workspace.dependencies]
            tokio = { version = "1", features = ["rt"] }
        "#
        .parse::<toml::Table>()
        .map(Value::Table)
        .unwrap();
        let info = CrateInfo::from_manifest(
            "Cargo.toml".into(),
            r#"
            [package]
            name = "svc"
            edition.workspace = true
            rust-version.workspace = true
            [dependencies]
            reqwest = "0.12"
            tokio = { workspace = true, features = ["sync"] }
            my-redis = { package = "redis", path = "../redis" }
            "#,
            Some(&ws),
        );
        assert_eq!(info.edition.as_deref(), Some("2021"));
        assert_eq!(info.min_rust(), RustVersion(1, 75));
        assert!(!info.allows(RustVersion(1, 80)));
        let tokio = info.dependency("tokio").unwrap();
        assert!(tokio.has_feature("rt") && tokio.has_feature("sync"));
        let redis = info.dependency("my_redis").unwrap();
        assert_eq!(redis.package, "redis");
        assert!(redis.path);
    }

    #[test]
    fn edition_implies_a_minimum() {
        let info = CrateInfo::from_manifest(
            "Cargo.toml".into(),
            "[package]\nname = \"a\"\nedition = \"2024\"\n",
            None,
        );
        assert!(info.allows(RustVersion(1, 80)));
        assert_eq!(RustVersion::parse("1.80.1"), Some(RustVersion(1, 80)));
    }
}
