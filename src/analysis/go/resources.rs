//! Which values must be released, and how. A call creates a resource when
//! the catalog says so, or when the program can read the callee and its
//! result is a fresh value (summaries) of a type with a release method
//! (read from the type's source: `Close()`, `Close(ctx)`, `Stop()`). Each
//! answer says what it rests on, for the finding's notes.

use tree_sitter::Node;

use super::GoType;
use super::summaries::{self, ResultFate};
use super::types::TypeEnv;
use crate::catalog::go::{Lookup, Release, Resource, Target, TypeName};
use crate::catalog::pattern::{NamePattern, PackagePattern};
use crate::catalog::{Kind, Origin};
use crate::lang::text;

/// How a type is released, and why leakfix thinks so.
#[derive(Clone, Debug)]
pub struct TypeRelease {
    pub release: Release,
    pub returns_error: bool,
    /// Where the knowledge comes from, for notes ("the catalog", "the
    /// source of example.com/x.Client").
    pub basis: String,
}

/// Standard-library types with a `Close` method that are views of another
/// value, never resources: `reflect.Value.Close` closes the channel the
/// Value refers to (and panics on anything else).
const VIEWS: [(&str, &str); 1] = [("reflect", "Value")];

/// The release of values of type `t`: the catalog's, else its `Close` or
/// `Stop` method as declared in its source (interfaces included).
pub fn release_of_type(env: &TypeEnv, t: &TypeName) -> Option<TypeRelease> {
    if VIEWS.iter().any(|(p, n)| t.package == *p && t.name == *n) {
        return None;
    }
    if let Some(r) = env.catalog.resource_of_type(t) {
        return Some(TypeRelease {
            release: r.release.clone(),
            returns_error: r.release_returns_error,
            basis: "the catalog".into(),
        });
    }
    let program = &env.pkg.program;
    for name in ["Close", "Stop"] {
        let Some(m) = program.method(t, name) else {
            continue;
        };
        let template = match m.sig.params.as_slice() {
            [] => format!("{{v}}.{name}()"),
            [p] if is_context(&p.ty) && name == "Close" => format!("{{v}}.{name}({{ctx}})"),
            _ => continue,
        };
        // Release methods return nothing, an error, or (Stop) whether it stopped.
        let ok = match m.sig.results.as_slice() {
            [] => true,
            [_] if m.sig.returns_error() => true,
            [r] => name == "Stop" && r.ty == GoType::Plain,
            _ => false,
        };
        if !ok {
            continue;
        }
        return Some(TypeRelease {
            release: Release::parse(&template).expect("valid template"),
            returns_error: m.sig.returns_error(),
            basis: format!("the source of `{}`", short(&m.owner)),
        });
    }
    None
}

/// The source of `t` is readable and it has no release method: values of
/// it need none (`*http.Client`, SDK clients over HTTP).
pub fn needs_no_release(env: &TypeEnv, t: &TypeName) -> bool {
    env.pkg.program.type_decl(t).is_some() && release_of_type(env, t).is_none()
}

fn is_context(t: &GoType) -> bool {
    matches!(t, GoType::Named(n) if n.package == "context" && n.name == "Context")
}

fn short(t: &TypeName) -> String {
    let pkg = t.package.rsplit('/').next().unwrap_or(&t.package);
    format!("{pkg}.{}", t.name)
}

/// A call that creates a value its caller must release.
#[derive(Clone, Debug)]
pub struct Acquisition {
    pub resource: Resource,
    /// What the decision rests on.
    pub basis: String,
}

/// Names of interface methods that hand out a shared value rather than
/// make one (no body to read: judged by name).
fn looks_like_getter(name: &str) -> bool {
    name.starts_with("Get")
        || name.starts_with("Current")
        || name.starts_with("Default")
        || name.starts_with("Shared")
        || ["Client", "Conn", "DB", "Pool", "Session"]
            .iter()
            .any(|s| name.ends_with(s))
}

