//! What a JavaScript/TypeScript file's package says about itself: its
//! nearest `package.json` (dependencies, `"type": "module"`, the Node
//! versions in `engines`), the prettier options that lay out its code, and
//! its nearest `tsconfig.json` (`esModuleInterop`). Read once per folder and
//! cached, as the Rust side reads Cargo.toml.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::Value;

/// Which table of package.json lists a dependency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DepKind {
    Normal,
    Dev,
    Peer,
    Optional,
}

/// The prettier options leakfix lays new code out with, where the project
/// says them (a `.prettierrc*` file or package.json's `prettier` key).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PrettierOptions {
    pub print_width: Option<usize>,
    pub tab_width: Option<usize>,
    pub use_tabs: Option<bool>,
    pub semi: Option<bool>,
    pub single_quote: Option<bool>,
    /// `"always"` or `"avoid"`.
    pub arrow_parens: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct PackageInfo {
    /// The package.json (absolute) and its text (as edited by earlier
    /// fixes in this run, if any).
    pub manifest: PathBuf,
    pub text: String,
    pub name: Option<String>,
    /// `"type": "module"`: `.js` files are ES modules.
    pub is_module: bool,
    pub dependencies: BTreeMap<String, (String, DepKind)>,
    /// The oldest Node major version `engines.node` allows, if it says.
    pub node_min: Option<u32>,
    /// Prettier is configured for (or a dependency of) the project.
    pub uses_prettier: bool,
    pub prettier: PrettierOptions,
    /// `compilerOptions.esModuleInterop` (or `allowSyntheticDefaultImports`)
    /// of the nearest tsconfig.json.
    pub es_module_interop: Option<bool>,
}

impl PackageInfo {
    pub fn depends_on(&self, name: &str) -> bool {
        self.dependencies.contains_key(name)
    }

    /// The version requirement of a dependency, if listed.
    pub fn dependency(&self, name: &str) -> Option<&str> {
        self.dependencies.get(name).map(|(v, _)| v.as_str())
    }

    /// The lowest major version a requirement (`^4.18.2`, `~5.0.0`, `>=4`,
    /// `4.x`) allows.
    pub fn major_of(requirement: &str) -> Option<u32> {
        let r = requirement.trim();
        let r = r.split("||").next().unwrap_or(r).trim();
        let digits: String = r
            .trim_start_matches(['^', '~', '>', '=', 'v', ' '])
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        digits.parse().ok()
    }

    /// Parses a package.json's text.
    pub fn from_manifest(manifest: PathBuf, text: &str) -> PackageInfo {
        let mut info = PackageInfo {
            manifest,
            text: text.to_string(),
            ..Default::default()
        };
        let Ok(doc) = serde_json::from_str::<Value>(text) else {
            return info;
        };
        info.name = doc.get("name").and_then(Value::as_str).map(str::to_string);
        info.is_module = doc.get("type").and_then(Value::as_str) == Some("module");
        for (key, kind) in [
            ("peerDependencies", DepKind::Peer),
            ("optionalDependencies", DepKind::Optional),
            ("devDependencies", DepKind::Dev),
            ("dependencies", DepKind::Normal),
        ] {
            if let Some(Value::Object(deps)) = doc.get(key) {
                for (name, v) in deps {
                    let v = v.as_str().unwrap_or("").to_string();
                    info.dependencies.insert(name.clone(), (v, kind));
                }
            }
        }
        info.node_min = doc
            .get("engines")
            .and_then(|e| e.get("node"))
            .and_then(Value::as_str)
            .and_then(PackageInfo::major_of);
        if let Some(p) = doc.get("prettier") {
            info.uses_prettier = true;
            if let Value::Object(_) = p {
                info.prettier = prettier_from_json(p);
            }
        }
        if info.depends_on("prettier") {
            info.uses_prettier = true;
        }
        info
    }
}

