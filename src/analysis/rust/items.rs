//! Facts about a module's items that fixes depend on: whether a prelude
//! name (`Result`) still means the prelude's item there, the clients a
//! module already shares (statics, accessor functions, fields of the
//! receiver's struct) and how each is built, structs and their literals,
//! and whether a struct owns its own async runtime.

use tree_sitter::Node;

use super::syntax::{block_items, block_tail, outermost_fn};
use super::{RustFile, visit};
use crate::lang::text;

/// Item-level macros known to define no types or imports.
const TRANSPARENT_MACROS: [&str; 5] = [
    "lazy_static",
    "thread_local",
    "const_assert",
    "assert_impl_all",
    "static_assertions::const_assert",
];

/// Does `name` (`Result`, `Option`) mean the prelude's item in `module`
/// (a `source_file` or an inline module's `declaration_list`)? No when the
/// module declares or imports something of that name, and also when it has
/// a glob import or an item-level macro whose expansion leakfix cannot see:
/// code written there must not depend on what those bring in.
pub fn prelude_name_holds(file: &RustFile, module: Node, name: &str) -> bool {
    let src = file.text();
    let std_paths = [
        format!("std::result::{name}"),
        format!("core::result::{name}"),
        format!("std::option::{name}"),
        format!("core::option::{name}"),
    ];
    if file
        .uses
        .iter()
        .any(|u| u.scope == module.byte_range() && u.alias == name && !std_paths.contains(&u.path))
    {
        return false;
    }
    let mut c = module.walk();
    for item in module.named_children(&mut c) {
        match item.kind() {
            "use_declaration" => {
                let mut glob = false;
                visit(item, &mut |n| glob |= n.kind() == "use_wildcard");
                if glob {
                    return false;
                }
            }
            "macro_invocation" => {
                let m = item
                    .child_by_field_name("macro")
                    .map(|m| text(m, src))
                    .unwrap_or("");
                if !TRANSPARENT_MACROS.contains(&m) {
                    return false;
                }
            }
            "type_item" | "struct_item" | "enum_item" | "union_item" | "trait_item"
            | "mod_item" | "function_item" | "const_item" | "static_item"
                if item
                    .child_by_field_name("name")
                    .is_some_and(|n| text(n, src) == name) =>
            {
                return false;
            }
            _ => {}
        }
    }
    true
}

/// The module an item belongs to: the file, or an inline `mod { ... }`'s body.
pub fn module_of(node: Node) -> Option<Node> {
    let mut cur = node.parent();
    while let Some(n) = cur {
        if n.kind() == "source_file"
            || (n.kind() == "declaration_list"
                && n.parent().is_some_and(|p| p.kind() == "mod_item"))
        {
            return Some(n);
        }
        cur = n.parent();
    }
    None
}

/// A construction, written so that two constructions of the same client
/// with the same configuration compare equal: the first call's path
/// resolved through `use`, then the rest of the chain without whitespace,
/// without a final `?`, `.unwrap()` or `.expect(..)`; `default()` is `new()`.
pub fn construction_key(file: &RustFile, expr: Node) -> Option<String> {
    let src = file.text();
    let mut e = expr;
    // Unwrap a block or closure to its value.
    loop {
        match e.kind() {
            "closure_expression" => e = e.child_by_field_name("body")?,
            "block" => e = block_tail(e)?,
            "try_expression" => e = e.named_child(0)?,
            "call_expression" => {
                let f = e.child_by_field_name("function")?;
                if f.kind() == "field_expression"
                    && matches!(
                        f.child_by_field_name("field").map(|x| text(x, src)),
                        Some("unwrap" | "expect")
                    )
                {
                    e = f.child_by_field_name("value")?;
                    continue;
                }
                break;
            }
            "scoped_identifier" => {
                // A function path used as a value: `LazyLock::new(Client::new)`.
                let p = file.resolve(text(e, src), e.start_byte());
                return Some(normalise_default(format!("{p}()")));
            }
            _ => return None,
        }
    }
    let root = chain_root(e);
    if root.kind() != "call_expression" {
        return None;
    }
    let f = root.child_by_field_name("function")?;
    if f.kind() != "scoped_identifier" {
        return None;
    }
    let path = file.resolve(text(f, src), f.start_byte());
    // The rest of the chain's tokens, without comments and whitespace.
    let mut rest = String::new();
    visit(e, &mut |n| {
        if n.child_count() == 0
            && n.start_byte() >= f.end_byte()
            && !matches!(n.kind(), "line_comment" | "block_comment")
            && n.parent()
                .is_none_or(|p| !matches!(p.kind(), "line_comment" | "block_comment"))
        {
            rest.extend(text(n, src).chars().filter(|c| !c.is_whitespace()));
        }
    });
    Some(normalise_default(format!("{path}{rest}")))
}