/// Names of functions and methods that make a new value by convention
/// (`NewReader`, `newParser`, `Open`, `OpenFile`, `Dial`, `Connect`,
/// `CreateSession`): a verb at the start, then the end of the name or an
/// upper-case letter.
fn looks_like_factory(name: &str) -> bool {
    [
        "New", "new", "Open", "open", "Dial", "dial", "Connect", "connect", "Create", "create",
    ]
    .iter()
    .any(|verb| {
        name.strip_prefix(verb)
            .is_some_and(|rest| rest.chars().next().is_none_or(|c| c.is_ascii_uppercase()))
    })
}

/// An interface method with an empty-interface result whose name says it
/// hands out a new value (`DispensePlugin`, `NewInstance`, `Acquire`): what
/// it returns is the caller's once asserted to a type with a release.
fn looks_like_dispenser(name: &str) -> bool {
    looks_like_factory(name)
        || [
            "Dispense", "Acquire", "Make", "Build", "Spawn", "Launch", "Start",
        ]
        .iter()
        .any(|verb| name.starts_with(verb))
}

/// Does `call` create a resource? The catalog answers first; for calls it
/// does not know, the callee's declaration and summary do.
pub fn acquisition(env: &TypeEnv, call: Node) -> Option<Acquisition> {
    let src = env.file.text();
    let f = call.child_by_field_name("function")?;
    let (lookup, recv) = match f.kind() {
        "selector_expression" => {
            let operand = f.child_by_field_name("operand")?;
            let name = text(f.child_by_field_name("field")?, src);
            match env.package_of(operand) {
                Some(path) => (env.catalog.lookup_func(path, name), None),
                None => {
                    let recv = env.type_of(operand);
                    (env.catalog.lookup_method(recv.as_ref(), name), recv)
                }
            }
        }
        "identifier" => {
            let name = text(f, src);
            if env.is_local(name) {
                return None;
            }
            (env.catalog.lookup_func(&env.pkg.import_path, name), None)
        }
        _ => return None,
    };
    let debug = |why: &str| {
        if std::env::var_os("LEAKFIX_DEBUG_OWNERSHIP").is_some() {
            eprintln!(
                "acquisition: {}:{}: `{}`: {why}",
                env.file.parsed.path.display(),
                call.start_position().row + 1,
                text(f, src),
            );
        }
    };
    match lookup {
        Lookup::Ignored(_) => {
            debug("the catalog ignores it");
            return None;
        }
        Lookup::Resource(r) if !matches!(r.origin, Origin::Learned(_)) => {
            return Some(Acquisition {
                resource: r.clone(),
                basis: "the catalog".into(),
            });
        }
        _ => {}
    }
    // The callee's declared results: the first one of a releasable type.
    let Some(results) = env.call_results(call) else {
        debug("its declaration was not found");
        return None;
    };
    let error = results.len() >= 2 && callee_returns_error(env, call);
    for (j, t) in results.iter().enumerate() {
        let GoType::Named(tn) = t else { continue };
        let Some(rel) = release_of_type(env, tn) else {
            continue;
        };
        let fate = summaries::result_fate(env, call, j);
        if fate == ResultFate::Fresh && wraps_borrowed_argument(env, call, tn) {
            return None;
        }
        let basis = match fate {
            ResultFate::Fresh if !is_interface_method(env, recv.as_ref(), f, src) => format!(
                "`{}` returns a new value (its body was read) and {} names its release",
                text(f, src),
                rel.basis
            ),
            ResultFate::Fresh if is_interface_method(env, recv.as_ref(), f, src) => format!(
                "`{}` is an interface method returning `{}`, whose release {} names",
                text(f, src),
                short(tn),
                rel.basis
            ),
            // Nothing shows whether the value is new (a body calling a func
            // value, library code too deep to read, no source on disk): a
            // constructor by its name, of a type with a release. The
            // ownership analysis still decides whether it stays here.
            // Not for interface methods (judged by `interface_result_fate`:
            // an implementation may keep what it hands out), nor for values
            // released by calling them (a cancel func built in a closure).
            ResultFate::Unknown
                if looks_like_factory(callee_name(f, src))
                    && rel.release.method().is_some()
                    && !is_interface_method(env, recv.as_ref(), f, src) =>
            {
                format!(
                    "`{}` is named like a constructor and {} names a release of `{}` (its body does not show whether the value is new)",
                    text(f, src),
                    rel.basis,
                    short(tn)
                )
            }
            other => {
                if std::env::var_os("LEAKFIX_DEBUG_OWNERSHIP").is_some() {
                    eprintln!(
                        "acquisition: {}:{}: `{}` result {j} ({}) is {other:?}, not a new value",
                        env.file.parsed.path.display(),
                        call.start_position().row + 1,
                        text(f, src),
                        short(tn)
                    );
                }
                return None;
            }
        };
        let kind = env
            .catalog
            .resource_of_type(tn)
            .map(|r| r.kind)
            .unwrap_or(Kind::Resource);
        return Some(Acquisition {
            resource: Resource {
                target: Target::Func {
                    package: PackagePattern::new(&env.pkg.import_path),
                    names: vec![NamePattern::new(text(f, src))],
                },
                result: j,
                error,
                release: rel.release,
                release_returns_error: rel.returns_error,
                type_name: Some(tn.clone()),
                shareable: false,
                kind,
                doc: None,
                origin: Origin::Learned(basis.clone()),
                also_released_by: Vec::new(),
                go_before: None,
            },
            basis,
        });
    }
    debug(&format!("no result has a known release: {results:?}"));
    None
}

