//! Just enough type inference to name the receiver of a method call: local
//! variables, parameters, struct fields of the package, and what catalog
//! functions and methods return. Anything unknown stays unknown, and rules
//! treat unknown as "do not touch".

use std::collections::HashMap;

use tree_sitter::Node;

use super::decls::TypeDecl;
use super::{GoFile, GoPackage, GoType, PackageDecls, Signature};
use crate::catalog::go::{CallRef, GoCatalog, TypeName};
use crate::lang::text;

const PLAIN_BUILTINS: [&str; 21] = [
    "error",
    "string",
    "bool",
    "byte",
    "rune",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "uintptr",
    "float32",
    "float64",
    "complex64",
    "complex128",
    "struct{}",
];

/// Standard-library types that hold no reference to anything releasable
/// (interfaces among them describe data: a directory entry, file info).
const PLAIN_QUALIFIED: [(&str, &str); 16] = [
    ("time", "Time"),
    ("time", "Duration"),
    ("time", "Month"),
    ("time", "Weekday"),
    ("io/fs", "FileInfo"),
    ("io/fs", "DirEntry"),
    ("io/fs", "FileMode"),
    ("os", "FileInfo"),
    ("os", "DirEntry"),
    ("os", "FileMode"),
    ("net/url", "URL"),
    ("net/url", "Values"),
    ("net/http", "Header"),
    ("net/netip", "Addr"),
    ("net/netip", "AddrPort"),
    ("math/big", "Int"),
];

/// The type denoted by a type node (`*sql.DB`, `[]string`, `Store`).
pub fn type_of_type_node(node: Node, file: &GoFile, package: &str) -> GoType {
    let src = file.text();
    match node.kind() {
        "pointer_type" | "parenthesized_type" => match node.named_child(0) {
            Some(inner) => type_of_type_node(inner, file, package),
            None => GoType::Other,
        },
        "type_identifier" => {
            let name = text(node, src);
            if PLAIN_BUILTINS.contains(&name) {
                GoType::Plain
            } else if name == "any" || name == "comparable" {
                GoType::Other
            } else {
                GoType::Named(TypeName::new(package, name))
            }
        }
        "qualified_type" => {
            let (Some(pkg), Some(name)) = (
                node.child_by_field_name("package"),
                node.child_by_field_name("name"),
            ) else {
                return GoType::Other;
            };
            let Some(path) = file.imports.resolve(text(pkg, src)) else {
                return GoType::Other;
            };
            let name = text(name, src);
            if PLAIN_QUALIFIED.contains(&(path, name)) {
                GoType::Plain
            } else {
                GoType::Named(TypeName::new(path, name))
            }
        }
        "slice_type" | "array_type" | "implicit_length_array_type" => {
            match node.child_by_field_name("element") {
                Some(e) => GoType::Slice(Box::new(type_of_type_node(e, file, package))),
                None => GoType::Other,
            }
        }
        "map_type" => match (
            node.child_by_field_name("key"),
            node.child_by_field_name("value"),
        ) {
            (Some(k), Some(v)) => GoType::Map(
                Box::new(type_of_type_node(k, file, package)),
                Box::new(type_of_type_node(v, file, package)),
            ),
            _ => GoType::Other,
        },
        "struct_type" if text(node, src).split_whitespace().collect::<String>() == "struct{}" => {
            GoType::Plain
        }
        "channel_type" => match node.child_by_field_name("value") {
            Some(v) => GoType::Chan(Box::new(type_of_type_node(v, file, package))),
            None => GoType::Other,
        },
        "function_type" => GoType::Func,
        "generic_type" => match node.child_by_field_name("type") {
            Some(t) => type_of_type_node(t, file, package),
            None => GoType::Other,
        },
        _ => GoType::Other,
    }
}