fn normalise_default(k: String) -> String {
    match k.find("::default()") {
        Some(at) if !k[..at].contains('(') => k.replacen("::default()", "::new()", 1),
        _ => k,
    }
}

/// The innermost receiver of a method chain.
pub fn chain_root(mut n: Node) -> Node {
    loop {
        if n.kind() == "call_expression"
            && let Some(f) = n.child_by_field_name("function")
        {
            // `.method::<T>()` calls through a `generic_function`.
            let f = match f.kind() {
                "generic_function" => f.child_by_field_name("function").unwrap_or(f),
                _ => f,
            };
            if f.kind() == "field_expression"
                && let Some(v) = f.child_by_field_name("value")
            {
                n = v;
                continue;
            }
        }
        if matches!(n.kind(), "try_expression" | "await_expression")
            && let Some(v) = n.named_child(0)
        {
            n = v;
            continue;
        }
        return n;
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SharedKind {
    /// A `static` (`LazyLock`, `once_cell::sync::Lazy`) used directly.
    Static,
    /// A function without parameters that returns the shared client.
    Accessor,
    /// A field of the receiver's struct.
    Field,
}

/// A client the code already shares, and how to reach it from a function.
#[derive(Clone, Debug)]
pub struct SharedClient {
    pub kind: SharedKind,
    /// The static's, function's or field's name.
    pub name: String,
    /// The client's type, resolved through `use`.
    pub ty: String,
    /// An expression that yields a clone of the client (`HTTP.clone()`,
    /// `http_client()`, `self.http.clone()`), or, when `fallible`, a
    /// `Result` of one.
    pub access: String,
    pub fallible: bool,
    pub is_async: bool,
    /// How it is built (`construction_key`), when every construction of
    /// it is the same and leakfix can see it.
    pub init: Option<String>,
}

/// The wrapper and inner type of a lazily initialised static's type:
/// `LazyLock<reqwest::Client>` is (`LazyLock`, `reqwest::Client`).
fn lazy_type(ty: &str) -> Option<(&str, &str)> {
    let open = ty.find('<')?;
    let wrapper = ty[..open].rsplit("::").next()?.trim();
    let inner = ty[open + 1..].strip_suffix('>')?.trim();
    matches!(wrapper, "LazyLock" | "Lazy" | "OnceLock" | "OnceCell").then_some((wrapper, inner))
}

/// Clients shared in `module`: its statics, the accessor functions that
/// hand them out, and (when `method` is a method taking `self`) the fields
/// of the receiver's struct. `ty_of` resolves a written type at a position.
pub fn shared_clients(file: &RustFile, module: Node, method: Option<Node>) -> Vec<SharedClient> {
    let src = file.text();
    let mut out = Vec::new();
    let mut c = module.walk();
    let items: Vec<Node> = module.named_children(&mut c).collect();
    // Statics at module level, and statics inside accessor functions.
    let mut statics: Vec<(Node, Option<Node>)> = Vec::new();
    for item in &items {
        match item.kind() {
            "static_item" => statics.push((*item, None)),
            "function_item" => {
                if let Some(body) = item.child_by_field_name("body") {
                    for i in block_items(body) {
                        if i.kind() == "static_item" {
                            statics.push((i, Some(*item)));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    for (st, inside) in statics {
        let (Some(name), Some(ty)) = (
            st.child_by_field_name("name"),
            st.child_by_field_name("type"),
        ) else {
            continue;
        };
        let name = text(name, src).to_string();
        let ty_text: String = text(ty, src)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let Some((wrapper, inner)) = lazy_type(&ty_text) else {
            continue;
        };
        let resolved = file.resolve(inner, ty.start_byte());
        let lazy = matches!(wrapper, "LazyLock" | "Lazy");
        let init = if lazy {
            st.child_by_field_name("value")
                .and_then(|v| new_argument(v))
                .and_then(|a| construction_key(file, a))
        } else {
            cell_init(file, &name)
        };
        // A static inside a function is reached through that function; a
        // `OnceLock` at module level through the function that fills it.
        let accessor = match inside {
            Some(f) => accessor_client(file, f, &resolved, init.clone()),
            None if lazy => None,
            None => accessors_of(file, &items, &name)
                .into_iter()
                .find_map(|f| accessor_client(file, f, &resolved, init.clone())),
        };
        match accessor {
            Some(shared) => out.push(shared),
            None if lazy && inside.is_none() => out.push(SharedClient {
                kind: SharedKind::Static,
                access: format!("{name}.clone()"),
                name,
                ty: resolved,
                fallible: false,
                is_async: false,
                init,
            }),
            None => {}
        }
    }
    if let Some(m) = method
        && let Some(strukt) = impl_type(m, src)
        && has_self(m)
    {
        for (field, ty_node) in struct_fields(file, &strukt) {
            let ty = text(ty_node, src);
            let resolved = file.resolve(ty, ty_node.start_byte());
            let init = field_init(file, &strukt, &field);
            out.push(SharedClient {
                kind: SharedKind::Field,
                access: format!("self.{field}.clone()"),
                name: field,
                ty: resolved,
                fallible: false,
                is_async: false,
                init,
            });
        }
    }
    out
}

/// The argument of `X::new(arg)`.
fn new_argument(v: Node) -> Option<Node> {
    if v.kind() != "call_expression" {
        return None;
    }
    let args = v.child_by_field_name("arguments")?;
    let mut c = args.walk();
    let a: Vec<Node> = args.named_children(&mut c).collect();
    (a.len() == 1).then(|| a[0])
}

/// How a `OnceLock`/`OnceCell` static is filled: the argument of every
/// `NAME.get_or_init(..)` / `get_or_try_init(..)` must build the same client.
fn cell_init(file: &RustFile, name: &str) -> Option<String> {
    let src = file.text();
    let mut keys: Vec<Option<String>> = Vec::new();
    visit(file.root(), &mut |n| {
        if n.kind() != "call_expression" {
            return;
        }
        let Some(f) = n
            .child_by_field_name("function")
            .filter(|f| f.kind() == "field_expression")
        else {
            return;
        };
        let recv = f.child_by_field_name("value").map(|v| text(v, src));
        let method = f.child_by_field_name("field").map(|v| text(v, src));
        if recv != Some(name)
            || !matches!(
                method,
                Some("get_or_init" | "get_or_try_init" | "set" | "get_or_insert_with")
            )
        {
            return;
        }
        let key = new_argument_any(n).and_then(|a| {
            // `|| client` with `let client = <construction>;` before it.
            let body = if a.kind() == "closure_expression" {
                a.child_by_field_name("body")
            } else {
                Some(a)
            }?;
            if body.kind() == "identifier" {
                let decl = let_before(text(body, src), n, src)?;
                construction_key(file, decl.child_by_field_name("value")?)
            } else {
                construction_key(file, a)
            }
        });
        keys.push(key);
    });
    let first = keys.first()?.clone()?;
    keys.iter()
        .all(|k| k.as_deref() == Some(&first))
        .then_some(first)
}

fn new_argument_any(call: Node) -> Option<Node> {
    let args = call.child_by_field_name("arguments")?;
    let mut c = args.walk();
    args.named_children(&mut c).next()
}

/// The last `let name = ...;` before `at` in the blocks around it.
pub fn let_before<'t>(name: &str, at: Node<'t>, src: &str) -> Option<Node<'t>> {
    let mut cur = at;
    while let Some(p) = cur.parent() {
        if p.kind() == "block" {
            let hit = block_items(p)
                .into_iter()
                .filter(|i| i.end_byte() <= at.start_byte() && i.kind() == "let_declaration")
                .rfind(|i| {
                    i.child_by_field_name("pattern")
                        .is_some_and(|pat| text(pat, src) == name)
                });
            if hit.is_some() {
                return hit;
            }
        }
        if matches!(p.kind(), "function_item" | "closure_expression") {
            return None;
        }
        cur = p;
    }
    None
}

/// Module-level functions without parameters whose body names the static.
fn accessors_of<'t>(file: &RustFile, items: &[Node<'t>], stat: &str) -> Vec<Node<'t>> {
    let src = file.text();
    items
        .iter()
        .copied()
        .filter(|i| {
            i.kind() == "function_item"
                && i.child_by_field_name("parameters")
                    .is_some_and(|p| p.named_child_count() == 0)
                && i.child_by_field_name("body").is_some_and(|b| {
                    let mut hit = false;
                    visit(b, &mut |n| {
                        hit |= n.kind() == "identifier" && text(n, src) == stat
                    });
                    hit
                })
        })
        .collect()
}

/// The accessor `f` as a shared client of type `ty`, when its return type
/// is the client, a `&'static` one, or a `Result` of one.
fn accessor_client(
    file: &RustFile,
    f: Node,
    ty: &str,
    init: Option<String>,
) -> Option<SharedClient> {
    let src = file.text();
    let name = text(f.child_by_field_name("name")?, src).to_string();
    if f.child_by_field_name("parameters")?.named_child_count() != 0 {
        return None;
    }
    let ret = f.child_by_field_name("return_type")?;
    let ret_text: String = text(ret, src)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let is_async = super::syntax::is_async_fn(f, src);
    let call = if is_async {
        format!("{name}().await")
    } else {
        format!("{name}()")
    };
    let plain = |t: &str| file.resolve(t, ret.start_byte()) == ty;
    let (access, fallible) = if plain(&ret_text) {
        (call, false)
    } else if let Some(inner) = ret_text
        .strip_prefix("&'static")
        .or_else(|| ret_text.strip_prefix('&'))
        && plain(inner)
    {
        (format!("{call}.clone()"), false)
    } else if let Some(args) = ret_text
        .strip_prefix("Result<")
        .and_then(|r| r.strip_suffix('>'))
        && let Some((ok, _)) = args.split_once(',')
        && plain(ok)
    {
        (call, true)
    } else {
        return None;
    };
    Some(SharedClient {
        kind: SharedKind::Accessor,
        name,
        ty: ty.to_string(),
        access,
        fallible,
        is_async,
        init,
    })
}

/// The type an `impl` block that contains `f` is for (`impl Api` and
/// `impl<T> Trait for Api<T>` give `Api`).
pub fn impl_type(f: Node, src: &str) -> Option<String> {
    let imp = f
        .parent()
        .filter(|p| p.kind() == "declaration_list")?
        .parent()
        .filter(|p| p.kind() == "impl_item")?;
    let ty = text(imp.child_by_field_name("type")?, src);
    let head = ty.split('<').next().unwrap_or(ty).trim();
    Some(head.rsplit("::").next().unwrap_or(head).to_string())
}

/// Does the function take `self` (in any form)?
pub fn has_self(f: Node) -> bool {
    f.child_by_field_name("parameters").is_some_and(|p| {
        let mut c = p.walk();
        p.named_children(&mut c)
            .any(|x| x.kind() == "self_parameter")
    })
}

/// The `struct NAME { .. }` item of the file.
pub fn struct_item<'t>(file: &'t RustFile, name: &str) -> Option<Node<'t>> {
    let src = file.text();
    let mut found = None;
    visit(file.root(), &mut |n| {
        if found.is_none()
            && n.kind() == "struct_item"
            && n.child_by_field_name("name")
                .is_some_and(|x| text(x, src) == name)
        {
            found = Some(n);
        }
    });
    found
}

/// The named fields of a struct in the file: (name, type node).
pub fn struct_fields<'t>(file: &'t RustFile, name: &str) -> Vec<(String, Node<'t>)> {
    let src = file.text();
    let Some(body) = struct_item(file, name).and_then(|s| s.child_by_field_name("body")) else {
        return Vec::new();
    };
    let mut c = body.walk();
    body.named_children(&mut c)
        .filter(|f| f.kind() == "field_declaration")
        .filter_map(|f| {
            Some((
                text(f.child_by_field_name("name")?, src).to_string(),
                f.child_by_field_name("type")?,
            ))
        })
        .collect()
}