/// `nw := nonwriter.New(w)` with `w` a parameter of the calling function:
/// the result holds the argument and its release is promoted from an
/// embedded field (`Writer{dns.ResponseWriter}`), so releasing it releases
/// the argument, which the caller was lent, not given.
fn wraps_borrowed_argument(env: &TypeEnv, call: Node, tn: &TypeName) -> bool {
    let program = &env.pkg.program;
    let promoted = ["Close", "Stop"]
        .iter()
        .find_map(|m| program.method(tn, m))
        .is_some_and(|m| m.owner != *tn)
        && program.struct_fields(tn).is_some();
    if !promoted {
        return false;
    }
    let (Some(cs), Some(args), Some(func)) = (
        summaries::of_call(env, call),
        call.child_by_field_name("arguments"),
        crate::lang::go::enclosing_function(call),
    ) else {
        return false;
    };
    let src = env.file.text();
    let mut c = args.walk();
    args.named_children(&mut c).enumerate().any(|(i, a)| {
        cs.arg(i) == Some(summaries::ParamFate::IntoResult)
            && a.kind() == "identifier"
            && matches!(
                super::scope::resolve(func, text(a, src), a, src),
                super::scope::Resolution::Param
            )
    })
}

/// The `index`-th result of an interface method call: fresh when it has a
/// release method and the method's name is not a getter's (`ReaderAt`,
/// `Writer`, `Open` make values; `Client`, `GetConn` hand out shared ones).
/// No body can be read: this rests on the name.
pub fn interface_result_fate(env: &TypeEnv, call: Node, index: usize) -> ResultFate {
    let src = env.file.text();
    let Some(f) = call.child_by_field_name("function") else {
        return ResultFate::Unknown;
    };
    let (Some(operand), Some(name)) = (
        f.child_by_field_name("operand"),
        f.child_by_field_name("field").map(|n| text(n, src)),
    ) else {
        return ResultFate::Unknown;
    };
    if env.package_of(operand).is_some() || looks_like_getter(name) {
        return ResultFate::Unknown;
    }
    let Some(recv) = env.type_of(operand) else {
        return ResultFate::Unknown;
    };
    let Some(m) = env
        .pkg
        .program
        .method(&recv, name)
        .filter(|m| m.decl.is_none())
    else {
        return ResultFate::Unknown;
    };
    match m.sig.results.get(index).map(|r| &r.ty) {
        Some(GoType::Named(t)) if release_of_type(env, t).is_some() => ResultFate::Fresh,
        // `any`: fresh for a dispenser, to be asserted to its real type.
        Some(GoType::Other) if looks_like_dispenser(name) => ResultFate::Fresh,
        _ => ResultFate::Unknown,
    }
}

