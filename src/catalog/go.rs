//! The Go catalog: constructors whose results must be released, calls known
//! to need no release, type facts for inference, and synchronous callbacks.
//! Schema: docs/catalog.md.

use std::collections::HashMap;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use super::pattern::{NamePattern, PackagePattern};
use super::{Kind, Origin};

const BUILT_IN: &str = include_str!("../../catalog/go.toml");

/// A Go type written `import/path.Name`; pointer-ness is ignored.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeName {
    pub package: String,
    pub name: String,
}

impl TypeName {
    pub fn new(package: impl Into<String>, name: impl Into<String>) -> Self {
        TypeName {
            package: package.into(),
            name: name.into(),
        }
    }

    pub fn parse(s: &str) -> Option<TypeName> {
        let s = s.trim_start_matches('*');
        let dot = s.rfind('.')?;
        let slash = s.rfind('/').unwrap_or(0);
        if dot < slash || dot == 0 || dot + 1 == s.len() {
            return None;
        }
        Some(TypeName::new(&s[..dot], &s[dot + 1..]))
    }
}

impl std::fmt::Display for TypeName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.package, self.name)
    }
}

/// What an entry applies to.
#[derive(Clone, Debug)]
pub enum Target {
    Func {
        package: PackagePattern,
        names: Vec<NamePattern>,
    },
    Method {
        receiver: Option<(PackagePattern, NamePattern)>,
        names: Vec<NamePattern>,
    },
    Var {
        package: PackagePattern,
        names: Vec<NamePattern>,
    },
}

impl Target {
    /// Specificity of a match, or None. Higher is more specific.
    fn score_func(&self, package: &str, name: &str) -> Option<u8> {
        match self {
            Target::Func { package: p, names } if p.matches(package) => {
                let n = names.iter().find(|n| n.matches(name))?;
                Some(2 * p.is_exact() as u8 + n.is_exact() as u8)
            }
            _ => None,
        }
    }

    fn score_method(&self, receiver: Option<&TypeName>, name: &str) -> Option<u8> {
        match self {
            Target::Method { receiver: r, names } => {
                let n = names.iter().find(|n| n.matches(name))?;
                let r_score = match (r, receiver) {
                    (None, _) => 0,
                    (Some((p, t)), Some(recv))
                        if p.matches(&recv.package) && t.matches(&recv.name) =>
                    {
                        2 + (p.is_exact() && t.is_exact()) as u8 * 2
                    }
                    _ => return None,
                };
                Some(r_score + n.is_exact() as u8)
            }
            _ => None,
        }
    }

    fn score_var(&self, package: &str, name: &str) -> Option<u8> {
        match self {
            Target::Var { package: p, names } if p.matches(package) => {
                let n = names.iter().find(|n| n.matches(name))?;
                Some(2 * p.is_exact() as u8 + n.is_exact() as u8)
            }
            _ => None,
        }
    }

    /// Literals one of which the text of a call to this target contains:
    /// `.Open(` for an exact name, the longest literal part of a pattern
    /// (`Client(` for `New*Client`), `.Query(` for a method.
    fn call_literals(&self) -> Vec<String> {
        match self {
            Target::Func { names, .. } => names.iter().map(|n| name_literal(n, ".")).collect(),
            Target::Var { .. } => Vec::new(),
            Target::Method { names, .. } => names.iter().map(|n| name_literal(n, ".")).collect(),
        }
    }
}

/// `.Name(` for an exact name; for a pattern its longest literal part, with
/// `(` when that part ends the name and `dot` when it starts it.
fn name_literal(n: &NamePattern, dot: &str) -> String {
    if n.is_exact() {
        return format!("{dot}{}(", n.as_str());
    }
    let parts: Vec<&str> = n.as_str().split('*').collect();
    let (i, longest) = parts
        .iter()
        .enumerate()
        .max_by_key(|(_, p)| p.len())
        .map(|(i, p)| (i, *p))
        .unwrap_or((0, ""));
    let mut lit = longest.to_string();
    if i == 0 {
        lit = format!("{dot}{lit}");
    }
    if i == parts.len() - 1 {
        lit.push('(');
    }
    lit
}