/// The result types of a function, method, func literal or func type.
pub fn result_types(func: Node, file: &GoFile, package: &str) -> Vec<GoType> {
    let Some(result) = func.child_by_field_name("result") else {
        return Vec::new();
    };
    if result.kind() != "parameter_list" {
        return vec![type_of_type_node(result, file, package)];
    }
    let mut out = Vec::new();
    let mut c = result.walk();
    for decl in result.named_children(&mut c) {
        if decl.kind() != "parameter_declaration" {
            continue;
        }
        let Some(t) = decl.child_by_field_name("type") else {
            continue;
        };
        let ty = type_of_type_node(t, file, package);
        let mut c2 = decl.walk();
        let names = decl.children_by_field_name("name", &mut c2).count().max(1);
        out.extend(std::iter::repeat_n(ty, names));
    }
    out
}

/// Named results of a function (`func f() (c *Client, err error)`).
pub fn named_results<'s>(func: Node, src: &'s str) -> Vec<&'s str> {
    let Some(result) = func.child_by_field_name("result") else {
        return Vec::new();
    };
    if result.kind() != "parameter_list" {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut c = result.walk();
    for decl in result.named_children(&mut c) {
        let mut c2 = decl.walk();
        out.extend(
            decl.children_by_field_name("name", &mut c2)
                .map(|n| text(n, src)),
        );
    }
    out
}

/// Adds a file's package-level declarations.
pub fn collect_decls(file: &GoFile, package: &str, decls: &mut PackageDecls) {
    let src = file.text();
    let root = file.root();
    let mut cursor = root.walk();
    for decl in root.named_children(&mut cursor) {
        match decl.kind() {
            "type_declaration" => {
                let mut c = decl.walk();
                for spec in decl.named_children(&mut c) {
                    if spec.kind() != "type_spec" {
                        continue;
                    }
                    let (Some(name), Some(ty)) = (
                        spec.child_by_field_name("name"),
                        spec.child_by_field_name("type"),
                    ) else {
                        continue;
                    };
                    if ty.kind() == "struct_type" {
                        decls.struct_fields.insert(
                            text(name, src).to_string(),
                            struct_fields(ty, file, package),
                        );
                    }
                }
            }
            "var_declaration" => {
                let mut specs = Vec::new();
                let mut stack = vec![decl];
                while let Some(n) = stack.pop() {
                    if n.kind() == "var_spec" {
                        specs.push(n);
                    } else {
                        let mut c = n.walk();
                        stack.extend(n.named_children(&mut c));
                    }
                }
                for spec in specs {
                    let ty = match spec.child_by_field_name("type") {
                        Some(t) => type_of_type_node(t, file, package),
                        None => spec
                            .child_by_field_name("value")
                            .and_then(|v| v.named_child(0))
                            .map(|v| literal_type(v, file, package))
                            .unwrap_or(GoType::Other),
                    };
                    let mut c = spec.walk();
                    for name in spec.children_by_field_name("name", &mut c) {
                        decls.vars.insert(text(name, src).to_string(), ty.clone());
                    }
                }
            }
            "function_declaration" => {
                if let Some(name) = decl.child_by_field_name("name") {
                    let released = released_params(decl, src);
                    if !released.is_empty() {
                        decls
                            .releasing_params
                            .insert(text(name, src).to_string(), released);
                    }
                    decls.funcs.insert(
                        text(name, src).to_string(),
                        Signature {
                            results: result_types(decl, file, package),
                        },
                    );
                }
            }
            "method_declaration" => {
                if let (Some(name), Some(recv)) = (
                    decl.child_by_field_name("name"),
                    super::module::receiver_type_name(decl, src),
                ) {
                    decls.methods.insert(
                        (recv, text(name, src).to_string()),
                        Signature {
                            results: result_types(decl, file, package),
                        },
                    );
                }
            }
            _ => {}
        }
    }
}