/// The name a call's function is called by (`F`, `x.M`'s `M`).
fn callee_name<'s>(f: Node, src: &'s str) -> &'s str {
    match f.kind() {
        "selector_expression" => f
            .child_by_field_name("field")
            .map(|n| text(n, src))
            .unwrap_or(""),
        "identifier" => text(f, src),
        _ => "",
    }
}

/// The callee's last result is an error.
fn callee_returns_error(env: &TypeEnv, call: Node) -> bool {
    let src = env.file.text();
    let Some(f) = call.child_by_field_name("function") else {
        return false;
    };
    if let Some(yes) = local_returns_error(env, f) {
        return yes;
    }
    let program = &env.pkg.program;
    match f.kind() {
        "identifier" => {
            let name = text(f, src);
            program
                .func(&env.pkg.import_path, name)
                .is_some_and(|(_, d)| d.sig.returns_error())
        }
        "selector_expression" => {
            let (Some(operand), Some(field)) = (
                f.child_by_field_name("operand"),
                f.child_by_field_name("field"),
            ) else {
                return false;
            };
            let name = text(field, src);
            match env.package_of(operand) {
                Some(path) => program
                    .func(path, name)
                    .is_some_and(|(_, d)| d.sig.returns_error()),
                None => env
                    .type_of(operand)
                    .and_then(|t| program.method(&t, name))
                    .is_some_and(|m| m.sig.returns_error()),
            }
        }
        _ => false,
    }
}

/// Whether a function or method declared in the unit's own files (`F`,
/// `x.M` with `x` of a type of this package) ends its results with an
/// error; None when it is not one of them. Outside a module the program
/// cannot find the unit's own declarations by import path.
fn local_returns_error(env: &TypeEnv, f: Node) -> Option<bool> {
    let src = env.file.text();
    if env.pkg.partial {
        return None;
    }
    let key = match f.kind() {
        "identifier" if !env.is_local(text(f, src)) => text(f, src).to_string(),
        "selector_expression" => {
            let operand = f.child_by_field_name("operand")?;
            if env.package_of(operand).is_some() {
                return None;
            }
            let recv = env.type_of(operand)?;
            if recv.package != env.pkg.import_path {
                return None;
            }
            format!(
                "{}.{}",
                recv.name,
                text(f.child_by_field_name("field")?, src)
            )
        }
        _ => return None,
    };
    let (fi, range) = env.pkg.decl_index().get(&key)?.clone();
    let file = &env.pkg.files[fi];
    let fsrc = file.text();
    let decl = file
        .root()
        .descendant_for_byte_range(range.start, range.end)?;
    let decl =
        std::iter::successors(Some(decl), |n| n.parent()).find(|n| n.byte_range() == range)?;
    let result = decl.child_by_field_name("result")?;
    let last = if result.kind() == "parameter_list" {
        let mut c = result.walk();
        let last = result.named_children(&mut c).last()?;
        last.child_by_field_name("type")?
    } else {
        result
    };
    Some(text(last, fsrc) == "error")
}

fn is_interface_method(env: &TypeEnv, recv: Option<&TypeName>, f: Node, src: &str) -> bool {
    let Some(recv) = recv else { return false };
    let Some(name) = f.child_by_field_name("field").map(|n| text(n, src)) else {
        return false;
    };
    env.pkg
        .program
        .method(recv, name)
        .is_some_and(|m| m.decl.is_none())
}

/// The catalog's shareable resource whose values have type `t`: an entry
/// naming the type, or the constructor the type's package names after it by
/// convention (`New<T>`: `cloud.google.com/go/storage.Client` from the
/// catalog's `New*Client` pattern). None when values of `t` are not meant to
/// be built once and shared.
pub fn shareable_type<'c>(
    catalog: &'c crate::catalog::go::GoCatalog,
    t: &TypeName,
) -> Option<&'c Resource> {
    if let Some(r) = catalog.resource_of_type(t) {
        return r.shareable.then_some(r);
    }
    match catalog.lookup_func(&t.package, &format!("New{}", t.name)) {
        Lookup::Resource(r)
            if r.shareable
                && matches!(r.target, Target::Func { .. })
                && r.type_name.as_ref().is_none_or(|n| n == t) =>
        {
            Some(r)
        }
        _ => None,
    }
}
