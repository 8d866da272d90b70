//! The JavaScript/TypeScript catalog: what an awaited call hands out that
//! must be released on every path (pool clients, file handles), which pools
//! and clients are meant to be built once per process, which streams hold
//! a descriptor, and the packages a fix may add. Schema: docs/catalog.md
//! ("JavaScript and TypeScript").

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use super::pattern::NamePattern;
use super::{Kind, Origin};

const BUILT_IN: &str = include_str!("../../catalog/js.toml");

/// A value as leakfix names it after following imports and requires: the
/// module it comes from (without `node:`) and the path of properties below
/// the module's own value (`""` for the module itself, `Pool`,
/// `promises.open`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ModuleValue {
    pub module: String,
    pub path: String,
}

impl ModuleValue {
    pub fn new(module: &str, path: &str) -> ModuleValue {
        ModuleValue {
            module: module.strip_prefix("node:").unwrap_or(module).to_string(),
            path: path.to_string(),
        }
    }

    /// `pg.Pool`, `ioredis` (for the module's own value).
    pub fn display(&self) -> String {
        if self.path.is_empty() {
            self.module.clone()
        } else {
            format!("{}.{}", self.module, self.path)
        }
    }

    /// The value one property below: `pg` + `Pool`.
    pub fn member(&self, name: &str) -> ModuleValue {
        ModuleValue {
            module: self.module.clone(),
            path: if self.path.is_empty() {
                name.to_string()
            } else {
                format!("{}.{name}", self.path)
            },
        }
    }

    /// The last property name (`Pool`), or the module's name.
    pub fn last_name(&self) -> &str {
        match self.path.rsplit('.').next() {
            Some(n) if !n.is_empty() => n,
            _ => self.module.rsplit('/').next().unwrap_or(&self.module),
        }
    }
}

/// Exports of one module: `module = "pg"` with `new = ["Pool"]`.
#[derive(Clone, Debug)]
pub struct ExportSet {
    pub module: NamePattern,
    /// Built with `new` (`default`: the module's own value).
    pub new: Vec<NamePattern>,
    /// Built by calling them.
    pub calls: Vec<NamePattern>,
}

impl ExportSet {
    fn name_matches(names: &[NamePattern], v: &ModuleValue) -> bool {
        names.iter().any(|n| {
            if n.as_str() == "default" {
                v.path.is_empty() || v.path == "default"
            } else {
                n.matches(&v.path)
            }
        })
    }

    pub fn matches_new(&self, v: &ModuleValue) -> bool {
        self.module.matches(&v.module) && Self::name_matches(&self.new, v)
    }

    pub fn matches_call(&self, v: &ModuleValue) -> bool {
        self.module.matches(&v.module) && Self::name_matches(&self.calls, v)
    }

    pub fn matches(&self, v: &ModuleValue, with_new: bool) -> bool {
        if with_new {
            self.matches_new(v)
        } else {
            self.matches_call(v)
        }
    }
}

/// An awaited call whose result must be released on every path.
#[derive(Clone, Debug)]
pub struct AcquireEntry {
    /// Method names on any receiver (`connect`).
    pub methods: Vec<String>,
    /// Constructors whose values are known to be pools of this kind.
    pub pools: Vec<ExportSet>,
    /// Functions (`fs/promises.open`).
    pub functions: Vec<ExportSet>,
    /// The release statement: `{v}` the value, `{recv}` the receiver.
    pub release: String,
    /// Methods on the value that release it.
    pub released_by: Vec<String>,
    /// Methods on the receiver that release the value given as argument.
    pub released_by_receiver: Vec<String>,
    /// Methods on the value that hand it to something that releases it.
    pub handed_by: Vec<String>,
    pub kind: Kind,
    pub doc: Option<String>,
    pub origin: Origin,
}

impl AcquireEntry {
    /// The release method named in `release` (`release`, `close`).
    pub fn release_method(&self) -> &str {
        let r = self
            .release
            .trim_start_matches("await ")
            .trim_start_matches("{v}.")
            .trim_start_matches("{recv}.");
        r.split('(').next().unwrap_or(r)
    }

    /// Does the release statement take the value as an argument of the
    /// receiver (`pool.release(r)`)?
    pub fn releases_through_receiver(&self) -> bool {
        self.release.contains("{recv}")
    }

    pub fn is_awaited_release(&self) -> bool {
        self.release.starts_with("await ")
    }
}