fn prettier_from_json(v: &Value) -> PrettierOptions {
    let num = |k: &str| v.get(k).and_then(Value::as_u64).map(|n| n as usize);
    let flag = |k: &str| v.get(k).and_then(Value::as_bool);
    PrettierOptions {
        print_width: num("printWidth"),
        tab_width: num("tabWidth"),
        use_tabs: flag("useTabs"),
        semi: flag("semi"),
        single_quote: flag("singleQuote"),
        arrow_parens: v
            .get("arrowParens")
            .and_then(Value::as_str)
            .map(str::to_string),
    }
}

/// `key: value` / `key = value` lines of a YAML or TOML prettier config.
fn prettier_from_lines(text: &str) -> PrettierOptions {
    let mut map = serde_json::Map::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let Some((k, v)) = line.split_once(':').or_else(|| line.split_once('=')) else {
            continue;
        };
        let k = k.trim().trim_matches(['"', '\'']);
        let v = v.trim().trim_end_matches(',').trim_matches(['"', '\'']);
        let value = match v {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => match v.parse::<u64>() {
                Ok(n) => Value::from(n),
                Err(_) => Value::String(v.to_string()),
            },
        };
        map.insert(k.to_string(), value);
    }
    prettier_from_json(&Value::Object(map))
}

/// Reads the prettier config in `dir`, if there is one: `Some(options)`,
/// with no options when the config is code leakfix does not run.
fn prettier_in(dir: &Path) -> Option<PrettierOptions> {
    for name in [".prettierrc", ".prettierrc.json", ".prettierrc.json5"] {
        if let Ok(text) = std::fs::read_to_string(dir.join(name)) {
            return Some(match serde_json::from_str::<Value>(&strip_jsonc(&text)) {
                Ok(v) if v.is_object() => prettier_from_json(&v),
                _ => prettier_from_lines(&text),
            });
        }
    }
    for name in [".prettierrc.yaml", ".prettierrc.yml", ".prettierrc.toml"] {
        if let Ok(text) = std::fs::read_to_string(dir.join(name)) {
            return Some(prettier_from_lines(&text));
        }
    }
    for name in [
        ".prettierrc.js",
        ".prettierrc.cjs",
        ".prettierrc.mjs",
        "prettier.config.js",
        "prettier.config.cjs",
        "prettier.config.mjs",
        ".prettierrc.ts",
        "prettier.config.ts",
    ] {
        if dir.join(name).is_file() {
            return Some(PrettierOptions::default());
        }
    }
    None
}

