//! Lexical scopes: where a name is declared, and which identifiers refer to
//! that declaration (shadowing respected).

use tree_sitter::Node;

use crate::lang::go::is_function;
use crate::lang::text;

/// Where a name seen inside a function is declared.
#[derive(Clone, Copy, Debug)]
pub enum Resolution<'t> {
    /// Declared in the function's body: `scope` holds every reference.
    Local { decl: Node<'t>, scope: Node<'t> },
    /// A parameter or receiver of the function.
    Param,
    /// A named result of the function (a naked `return` hands it out).
    NamedResult,
    /// Declared in an enclosing function (a closure captures it).
    Outer,
    /// Not declared in any enclosing function: package level (or another file).
    Package,
}

impl Resolution<'_> {
    pub fn is_local(&self) -> bool {
        matches!(self, Resolution::Local { .. })
    }
}

/// Resolves `name` as seen at `at`, inside function `func`.
pub fn resolve<'t>(func: Node<'t>, name: &str, at: Node<'t>, src: &str) -> Resolution<'t> {
    let mut cur = at;
    let mut in_func = true;
    while let Some(parent) = cur.parent() {
        if parent.kind() == "source_file" {
            break;
        }
        if let Some(decl) = direct_declaration(parent, name, at.start_byte(), src) {
            if is_function(parent) {
                let is_result = parent.child_by_field_name("result").is_some_and(|r| {
                    r.start_byte() <= decl.start_byte() && decl.end_byte() <= r.end_byte()
                });
                return match (in_func, is_result) {
                    (true, true) => Resolution::NamedResult,
                    (true, false) => Resolution::Param,
                    (false, _) => Resolution::Outer,
                };
            }
            return if in_func {
                Resolution::Local {
                    decl,
                    scope: parent,
                }
            } else {
                Resolution::Outer
            };
        }
        if parent.id() == func.id() {
            in_func = false;
        }
        cur = parent;
    }
    Resolution::Package
}

/// A declaration of `name` made directly by `scope` (not by a nested scope)
/// that starts before `before` (for statements) or anywhere (for parameters).
pub fn direct_declaration<'t>(
    scope: Node<'t>,
    name: &str,
    before: usize,
    src: &str,
) -> Option<Node<'t>> {
    let declares = |n: Node<'t>| declares_name(n, name, src);
    match scope.kind() {
        "function_declaration" | "method_declaration" | "func_literal" => {
            for field in ["receiver", "parameters", "result"] {
                if let Some(list) = scope.child_by_field_name(field)
                    && list.kind() == "parameter_list"
                {
                    let mut c = list.walk();
                    if let Some(d) = list.named_children(&mut c).find(|d| declares(*d)) {
                        return Some(d);
                    }
                }
            }
            None
        }
        "block" | "statement_list" | "expression_case" | "default_case" | "type_case"
        | "communication_case" | "source_file" => {
            let mut list = scope;
            if scope.kind() != "statement_list" && scope.kind() != "source_file" {
                let mut c = scope.walk();
                list = scope
                    .named_children(&mut c)
                    .find(|n| n.kind() == "statement_list")
                    .unwrap_or(scope);
            }
            let mut c = list.walk();
            let mut found = list
                .named_children(&mut c)
                .filter(|s| s.start_byte() <= before)
                .find(|s| declares(*s));
            if found.is_none() && scope.kind() == "communication_case" {
                found = scope
                    .child_by_field_name("communication")
                    .filter(|n| declares(*n));
            }
            found
        }
        "if_statement" | "expression_switch_statement" | "type_switch_statement" => {
            if let Some(init) = scope.child_by_field_name("initializer")
                && init.start_byte() <= before
                && declares(init)
            {
                return Some(init);
            }
            if scope.kind() == "type_switch_statement"
                && let Some(alias) = scope.child_by_field_name("alias")
                && text(alias, src) == name
            {
                return Some(alias);
            }
            None
        }
        "for_statement" => {
            let mut c = scope.walk();
            for clause in scope.named_children(&mut c) {
                match clause.kind() {
                    "for_clause" => {
                        if let Some(init) = clause.child_by_field_name("initializer")
                            && declares(init)
                        {
                            return Some(init);
                        }
                    }
                    "range_clause" if declares(clause) => return Some(clause),
                    _ => {}
                }
            }
            None
        }
        _ => None,
    }
}