/// How a resource is released: a statement template over the variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Release {
    template: String,
    /// The selector path from the variable to the called function:
    /// `["Close"]` for `{v}.Close()`, `["Body", "Close"]`, `[]` for `{v}()`.
    path: Vec<String>,
    /// The argument text inside the parentheses (may contain `{ctx}`).
    args: String,
}

impl Release {
    pub fn parse(template: &str) -> Result<Release> {
        let t = template.trim();
        let Some(rest) = t.strip_prefix("{v}") else {
            bail!("release {template:?} must start with {{v}}");
        };
        let Some(open) = rest.find('(') else {
            bail!("release {template:?} must end with a call, like {{v}}.Close()");
        };
        if !rest.ends_with(')') {
            bail!("release {template:?} must end with a call, like {{v}}.Close()");
        }
        let selector = &rest[..open];
        let args = &rest[open + 1..rest.len() - 1];
        let path: Vec<String> = if selector.is_empty() {
            Vec::new()
        } else {
            let Some(sel) = selector.strip_prefix('.') else {
                bail!("release {template:?}: expected `.Method(...)` after {{v}}");
            };
            sel.split('.').map(str::to_string).collect()
        };
        if path
            .iter()
            .any(|p| p.is_empty() || !p.chars().all(|c| c.is_alphanumeric() || c == '_'))
        {
            bail!("release {template:?}: bad selector");
        }
        Ok(Release {
            template: t.to_string(),
            path,
            args: args.to_string(),
        })
    }

    pub fn path(&self) -> &[String] {
        &self.path
    }

    pub fn needs_ctx(&self) -> bool {
        self.args.contains("{ctx}")
    }

    /// The release statement for variable `var` (and context expression `ctx`).
    pub fn render(&self, var: &str, ctx: Option<&str>) -> String {
        let mut s = self.template.replace("{v}", var);
        if let Some(ctx) = ctx {
            s = s.replace("{ctx}", ctx);
        }
        s
    }

    /// The method (last selector), or None for `{v}()`.
    pub fn method(&self) -> Option<&str> {
        self.path.last().map(String::as_str)
    }
}

#[derive(Clone, Debug)]
pub struct Resource {
    pub target: Target,
    pub result: usize,
    pub error: bool,
    pub release: Release,
    pub release_returns_error: bool,
    pub type_name: Option<TypeName>,
    pub shareable: bool,
    pub kind: Kind,
    pub doc: Option<String>,
    pub origin: Origin,
    /// Methods that release the value too (`GetAll` drains and stops an iterator).
    pub also_released_by: Vec<String>,
    /// Only a leak in modules whose `go` directive is older than this
    /// (tickers and timers are collected since Go 1.23).
    pub go_before: Option<(u32, u32)>,
}

#[derive(Clone, Debug)]
pub struct Ignore {
    pub target: Target,
    pub reason: String,
}

#[derive(Clone, Debug)]
pub struct Returns {
    pub target: Target,
    pub type_name: TypeName,
}

#[derive(Clone, Debug)]
pub struct Callback {
    pub target: Target,
}

/// A call that takes ownership of a value passed to it (`srv.Serve(lis)`
/// closes the listener when it returns).
#[derive(Clone, Debug)]
pub struct Consume {
    pub target: Target,
}

/// What could possibly match, computed once per catalog.
#[derive(Clone, Debug, Default)]
struct Quick {
    /// The first catalog (not learned) resource of each type.
    by_type: HashMap<TypeName, usize>,
    packages: std::collections::HashSet<String>,
    package_prefixes: Vec<String>,
    methods: std::collections::HashSet<String>,
    method_prefixes: Vec<String>,
    /// Resource and ignore entries that may match a function of a package:
    /// by exact package, and those with a package pattern (in catalog order,
    /// ignores first, as `best` expects).
    funcs_by_package: HashMap<String, Vec<Entry>>,
    func_patterns: Vec<Entry>,
    /// Likewise for methods: by exact method name, and name patterns.
    methods_by_name: HashMap<String, Vec<Entry>>,
    method_patterns: Vec<Entry>,
}