/// Struct literals of `name` in the file (`Name { .. }`, and `Self { .. }`
/// inside `impl Name`).
pub fn struct_literals<'t>(file: &'t RustFile, name: &str) -> Vec<Node<'t>> {
    let src = file.text();
    let mut out = Vec::new();
    visit(file.root(), &mut |n| {
        if n.kind() != "struct_expression" {
            return;
        }
        let Some(written) = n.child_by_field_name("name").map(|x| text(x, src)) else {
            return;
        };
        let head = written.rsplit("::").next().unwrap_or(written);
        let hit = head == name
            || (head == "Self"
                && outermost_fn(n).and_then(|f| impl_type(f, src)).as_deref() == Some(name));
        if hit {
            out.push(n);
        }
    });
    out
}

/// The value a struct literal gives `field`: `field: expr`, or the local
/// `field` bound before a shorthand `field`.
pub fn field_value<'t>(lit: Node<'t>, field: &str, src: &str) -> Option<Node<'t>> {
    let body = lit.child_by_field_name("body")?;
    let mut c = body.walk();
    for f in body.named_children(&mut c) {
        match f.kind() {
            "field_initializer"
                if f.child_by_field_name("field")
                    .is_some_and(|x| text(x, src) == field) =>
            {
                return f.child_by_field_name("value");
            }
            "shorthand_field_initializer" if text(f, src) == field => {
                return let_before(field, lit, src).and_then(|d| d.child_by_field_name("value"));
            }
            _ => {}
        }
    }
    None
}