/// A pool or client meant to be built once per process.
#[derive(Clone, Debug)]
pub struct ClientEntry {
    pub exports: ExportSet,
    /// Awaited calls that finish building it (`await client.connect()`).
    pub connect: Vec<String>,
    /// Calls that release it, dropped from per-request code by the fix.
    pub close: Vec<String>,
    /// Name of the shared value; `{type}` is the constructor's name in
    /// lower camel case (`s3Client`).
    pub name: String,
    pub kind: Kind,
    pub doc: Option<String>,
    pub origin: Origin,
}

impl ClientEntry {
    /// The shared value's name for a constructor called `ctor`.
    pub fn shared_name(&self, ctor: &str) -> String {
        if self.name == "{type}" {
            lower_camel(ctor)
        } else {
            self.name.clone()
        }
    }
}

/// `S3Client` -> `s3Client`, `SFNClient` -> `sfnClient`, `DynamoDBClient`
/// -> `dynamoDBClient`: the leading capitals are lowered, but for the one
/// that starts the next word.
fn lower_camel(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let run = chars.iter().take_while(|c| c.is_uppercase()).count();
    let lower = if run > 1 && chars.get(run).is_some_and(|c| c.is_lowercase()) {
        run - 1
    } else {
        run.max(1)
    };
    if chars.is_empty() {
        return "client".into();
    }
    chars
        .iter()
        .enumerate()
        .flat_map(|(i, c)| {
            if i < lower {
                c.to_lowercase().collect::<Vec<_>>()
            } else {
                vec![*c]
            }
        })
        .collect()
}

#[derive(Clone, Debug)]
pub struct StreamEntry {
    pub functions: Vec<ExportSet>,
    pub kind: Kind,
    pub doc: Option<String>,
}

#[derive(Clone, Debug)]
pub struct DependencyEntry {
    pub name: String,
    pub version: String,
    /// Its type declarations package, added for TypeScript projects.
    pub types: Option<(String, String)>,
}

#[derive(Clone, Debug, Default)]
pub struct JsCatalog {
    pub acquire: Vec<AcquireEntry>,
    pub clients: Vec<ClientEntry>,
    pub streams: Vec<StreamEntry>,
    pub dependencies: Vec<DependencyEntry>,
}