/// Indices of the parameters a function releases somewhere in its body
/// (`p.Close()`, `p.Body.Close()`, `defer p.Stop()`).
fn released_params(func: Node, src: &str) -> Vec<usize> {
    let Some(params) = func.child_by_field_name("parameters") else {
        return Vec::new();
    };
    let Some(body) = func.child_by_field_name("body") else {
        return Vec::new();
    };
    let mut names = Vec::new();
    let mut c = params.walk();
    for decl in params.named_children(&mut c) {
        let mut c2 = decl.walk();
        let ns: Vec<_> = decl.children_by_field_name("name", &mut c2).collect();
        if ns.is_empty() {
            names.push(String::new());
        }
        names.extend(ns.iter().map(|n| text(*n, src).to_string()));
    }
    let mut out = Vec::new();
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        if n.kind() == "call_expression"
            && let Some(f) = n.child_by_field_name("function")
            && f.kind() == "selector_expression"
            && f.child_by_field_name("field")
                .is_some_and(|m| super::flow::RELEASE_LIKE_METHODS.contains(&text(m, src)))
        {
            // The root of the selector chain: `p` in `p.Body.Close`.
            let mut root = f;
            while let Some(op) = root.child_by_field_name("operand") {
                root = op;
            }
            if root.kind() == "identifier"
                && let Some(i) = names
                    .iter()
                    .position(|p| !p.is_empty() && p == text(root, src))
                && !out.contains(&i)
            {
                out.push(i);
            }
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    out
}

fn struct_fields(ty: Node, file: &GoFile, package: &str) -> HashMap<String, GoType> {
    let src = file.text();
    let mut fields = HashMap::new();
    let mut stack = vec![ty];
    while let Some(n) = stack.pop() {
        if n.kind() == "field_declaration" {
            let Some(t) = n.child_by_field_name("type") else {
                continue;
            };
            let gt = type_of_type_node(t, file, package);
            let mut c = n.walk();
            let names: Vec<_> = n.children_by_field_name("name", &mut c).collect();
            if names.is_empty() {
                // Embedded field: named after its type.
                if let GoType::Named(tn) = &gt {
                    fields.insert(tn.name.clone(), gt.clone());
                }
            }
            for name in names {
                fields.insert(text(name, src).to_string(), gt.clone());
            }
        } else {
            let mut c = n.walk();
            stack.extend(n.named_children(&mut c));
        }
    }
    fields
}

/// The type of `T{...}`, `&T{...}`, `new(T)` expressions; Other for the rest.
fn literal_type(expr: Node, file: &GoFile, package: &str) -> GoType {
    match expr.kind() {
        "composite_literal" => expr
            .child_by_field_name("type")
            .map(|t| type_of_type_node(t, file, package))
            .unwrap_or(GoType::Other),
        "unary_expression" => expr
            .child_by_field_name("operand")
            .map(|o| literal_type(o, file, package))
            .unwrap_or(GoType::Other),
        _ => GoType::Other,
    }
}

/// `n` (a node of `file`'s tree), borrowed for as long as `file` is.
fn node_of<'a>(file: &'a GoFile, n: Node) -> Option<Node<'a>> {
    let mut d = file
        .root()
        .descendant_for_byte_range(n.start_byte(), n.end_byte())?;
    // The deepest node over the range; `n` is it or an ancestor of the same extent.
    loop {
        if d.id() == n.id() {
            return Some(d);
        }
        let p = d.parent()?;
        if p.byte_range() != n.byte_range() {
            return None;
        }
        d = p;
    }
}

/// Types of the local names of one function (and the functions enclosing it).
pub struct TypeEnv<'a> {
    pub pkg: &'a GoPackage,
    pub file: &'a GoFile,
    pub catalog: &'a GoCatalog,
    locals: Locals<'a>,
}

/// The local declarations of a function, in the order they take effect
/// (enclosing functions first, each one's parameters, then its body's
/// declarations in document order): a later entry for a name hides an
/// earlier one. The type of a declaration made from a value is worked out
/// only when the name is asked for (most never are, and each can mean
/// reading a callee's package), as it would have been at that point: with
/// only the entries before it in view.
#[derive(Default)]
struct Locals<'a> {
    entries: Vec<Local<'a>>,
    /// Name -> indices into `entries`, ascending.
    by_name: HashMap<String, Vec<usize>>,
    /// `entries[i]`'s type once worked out (None inside: binds nothing).
    types: std::cell::RefCell<Vec<Option<Option<GoType>>>>,
    /// Entries at or past this index are not in view (while an entry's own
    /// type is worked out).
    horizon: std::cell::Cell<usize>,
}

