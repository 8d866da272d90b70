//! Finding the constructions of shareable clients: every call the catalog
//! (or the program) says builds a client meant to be built once.

use super::*;
use crate::analysis::go::GoType;
use crate::analysis::go::resources::shareable_type;
use crate::analysis::go::summaries::{self, ResultFate};
use crate::analysis::go::wrappers;
use crate::catalog::Origin as CatalogOrigin;
use crate::catalog::pattern::{NamePattern, PackagePattern};

impl<'a> Planner<'a> {
    /// Every construction of a shareable resource inside a function.
    pub(super) fn collect(&self) -> Vec<Site<'a>> {
        let mut sites = Vec::new();
        let query = embedded_query!(Language::Go, "go/per_request_client.scm");
        for &fi in &self.order {
            let file = self.file(fi);
            if file.generated {
                continue;
            }
            let src = file.text();
            let mut envs: HashMap<usize, TypeEnv<'a>> = HashMap::new();
            // Only the statements around the prefilter's hits can create a resource.
            for (assign, call) in file.acquisitions_and_returns(query) {
                let Some(func) = enclosing_function(assign) else {
                    continue;
                };
                let literal = call.kind() == "unary_expression";
                if !literal
                    && !crate::analysis::go::calls::may_be_resource(
                        call,
                        file,
                        self.pkg,
                        self.cx.go_catalog,
                    )
                    && !self.may_be_config(call, src)
                {
                    // A factory or a wrapper's constructor: its callee is
                    // read, so only where it would matter.
                    if !self.may_be_factory(call, src) || !self.repeats(fi, assign, func, src) {
                        continue;
                    }
                }
                let env = envs.entry(func.id()).or_insert_with(|| {
                    TypeEnv::for_function(self.pkg, file, self.cx.go_catalog, func)
                });
                let found = if literal {
                    configs::http_literal(call, env).map(|(r, t)| (Cow::Borrowed(r), Some(t)))
                } else {
                    self.shareable_callee(call, env)
                };
                let Some((resource, ty)) = found else {
                    continue;
                };
                // A silenced construction is left out of the shared accessor
                // too. Asked only now, so that the marker counts as used only
                // over a shareable client (`unused-ignore`).
                let line = file.parsed.source.line_index(call.start_byte());
                if file.parsed.suppressions.is_suppressed(ID, line) {
                    continue;
                }
                let callee = match call.child_by_field_name("function") {
                    Some(f) => text(f, src).to_string(),
                    // `&http.Transport{...}`
                    None => format!(
                        "{}{{...}}",
                        first_line(text(call, src)).split('{').next().unwrap_or("")
                    ),
                };
                if assign.kind() == "return_statement" {
                    if resource.result != 0 {
                        continue;
                    }
                    sites.push(Site {
                        fi,
                        call,
                        stmt: assign,
                        func,
                        var: call,
                        err: None,
                        resource,
                        direct_return: true,
                        callee,
                        ty,
                    });
                    continue;
                }
                let stmt = if assign.kind() == "var_spec" {
                    let mut cur = assign;
                    while cur.kind() != "var_declaration" {
                        match cur.parent() {
                            Some(p) => cur = p,
                            None => break,
                        }
                    }
                    cur
                } else {
                    assign
                };
                let lhs: Vec<Node> = if assign.kind() == "var_spec" {
                    let mut c = assign.walk();
                    assign.children_by_field_name("name", &mut c).collect()
                } else {
                    let Some(left) = assign.child_by_field_name("left") else {
                        continue;
                    };
                    let mut c = left.walk();
                    left.named_children(&mut c).collect()
                };
                if resource.result != 0 || lhs.len() != 1 + usize::from(resource.error) {
                    continue; // the call's shape does not match the catalog: do not guess
                }
                let var = lhs[0];
                if var.kind() != "identifier" || text(var, src) == "_" {
                    continue;
                }
                let err = if resource.error {
                    lhs.last().copied()
                } else {
                    None
                };
                sites.push(Site {
                    fi,
                    call,
                    stmt,
                    func,
                    var,
                    err,
                    resource,
                    direct_return: false,
                    callee,
                    ty,
                });
            }
        }
        sites
    }

    /// The catalog's shareable resource built by `call`, with its result type.
    pub(super) fn shareable_callee(
        &self,
        call: Node<'a>,
        env: &TypeEnv<'a>,
    ) -> Option<(Cow<'a, Resource>, Option<TypeName>)> {
        let src = env.file.text();
        let catalog = self.cx.go_catalog;
        let f = call.child_by_field_name("function")?;
        let (lookup, path, name) = match f.kind() {
            "selector_expression" => {
                let operand = f.child_by_field_name("operand")?;
                let name = text(f.child_by_field_name("field")?, src);
                if let Some(path) = env.package_of(operand) {
                    (
                        catalog.lookup_func(path, name),
                        Some(path.to_string()),
                        name,
                    )
                } else {
                    let recv = env.type_of(operand);
                    (catalog.lookup_method(recv.as_ref(), name), None, name)
                }
            }
            "identifier" => {
                let name = text(f, src);
                if env.is_local(name) {
                    return None;
                }
                (
                    catalog.lookup_func(&self.pkg.import_path, name),
                    Some(self.pkg.import_path.clone()),
                    name,
                )
            }
            _ => return None,
        };
        let r = match lookup {
            Lookup::Resource(r) => r,
            Lookup::Ignored(_) => return None,
            _ => {
                if let Some((r, t)) = configs::aws_constructor(call, env) {
                    return Some((Cow::Borrowed(r), t));
                }
                return self.fresh_shareable(call, env);
            }
        };
        if !r.shareable {
            // Learned from the module (a type with a Close): maybe a
            // wrapper of a pooled client.
            if matches!(r.origin, CatalogOrigin::Learned(_)) {
                return self.fresh_shareable(call, env);
            }
            return None;
        }
        if matches!(r.origin, CatalogOrigin::Learned(_)) && self.declared_here(call, env) {
            return None; // a factory of this package: fixed where it builds the client
        }
        let ty = r.type_name.clone().or_else(|| {
            // `cloud.google.com/go/...` `New*Client`: the convention is `*XClient`.
            let path = path?;
            if !matches!(r.target, Target::Func { .. }) {
                return None;
            }
            let base = name.strip_prefix("New")?;
            let base = match base.find("With") {
                Some(i) => &base[..i],
                None => base,
            };
            base.ends_with("Client").then(|| TypeName::new(path, base))
        });
        Some((Cow::Borrowed(r), ty))
    }

    /// A call of a factory the catalog does not know whose result the
    /// program's summaries say is a fresh client of a shareable type
    /// (`gcp.NewStorage(ctx)` building a `*storage.Client` two calls
    /// down, in this module or a dependency). Factories of this package are
    /// fixed where they build the client instead.
    fn fresh_shareable(
        &self,
        call: Node<'a>,
        env: &TypeEnv<'a>,
    ) -> Option<(Cow<'a, Resource>, Option<TypeName>)> {
        let results = env.call_results(call)?;
        let (GoType::Named(tn), rest) = results.split_first()? else {
            return None;
        };
        let error = match rest {
            [] => false,
            [GoType::Plain] => true,
            _ => return None,
        };
        let src = env.file.text();
        let f = call.child_by_field_name("function")?;
        // A client the catalog knows, or a wrapper of the program around one.
        let (release, release_returns_error, kind, also, basis) =
            match shareable_type(self.cx.go_catalog, tn) {
                Some(shared) => {
                    if self.declared_here(call, env) {
                        return None;
                    }
                    (
                        shared.release.clone(),
                        shared.release_returns_error,
                        shared.kind,
                        shared.also_released_by.clone(),
                        format!(
                            "`{}` returns a new `{}` (its body was read)",
                            text(f, src),
                            tn.name
                        ),
                    )
                }
                None => {
                    let w = wrappers::wrapper_constructor(env, call).filter(|w| w.ty == *tn)?;
                    let (release, returns_error) =
                        match crate::analysis::go::resources::release_of_type(env, tn) {
                            Some(r) => (r.release, r.returns_error),
                            None => (configs::no_release(), false),
                        };
                    (
                        release,
                        returns_error,
                        crate::catalog::Kind::Client,
                        Vec::new(),
                        format!(
                            "`{}` builds a `{}` whose field `{}` holds a pooled client (`{}`)",
                            text(f, src),
                            tn.name,
                            w.field,
                            w.builds
                        ),
                    )
                }
            };
        if summaries::result_fate(env, call, 0) != ResultFate::Fresh {
            return None;
        }
        let resource = Resource {
            target: Target::Func {
                package: PackagePattern::new(&self.pkg.import_path),
                names: vec![NamePattern::new(text(f, src))],
            },
            result: 0,
            error,
            release,
            release_returns_error,
            type_name: Some(tn.clone()),
            shareable: true,
            kind,
            doc: None,
            origin: CatalogOrigin::Learned(basis),
            also_released_by: also,
            go_before: None,
        };
        Some((Cow::Owned(resource), Some(tn.clone())))
    }

    /// Is the called function or method declared in this package?
    fn declared_here(&self, call: Node<'a>, env: &TypeEnv<'a>) -> bool {
        let src = env.file.text();
        let Some(f) = call.child_by_field_name("function") else {
            return false;
        };
        match f.kind() {
            "identifier" => {
                !env.is_local(text(f, src)) && self.pkg.decls.funcs.contains_key(text(f, src))
            }
            "selector_expression" => {
                let Some(operand) = f.child_by_field_name("operand") else {
                    return false;
                };
                env.package_of(operand).is_none()
                    && env
                        .type_of(operand)
                        .is_some_and(|t| t.package == self.pkg.import_path)
            }
            _ => false,
        }
    }

    /// Does code at `node` of function `func` run per request or per iteration?
    fn repeats(&self, fi: usize, node: Node<'a>, func: Node<'a>, src: &str) -> bool {
        scope::enclosing_loop(node, func).is_some()
            || self
                .handlers
                .get_or_init(|| PerRequest::of(self.pkg, self.cx.go_catalog))
                .handler_of(fi, node, src)
                .is_some()
    }

    /// Could this call build an AWS session or config?
    fn may_be_config(&self, call: Node<'a>, src: &str) -> bool {
        crate::lang::go::selector_call(call).is_some_and(|(_, f)| {
            matches!(
                text(f, src),
                "NewSession" | "NewSessionWithOptions" | "Must" | "LoadDefaultConfig"
            )
        })
    }

    /// Could this call be a factory of a client (a function of the module
    /// whose results may be releasable, or one named like a client's)?
    fn may_be_factory(&self, call: Node<'a>, src: &str) -> bool {
        let Some(f) = call.child_by_field_name("function") else {
            return false;
        };
        let name = match f.kind() {
            "selector_expression" => f.child_by_field_name("field").map(|x| text(x, src)),
            "identifier" => Some(text(f, src)),
            _ => None,
        };
        name.is_some_and(|n| {
            self.cx.index.releasing_names.contains(n)
                || n.contains("Client")
                || n.starts_with("New")
                || n.starts_with("new")
        })
    }
}
