//! The Rust catalog: pooled clients that should be built once and shared,
//! buffered writers that must be flushed, and process builders whose
//! children must be waited. Schema: docs/catalog.md ("Rust").

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use super::Origin;
use super::pattern::NamePattern;

const BUILT_IN: &str = include_str!("../../catalog/rust.toml");

/// A path pattern: `reqwest::Client::new`, `aws_sdk_*::Client::new`,
/// `**::*Client::connect` (a leading `**` matches any module prefix).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathPattern {
    raw: String,
    segments: Vec<NamePattern>,
    any_prefix: bool,
}

impl PathPattern {
    pub fn parse(p: &str) -> Result<PathPattern> {
        let (body, any_prefix) = match p.strip_prefix("**::") {
            Some(rest) => (rest, true),
            None => (p, false),
        };
        let segments: Vec<NamePattern> = body.split("::").map(NamePattern::new).collect();
        if segments
            .iter()
            .any(|s| s.as_str().is_empty() || s.as_str().contains("**"))
        {
            bail!("bad path pattern {p:?}");
        }
        Ok(PathPattern {
            raw: p.to_string(),
            segments,
            any_prefix,
        })
    }

    pub fn matches(&self, path: &str) -> bool {
        let parts: Vec<&str> = path.split("::").collect();
        if parts.len() < self.segments.len()
            || (!self.any_prefix && parts.len() != self.segments.len())
        {
            return false;
        }
        let tail = &parts[parts.len() - self.segments.len()..];
        self.segments.iter().zip(tail).all(|(s, p)| s.matches(p))
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// A literal a file must contain to use this path: the longest
    /// wildcard-free piece of the type segment (or of the last segment).
    fn literal(&self) -> String {
        let seg = if self.segments.len() >= 2 {
            &self.segments[self.segments.len() - 2]
        } else {
            &self.segments[0]
        };
        seg.as_str()
            .split('*')
            .max_by_key(|s| s.len())
            .unwrap_or("")
            .to_string()
    }
}

/// A pooled client.
#[derive(Clone, Debug)]
pub struct ClientEntry {
    /// Calls that return the client (`reqwest::Client::new`).
    pub constructors: Vec<PathPattern>,
    /// Calls that start a builder, finished by one of `finish`.
    pub builders: Vec<PathPattern>,
    /// With `constructors`: a method called on the constructor's result that
    /// gives the client (`Channel::from_static(..).connect()`); with
    /// `builders`: the method that builds.
    pub finish: Vec<String>,
    /// The client's type: a path, `{self}` (the type the constructor is
    /// called on, as written) or `{self}<...>`.
    pub type_template: String,
    /// The constructor returns `Result<T, error>`.
    pub error: Option<String>,
    /// The constructor (or `finish`) is an `async fn`.
    pub is_async: bool,
    /// Name for the shared value: `http_client`; `{crate}` is the first
    /// path segment without an `aws_sdk_` prefix, `{type}` the type's name
    /// in snake case.
    pub name: String,
    /// Only applies in crates that depend on this crate.
    pub requires: Option<String>,
    pub doc: Option<String>,
    pub origin: Origin,
}

impl ClientEntry {
    pub fn fallible(&self) -> bool {
        self.error.is_some()
    }
}

impl ClientEntry {
    /// The type is inferred from the client's use (`type = "_"`): only a
    /// type the code writes can name it.
    pub fn type_inferred(&self) -> bool {
        self.type_template == "_"
    }
}

/// A function that builds a client for one request and drops it
/// (`reqwest::get(url)`): the same request on a shared client is `call`.
#[derive(Clone, Debug)]
pub struct ShortcutEntry {
    pub functions: Vec<PathPattern>,
    /// The constructor of the client the function builds (a `constructors`
    /// path of a `[[client]]`).
    pub client: String,
    /// What follows the shared client to make the same request;
    /// `{args}` is the function's argument list without parentheses.
    pub call: String,
    pub doc: Option<String>,
    pub origin: Origin,
}

#[derive(Clone, Debug)]
pub struct WriterEntry {
    pub constructors: Vec<PathPattern>,
    /// Flushing is async (`w.flush().await`).
    pub is_async: bool,
    /// Only a leak when something was written to it (a tokio File that is
    /// only read needs no flush).
    pub written: bool,
    pub doc: Option<String>,
    pub origin: Origin,
}

#[derive(Clone, Debug)]
pub struct ProcessEntry {
    /// The command builder type (`std::process::Command`).
    pub command: String,
    /// Waiting is async (`child.wait().await`).
    pub is_async: bool,
    pub doc: Option<String>,
    pub origin: Origin,
}

/// A function that starts a background task or thread.
#[derive(Clone, Debug)]
pub struct TaskEntry {
    pub spawners: Vec<PathPattern>,
    /// The handle type it returns (`tokio::task::JoinHandle`).
    pub handle: String,
    /// The handle can stop the task (`abort()`).
    pub abortable: bool,
    pub doc: Option<String>,
    pub origin: Origin,
}

#[derive(Clone, Debug, Default)]
pub struct RustCatalog {
    pub clients: Vec<ClientEntry>,
    pub shortcuts: Vec<ShortcutEntry>,
    pub writers: Vec<WriterEntry>,
    pub processes: Vec<ProcessEntry>,
    pub tasks: Vec<TaskEntry>,
}

/// The TOML shape shared by catalog/rust.toml and leakfix.toml's `[rust]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogFile {
    #[serde(default)]
    pub client: Vec<RawClient>,
    #[serde(default)]
    pub shortcut: Vec<RawShortcut>,
    #[serde(default)]
    pub writer: Vec<RawWriter>,
    #[serde(default)]
    pub process: Vec<RawProcess>,
    #[serde(default)]
    pub task: Vec<RawTask>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawClient {
    #[serde(default)]
    pub constructors: Vec<String>,
    #[serde(default)]
    pub builders: Vec<String>,
    #[serde(default)]
    pub finish: Vec<String>,
    #[serde(rename = "type")]
    pub type_template: String,
    pub error: Option<String>,
    #[serde(default, rename = "async")]
    pub is_async: bool,
    pub name: String,
    pub requires: Option<String>,
    pub doc: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawShortcut {
    pub functions: Vec<String>,
    pub client: String,
    pub call: String,
    pub doc: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWriter {
    pub constructors: Vec<String>,
    #[serde(default, rename = "async")]
    pub is_async: bool,
    #[serde(default)]
    pub written: bool,
    pub doc: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProcess {
    pub command: String,
    #[serde(default, rename = "async")]
    pub is_async: bool,
    pub doc: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTask {
    pub spawners: Vec<String>,
    pub handle: String,
    #[serde(default)]
    pub abortable: bool,
    pub doc: Option<String>,
}

fn patterns(list: &[String]) -> Result<Vec<PathPattern>> {
    list.iter().map(|p| PathPattern::parse(p)).collect()
}

impl RustCatalog {
    pub fn built_in() -> Result<RustCatalog> {
        let file: CatalogFile =
            toml::from_str(BUILT_IN).context("catalog/rust.toml does not parse")?;
        RustCatalog::from_file(&file, &Origin::BuiltIn)
    }

    pub fn from_file(file: &CatalogFile, origin: &Origin) -> Result<RustCatalog> {
        let mut cat = RustCatalog::default();
        for c in &file.client {
            if c.constructors.is_empty() && c.builders.is_empty() {
                bail!("a [[rust.client]] needs `constructors` or `builders`");
            }
            if !c.builders.is_empty() && c.finish.is_empty() {
                bail!("a [[rust.client]] with `builders` needs `finish`");
            }
            cat.clients.push(ClientEntry {
                constructors: patterns(&c.constructors)?,
                builders: patterns(&c.builders)?,
                finish: c.finish.clone(),
                type_template: c.type_template.clone(),
                error: c.error.clone(),
                is_async: c.is_async,
                name: c.name.clone(),
                requires: c.requires.clone(),
                doc: c.doc.clone(),
                origin: origin.clone(),
            });
        }
        for sc in &file.shortcut {
            if !sc.call.contains("{args}") {
                bail!("a [[rust.shortcut]]'s `call` must contain {{args}}");
            }
            cat.shortcuts.push(ShortcutEntry {
                functions: patterns(&sc.functions)?,
                client: sc.client.clone(),
                call: sc.call.clone(),
                doc: sc.doc.clone(),
                origin: origin.clone(),
            });
        }
        for w in &file.writer {
            cat.writers.push(WriterEntry {
                constructors: patterns(&w.constructors)?,
                is_async: w.is_async,
                written: w.written,
                doc: w.doc.clone(),
                origin: origin.clone(),
            });
        }
        for p in &file.process {
            cat.processes.push(ProcessEntry {
                command: p.command.clone(),
                is_async: p.is_async,
                doc: p.doc.clone(),
                origin: origin.clone(),
            });
        }
        for t in &file.task {
            cat.tasks.push(TaskEntry {
                spawners: patterns(&t.spawners)?,
                handle: t.handle.clone(),
                abortable: t.abortable,
                doc: t.doc.clone(),
                origin: origin.clone(),
            });
        }
        Ok(cat)
    }

    /// `first` (user entries) before `then` (built-in): first match wins.
    pub fn layered(first: RustCatalog, then: &RustCatalog) -> RustCatalog {
        let mut cat = first;
        cat.clients.extend(then.clients.iter().cloned());
        cat.shortcuts.extend(then.shortcuts.iter().cloned());
        cat.writers.extend(then.writers.iter().cloned());
        cat.processes.extend(then.processes.iter().cloned());
        cat.tasks.extend(then.tasks.iter().cloned());
        cat
    }

    /// The client a call to `path` constructs directly (no `finish`) or
    /// starts (with `finish`), for a crate with these dependencies.
    pub fn client_constructor(
        &self,
        path: &str,
        depends_on: &dyn Fn(&str) -> bool,
    ) -> Option<&ClientEntry> {
        self.clients.iter().find(|c| {
            c.constructors.iter().any(|p| p.matches(path))
                && c.requires.as_deref().is_none_or(depends_on)
        })
    }

    /// Clients a builder started by `path` and finished by `finish` builds.
    pub fn client_builder(
        &self,
        path: &str,
        finish: &str,
        depends_on: &dyn Fn(&str) -> bool,
    ) -> Option<&ClientEntry> {
        self.clients.iter().find(|c| {
            c.builders.iter().any(|p| p.matches(path))
                && c.finish.iter().any(|f| f == finish)
                && c.requires.as_deref().is_none_or(depends_on)
        })
    }

    /// The shortcut function `path` names, with the client entry it builds.
    pub fn shortcut(
        &self,
        path: &str,
        depends_on: &dyn Fn(&str) -> bool,
    ) -> Option<(&ShortcutEntry, &ClientEntry)> {
        let s = self
            .shortcuts
            .iter()
            .find(|s| s.functions.iter().any(|p| p.matches(path)))?;
        let c = self.client_constructor(&s.client, depends_on)?;
        Some((s, c))
    }

    pub fn writer(&self, path: &str) -> Option<&WriterEntry> {
        self.writers
            .iter()
            .find(|w| w.constructors.iter().any(|p| p.matches(path)))
    }

    pub fn task(&self, path: &str) -> Option<&TaskEntry> {
        self.tasks
            .iter()
            .find(|t| t.spawners.iter().any(|p| p.matches(path)))
    }

    pub fn process(&self, command_type: &str) -> Option<&ProcessEntry> {
        self.processes.iter().find(|p| p.command == command_type)
    }

    /// Literals a file must contain for any entry to apply.
    pub fn prefilter_literals(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in &self.clients {
            out.extend(
                c.constructors
                    .iter()
                    .chain(&c.builders)
                    .map(PathPattern::literal),
            );
        }
        for s in &self.shortcuts {
            out.extend(s.functions.iter().map(PathPattern::literal));
        }
        for w in &self.writers {
            out.extend(w.constructors.iter().map(PathPattern::literal));
        }
        if !self.processes.is_empty() {
            out.push(".spawn(".into());
        }
        if !self.tasks.is_empty() {
            out.push("spawn".into());
        }
        out.retain(|l| !l.is_empty());
        out.sort();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_catalog_loads() {
        let cat = RustCatalog::built_in().unwrap();
        let yes = |_: &str| true;
        let no = |_: &str| false;
        assert!(
            cat.client_constructor("reqwest::Client::new", &yes)
                .is_some()
        );
        assert!(
            cat.client_builder("reqwest::Client::builder", "build", &yes)
                .is_some()
        );
        assert!(
            cat.client_constructor("aws_sdk_s3::Client::from_conf", &yes)
                .is_some()
        );
        assert!(
            cat.client_constructor("pb::greeter_client::GreeterClient::connect", &yes)
                .is_some()
        );
        assert!(
            cat.client_constructor("pb::greeter_client::GreeterClient::connect", &no)
                .is_none()
        );
        assert!(cat.writer("std::io::BufWriter::new").is_some());
        let (sc, client) = cat.shortcut("reqwest::blocking::get", &yes).unwrap();
        assert_eq!(client.type_template, "reqwest::blocking::Client");
        assert!(sc.call.contains("{args}"));
        assert!(
            cat.client_builder(
                "hyper_util::client::legacy::Client::builder",
                "build_http",
                &yes
            )
            .unwrap()
            .type_inferred()
        );
        assert!(cat.process("std::process::Command").is_some());
        assert!(cat.task("tokio::spawn").is_some_and(|t| t.abortable));
        assert!(cat.task("std::thread::spawn").is_some_and(|t| !t.abortable));
        let lits = cat.prefilter_literals();
        assert!(lits.contains(&"Client".to_string()) && lits.contains(&"BufWriter".to_string()));
    }

    #[test]
    fn path_patterns() {
        let p = PathPattern::parse("aws_sdk_*::Client::new").unwrap();
        assert!(p.matches("aws_sdk_dynamodb::Client::new"));
        assert!(!p.matches("x::aws_sdk_dynamodb::Client::new"));
        let q = PathPattern::parse("**::*Client::connect").unwrap();
        assert!(q.matches("GreeterClient::connect"));
        assert!(q.matches("a::b::GreeterClient::connect"));
        assert!(!q.matches("a::Greeter::connect"));
    }
}