enum Local<'a> {
    /// A declared type (parameters, `var x T`).
    Typed(GoType),
    /// The `i`-th of `names` names bound by `values`; `hides` when the name
    /// is bound even if its type is unknown (`:=`).
    Value {
        values: std::rc::Rc<Vec<Node<'a>>>,
        i: usize,
        names: usize,
        hides: bool,
    },
}

impl<'a> Locals<'a> {
    fn push(&mut self, name: &str, local: Local<'a>) {
        self.by_name
            .entry(name.to_string())
            .or_default()
            .push(self.entries.len());
        self.entries.push(local);
        self.types.get_mut().push(None);
    }
}

impl<'a> TypeEnv<'a> {
    /// Builds the environment for code inside `func` (a function node): its
    /// receiver, parameters and local declarations, plus those of enclosing
    /// functions (closures see them).
    pub fn for_function(
        pkg: &'a GoPackage,
        file: &'a GoFile,
        catalog: &'a GoCatalog,
        func: Node,
    ) -> TypeEnv<'a> {
        let mut env = TypeEnv {
            pkg,
            file,
            catalog,
            locals: Locals::default(),
        };
        // The same node, borrowed for as long as the file (the declarations
        // keep nodes of it); `func` is always one of the file's.
        let Some(func) = node_of(file, func) else {
            env.locals.horizon.set(usize::MAX);
            return env;
        };
        // Outermost first, so inner declarations override.
        let mut chain = vec![func];
        let mut cur = func;
        while let Some(outer) = crate::lang::go::enclosing_function(cur) {
            chain.push(outer);
            cur = outer;
        }
        for f in chain.into_iter().rev() {
            env.add_function(f);
        }
        env.locals.horizon.set(usize::MAX);
        env
    }

    fn add_function(&mut self, func: Node<'a>) {
        for field in ["receiver", "parameters"] {
            if let Some(list) = func.child_by_field_name(field) {
                self.add_params(list);
            }
        }
        if let Some(result) = func.child_by_field_name("result")
            && result.kind() == "parameter_list"
        {
            self.add_params(result);
        }
        if let Some(body) = func.child_by_field_name("body") {
            self.add_body(body);
        }
    }

    fn add_params(&mut self, list: Node<'a>) {
        let src = self.file.text();
        let mut c = list.walk();
        for decl in list.named_children(&mut c) {
            let Some(t) = decl.child_by_field_name("type") else {
                continue;
            };
            let ty = type_of_type_node(t, self.file, &self.pkg.import_path);
            let mut c2 = decl.walk();
            for name in decl.children_by_field_name("name", &mut c2) {
                self.locals.push(text(name, src), Local::Typed(ty.clone()));
            }
        }
    }

    /// Declarations in document order, not descending into func literals
    /// (their names are added when the env is built for them).
    fn add_body(&mut self, body: Node<'a>) {
        let src = self.file.text();
        let mut stack = vec![body];
        let mut ordered = Vec::new();
        while let Some(n) = stack.pop() {
            match n.kind() {
                "func_literal" => continue,
                "short_var_declaration" | "assignment_statement" | "var_spec" => ordered.push(n),
                _ => {}
            }
            let mut c = n.walk();
            let children: Vec<_> = n.named_children(&mut c).collect();
            stack.extend(children.into_iter().rev());
        }
        ordered.sort_by_key(|n| n.start_byte());
        for n in ordered {
            if n.kind() == "var_spec" {
                let ty = n
                    .child_by_field_name("type")
                    .map(|t| type_of_type_node(t, self.file, &self.pkg.import_path));
                let mut c = n.walk();
                let names: Vec<_> = n.children_by_field_name("name", &mut c).collect();
                let values: std::rc::Rc<Vec<Node>> = std::rc::Rc::new(
                    n.child_by_field_name("value")
                        .map(|v| {
                            let mut c = v.walk();
                            v.named_children(&mut c).collect()
                        })
                        .unwrap_or_default(),
                );
                for (i, name) in names.iter().enumerate() {
                    let local = match &ty {
                        Some(t) => Local::Typed(t.clone()),
                        None => Local::Value {
                            values: values.clone(),
                            i,
                            names: names.len(),
                            hides: false,
                        },
                    };
                    self.locals.push(text(*name, src), local);
                }
                continue;
            }
            if n.kind() == "assignment_statement"
                && n.child_by_field_name("operator")
                    .is_some_and(|o| text(o, src) != "=")
            {
                continue;
            }
            let (Some(left), Some(right)) = (
                n.child_by_field_name("left"),
                n.child_by_field_name("right"),
            ) else {
                continue;
            };
            let mut c = left.walk();
            let names: Vec<_> = left.named_children(&mut c).collect();
            let mut c = right.walk();
            let values: std::rc::Rc<Vec<Node>> =
                std::rc::Rc::new(right.named_children(&mut c).collect());
            for (i, name) in names.iter().enumerate() {
                if name.kind() != "identifier" {
                    continue;
                }
                let key = text(*name, src);
                if key == "_" {
                    continue;
                }
                self.locals.push(
                    key,
                    Local::Value {
                        values: values.clone(),
                        i,
                        names: names.len(),
                        // A new variable of unknown type hides an outer one.
                        hides: n.kind() == "short_var_declaration",
                    },
                );
            }
        }
    }

    /// The type `entries[i]` binds its name to, worked out once with only
    /// the entries before it in view (None: it binds nothing).
    fn entry_type(&self, i: usize) -> Option<GoType> {
        if let Some(known) = &self.locals.types.borrow()[i] {
            return known.clone();
        }
        let ty = match &self.locals.entries[i] {
            Local::Typed(t) => Some(t.clone()),
            Local::Value {
                values,
                i: at,
                names,
                hides,
            } => {
                let saved = self.locals.horizon.replace(i);
                let t = self.value_type(values, *at, *names);
                self.locals.horizon.set(saved);
                t.or_else(|| hides.then_some(GoType::Other))
            }
        };
        self.locals.types.borrow_mut()[i] = Some(ty.clone());
        ty
    }

    /// The type of local `name` as seen from here (the innermost entry in
    /// view that binds it).
    fn local(&self, name: &str) -> Option<GoType> {
        let horizon = self.locals.horizon.get();
        let at = self.locals.by_name.get(name)?;
        at.iter()
            .rev()
            .filter(|&&i| i < horizon)
            .find_map(|&i| self.entry_type(i))
    }

    fn has_local(&self, name: &str) -> bool {
        self.local(name).is_some()
    }

    /// Type of the i-th name bound by `values` (one value per name, or one call for all).
    fn value_type(&self, values: &[Node], i: usize, names: usize) -> Option<GoType> {
        if values.len() == names {
            return self.full_type_of(values[i]);
        }
        if values.len() == 1 && names > 1 {
            let v = values[0];
            if v.kind() == "call_expression"
                && let Some(results) = self.call_results(v)
                && results.len() == names
            {
                return Some(results[i].clone());
            }
            if i == 0 {
                return self.full_type_of(v);
            }
            // `v, ok := m[k]`, `v, ok := x.(T)`, `v, ok := <-ch`: the second is a bool.
            if i == 1
                && matches!(
                    v.kind(),
                    "index_expression" | "type_assertion_expression" | "unary_expression"
                )
            {
                return Some(GoType::Plain);
            }
        }
        None
    }

    /// The result types of a call, from the callee's declaration (this
    /// package, or any package the program can read); None when unknown.
    /// The declared parameters of the function `call` calls (receiver
    /// not included), from the program's index.
    pub fn call_params(&self, call: Node) -> Option<Vec<super::decls::Param>> {
        let src = self.file.text();
        let func = call.child_by_field_name("function")?;
        let program = &self.pkg.program;
        match func.kind() {
            "selector_expression" => {
                let operand = func.child_by_field_name("operand")?;
                let name = text(func.child_by_field_name("field")?, src);
                if let Some(path) = self.package_of(operand) {
                    return program.func(path, name).map(|(_, d)| d.sig.params);
                }
                let recv = self.type_of(operand)?;
                program.method(&recv, name).map(|m| m.sig.params)
            }
            "identifier" => {
                let name = text(func, src);
                if self.has_local(name) {
                    return None;
                }
                program
                    .func(&self.pkg.import_path, name)
                    .map(|(_, d)| d.sig.params)
            }
            _ => None,
        }
    }

    pub fn call_results(&self, call: Node) -> Option<Vec<GoType>> {
        let src = self.file.text();
        let func = call.child_by_field_name("function")?;
        let program = &self.pkg.program;
        match func.kind() {
            "selector_expression" => {
                let operand = func.child_by_field_name("operand")?;
                let name = text(func.child_by_field_name("field")?, src);
                if let Some(path) = self.package_of(operand) {
                    return program.func(path, name).map(|(_, d)| d.sig.result_types());
                }
                let recv = self.type_of(operand)?;
                if recv.package == self.pkg.import_path
                    && let Some(sig) = self
                        .pkg
                        .decls
                        .methods
                        .get(&(recv.name.clone(), name.to_string()))
                    && !sig.results.is_empty()
                {
                    return Some(sig.results.clone());
                }
                program.method(&recv, name).map(|m| m.sig.result_types())
            }
            "identifier" => {
                let name = text(func, src);
                if self.has_local(name) {
                    return None;
                }
                if let Some(sig) = self.pkg.decls.funcs.get(name) {
                    return Some(sig.results.clone());
                }
                program
                    .func(&self.pkg.import_path, name)
                    .map(|(_, d)| d.sig.result_types())
            }
            "parenthesized_expression" => None,
            _ => None,
        }
    }

    /// The type of an expression including slices and maps (`[]string{}`,
    /// `make(map[string]int)`, `names`, `s.counts`, `m[k]`), when it can be told.
    pub fn full_type_of(&self, expr: Node) -> Option<GoType> {
        let src = self.file.text();
        let pkg = &self.pkg.import_path;
        match expr.kind() {
            "identifier" => {
                let name = text(expr, src);
                self.local(name)
                    .or_else(|| self.pkg.decls.vars.get(name).cloned())
                    .or_else(|| self.package_var(name))
            }
            "parenthesized_expression" => self.full_type_of(expr.named_child(0)?),
            "composite_literal" => Some(type_of_type_node(
                expr.child_by_field_name("type")?,
                self.file,
                pkg,
            )),
            "index_expression" => match self.full_type_of(expr.child_by_field_name("operand")?)? {
                GoType::Slice(e) => Some(*e),
                GoType::Map(_, v) => Some(*v),
                _ => None,
            },
            "selector_expression" => {
                let operand = expr.child_by_field_name("operand")?;
                let field = text(expr.child_by_field_name("field")?, src);
                if let Some(path) = self.package_of(operand) {
                    return self
                        .type_of(expr)
                        .map(GoType::Named)
                        .or_else(|| self.pkg.program.var(path, field));
                }
                let t = self.type_of(operand)?;
                self.field_type(&t, field)
            }
            "call_expression" => {
                let func = expr.child_by_field_name("function")?;
                if func.kind() == "identifier"
                    && text(func, src) == "make"
                    && !self.has_local("make")
                {
                    let t = expr.child_by_field_name("arguments")?.named_child(0)?;
                    return Some(type_of_type_node(t, self.file, pkg));
                }
                self.type_of(expr)
                    .map(GoType::Named)
                    .or_else(|| self.call_results(expr)?.into_iter().next())
            }
            _ => self.type_of(expr).map(GoType::Named),
        }
    }

    /// The type of field `name` of struct type `t` (this package's
    /// declarations first, then the program's; promoted fields included).
    pub fn field_type(&self, t: &TypeName, name: &str) -> Option<GoType> {
        if t.package == self.pkg.import_path
            && let Some(f) = self
                .pkg
                .decls
                .struct_fields
                .get(&t.name)
                .and_then(|fields| fields.get(name))
        {
            return Some(f.clone());
        }
        self.pkg.program.field(t, name)
    }

    /// A package-level variable declared in a file of this package that the
    /// unit does not hold (packages read for a function body).
    fn package_var(&self, name: &str) -> Option<GoType> {
        if !self.pkg.partial || self.file.imports.resolve(name).is_some() {
            return None;
        }
        self.pkg.program.var(&self.pkg.import_path, name)
    }

    pub fn local_type(&self, name: &str) -> Option<GoType> {
        self.local(name)
    }

    pub fn is_local(&self, name: &str) -> bool {
        self.has_local(name)
    }

    /// The import path an identifier names, if it is a package (and not a local).
    pub fn package_of(&self, ident: Node) -> Option<&'a str> {
        if ident.kind() != "identifier" {
            return None;
        }
        let name = text(ident, self.file.text());
        if self.has_local(name) || self.pkg.decls.vars.contains_key(name) {
            return None;
        }
        self.file.imports.resolve(name)
    }

    /// The named type of an expression, when it can be told.
    pub fn type_of(&self, expr: Node) -> Option<TypeName> {
        let src = self.file.text();
        let pkg = &self.pkg.import_path;
        match expr.kind() {
            "identifier" => {
                let name = text(expr, src);
                let t = match self
                    .local(name)
                    .or_else(|| self.pkg.decls.vars.get(name).cloned())
                {
                    Some(t) => t,
                    None => self.package_var(name)?,
                };
                match t {
                    GoType::Named(t) => Some(t),
                    _ => None,
                }
            }
            "parenthesized_expression" => self.type_of(expr.named_child(0)?),
            "unary_expression" => {
                let op = expr.child_by_field_name("operator").map(|o| text(o, src));
                if matches!(op, Some("&") | Some("*")) {
                    self.type_of(expr.child_by_field_name("operand")?)
                } else {
                    None
                }
            }
            "composite_literal" => {
                match type_of_type_node(expr.child_by_field_name("type")?, self.file, pkg) {
                    GoType::Named(t) => Some(t),
                    _ => None,
                }
            }
            "type_assertion_expression" => {
                match type_of_type_node(expr.child_by_field_name("type")?, self.file, pkg) {
                    GoType::Named(t) => Some(t),
                    _ => None,
                }
            }
            "selector_expression" => {
                let operand = expr.child_by_field_name("operand")?;
                let field = text(expr.child_by_field_name("field")?, src);
                if let Some(path) = self.package_of(operand) {
                    return self.catalog.var_type(path, field).or_else(|| {
                        match self.pkg.program.var(path, field)? {
                            GoType::Named(t) => Some(t),
                            _ => None,
                        }
                    });
                }
                let t = self.type_of(operand)?;
                match self.field_type(&t, field)? {
                    GoType::Named(f) => Some(f),
                    _ => None,
                }
            }
            "call_expression" => {
                let func = expr.child_by_field_name("function")?;
                match func.kind() {
                    "selector_expression" => {
                        let operand = func.child_by_field_name("operand")?;
                        let name = text(func.child_by_field_name("field")?, src);
                        if let Some(path) = self.package_of(operand) {
                            return self.catalog.func_type(path, name).or_else(|| {
                                match self
                                    .pkg
                                    .program
                                    .func(path, name)?
                                    .1
                                    .sig
                                    .results
                                    .first()?
                                    .ty
                                    .clone()
                                {
                                    GoType::Named(t) => Some(t),
                                    _ => None,
                                }
                            });
                        }
                        let recv = self.type_of(operand)?;
                        if recv.package == *pkg
                            && let Some(sig) = self
                                .pkg
                                .decls
                                .methods
                                .get(&(recv.name.clone(), name.to_string()))
                        {
                            return match sig.results.first()? {
                                GoType::Named(t) => Some(t.clone()),
                                _ => None,
                            };
                        }
                        self.catalog.method_type(&recv, name).or_else(|| {
                            match self
                                .pkg
                                .program
                                .method(&recv, name)?
                                .sig
                                .results
                                .first()?
                                .ty
                                .clone()
                            {
                                GoType::Named(t) => Some(t),
                                _ => None,
                            }
                        })
                    }
                    "identifier" => {
                        let name = text(func, src);
                        if name == "new" {
                            let arg = expr.child_by_field_name("arguments")?.named_child(0)?;
                            return match type_of_type_node(arg, self.file, pkg) {
                                GoType::Named(t) => Some(t),
                                _ => None,
                            };
                        }
                        if self.has_local(name) {
                            return None;
                        }
                        if let Some(t) = self.catalog.func_type(pkg, name) {
                            return Some(t);
                        }
                        let first = match self.pkg.decls.funcs.get(name) {
                            Some(sig) => sig.results.first()?.clone(),
                            None => self
                                .pkg
                                .program
                                .func(pkg, name)?
                                .1
                                .sig
                                .results
                                .first()?
                                .ty
                                .clone(),
                        };
                        match first {
                            GoType::Named(t) => Some(t),
                            _ => None,
                        }
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// Hands `f` the catalog's description of `pkg.F(...)` or `recv.M(...)`
    /// (None for other calls).
    pub fn with_call_ref<R>(&self, call: Node<'a>, f: impl FnOnce(CallRef<'_>) -> R) -> Option<R> {
        let (operand, field) = crate::lang::go::selector_call(call)?;
        let name = text(field, self.file.text());
        Some(match self.package_of(operand) {
            Some(path) => f(CallRef::Func {
                package: path,
                name,
            }),
            None => {
                let receiver = self.type_of(operand);
                f(CallRef::Method {
                    receiver: receiver.as_ref(),
                    name,
                })
            }
        })
    }

    /// Can a value of this type hold a reference to a resource?
    /// A generated type that is data: not an interface with exported
    /// methods (`pb.FooClient`), not a struct with a field of a hand-written
    /// interface type (`fooClient{cc grpc.ClientConnInterface}`).
    fn is_generated_data(&self, t: &TypeName) -> bool {
        let program = &self.pkg.program;
        match program.type_decl(t) {
            Some((_, TypeDecl::Interface { methods, .. })) => !methods
                .keys()
                .any(|m| m.starts_with(|c: char| c.is_ascii_uppercase())),
            Some((_, TypeDecl::Struct(fields))) => !fields.iter().any(|f| {
                matches!(&f.ty, GoType::Named(n)
                    if !n.package.starts_with("google.golang.org/protobuf")
                        && !program.is_generated_type(n)
                        && (program.is_interface(n) || program.type_decl(n).is_none()))
            }),
            _ => true,
        }
    }

    pub fn is_plain(&self, ty: &GoType) -> bool {
        self.is_plain_depth(ty, 0)
    }

    fn is_plain_depth(&self, ty: &GoType, depth: usize) -> bool {
        if depth > 4 {
            return false;
        }
        match ty {
            GoType::Plain => true,
            GoType::Slice(e) => self.is_plain_depth(e, depth + 1),
            GoType::Map(k, v) => {
                self.is_plain_depth(k, depth + 1) && self.is_plain_depth(v, depth + 1)
            }
            GoType::Named(t) if t.package == self.pkg.import_path && !self.pkg.partial => self
                .pkg
                .decls
                .struct_fields
                .get(&t.name)
                .is_some_and(|fields| fields.values().all(|f| self.is_plain_depth(f, depth + 1))),
            GoType::Named(t)
                if PLAIN_QUALIFIED.contains(&(t.package.as_str(), t.name.as_str())) =>
            {
                true
            }
            // Generated messages (protobuf) are data; generated gRPC
            // clients and servers (interfaces with exported methods,
            // structs holding a connection interface) are not.
            GoType::Named(t) if self.pkg.program.is_generated_type(t) => self.is_generated_data(t),
            GoType::Named(t) => self
                .pkg
                .program
                .struct_fields(t)
                .is_some_and(|fields| fields.iter().all(|f| self.is_plain_depth(f, depth + 1))),
            GoType::Other | GoType::Chan(_) | GoType::Func => false,
        }
    }
}