/// Does this statement/declaration introduce `name`?
fn declares_name(n: Node, name: &str, src: &str) -> bool {
    let ident_list_has = |list: Node| {
        let mut c = list.walk();
        list.named_children(&mut c)
            .any(|i| i.kind() == "identifier" && text(i, src) == name)
    };
    match n.kind() {
        "short_var_declaration" => n.child_by_field_name("left").is_some_and(ident_list_has),
        "range_clause" | "receive_statement" => {
            // Only `:=` declares.
            let has_define = {
                let mut c = n.walk();
                n.children(&mut c).any(|t| t.kind() == ":=")
            };
            has_define && n.child_by_field_name("left").is_some_and(ident_list_has)
        }
        "var_declaration" | "const_declaration" => {
            let mut stack = vec![n];
            while let Some(x) = stack.pop() {
                if matches!(x.kind(), "var_spec" | "const_spec") {
                    let mut c = x.walk();
                    if x.children_by_field_name("name", &mut c)
                        .any(|i| text(i, src) == name)
                    {
                        return true;
                    }
                } else {
                    let mut c = x.walk();
                    stack.extend(x.named_children(&mut c));
                }
            }
            false
        }
        "parameter_declaration" | "variadic_parameter_declaration" => {
            let mut c = n.walk();
            n.children_by_field_name("name", &mut c)
                .any(|i| text(i, src) == name)
        }
        _ => false,
    }
}

/// Is this node a scope that can declare names?
fn is_scope(n: Node) -> bool {
    matches!(
        n.kind(),
        "block"
            | "func_literal"
            | "if_statement"
            | "for_statement"
            | "expression_switch_statement"
            | "type_switch_statement"
            | "expression_case"
            | "default_case"
            | "type_case"
            | "communication_case"
    )
}

/// Every identifier in `scope` that refers to the declaration of `name`
/// made by `scope` itself, skipping nested scopes that redeclare it.
pub fn references<'t>(scope: Node<'t>, name: &str, src: &str) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    collect_refs(scope, name, src, Shadow::NONE, true, &mut out);
    // Before the declaration, and on the right of `:=` that declares it,
    // the name still means an outer variable (`ctx, cancel := context.WithCancel(ctx)`).
    if let Some(d) = direct_declaration(scope, name, usize::MAX, src)
        && matches!(
            d.kind(),
            "short_var_declaration" | "var_declaration" | "range_clause" | "receive_statement"
        )
    {
        let right = d
            .child_by_field_name("right")
            .or_else(|| {
                crate::lang::go::named_children_no_comments(d)
                    .into_iter()
                    .find(|c| c.kind() == "var_spec")
                    .and_then(|s| s.child_by_field_name("value"))
            })
            .map(|r| r.byte_range());
        out.retain(|r| {
            r.start_byte() >= d.start_byte()
                && !right
                    .as_ref()
                    .is_some_and(|rr| rr.start <= r.start_byte() && r.end_byte() <= rr.end)
        });
    }
    out
}

/// Identifiers from `from` on refer to an inner declaration, except those
/// in `except` (the right-hand side of the redeclaring statement, which
/// still sees the outer name).
#[derive(Clone, Copy)]
struct Shadow {
    from: usize,
    except: (usize, usize),
}

impl Shadow {
    const NONE: Shadow = Shadow {
        from: usize::MAX,
        except: (0, 0),
    };

    fn hides(&self, at: usize) -> bool {
        at >= self.from && !(self.except.0 <= at && at < self.except.1)
    }
}