/// JSON with comments and trailing commas (tsconfig.json, .prettierrc) as
/// plain JSON.
pub fn strip_jsonc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let b = text.as_bytes();
    let mut i = 0;
    let mut in_str = false;
    while i < b.len() {
        let c = b[i];
        if in_str {
            out.push(c as char);
            if c == b'\\' && i + 1 < b.len() {
                out.push(b[i + 1] as char);
                i += 2;
                continue;
            }
            if c == b'"' {
                in_str = false;
            }
            i += 1;
            continue;
        }
        match c {
            b'"' => {
                in_str = true;
                out.push('"');
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            _ => {
                // Multi-byte characters are copied whole.
                let ch = text[i..].chars().next().unwrap_or(' ');
                out.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    drop_trailing_commas(&out)
}

/// Drops commas followed only by whitespace and a closing bracket.
fn drop_trailing_commas(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_str = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if in_str {
            in_str = c != '"' || escaped;
            escaped = c == '\\' && !escaped;
            out.push(c);
            continue;
        }
        if c == '"' {
            in_str = true;
        }
        if c == ',' {
            let rest = text[i + 1..].trim_start();
            if rest.starts_with('}') || rest.starts_with(']') {
                continue;
            }
        }
        out.push(c);
    }
    out
}

fn tsconfig_interop(text: &str) -> Option<bool> {
    let v: Value = serde_json::from_str(&strip_jsonc(text)).ok()?;
    let opts = v.get("compilerOptions")?;
    let a = opts.get("esModuleInterop").and_then(Value::as_bool);
    let b = opts
        .get("allowSyntheticDefaultImports")
        .and_then(Value::as_bool);
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (None, None) => None,
        _ => Some(false),
    }
}

/// Finds and caches the package of each folder.
#[derive(Default)]
pub struct PackageFinder {
    cache: Mutex<HashMap<PathBuf, Option<Arc<PackageInfo>>>>,
}

impl PackageFinder {
    /// The package of the file at `path`: its nearest package.json, with the
    /// prettier config and tsconfig.json found upwards from the file.
    pub fn find(&self, path: &Path) -> Option<Arc<PackageInfo>> {
        let abs = std::path::absolute(path).ok()?;
        let dir = abs.parent()?.to_path_buf();
        if let Some(hit) = self.cache.lock().unwrap().get(&dir) {
            return hit.clone();
        }
        let hit = load(&dir).map(Arc::new);
        self.cache.lock().unwrap().insert(dir, hit.clone());
        hit
    }
}

/// The nearest package.json at or above `dir`, and what is found on the
/// way up to it (and above it, for configs kept at a monorepo's root).
fn load(dir: &Path) -> Option<PackageInfo> {
    let mut info: Option<PackageInfo> = None;
    let mut prettier: Option<PrettierOptions> = None;
    let mut interop: Option<Option<bool>> = None;
    for d in dir.ancestors() {
        if prettier.is_none() {
            prettier = prettier_in(d);
        }
        if interop.is_none()
            && let Ok(t) = std::fs::read_to_string(d.join("tsconfig.json"))
        {
            interop = Some(tsconfig_interop(&t));
        }
        let manifest = d.join("package.json");
        if info.is_none()
            && let Ok(text) = std::fs::read_to_string(&manifest)
        {
            info = Some(PackageInfo::from_manifest(manifest, &text));
        }
        // Stop at the repository root.
        if info.is_some() && (d.join(".git").exists() || prettier.is_some()) {
            break;
        }
    }
    let mut info = info?;
    if let Some(p) = prettier {
        info.uses_prettier = true;
        if info.prettier == PrettierOptions::default() {
            info.prettier = p;
        }
    }
    info.es_module_interop = interop.flatten();
    Some(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_facts() {
        let info = PackageInfo::from_manifest(
            PathBuf::from("package.json"),
            r#"{"name":"svc","type":"module","engines":{"node":">=18.0.0"},
               "dependencies":{"pg":"^8.11.0","express":"^4.18.2"},
               "devDependencies":{"prettier":"3.0.0"},
               "prettier":{"singleQuote":true,"semi":false}}"#,
        );
        assert!(info.is_module);
        assert_eq!(info.node_min, Some(18));
        assert_eq!(info.dependency("pg"), Some("^8.11.0"));
        assert!(info.uses_prettier);
        assert_eq!(info.prettier.single_quote, Some(true));
        assert_eq!(info.prettier.semi, Some(false));
        assert_eq!(PackageInfo::major_of("~5.0.0"), Some(5));
        assert_eq!(PackageInfo::major_of("4.x"), Some(4));
        assert_eq!(PackageInfo::major_of("latest"), None);
    }

    #[test]
    fn jsonc_is_read() {
        let t =
            "{\n  // comment\n  \"compilerOptions\": { \"esModuleInterop\": true, /* x */ },\n}\n";
        assert_eq!(tsconfig_interop(t), Some(true));
        assert_eq!(strip_jsonc("{\"a\": \"//x\",}"), "{\"a\": \"//x\"}");
    }

    #[test]
    fn yaml_prettier_config() {
        let p = prettier_from_lines("singleQuote: true\nprintWidth: 100\ntrailingComma: all\n");
        assert_eq!(p.single_quote, Some(true));
        assert_eq!(p.print_width, Some(100));
    }
}
