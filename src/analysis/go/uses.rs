//! Where a function or method of the scanned module is named in one package:
//! the calls a signature change must rewrite, and the uses that make such a
//! change unsafe (a function value, a method value, an interface that lists
//! the method, a receiver whose type cannot be told). Anything this module
//! cannot place is reported as `Unresolved`, never silently skipped: a rule
//! that changes a signature must see every use or change nothing.

use std::collections::HashMap;
use std::path::PathBuf;

use tree_sitter::Node;

use super::scope::{self, Resolution};
use super::types::TypeEnv;
use super::{GoFile, GoPackage, GoType};
use crate::catalog::go::{GoCatalog, TypeName};
use crate::lang::go::enclosing_function;
use crate::lang::text;

/// A function or method declared in the scanned code.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FuncRef {
    /// Import path of the declaring package.
    pub package: String,
    /// Absolute folder of the declaring package.
    pub dir: PathBuf,
    /// The package's name (its `package` clause), for messages.
    pub package_name: String,
    /// The receiver's type name (no `*`) for a method.
    pub receiver: Option<String>,
    pub name: String,
}

impl FuncRef {
    /// `watch.Start`, `watch.Watcher.Start`: for messages.
    pub fn display(&self) -> String {
        let pkg = &self.package_name;
        match &self.receiver {
            Some(r) => format!("{pkg}.{r}.{}", self.name),
            None => format!("{pkg}.{}", self.name),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UseKind {
    /// The callee of a call (also under `go` and `defer`).
    Call,
    /// Named without being called: passed, assigned, stored, a method
    /// value (`x.M`) or a method expression (`T.M`).
    Value,
    /// An interface type declares a method of the same name: a type that
    /// implements it through this method would stop doing so.
    InterfaceMethod,
    /// Might be a use and cannot be told: a receiver of unknown type, a dot
    /// import of the package.
    Unresolved(String),
}

pub struct FuncUse<'t> {
    /// Which of the targets asked about this is a use of (its index).
    pub target: usize,
    pub file: &'t GoFile,
    pub kind: UseKind,
    /// The identifier or selector that names the function.
    pub node: Node<'t>,
    /// For `Call`: the call expression.
    pub call: Option<Node<'t>>,
}

/// Where some names are written in a package: the identifiers and field
/// identifiers spelled as one of them. Found from the text (a scan for the
/// words, then the syntax node at each hit), so asking about a few
/// functions costs a pass over the bytes, not a walk of every tree.
pub struct NameIndex<'t> {
    by_name: HashMap<String, Vec<(usize, Node<'t>)>>,
}

impl<'t> NameIndex<'t> {
    pub fn new<S: AsRef<str>>(pkg: &'t GoPackage, names: &[S]) -> NameIndex<'t> {
        let mut by_name: HashMap<String, Vec<(usize, Node<'t>)>> = names
            .iter()
            .map(|n| (n.as_ref().to_string(), Vec::new()))
            .collect();
        let patterns: Vec<&str> = by_name.keys().map(String::as_str).collect();
        let Ok(matcher) = aho_corasick::AhoCorasick::new(&patterns) else {
            return NameIndex { by_name };
        };
        let patterns: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
        let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80;
        for (i, file) in pkg.files.iter().enumerate() {
            let src = file.text();
            let bytes = src.as_bytes();
            let root = file.root();
            for m in matcher.find_overlapping_iter(src) {
                let (start, end) = (m.start(), m.end());
                if start > 0 && is_word(bytes[start - 1])
                    || end < bytes.len() && is_word(bytes[end])
                {
                    continue;
                }
                let Some(n) = root.descendant_for_byte_range(start, end) else {
                    continue;
                };
                if n.start_byte() == start
                    && n.end_byte() == end
                    && matches!(n.kind(), "identifier" | "field_identifier")
                    && let Some(v) = by_name.get_mut(&patterns[m.pattern().as_usize()])
                {
                    v.push((i, n));
                }
            }
        }
        NameIndex { by_name }
    }

    /// The identifiers and field identifiers spelled `name` (one of the
    /// names the index was built for), with the index of their file in the
    /// package, in file and position order.
    pub fn named(&self, name: &str) -> &[(usize, Node<'t>)] {
        self.by_name.get(name).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// Every use of `target` in `pkg`, in file and position order.
pub fn uses_in<'t>(
    pkg: &'t GoPackage,
    target: &FuncRef,
    catalog: &'t GoCatalog,
) -> Vec<FuncUse<'t>> {
    uses_in_index(pkg, &NameIndex::new(pkg, &[&target.name]), target, catalog)
}

/// `uses_in` with an index of the package's names that holds the target's
/// (build it once when asking about several targets).
pub fn uses_in_index<'t>(
    pkg: &'t GoPackage,
    names: &NameIndex<'t>,
    target: &FuncRef,
    catalog: &'t GoCatalog,
) -> Vec<FuncUse<'t>> {
    let mut out = Vec::new();
    let mut envs: HashMap<usize, TypeEnv<'t>> = HashMap::new();
    for file in &pkg.files {
        let cx = FileCx {
            pkg,
            file,
            target,
            catalog,
        };
        if target.receiver.is_none()
            && pkg.import_path != target.package
            && cx.dot_imports_target()
            && crate::analysis::go::syntax::mentions(file.root(), &target.name, file.text())
        {
            out.push(FuncUse {
                target: 0,
                file,
                kind: UseKind::Unresolved(format!("the file dot-imports `{}`", target.package)),
                node: file.root(),
                call: None,
            });
        }
    }
    for &(i, n) in names.named(&target.name) {
        let file = &pkg.files[i];
        let cx = FileCx {
            pkg,
            file,
            target,
            catalog,
        };
        // The node a use is classified at: the identifier itself, or the
        // selector / interface method a field identifier names.
        let at = if n.kind() == "field_identifier" {
            match n.parent() {
                Some(p)
                    if p.child_by_field_name("field")
                        .is_some_and(|f| f.id() == n.id())
                        || p.child_by_field_name("name")
                            .is_some_and(|f| f.id() == n.id()) =>
                {
                    p
                }
                _ => continue,
            }
        } else {
            n
        };
        if let Some(u) = cx.classify(at, &mut envs) {
            out.push(u);
        }
    }
    out.sort_by_key(|u| (u.file.parsed.path.clone(), u.node.start_byte()));
    out
}

struct FileCx<'a, 't> {
    pkg: &'t GoPackage,
    file: &'t GoFile,
    target: &'a FuncRef,
    catalog: &'t GoCatalog,
}

impl<'a, 't> FileCx<'a, 't> {
    fn src(&self) -> &'t str {
        self.file.text()
    }

    fn dot_imports_target(&self) -> bool {
        let src = self.src();
        let mut stack = vec![self.file.root()];
        while let Some(n) = stack.pop() {
            if n.kind() == "import_spec" {
                let dot = n
                    .child_by_field_name("name")
                    .is_some_and(|x| x.kind() == "dot");
                let path = n
                    .child_by_field_name("path")
                    .map(|p| crate::lang::go::unquote(text(p, src)))
                    .unwrap_or("");
                if dot && path == self.target.package {
                    return true;
                }
            } else if matches!(
                n.kind(),
                "source_file" | "import_declaration" | "import_spec_list"
            ) {
                let mut c = n.walk();
                stack.extend(n.named_children(&mut c));
            }
        }
        false
    }

    fn use_of(&self, kind: UseKind, node: Node<'t>) -> FuncUse<'t> {
        let call = match kind {
            UseKind::Call => node.parent(),
            _ => None,
        };
        FuncUse {
            target: 0,
            file: self.file,
            kind,
            node,
            call,
        }
    }

    /// Is `node` the callee of a call?
    fn call_or_value(&self, node: Node<'t>) -> UseKind {
        let mut cur = node;
        // `(F)(x)` is still a call of F.
        while let Some(p) = cur
            .parent()
            .filter(|p| p.kind() == "parenthesized_expression")
        {
            cur = p;
        }
        let called = cur.parent().is_some_and(|p| {
            p.kind() == "call_expression"
                && p.child_by_field_name("function")
                    .is_some_and(|f| f.id() == cur.id())
        });
        if called && cur.id() == node.id() {
            UseKind::Call
        } else if called {
            UseKind::Unresolved("a parenthesized callee".into())
        } else {
            UseKind::Value
        }
    }

    fn classify(&self, n: Node<'t>, envs: &mut HashMap<usize, TypeEnv<'t>>) -> Option<FuncUse<'t>> {
        let src = self.src();
        let name = self.target.name.as_str();
        match (&self.target.receiver, n.kind()) {
            // A function, named in its own package.
            (None, "identifier") if self.pkg.import_path == self.target.package => {
                if text(n, src) != name || self.is_declaration_name(n) || self.is_field_key(n) {
                    return None;
                }
                let func = enclosing_function(n).unwrap_or(self.file.root());
                if !matches!(scope::resolve(func, name, n, src), Resolution::Package) {
                    return None; // a local of the same name
                }
                Some(self.use_of(self.call_or_value(n), n))
            }
            // A function, named as `pkg.F` from another package.
            (None, "selector_expression") if self.pkg.import_path != self.target.package => {
                let field = n.child_by_field_name("field")?;
                let operand = n.child_by_field_name("operand")?;
                if text(field, src) != name || operand.kind() != "identifier" {
                    return None;
                }
                let pkg_name = text(operand, src);
                if self.file.imports.resolve(pkg_name) != Some(self.target.package.as_str()) {
                    return None;
                }
                let func = enclosing_function(n).unwrap_or(self.file.root());
                if !matches!(
                    scope::resolve(func, pkg_name, operand, src),
                    Resolution::Package
                ) {
                    return None; // a local that hides the package name
                }
                Some(self.use_of(self.call_or_value(n), n))
            }
            // A method: `x.M` where x may be of the receiver type.
            (Some(recv), "selector_expression") => {
                let field = n.child_by_field_name("field")?;
                if text(field, src) != name {
                    return None;
                }
                let operand = n.child_by_field_name("operand")?;
                if self.is_type_operand(operand, recv) {
                    return Some(self.use_of(UseKind::Value, n)); // method expression
                }
                let func = enclosing_function(n);
                let env = match func {
                    Some(f) => envs.entry(f.id()).or_insert_with(|| {
                        TypeEnv::for_function(self.pkg, self.file, self.catalog, f)
                    }),
                    None => {
                        return Some(self.use_of(
                            UseKind::Unresolved(format!("`{}` at package level", text(n, src))),
                            n,
                        ));
                    }
                };
                if env.package_of(operand).is_some() {
                    return None; // `pkg.M`: a package function of the same name
                }
                match env.type_of(operand) {
                    Some(t) if t == TypeName::new(&self.target.package, recv.as_str()) => {
                        Some(self.use_of(self.call_or_value(n), n))
                    }
                    Some(t) if !self.may_promote(&t) => None,
                    _ => Some(self.use_of(
                        UseKind::Unresolved(format!(
                            "leakfix cannot tell the type of `{}`",
                            text(operand, src)
                        )),
                        n,
                    )),
                }
            }
            // An interface that lists a method of this name.
            (Some(_), "method_elem" | "method_spec") => {
                let field = n.child_by_field_name("name")?;
                (text(field, src) == name).then(|| self.use_of(UseKind::InterfaceMethod, n))
            }
            _ => None,
        }
    }

    /// The name in `func F(...)` itself.
    fn is_declaration_name(&self, n: Node) -> bool {
        n.parent().is_some_and(|p| {
            p.kind() == "function_declaration"
                && p.child_by_field_name("name")
                    .is_some_and(|x| x.id() == n.id())
        })
    }

    /// `Options{F: true}`: a struct field name, not the function.
    fn is_field_key(&self, n: Node) -> bool {
        let Some(elem) = n.parent().filter(|p| p.kind() == "literal_element") else {
            return false;
        };
        let Some(keyed) = elem.parent().filter(|p| p.kind() == "keyed_element") else {
            return false;
        };
        if keyed
            .child_by_field_name("key")
            .is_none_or(|k| k.id() != elem.id())
        {
            return false;
        }
        // The literal's type: a map literal's keys are values.
        let mut cur = keyed.parent();
        while let Some(c) = cur {
            if c.kind() == "composite_literal" {
                return c
                    .child_by_field_name("type")
                    .is_none_or(|t| t.kind() != "map_type");
            }
            if c.kind() != "literal_value"
                && c.kind() != "literal_element"
                && c.kind() != "keyed_element"
            {
                break;
            }
            cur = c.parent();
        }
        true
    }

    /// `T.M` / `(*T).M` in T's own package.
    fn is_type_operand(&self, operand: Node, recv: &str) -> bool {
        if self.pkg.import_path != self.target.package {
            return false;
        }
        let src = self.src();
        let mut n = operand;
        loop {
            match n.kind() {
                "parenthesized_expression"
                | "unary_expression"
                | "pointer_type"
                | "parenthesized_type" => {
                    match n
                        .named_child(0)
                        .or_else(|| n.child_by_field_name("operand"))
                    {
                        Some(c) => n = c,
                        None => return false,
                    }
                }
                "identifier" | "type_identifier" => {
                    return text(n, src) == recv && !self.is_value_name(n);
                }
                _ => return false,
            }
        }
    }

    fn is_value_name(&self, n: Node) -> bool {
        let src = self.src();
        let func = enclosing_function(n).unwrap_or(self.file.root());
        !matches!(
            scope::resolve(func, text(n, src), n, src),
            Resolution::Package
        )
    }

    /// Could a value of type `t` have the target method through embedding?
    fn may_promote(&self, t: &TypeName) -> bool {
        if t.package == self.pkg.import_path {
            return match self.pkg.decls.struct_fields.get(&t.name) {
                // A field named after its type is how an embedded field looks.
                Some(fields) => fields
                    .iter()
                    .any(|(name, ty)| matches!(ty, GoType::Named(n) if &n.name == name)),
                None => true, // an interface or a defined non-struct type: cannot tell
            };
        }
        // A type of another package of the same module may embed it; one
        // from outside the module cannot name a type of ours... unless it
        // shares the module path prefix.
        let module = self.pkg.module.as_ref().map(|m| m.path.as_str());
        match module {
            Some(m) => t.package == m || t.package.starts_with(&format!("{m}/")),
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::go::GoCatalog;

    fn package(files: &[(&str, &str)], import_path_dir: &str) -> GoPackage {
        GoPackage::from_sources(import_path_dir, files)
    }

    fn kinds(pkg: &GoPackage, target: &FuncRef) -> Vec<(usize, UseKind)> {
        let catalog = GoCatalog::built_in().unwrap();
        uses_in(pkg, target, &catalog)
            .into_iter()
            .map(|u| (u.node.start_position().row + 1, u.kind))
            .collect()
    }

    #[test]
    fn calls_values_and_shadowing_in_the_own_package() {
        let pkg = package(
            &[(
                "a.go",
                "package a\n\nfunc Watch(id string) {}\n\nfunc run() {\n\tWatch(\"x\")\n\tgo Watch(\"y\")\n\tf := Watch\n\t_ = f\n\t_ = Options{Watch: true}\n}\n\nfunc other(Watch func(string)) {\n\tWatch(\"z\")\n}\n\ntype Options struct{ Watch bool }\n",
            )],
            "/m/a",
        );
        let target = FuncRef {
            package: "_//m/a".into(),
            dir: "/m/a".into(),
            package_name: "a".into(),
            receiver: None,
            name: "Watch".into(),
        };
        assert_eq!(
            kinds(&pkg, &target),
            vec![(6, UseKind::Call), (7, UseKind::Call), (8, UseKind::Value)]
        );
    }

    #[test]
    fn qualified_calls_from_another_package() {
        let pkg = package(
            &[(
                "b.go",
                "package b\n\nimport w \"example.com/m/watch\"\n\nfunc run(id string) {\n\tw.Watch(id)\n\tdefer w.Watch(id)\n\tregister(w.Watch)\n}\n\nfunc shadow(w fake) {\n\tw.Watch(\"x\")\n}\n",
            )],
            "/m/b",
        );
        let target = FuncRef {
            package: "example.com/m/watch".into(),
            dir: "/m/watch".into(),
            package_name: "watch".into(),
            receiver: None,
            name: "Watch".into(),
        };
        assert_eq!(
            kinds(&pkg, &target),
            vec![(6, UseKind::Call), (7, UseKind::Call), (8, UseKind::Value)]
        );
    }

    #[test]
    fn methods_by_receiver_type_interfaces_and_unknown_receivers() {
        let pkg = package(
            &[(
                "a.go",
                "package a\n\ntype W struct{}\n\nfunc (w *W) Watch(id string) {}\n\ntype Other struct{ n int }\n\nfunc (o Other) Watch(id string) {}\n\ntype Watcher interface {\n\tWatch(id string)\n}\n\nfunc run(w *W, o Other, x unknown) {\n\tw.Watch(\"a\")\n\to.Watch(\"b\")\n\tx.Watch(\"c\")\n\tf := w.Watch\n\tg := (*W).Watch\n\t_, _ = f, g\n}\n",
            )],
            "/m/a",
        );
        let target = FuncRef {
            package: "_//m/a".into(),
            dir: "/m/a".into(),
            package_name: "a".into(),
            receiver: Some("W".into()),
            name: "Watch".into(),
        };
        let got = kinds(&pkg, &target);
        assert_eq!(got[0], (12, UseKind::InterfaceMethod));
        assert_eq!(got[1], (16, UseKind::Call));
        assert!(matches!(got[2], (18, UseKind::Unresolved(_))), "{got:?}");
        assert_eq!(got[3], (19, UseKind::Value));
        assert_eq!(got[4], (20, UseKind::Value));
        assert_eq!(got.len(), 5, "{got:?}");
    }
}