fn collect_refs<'t>(
    node: Node<'t>,
    name: &str,
    src: &str,
    shadow: Shadow,
    is_root: bool,
    out: &mut Vec<Node<'t>>,
) {
    let mut shadow = shadow;
    if !is_root && is_scope(node) {
        if node.kind() == "func_literal" {
            if direct_declaration(node, name, usize::MAX, src).is_some() {
                return; // a parameter of the same name hides ours in the whole literal
            }
        } else if let Some(d) = direct_declaration(node, name, usize::MAX, src)
            && d.start_byte() < shadow.from
        {
            let except = match d.kind() {
                "short_var_declaration" | "range_clause" | "receive_statement" => d
                    .child_by_field_name("right")
                    .map(|r| (r.start_byte(), r.end_byte()))
                    .unwrap_or((0, 0)),
                _ => (0, 0),
            };
            shadow = Shadow {
                from: d.start_byte(),
                except,
            };
        }
    }
    if node.kind() == "identifier" && !shadow.hides(node.start_byte()) && text(node, src) == name {
        out.push(node);
        return;
    }
    let mut c = node.walk();
    for child in node.named_children(&mut c) {
        collect_refs(child, name, src, shadow, false, out);
    }
}

/// Is `node` inside a loop body, without crossing a function boundary
/// before reaching `stop`?
pub fn enclosing_loop<'t>(node: Node<'t>, stop: Node<'t>) -> Option<Node<'t>> {
    let mut cur = node;
    while let Some(p) = cur.parent() {
        if p.id() == stop.id() || is_function(p) {
            return None;
        }
        if p.kind() == "for_statement"
            && p.child_by_field_name("body")
                .is_some_and(|b| b.id() == cur.id())
        {
            return Some(p);
        }
        cur = p;
    }
    None
}

/// Is `inner` within `outer` (or equal)?
pub fn contains(outer: Node, inner: Node) -> bool {
    outer.start_byte() <= inner.start_byte() && inner.end_byte() <= outer.end_byte()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Language;

    fn find<'t>(root: Node<'t>, src: &str, kind: &str, txt: &str, nth: usize) -> Node<'t> {
        let mut all = Vec::new();
        let mut stack = vec![root];
        while let Some(n) = stack.pop() {
            if n.kind() == kind && text(n, src) == txt {
                all.push(n);
            }
            let mut c = n.walk();
            stack.extend(n.named_children(&mut c));
        }
        all.sort_by_key(|n| n.start_byte());
        all[nth]
    }

    const SRC: &str = r#"package a

var g int

func f(p int) (r int) {
	c := 1
	use(c)
	if true {
		c := 2
		use(c)
	}
	func(c int) { use(c) }(3)
	func() { use(c) }()
	for c := range 3 {
		use(c)
	}
	return c + g + p + r
}
"#;

    #[test]
    fn resolution_and_references_respect_shadowing() {
        let (tree, _) = Language::Go.parse(SRC);
        let root = tree.root_node();
        let func = find(
            root,
            SRC,
            "function_declaration",
            &SRC[SRC.find("func f").unwrap()..SRC.len() - 1],
            0,
        );
        let first_use = find(root, SRC, "identifier", "c", 1);
        let Resolution::Local { scope, .. } = resolve(func, "c", first_use, SRC) else {
            panic!("c is local")
        };
        let refs = references(scope, "c", SRC);
        // c := 1, use(c), use(c) in the closure, the final return: 4.
        let lines: Vec<usize> = refs.iter().map(|r| r.start_position().row + 1).collect();
        assert_eq!(lines, vec![6, 7, 13, 17], "{lines:?}");
        let g = find(root, SRC, "identifier", "g", 1);
        assert!(matches!(resolve(func, "g", g, SRC), Resolution::Package));
        let p = find(root, SRC, "identifier", "p", 1);
        assert!(matches!(resolve(func, "p", p, SRC), Resolution::Param));
        let r = find(root, SRC, "identifier", "r", 1);
        assert!(matches!(
            resolve(func, "r", r, SRC),
            Resolution::NamedResult
        ));
    }
}
