//! Finding the constructions of shareable clients: every call the catalog
//! (or the program) says builds a client meant to be built once.

use super::*;

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
            for (assign, call) in file.acquisitions(query) {
                let Some(func) = enclosing_function(assign) else {
                    continue;
                };
                if !crate::analysis::go::calls::may_be_resource(
                    call,
                    file,
                    self.pkg,
                    self.cx.go_catalog,
                ) {
                    continue;
                }
                let env = envs.entry(func.id()).or_insert_with(|| {
                    TypeEnv::for_function(self.pkg, file, self.cx.go_catalog, func)
                });
                let Some((resource, ty)) = self.shareable_callee(call, env) else {
                    continue;
                };
                // A silenced construction is left out of the shared accessor
                // too. Asked only now, so that the marker counts as used only
                // over a shareable client (`unused-ignore`).
                let line = file.parsed.source.line_index(call.start_byte());
                if file.parsed.suppressions.is_suppressed(ID, line) {
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
                let callee = call
                    .child_by_field_name("function")
                    .map(|f| text(f, src).to_string())
                    .unwrap_or_default();
                sites.push(Site {
                    fi,
                    call,
                    stmt,
                    func,
                    var,
                    err,
                    resource,
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
    ) -> Option<(&'a Resource, Option<TypeName>)> {
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
        let Lookup::Resource(r) = lookup else {
            return None;
        };
        if !r.shareable {
            return None;
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
        Some((r, ty))
    }
}