/// The TOML shape shared by catalog/js.toml and leakfix.toml's `[js]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogFile {
    /// leakfix.toml only: may a fix add a package to package.json
    /// (`on-finished`)? Default true; false gives fixes that need none.
    #[serde(default, rename = "add-dependencies")]
    pub add_dependencies: Option<bool>,
    #[serde(default)]
    pub acquire: Vec<RawAcquire>,
    #[serde(default)]
    pub client: Vec<RawClient>,
    #[serde(default)]
    pub stream: Vec<RawStream>,
    #[serde(default)]
    pub dependency: Vec<RawDependency>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExports {
    pub module: String,
    #[serde(default)]
    pub new: Vec<String>,
    #[serde(default)]
    pub calls: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAcquire {
    #[serde(default)]
    pub methods: Vec<String>,
    #[serde(default)]
    pub pools: Vec<RawExports>,
    #[serde(default)]
    pub functions: Vec<RawExports>,
    pub release: String,
    #[serde(default)]
    pub released_by: Vec<String>,
    #[serde(default)]
    pub released_by_receiver: Vec<String>,
    #[serde(default)]
    pub handed_by: Vec<String>,
    pub kind: Kind,
    pub doc: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawClient {
    pub module: String,
    #[serde(default)]
    pub new: Vec<String>,
    #[serde(default)]
    pub calls: Vec<String>,
    #[serde(default)]
    pub connect: Vec<String>,
    #[serde(default)]
    pub close: Vec<String>,
    pub name: String,
    pub kind: Kind,
    pub doc: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStream {
    pub functions: Vec<RawExports>,
    pub kind: Kind,
    pub doc: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDependency {
    pub name: String,
    pub version: String,
    pub types: Option<String>,
    pub types_version: Option<String>,
}

fn exports(raw: &RawExports) -> Result<ExportSet> {
    if raw.new.is_empty() && raw.calls.is_empty() {
        bail!("module {:?}: give `new` or `calls`", raw.module);
    }
    let module = raw.module.strip_prefix("node:").unwrap_or(&raw.module);
    Ok(ExportSet {
        module: NamePattern::new(module),
        new: raw.new.iter().map(NamePattern::new).collect(),
        calls: raw.calls.iter().map(NamePattern::new).collect(),
    })
}

fn is_identifier(s: &str) -> bool {
    s.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '$' || c == '_')
        && s.chars()
            .all(|c| c.is_alphanumeric() || c == '$' || c == '_')
}

impl JsCatalog {
    pub fn built_in() -> Result<JsCatalog> {
        let file: CatalogFile =
            toml::from_str(BUILT_IN).context("catalog/js.toml does not parse")?;
        JsCatalog::from_file(&file, &Origin::BuiltIn)
    }

    pub fn from_file(file: &CatalogFile, origin: &Origin) -> Result<JsCatalog> {
        let mut cat = JsCatalog::default();
        for a in &file.acquire {
            if a.methods.is_empty() == a.functions.is_empty() {
                bail!("a [[js.acquire]] needs either `methods` or `functions`");
            }
            if !a.release.contains("{v}") {
                bail!("a [[js.acquire]] `release` must name the value as {{v}}");
            }
            if !a.methods.is_empty()
                && a.released_by.is_empty()
                && a.released_by_receiver.is_empty()
            {
                bail!(
                    "a [[js.acquire]] with `methods` needs `released_by` or `released_by_receiver`"
                );
            }
            cat.acquire.push(AcquireEntry {
                methods: a.methods.clone(),
                pools: a.pools.iter().map(exports).collect::<Result<_>>()?,
                functions: a.functions.iter().map(exports).collect::<Result<_>>()?,
                release: a.release.clone(),
                released_by: a.released_by.clone(),
                released_by_receiver: a.released_by_receiver.clone(),
                handed_by: a.handed_by.clone(),
                kind: a.kind,
                doc: a.doc.clone(),
                origin: origin.clone(),
            });
        }
        for c in &file.client {
            if c.name != "{type}" && !is_identifier(&c.name) {
                bail!("[[js.client]] name {:?} is not an identifier", c.name);
            }
            cat.clients.push(ClientEntry {
                exports: exports(&RawExports {
                    module: c.module.clone(),
                    new: c.new.clone(),
                    calls: c.calls.clone(),
                })?,
                connect: c.connect.clone(),
                close: c.close.clone(),
                name: c.name.clone(),
                kind: c.kind,
                doc: c.doc.clone(),
                origin: origin.clone(),
            });
        }
        for s in &file.stream {
            cat.streams.push(StreamEntry {
                functions: s.functions.iter().map(exports).collect::<Result<_>>()?,
                kind: s.kind,
                doc: s.doc.clone(),
            });
        }
        for d in &file.dependency {
            cat.dependencies.push(DependencyEntry {
                name: d.name.clone(),
                version: d.version.clone(),
                types: d.types.clone().zip(d.types_version.clone()),
            });
        }
        Ok(cat)
    }

    /// `first` (user entries) before `then` (built-in): first match wins.
    pub fn layered(first: JsCatalog, then: &JsCatalog) -> JsCatalog {
        let mut cat = first;
        cat.acquire.extend(then.acquire.iter().cloned());
        cat.clients.extend(then.clients.iter().cloned());
        cat.streams.extend(then.streams.iter().cloned());
        cat.dependencies.extend(then.dependencies.iter().cloned());
        cat
    }

    /// Entries whose acquisition is a method of this name.
    pub fn acquire_methods(&self, method: &str) -> impl Iterator<Item = &AcquireEntry> {
        self.acquire
            .iter()
            .filter(move |a| a.methods.iter().any(|m| m == method))
    }

    /// The entry whose acquisition is a call of this function.
    pub fn acquire_function(&self, f: &ModuleValue) -> Option<&AcquireEntry> {
        self.acquire
            .iter()
            .find(|a| a.functions.iter().any(|e| e.matches_call(f)))
    }

    /// The client a `new` (or a call) of `v` builds.
    pub fn client(&self, v: &ModuleValue, with_new: bool) -> Option<&ClientEntry> {
        self.clients.iter().find(|c| c.exports.matches(v, with_new))
    }

    pub fn stream(&self, f: &ModuleValue) -> Option<&StreamEntry> {
        self.streams
            .iter()
            .find(|s| s.functions.iter().any(|e| e.matches_call(f)))
    }

    pub fn dependency(&self, name: &str) -> Option<&DependencyEntry> {
        self.dependencies.iter().find(|d| d.name == name)
    }

    /// Literals a file must contain for any JavaScript rule to find
    /// anything in it: a call of an acquiring method (`.connect(`), of an
    /// acquiring function or a client constructor (`open(`, `Pool(`,
    /// `Client(`), the name of a module whose default export builds a
    /// client (`ioredis`), `finish`, `.pipe(`.
    pub fn prefilter_literals(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for a in &self.acquire {
            out.extend(a.methods.iter().map(|m| format!(".{m}(")));
            for f in &a.functions {
                out.extend(
                    f.calls
                        .iter()
                        .map(|c| format!("{}(", last_literal(c.as_str()))),
                );
            }
        }
        for c in &self.clients {
            for n in c.exports.new.iter().chain(&c.exports.calls) {
                if n.as_str() == "default" {
                    out.push(last_literal(c.exports.module.as_str()));
                } else {
                    out.push(format!("{}(", last_literal(n.as_str())));
                }
            }
        }
        for s in &self.streams {
            for f in &s.functions {
                out.extend(
                    f.calls
                        .iter()
                        .map(|c| format!("{}(", last_literal(c.as_str()))),
                );
            }
        }
        // js-release-on-finish and js-unhandled-pipe.
        out.push("finish".into());
        out.push(".pipe(".into());
        out.retain(|l| l.trim_end_matches('(').len() >= 3);
        out.sort();
        out.dedup();
        out
    }
}

/// The longest wildcard-free piece of a pattern's last segment.
fn last_literal(p: &str) -> String {
    let last = p.rsplit(['.', '/']).next().unwrap_or(p);
    last.split('*')
        .max_by_key(|s| s.len())
        .unwrap_or("")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_catalog_loads() {
        let cat = JsCatalog::built_in().unwrap();
        assert!(cat.client(&ModuleValue::new("pg", "Pool"), true).is_some());
        assert!(cat.client(&ModuleValue::new("pg", "Pool"), false).is_none());
        assert!(
            cat.client(
                &ModuleValue::new("node:mysql2/promise", "createPool"),
                false
            )
            .is_some()
        );
        let s3 = cat
            .client(&ModuleValue::new("@aws-sdk/client-s3", "S3Client"), true)
            .unwrap();
        assert_eq!(s3.shared_name("S3Client"), "s3Client");
        assert_eq!(s3.shared_name("SFNClient"), "sfnClient");
        assert_eq!(s3.shared_name("SQSClient"), "sqsClient");
        assert_eq!(s3.shared_name("DynamoDBClient"), "dynamoDBClient");
        assert_eq!(
            s3.shared_name("BedrockRuntimeClient"),
            "bedrockRuntimeClient"
        );
        assert!(cat.client(&ModuleValue::new("ioredis", ""), true).is_some());
        let open = cat
            .acquire_function(&ModuleValue::new("node:fs/promises", "open"))
            .unwrap();
        assert_eq!(open.release_method(), "close");
        assert!(open.is_awaited_release());
        assert!(
            cat.acquire_function(&ModuleValue::new("fs", "promises.open"))
                .is_some()
        );
        let pg = cat.acquire_methods("connect").next().unwrap();
        assert_eq!(pg.release_method(), "release");
        let gp = cat.acquire_methods("acquire").next().unwrap();
        assert!(gp.releases_through_receiver());
        assert!(
            cat.stream(&ModuleValue::new("fs", "createReadStream"))
                .is_some()
        );
        assert_eq!(cat.dependency("on-finished").unwrap().version, "^2.4.1");
        let lits = cat.prefilter_literals();
        assert!(lits.contains(&".connect(".to_string()) && lits.contains(&"Pool(".to_string()));
        assert!(lits.contains(&"Client(".to_string()) && lits.contains(&"open(".to_string()));
        assert!(lits.contains(&"ioredis".to_string()));
    }

    #[test]
    fn module_values() {
        let v = ModuleValue::new("node:fs", "");
        assert_eq!(
            v.member("promises").member("open").display(),
            "fs.promises.open"
        );
        assert_eq!(
            ModuleValue::new("@aws-sdk/client-s3", "S3Client").last_name(),
            "S3Client"
        );
        assert_eq!(ModuleValue::new("ioredis", "").last_name(), "ioredis");
    }
}