/// An index into the catalog's ignores or resources.
#[derive(Clone, Copy, Debug)]
enum Entry {
    Ignore(usize),
    Resource(usize),
}

impl Quick {
    fn build(c: &GoCatalog) -> Quick {
        let mut q = Quick::default();
        for (i, r) in c.resources.iter().enumerate() {
            if let Some(t) = &r.type_name
                && !matches!(r.origin, Origin::Learned(_))
            {
                q.by_type.entry(t.clone()).or_insert(i);
            }
        }
        let entries = (0..c.ignores.len())
            .map(|i| (&c.ignores[i].target, Entry::Ignore(i)))
            .chain((0..c.resources.len()).map(|i| (&c.resources[i].target, Entry::Resource(i))));
        for (t, e) in entries {
            match t {
                Target::Func { package, .. } if package.is_exact() => q
                    .funcs_by_package
                    .entry(package.as_str().to_string())
                    .or_default()
                    .push(e),
                Target::Func { .. } => q.func_patterns.push(e),
                Target::Method { names, .. } => {
                    if names.iter().all(NamePattern::is_exact) {
                        for n in names {
                            q.methods_by_name
                                .entry(n.as_str().to_string())
                                .or_default()
                                .push(e);
                        }
                    } else {
                        q.method_patterns.push(e);
                    }
                }
                Target::Var { .. } => {}
            }
        }
        let targets = c
            .resources
            .iter()
            .map(|r| &r.target)
            .chain(c.ignores.iter().map(|i| &i.target))
            .chain(c.returns.iter().map(|r| &r.target));
        for t in targets {
            match t {
                Target::Func { package, .. } | Target::Var { package, .. } => {
                    if package.is_exact() {
                        q.packages.insert(package.as_str().to_string());
                    } else {
                        q.package_prefixes
                            .push(package.literal_prefix().to_string());
                    }
                }
                Target::Method { names, .. } => {
                    for n in names {
                        if n.is_exact() {
                            q.methods.insert(n.as_str().to_string());
                        } else {
                            q.method_prefixes
                                .push(n.as_str().split('*').next().unwrap_or("").to_string());
                        }
                    }
                }
            }
        }
        q
    }

    fn package(&self, p: &str) -> bool {
        self.packages.contains(p)
            || self
                .package_prefixes
                .iter()
                .any(|pre| p.starts_with(pre.as_str()))
    }

    fn method(&self, m: &str) -> bool {
        self.methods.contains(m)
            || self
                .method_prefixes
                .iter()
                .any(|pre| m.starts_with(pre.as_str()))
    }
}

/// A call as the catalog sees it: a package function or a method.
#[derive(Clone, Copy, Debug)]
pub enum CallRef<'a> {
    Func {
        package: &'a str,
        name: &'a str,
    },
    Method {
        receiver: Option<&'a TypeName>,
        name: &'a str,
    },
}

impl CallRef<'_> {
    fn matches(&self, t: &Target) -> bool {
        match *self {
            CallRef::Func { package, name } => t.score_func(package, name).is_some(),
            CallRef::Method { receiver, name } => t.score_method(receiver, name).is_some(),
        }
    }
}

/// `"1.23"` -> (1, 23).
fn parse_go_version(v: &str) -> Option<(u32, u32)> {
    let mut it = v.trim().split('.');
    let major = it.next()?.parse().ok()?;
    let minor = it.next()?.parse().ok()?;
    Some((major, minor))
}

