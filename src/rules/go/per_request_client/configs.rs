//! Clients built without a catalog constructor: HTTP transports and clients
//! written as literals (each `&http.Transport{...}` keeps its own pool of
//! idle connections), and AWS sessions and configs, which need no release
//! but resolve credentials and build an HTTP client each time.

use std::sync::LazyLock;

use super::*;
use crate::catalog::Kind;
use crate::catalog::Origin as CatalogOrigin;
use crate::catalog::go::Release;
use crate::catalog::pattern::{NamePattern, PackagePattern};

/// The method name of a release that does not exist: resources that need
/// none (AWS sessions and configs) carry it, so that no release is written.
const NO_RELEASE: &str = "LeakfixNoRelease";

/// Is `r` a resource that needs no release?
pub(super) fn needs_no_release(r: &Resource) -> bool {
    r.release.path() == [NO_RELEASE.to_string()]
}

/// The release of resources that need none.
pub(super) fn no_release() -> Release {
    Release::parse(&format!("{{v}}.{NO_RELEASE}()")).expect("valid release")
}

/// Types held by value (a struct), not behind a pointer.
pub(super) const VALUE_TYPES: [&str; 1] = ["github.com/aws/aws-sdk-go-v2/aws.Config"];

fn resource(
    package: &str,
    names: &[&str],
    ty: &str,
    error: bool,
    release: &str,
    doc: &str,
) -> Resource {
    Resource {
        target: Target::Func {
            package: PackagePattern::new(package),
            names: names.iter().map(|n| NamePattern::new(*n)).collect(),
        },
        result: 0,
        error,
        release: Release::parse(release).expect("valid release"),
        release_returns_error: false,
        type_name: TypeName::parse(ty),
        shareable: true,
        kind: Kind::Client,
        doc: Some(doc.into()),
        origin: CatalogOrigin::BuiltIn,
        also_released_by: Vec::new(),
        go_before: None,
    }
}

static HTTP_TRANSPORT: LazyLock<Resource> = LazyLock::new(|| {
    resource(
        "net/http",
        &["Transport"],
        "net/http.Transport",
        false,
        "{v}.CloseIdleConnections()",
        "each Transport keeps its own pool of idle connections",
    )
});

static HTTP_CLIENT: LazyLock<Resource> = LazyLock::new(|| {
    resource(
        "net/http",
        &["Client"],
        "net/http.Client",
        false,
        "{v}.CloseIdleConnections()",
        "a client with a Transport of its own keeps its own pool of idle connections",
    )
});

const AWS_SESSION: &str = "github.com/aws/aws-sdk-go/aws/session";
const AWS_CONFIG: &str = "github.com/aws/aws-sdk-go-v2/config";

static AWS_NEW_SESSION: LazyLock<Resource> = LazyLock::new(|| {
    resource(
        AWS_SESSION,
        &["NewSession", "NewSessionWithOptions"],
        "github.com/aws/aws-sdk-go/aws/session.Session",
        true,
        &format!("{{v}}.{NO_RELEASE}()"),
        "a session resolves credentials and the region each time it is built",
    )
});

static AWS_MUST_SESSION: LazyLock<Resource> = LazyLock::new(|| {
    resource(
        AWS_SESSION,
        &["Must"],
        "github.com/aws/aws-sdk-go/aws/session.Session",
        false,
        &format!("{{v}}.{NO_RELEASE}()"),
        "a session resolves credentials and the region each time it is built",
    )
});

static AWS_LOAD_CONFIG: LazyLock<Resource> = LazyLock::new(|| {
    resource(
        AWS_CONFIG,
        &["LoadDefaultConfig"],
        "github.com/aws/aws-sdk-go-v2/aws.Config",
        true,
        &format!("{{v}}.{NO_RELEASE}()"),
        "loading the config reads files and resolves credentials each time",
    )
});

/// An AWS session or config built by `call` (`session.NewSession(...)`,
/// `session.Must(session.NewSession(...))`, `config.LoadDefaultConfig(ctx)`).
pub(super) fn aws_constructor(
    call: Node,
    env: &TypeEnv,
) -> Option<(&'static Resource, Option<TypeName>)> {
    let src = env.file.text();
    let (operand, field) = crate::lang::go::selector_call(call)?;
    let path = env.package_of(operand)?;
    let r: &'static Resource = match (path, text(field, src)) {
        (AWS_SESSION, "NewSession" | "NewSessionWithOptions") => &AWS_NEW_SESSION,
        (AWS_SESSION, "Must") => {
            let inner = call_args(call);
            let [inner] = inner.as_slice() else {
                return None;
            };
            let (o, f) = crate::lang::go::selector_call(*inner)?;
            if env.package_of(o) != Some(AWS_SESSION)
                || !matches!(text(f, src), "NewSession" | "NewSessionWithOptions")
            {
                return None;
            }
            &AWS_MUST_SESSION
        }
        (AWS_CONFIG, "LoadDefaultConfig") => &AWS_LOAD_CONFIG,
        _ => return None,
    };
    Some((r, r.type_name.clone()))
}

/// `&http.Transport{...}`, or `&http.Client{...}` whose `Transport` is one
/// built right there (a literal, or a local holding one): a connection
/// pool of its own. A client on the default transport (`&http.Client{Timeout:
/// t}`) shares the process's pool already and is not one.
pub(super) fn http_literal(lit: Node, env: &TypeEnv) -> Option<(&'static Resource, TypeName)> {
    let name = http_literal_type(lit, env)?;
    match name {
        "Transport" => Some((&HTTP_TRANSPORT, TypeName::new("net/http", "Transport"))),
        "Client" => {
            let src = env.file.text();
            let body = lit
                .child_by_field_name("operand")?
                .child_by_field_name("body")?;
            let mut c = body.walk();
            let transport = body.named_children(&mut c).find_map(|el| {
                if el.kind() != "keyed_element" {
                    return None;
                }
                let key = el.named_child(0)?;
                (text(key, src) == "Transport").then(|| el.named_child(1))?
            })?;
            let mut value = transport.named_child(0).unwrap_or(transport);
            if value.kind() == "literal_element" {
                value = value.named_child(0)?;
            }
            // A local holding the transport: its one definition.
            if value.kind() == "identifier"
                && let Binding::Local { decl, scope } = bind(value, src)
                && local_uses(text(value, src), decl, scope, src)
                    .other_writes
                    .is_empty()
            {
                value = definition(decl, text(value, src), src)?;
            }
            (http_literal_type(value, env) == Some("Transport"))
                .then(|| (&*HTTP_CLIENT, TypeName::new("net/http", "Client")))
        }
        _ => None,
    }
}

/// `Client` or `Transport` for `&http.Client{...}` / `&http.Transport{...}`.
fn http_literal_type<'s>(n: Node, env: &TypeEnv<'s>) -> Option<&'s str> {
    if n.kind() != "unary_expression" || !env.file.text()[n.byte_range()].starts_with('&') {
        return None;
    }
    let lit = n.child_by_field_name("operand")?;
    if lit.kind() != "composite_literal" {
        return None;
    }
    let ty = lit.child_by_field_name("type")?;
    if ty.kind() != "qualified_type" {
        return None;
    }
    let src = env.file.text();
    let pkg = ty.child_by_field_name("package")?;
    let name = ty.child_by_field_name("name")?;
    if env.file.imports.resolve(text(pkg, src)) != Some("net/http") {
        return None;
    }
    match text(name, src) {
        "Client" => Some("Client"),
        "Transport" => Some("Transport"),
        _ => None,
    }
}