/// How every literal of `strukt` builds `field`, when they agree.
fn field_init(file: &RustFile, strukt: &str, field: &str) -> Option<String> {
    let src = file.text();
    let lits = struct_literals(file, strukt);
    let first = construction_key(file, field_value(*lits.first()?, field, src)?)?;
    lits.iter()
        .all(|l| {
            field_value(*l, field, src)
                .and_then(|v| construction_key(file, v))
                .as_deref()
                == Some(&first)
        })
        .then_some(first)
}

/// Does the struct own an async runtime (a field of type
/// `tokio::runtime::Runtime`, possibly inside `Arc`, `Option`, `Box`)?
/// Clients shared through a `static` would then be used from several
/// runtimes, which can hang; such a struct keeps its client in a field.
pub fn owns_runtime(file: &RustFile, strukt: &str) -> bool {
    let src = file.text();
    struct_fields(file, strukt).into_iter().any(|(_, ty)| {
        let mut hit = false;
        visit(ty, &mut |n| {
            if matches!(n.kind(), "type_identifier" | "scoped_type_identifier")
                && n.parent()
                    .is_none_or(|p| p.kind() != "scoped_type_identifier")
            {
                let r = file.resolve(text(n, src), n.start_byte());
                hit |= r == "tokio::runtime::Runtime" || r.ends_with("runtime::Runtime");
            }
        });
        hit
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::rust::test_support::file;

    #[test]
    fn prelude_names() {
        for (src, holds) in [
            ("use std::io;\nfn f() {}\n", true),
            ("use crate::Result;\nfn f() {}\n", false),
            ("type Result<T> = std::result::Result<T, E>;\n", false),
            ("use crate::prelude::*;\n", false),
            ("error_chain! {}\n", false),
            ("lazy_static! {}\n", true),
            ("use std::result::Result;\n", true),
        ] {
            let f = file(src);
            assert_eq!(prelude_name_holds(&f, f.root(), "Result"), holds, "{src}");
        }
    }

    #[test]
    fn construction_keys() {
        let f = file(
            "use reqwest::Client;\nstatic A: LazyLock<Client> = LazyLock::new(Client::new);\nstatic B: LazyLock<Client> = LazyLock::new(|| reqwest::Client::builder()\n    .timeout(T)\n    .build()\n    .unwrap());\nstatic C: OnceLock<Client> = OnceLock::new();\nfn c() -> &'static Client { C.get_or_init(Client::default) }\n",
        );
        let shared = shared_clients(&f, f.root(), None);
        let by = |n: &str| shared.iter().find(|s| s.name == n).unwrap().clone();
        assert_eq!(by("A").init.as_deref(), Some("reqwest::Client::new()"));
        assert_eq!(by("A").access, "A.clone()");
        assert_eq!(
            by("B").init.as_deref(),
            Some("reqwest::Client::builder().timeout(T).build()")
        );
        assert_eq!(by("c").access, "c().clone()");
        assert_eq!(by("c").init.as_deref(), Some("reqwest::Client::new()"));
        assert_eq!(by("c").ty, "reqwest::Client");
    }

    #[test]
    fn fields_and_runtimes() {
        let f = file(
            "use tokio::runtime::Runtime;\nstruct Api { http: reqwest::Client, rt: Arc<Runtime> }\nimpl Api {\n    fn new() -> Self { Self { http: reqwest::Client::new(), rt: x() } }\n    fn get(&self) { X }\n}\n",
        );
        let at = f.text().find('X').unwrap();
        let m = f.root().descendant_for_byte_range(at, at + 1).unwrap();
        let m = outermost_fn(m).unwrap();
        let shared = shared_clients(&f, f.root(), Some(m));
        let http = shared.iter().find(|s| s.name == "http").unwrap();
        assert_eq!(http.access, "self.http.clone()");
        assert_eq!(http.ty, "reqwest::Client");
        assert_eq!(http.init.as_deref(), Some("reqwest::Client::new()"));
        assert!(owns_runtime(&f, "Api"));
    }
}