/// The answer to "what is this call?".
#[derive(Clone, Copy, Debug)]
pub enum Lookup<'a> {
    Resource(&'a Resource),
    Ignored(&'a Ignore),
    Unknown,
}

#[derive(Clone, Debug, Default)]
pub struct GoCatalog {
    /// A cheap first look that rules out most calls (`fmt.Sprintf`,
    /// `strings.Split`) before any entry is matched. Reset on every change.
    quick: std::sync::OnceLock<Quick>,
    resources: Vec<Resource>,
    ignores: Vec<Ignore>,
    returns: Vec<Returns>,
    callbacks: Vec<Callback>,
    consumes: Vec<Consume>,
    plains: Vec<Consume>,
}

// ---- the file format ----

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogFile {
    #[serde(default)]
    pub resource: Vec<ResourceEntry>,
    #[serde(default)]
    pub ignore: Vec<IgnoreEntry>,
    #[serde(default)]
    pub returns: Vec<ReturnsEntry>,
    #[serde(default)]
    pub callback: Vec<CallbackEntry>,
    #[serde(default)]
    pub consume: Vec<CallbackEntry>,
    #[serde(default)]
    pub plain: Vec<CallbackEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceEntry {
    pub package: Option<String>,
    #[serde(default)]
    pub functions: Vec<String>,
    pub receiver: Option<String>,
    #[serde(default)]
    pub methods: Vec<String>,
    #[serde(default)]
    pub result: usize,
    #[serde(default = "yes")]
    pub error: bool,
    pub release: String,
    #[serde(default = "yes")]
    pub release_returns_error: bool,
    #[serde(rename = "type")]
    pub type_name: Option<String>,
    #[serde(default)]
    pub shareable: bool,
    #[serde(default = "default_kind")]
    pub kind: Kind,
    pub doc: Option<String>,
    #[serde(default)]
    pub also_released_by: Vec<String>,
    pub go_before: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreEntry {
    pub package: Option<String>,
    #[serde(default)]
    pub functions: Vec<String>,
    pub receiver: Option<String>,
    #[serde(default)]
    pub methods: Vec<String>,
    pub reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnsEntry {
    pub package: Option<String>,
    #[serde(default)]
    pub functions: Vec<String>,
    pub receiver: Option<String>,
    #[serde(default)]
    pub methods: Vec<String>,
    #[serde(default)]
    pub vars: Vec<String>,
    #[serde(rename = "type")]
    pub type_name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallbackEntry {
    pub package: Option<String>,
    #[serde(default)]
    pub functions: Vec<String>,
    pub receiver: Option<String>,
    #[serde(default)]
    pub methods: Vec<String>,
}

fn yes() -> bool {
    true
}

fn default_kind() -> Kind {
    Kind::Resource
}

fn target(
    package: &Option<String>,
    functions: &[String],
    receiver: &Option<String>,
    methods: &[String],
    vars: &[String],
) -> Result<Target> {
    let names = |v: &[String]| v.iter().map(NamePattern::new).collect::<Vec<_>>();
    match (package, receiver) {
        (Some(p), None) if !functions.is_empty() && methods.is_empty() && vars.is_empty() => {
            Ok(Target::Func {
                package: PackagePattern::new(p),
                names: names(functions),
            })
        }
        (Some(p), None) if !vars.is_empty() && functions.is_empty() && methods.is_empty() => {
            Ok(Target::Var {
                package: PackagePattern::new(p),
                names: names(vars),
            })
        }
        (None, Some(r)) if !methods.is_empty() && functions.is_empty() => {
            let t = TypeName::parse(r)
                .with_context(|| format!("receiver {r:?} is not of the form import/path.Type"))?;
            Ok(Target::Method {
                receiver: Some((PackagePattern::new(&t.package), NamePattern::new(t.name))),
                names: names(methods),
            })
        }
        (None, None) if !methods.is_empty() && functions.is_empty() => Ok(Target::Method {
            receiver: None,
            names: names(methods),
        }),
        _ => bail!(
            "an entry needs `package` with `functions` (or `vars`), or `receiver` with `methods`; got package={package:?} functions={functions:?} receiver={receiver:?} methods={methods:?}"
        ),
    }
}

impl GoCatalog {
    /// The built-in catalog.
    pub fn built_in() -> Result<GoCatalog> {
        let file: CatalogFile = toml::from_str(BUILT_IN).context("built-in catalog/go.toml")?;
        let mut c = GoCatalog::default();
        c.extend(file, &Origin::BuiltIn)?;
        Ok(c)
    }

    /// Adds entries. Entries added earlier win ties, so user configuration is
    /// added before the built-in catalog: see `with_user_entries`.
    pub fn extend(&mut self, file: CatalogFile, origin: &Origin) -> Result<()> {
        self.quick = std::sync::OnceLock::new();
        for (i, r) in file.resource.into_iter().enumerate() {
            let ctx = || format!("[[resource]] #{}", i + 1);
            let t =
                target(&r.package, &r.functions, &r.receiver, &r.methods, &[]).with_context(ctx)?;
            let release = Release::parse(&r.release).with_context(ctx)?;
            let type_name = match &r.type_name {
                Some(s) => {
                    Some(TypeName::parse(s).with_context(|| format!("{}: bad type {s:?}", ctx()))?)
                }
                None => None,
            };
            let go_before = match &r.go_before {
                Some(v) => Some(
                    parse_go_version(v)
                        .with_context(|| format!("{}: bad go_before {v:?}", ctx()))?,
                ),
                None => None,
            };
            self.resources.push(Resource {
                target: t,
                result: r.result,
                error: r.error,
                release,
                release_returns_error: r.release_returns_error,
                type_name,
                shareable: r.shareable,
                kind: r.kind,
                doc: r.doc,
                origin: origin.clone(),
                also_released_by: r.also_released_by,
                go_before,
            });
        }
        for (i, e) in file.ignore.into_iter().enumerate() {
            let t = target(&e.package, &e.functions, &e.receiver, &e.methods, &[])
                .with_context(|| format!("[[ignore]] #{}", i + 1))?;
            self.ignores.push(Ignore {
                target: t,
                reason: e.reason,
            });
        }
        for (i, e) in file.returns.into_iter().enumerate() {
            let ctx = || format!("[[returns]] #{}", i + 1);
            let t = target(&e.package, &e.functions, &e.receiver, &e.methods, &e.vars)
                .with_context(ctx)?;
            let type_name =
                TypeName::parse(&e.type_name).with_context(|| format!("{}: bad type", ctx()))?;
            self.returns.push(Returns {
                target: t,
                type_name,
            });
        }
        for (i, e) in file.callback.into_iter().enumerate() {
            let t = target(&e.package, &e.functions, &e.receiver, &e.methods, &[])
                .with_context(|| format!("[[callback]] #{}", i + 1))?;
            self.callbacks.push(Callback { target: t });
        }
        for (i, e) in file.consume.into_iter().enumerate() {
            let t = target(&e.package, &e.functions, &e.receiver, &e.methods, &[])
                .with_context(|| format!("[[consume]] #{}", i + 1))?;
            self.consumes.push(Consume { target: t });
        }
        for (i, e) in file.plain.into_iter().enumerate() {
            let t = target(&e.package, &e.functions, &e.receiver, &e.methods, &[])
                .with_context(|| format!("[[plain]] #{}", i + 1))?;
            self.plains.push(Consume { target: t });
        }
        Ok(())
    }

    /// A catalog where `first` (user or learned entries) wins ties over `self`.
    pub fn layered(first: GoCatalog, then: &GoCatalog) -> GoCatalog {
        let mut c = first;
        c.quick = std::sync::OnceLock::new();
        c.resources.extend(then.resources.iter().cloned());
        c.ignores.extend(then.ignores.iter().cloned());
        c.returns.extend(then.returns.iter().cloned());
        c.callbacks.extend(then.callbacks.iter().cloned());
        c.consumes.extend(then.consumes.iter().cloned());
        c.plains.extend(then.plains.iter().cloned());
        c
    }

    pub fn push_resource(&mut self, r: Resource) {
        self.quick = std::sync::OnceLock::new();
        self.resources.push(r);
    }

    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }

    /// A catalog resource of type `t` (how values of it are released).
    pub fn resource_of_type(&self, t: &TypeName) -> Option<&Resource> {
        self.quick().by_type.get(t).map(|&i| &self.resources[i])
    }

    fn quick(&self) -> &Quick {
        self.quick.get_or_init(|| Quick::build(self))
    }

    /// Could any entry be about a function of this package?
    pub fn might_have_func(&self, package: &str) -> bool {
        self.quick().package(package)
    }

    /// Could any entry be about a method of this name?
    pub fn might_have_method(&self, name: &str) -> bool {
        self.quick().method(name)
    }

    /// A package-level function call `package.name(...)`.
    pub fn lookup_func(&self, package: &str, name: &str) -> Lookup<'_> {
        if !self.might_have_func(package) {
            return Lookup::Unknown;
        }
        let q = self.quick();
        let exact = q
            .funcs_by_package
            .get(package)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        self.best_of(exact, &q.func_patterns, |t| t.score_func(package, name))
    }

    /// A method call on a value of type `receiver` (None: type unknown, only
    /// receiver-less entries can match).
    pub fn lookup_method(&self, receiver: Option<&TypeName>, name: &str) -> Lookup<'_> {
        if !self.might_have_method(name) {
            return Lookup::Unknown;
        }
        let q = self.quick();
        let exact = q
            .methods_by_name
            .get(name)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        self.best_of(exact, &q.method_patterns, |t| {
            t.score_method(receiver, name)
        })
    }

    /// `best` over the candidate entries only; `a` and `b` are each in
    /// catalog order with ignores first, and a merge keeps that order.
    fn best_of(
        &self,
        a: &[Entry],
        b: &[Entry],
        score: impl Fn(&Target) -> Option<u8>,
    ) -> Lookup<'_> {
        let key = |e: &Entry| match *e {
            Entry::Ignore(i) => (0, i),
            Entry::Resource(i) => (1, i),
        };
        let mut all: Vec<Entry> = a.iter().chain(b).copied().collect();
        all.sort_by_key(key);
        let mut best: Option<(u8, Lookup)> = None;
        for e in all {
            let (t, l) = match e {
                Entry::Ignore(i) => (&self.ignores[i].target, Lookup::Ignored(&self.ignores[i])),
                Entry::Resource(i) => (
                    &self.resources[i].target,
                    Lookup::Resource(&self.resources[i]),
                ),
            };
            if let Some(s) = score(t)
                && best.as_ref().is_none_or(|(b, _)| s > *b)
            {
                best = Some((s, l));
            }
        }
        best.map(|(_, l)| l).unwrap_or(Lookup::Unknown)
    }

    /// The type a function returns, when known (for resources, their type).
    pub fn func_type(&self, package: &str, name: &str) -> Option<TypeName> {
        if !self.might_have_func(package) {
            return None;
        }
        if let Lookup::Resource(r) = self.lookup_func(package, name)
            && let Some(t) = &r.type_name
        {
            return Some(t.clone());
        }
        self.best_returns(|t| t.score_func(package, name))
    }

    pub fn method_type(&self, receiver: &TypeName, name: &str) -> Option<TypeName> {
        if !self.might_have_method(name) {
            return None;
        }
        if let Lookup::Resource(r) = self.lookup_method(Some(receiver), name)
            && let Some(t) = &r.type_name
        {
            return Some(t.clone());
        }
        self.best_returns(|t| t.score_method(Some(receiver), name).filter(|s| *s >= 2))
    }

    pub fn var_type(&self, package: &str, name: &str) -> Option<TypeName> {
        if !self.might_have_func(package) {
            return None;
        }
        self.best_returns(|t| t.score_var(package, name))
    }

    fn best_returns(&self, score: impl Fn(&Target) -> Option<u8>) -> Option<TypeName> {
        let mut best: Option<(u8, &TypeName)> = None;
        for r in &self.returns {
            if let Some(s) = score(&r.target)
                && best.is_none_or(|(b, _)| s > b)
            {
                best = Some((s, &r.type_name));
            }
        }
        best.map(|(_, t)| t.clone())
    }

    /// Does this call run its func-literal argument before returning?
    pub fn is_sync_callback(&self, call: CallRef<'_>) -> bool {
        self.callbacks.iter().any(|c| call.matches(&c.target))
    }

    /// Are this call's results plain data, whatever it is passed
    /// (`io.ReadAll`, `strings.ToUpper`, `strconv.Itoa`)?
    pub fn has_plain_results(&self, call: CallRef<'_>) -> bool {
        self.plains.iter().any(|c| call.matches(&c.target))
    }

    /// Does this call take ownership of (and so release) what it is passed?
    pub fn is_consumer(&self, call: CallRef<'_>) -> bool {
        self.consumes.iter().any(|c| call.matches(&c.target))
    }

    /// Literals one of which a file's text must contain for a resource of
    /// this catalog to be created there: `.Open(` for `os.Open` (whatever the
    /// package is imported as), `.Query(` for methods, the import path for
    /// patterns like `cloud.google.com/go/...` `New*Client`.
    pub fn call_literals(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .resources
            .iter()
            .flat_map(|r| r.target.call_literals())
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(src: &str) -> GoCatalog {
        let mut c = GoCatalog::default();
        c.extend(toml::from_str(src).unwrap(), &Origin::BuiltIn)
            .unwrap();
        c
    }

    #[test]
    fn built_in_catalog_loads() {
        GoCatalog::built_in().unwrap();
    }

    #[test]
    fn release_templates() {
        let r = Release::parse("{v}.Body.Close()").unwrap();
        assert_eq!(r.path(), ["Body", "Close"]);
        assert_eq!(r.render("resp", None), "resp.Body.Close()");
        let c = Release::parse("{v}()").unwrap();
        assert!(c.path().is_empty());
        assert_eq!(c.render("cancel", None), "cancel()");
        let d = Release::parse("{v}.Disconnect({ctx})").unwrap();
        assert!(d.needs_ctx());
        assert_eq!(d.render("client", Some("ctx")), "client.Disconnect(ctx)");
        assert!(Release::parse("Close()").is_err());
        assert!(Release::parse("{v}.Close").is_err());
    }

    #[test]
    fn the_most_specific_entry_wins() {
        let c = catalog(
            r#"
            [[resource]]
            package = "cloud.google.com/go/..."
            functions = ["New*Client"]
            release = "{v}.Close()"
            [[resource]]
            package = "cloud.google.com/go/pubsublite/pscompat"
            functions = ["NewPublisherClient"]
            release = "{v}.Stop()"
            [[ignore]]
            package = "cloud.google.com/go/compute/metadata"
            functions = ["NewClient"]
            reason = "no Close"
            "#,
        );
        let release = |p, f| match c.lookup_func(p, f) {
            Lookup::Resource(r) => Some(r.release.render("x", None)),
            _ => None,
        };
        assert_eq!(
            release("cloud.google.com/go/storage", "NewClient").as_deref(),
            Some("x.Close()")
        );
        assert_eq!(
            release(
                "cloud.google.com/go/pubsublite/pscompat",
                "NewPublisherClient"
            )
            .as_deref(),
            Some("x.Stop()")
        );
        assert!(matches!(
            c.lookup_func("cloud.google.com/go/compute/metadata", "NewClient"),
            Lookup::Ignored(_)
        ));
        assert!(matches!(
            c.lookup_func("example.com/x", "NewClient"),
            Lookup::Unknown
        ));
    }

    #[test]
    fn methods_need_a_matching_receiver() {
        let c = catalog(
            r#"
            [[resource]]
            receiver = "database/sql.DB"
            methods = ["Query", "QueryContext"]
            release = "{v}.Close()"
            "#,
        );
        let db = TypeName::new("database/sql", "DB");
        assert!(matches!(
            c.lookup_method(Some(&db), "Query"),
            Lookup::Resource(_)
        ));
        assert!(matches!(c.lookup_method(None, "Query"), Lookup::Unknown));
        assert!(matches!(
            c.lookup_method(Some(&TypeName::new("x", "DB")), "Query"),
            Lookup::Unknown
        ));
    }

    #[test]
    fn type_names_parse() {
        assert_eq!(
            TypeName::parse("*cloud.google.com/go/storage.Client"),
            Some(TypeName::new("cloud.google.com/go/storage", "Client"))
        );
        assert_eq!(
            TypeName::parse("database/sql.DB"),
            Some(TypeName::new("database/sql", "DB"))
        );
        assert_eq!(
            TypeName::parse("gopkg.in/yaml.v3.Node"),
            Some(TypeName::new("gopkg.in/yaml.v3", "Node"))
        );
        assert_eq!(TypeName::parse("Client"), None);
    }
}
