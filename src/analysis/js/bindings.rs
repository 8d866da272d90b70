//! What a file's imports and requires bind, and the values its top level
//! builds: `import { Pool } from "pg"` binds `Pool` to `pg.Pool`;
//! `const pool = new Pool()` at the top level makes `pool` a value built
//! by `new pg.Pool`.

use std::collections::{HashMap, HashSet};

use tree_sitter::Node;

use crate::catalog::js::ModuleValue;
use crate::lang::js::strip_ts;
use crate::lang::text;

/// A value the top level builds: `const pool = new Pool(...)`.
#[derive(Clone, Debug)]
pub struct Built {
    pub ctor: ModuleValue,
    /// Built with `new` (else by a call).
    pub with_new: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Bindings {
    /// Local name -> the module value it holds.
    modules: HashMap<String, ModuleValue>,
    /// Top-level name -> what built it.
    built: HashMap<String, Built>,
    /// Every name the top level declares (imports, functions, classes,
    /// variables), for new top-level code not to collide with.
    pub top_level: HashSet<String>,
    /// Every name declared or referenced anywhere in the file (property
    /// names after a `.` are not names).
    pub all_names: HashSet<String>,
    pub has_import_syntax: bool,
    pub has_require: bool,
    /// End of the last top-level import or require statement: where a new
    /// one goes.
    pub imports_end: Option<usize>,
    /// Start of the first top-level statement (after comments and
    /// directives such as "use strict").
    pub first_statement: Option<usize>,
}

impl Bindings {
    pub fn module_value(&self, name: &str) -> Option<&ModuleValue> {
        self.modules.get(name)
    }

    pub fn built(&self, name: &str) -> Option<&Built> {
        self.built.get(name)
    }

    /// The local name a module value is already bound to (`onFinished` for
    /// the module `on-finished`).
    pub fn name_of(&self, v: &ModuleValue) -> Option<&str> {
        let mut names: Vec<&String> = self
            .modules
            .iter()
            .filter(|(_, m)| *m == v)
            .map(|(n, _)| n)
            .collect();
        names.sort();
        names.first().map(|s| s.as_str())
    }

    pub fn collect(root: Node, src: &str) -> Bindings {
        let mut b = Bindings::default();
        let mut cursor = root.walk();
        for stmt in root.named_children(&mut cursor) {
            let stmt_kind = stmt.kind();
            if b.first_statement.is_none()
                && stmt_kind != "comment"
                && stmt_kind != "hash_bang_line"
                && !is_directive(stmt, src)
            {
                b.first_statement = Some(stmt.start_byte());
            }
            let decl = if stmt_kind == "export_statement" {
                stmt.child_by_field_name("declaration").unwrap_or(stmt)
            } else {
                stmt
            };
            match decl.kind() {
                "import_statement" => {
                    b.has_import_syntax = true;
                    b.imports_end = Some(stmt.end_byte());
                    b.import(decl, src);
                }
                "export_statement" => b.has_import_syntax = true,
                "lexical_declaration" | "variable_declaration" => {
                    if stmt_kind == "export_statement" {
                        b.has_import_syntax = true;
                    }
                    let mut is_require = false;
                    let mut c = decl.walk();
                    for d in decl.named_children(&mut c) {
                        if d.kind() != "variable_declarator" {
                            continue;
                        }
                        if let Some(name) = d.child_by_field_name("name") {
                            for n in pattern_names(name, src) {
                                b.top_level.insert(n);
                            }
                        }
                        if b.declarator(d, src) {
                            is_require = true;
                        }
                    }
                    if is_require {
                        b.imports_end = Some(stmt.end_byte());
                    }
                }
                "function_declaration"
                | "generator_function_declaration"
                | "class_declaration"
                | "abstract_class_declaration"
                | "enum_declaration"
                | "interface_declaration"
                | "type_alias_declaration" => {
                    if stmt_kind == "export_statement" {
                        b.has_import_syntax = true;
                    }
                    if let Some(n) = decl.child_by_field_name("name") {
                        b.top_level.insert(text(n, src).to_string());
                    }
                }
                // TypeScript: `import x = require("m")`.
                "import_alias" => {}
                _ => {}
            }
        }
        // Requires and derived bindings inside functions count too (code
        // often requires a module where it uses it); the walk also notes
        // every identifier.
        visit_all(root, &mut |n| match n.kind() {
            "identifier"
            | "shorthand_property_identifier"
            | "shorthand_property_identifier_pattern"
            | "type_identifier" => {
                b.all_names.insert(text(n, src).to_string());
            }
            "variable_declarator" if n.parent().and_then(|p| p.parent()) != Some(root) => {
                b.declarator_nested(n, src);
            }
            "call_expression" if !b.has_require && required_module(n, src).is_some() => {
                b.has_require = true;
            }
            _ => {}
        });
        b
    }

    fn import(&mut self, stmt: Node, src: &str) {
        let Some(source) = stmt.child_by_field_name("source") else {
            return;
        };
        let Some(module) = string_value(source, src) else {
            return;
        };
        // `import type { X } from "m"` binds types only.
        if text(stmt, src).starts_with("import type ") {
            return;
        }
        let mut c = stmt.walk();
        for child in stmt.named_children(&mut c) {
            match child.kind() {
                "import_clause" => {
                    let mut cc = child.walk();
                    for part in child.named_children(&mut cc) {
                        match part.kind() {
                            "identifier" => self.bind(text(part, src), &module, ""),
                            "namespace_import" => {
                                if let Some(id) = last_identifier(part) {
                                    self.bind(text(id, src), &module, "");
                                }
                            }
                            "named_imports" => {
                                let mut sc = part.walk();
                                for spec in part.named_children(&mut sc) {
                                    if spec.kind() != "import_specifier"
                                        || text(spec, src).starts_with("type ")
                                    {
                                        continue;
                                    }
                                    let Some(name) = spec.child_by_field_name("name") else {
                                        continue;
                                    };
                                    let alias = spec.child_by_field_name("alias").unwrap_or(name);
                                    let export = text(name, src).trim_matches(['"', '\'']);
                                    let path = if export == "default" { "" } else { export };
                                    self.bind(text(alias, src), &module, path);
                                }
                            }
                            _ => {}
                        }
                    }
                }
                // TypeScript `import x = require("m")`.
                "import_require_clause" => {
                    if let Some(id) = child.named_child(0)
                        && id.kind() == "identifier"
                    {
                        self.bind(text(id, src), &module, "");
                    }
                }
                _ => {}
            }
        }
        for n in self.modules.keys() {
            self.top_level.insert(n.clone());
        }
    }

    fn bind(&mut self, name: &str, module: &str, path: &str) {
        self.modules
            .insert(name.to_string(), ModuleValue::new(module, path));
        self.top_level.insert(name.to_string());
    }

    /// A top-level `name = value`: a require (returns true), a value derived
    /// from a bound module (`const fsp = fs.promises`), or a built value.
    fn declarator(&mut self, d: Node, src: &str) -> bool {
        let (Some(name), Some(value)) = (
            d.child_by_field_name("name"),
            d.child_by_field_name("value"),
        ) else {
            return false;
        };
        let value = strip_ts(value);
        let is_require = required_root(value, src).is_some();
        if let Some(v) = self.value_of(value, src) {
            self.bind_pattern(name, &v, src);
            return is_require;
        }
        if name.kind() == "identifier"
            && let Some(built) = self.built_by(value, src)
        {
            self.built.insert(text(name, src).to_string(), built);
        }
        is_require
    }

    /// A declarator inside a function: only requires and module-derived
    /// values (`const { Pool } = require("pg")` in a function).
    fn declarator_nested(&mut self, d: Node, src: &str) {
        let (Some(name), Some(value)) = (
            d.child_by_field_name("name"),
            d.child_by_field_name("value"),
        ) else {
            return;
        };
        let value = strip_ts(value);
        if required_root(value, src).is_none() {
            return;
        }
        if let Some(v) = self.value_of(value, src) {
            let name_text = text(name, src);
            // Never let a nested require override a top-level binding.
            if name.kind() == "identifier" && self.modules.contains_key(name_text) {
                return;
            }
            for (n, mv) in pattern_bindings(name, &v, src) {
                self.modules.entry(n).or_insert(mv);
            }
        }
    }

    fn bind_pattern(&mut self, pattern: Node, v: &ModuleValue, src: &str) {
        for (n, mv) in pattern_bindings(pattern, v, src) {
            self.modules.insert(n.clone(), mv);
            self.top_level.insert(n);
        }
    }

    /// The module value of `require("m").a.b`, `m.a` (for a bound `m`),
    /// `await import("m")`.
    fn value_of(&self, value: Node, src: &str) -> Option<ModuleValue> {
        match value.kind() {
            "call_expression" => required_module(value, src),
            "identifier" => self.modules.get(text(value, src)).cloned(),
            "member_expression" => {
                let object = value.child_by_field_name("object")?;
                let prop = value.child_by_field_name("property")?;
                Some(
                    self.value_of(strip_ts(object), src)?
                        .member(text(prop, src)),
                )
            }
            "await_expression" => {
                let inner = value.named_child(0)?;
                let f = inner.child_by_field_name("function")?;
                if f.kind() != "import" {
                    return None;
                }
                let arg = inner.child_by_field_name("arguments")?.named_child(0)?;
                Some(ModuleValue::new(&string_value(arg, src)?, ""))
            }
            _ => None,
        }
    }

    /// `new X(...)` / `X(...)` / `X.y(...)` where X is a bound module value.
    fn built_by(&self, value: Node, src: &str) -> Option<Built> {
        let (callee, with_new) = match value.kind() {
            "new_expression" => (value.child_by_field_name("constructor")?, true),
            "call_expression" => (value.child_by_field_name("function")?, false),
            _ => return None,
        };
        let ctor = self.value_of(strip_ts(callee), src)?;
        Some(Built { ctor, with_new })
    }
}

/// Names a binding pattern declares, with the module value each holds when
/// the whole pattern holds `v`: `{ Pool, Client: C }` -> Pool, C.
fn pattern_bindings(pattern: Node, v: &ModuleValue, src: &str) -> Vec<(String, ModuleValue)> {
    let mut out = Vec::new();
    match pattern.kind() {
        "identifier" => out.push((text(pattern, src).to_string(), v.clone())),
        "object_pattern" => {
            let mut c = pattern.walk();
            for p in pattern.named_children(&mut c) {
                match p.kind() {
                    "shorthand_property_identifier_pattern" => {
                        let n = text(p, src);
                        out.push((n.to_string(), v.member(n)));
                    }
                    "pair_pattern" => {
                        let (Some(k), Some(val)) =
                            (p.child_by_field_name("key"), p.child_by_field_name("value"))
                        else {
                            continue;
                        };
                        let key = text(k, src).trim_matches(['"', '\'']);
                        out.extend(pattern_bindings(val, &v.member(key), src));
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
    out
}

/// Every name a binding pattern declares.
pub fn pattern_names(pattern: Node, src: &str) -> Vec<String> {
    let mut out = Vec::new();
    match pattern.kind() {
        "identifier" | "shorthand_property_identifier_pattern" => {
            out.push(text(pattern, src).to_string())
        }
        "object_pattern"
        | "array_pattern"
        | "pair_pattern"
        | "rest_pattern"
        | "assignment_pattern"
        | "object_assignment_pattern" => {
            let mut c = pattern.walk();
            for ch in pattern.named_children(&mut c) {
                if pattern.kind() == "pair_pattern"
                    && pattern.child_by_field_name("key") == Some(ch)
                {
                    continue;
                }
                if matches!(
                    pattern.kind(),
                    "assignment_pattern" | "object_assignment_pattern"
                ) && pattern.child_by_field_name("right") == Some(ch)
                {
                    continue;
                }
                out.extend(pattern_names(ch, src));
            }
        }
        // TypeScript parameters: `x: T`, `x?: T`.
        "required_parameter" | "optional_parameter" => {
            if let Some(p) = pattern.child_by_field_name("pattern") {
                out.extend(pattern_names(p, src));
            }
        }
        _ => {}
    }
    out
}

/// `require("m")` -> `m`; `require("m").x` -> `m.x`.
pub fn required_module(call: Node, src: &str) -> Option<ModuleValue> {
    let call = strip_ts(call);
    match call.kind() {
        "call_expression" => {
            let f = call.child_by_field_name("function")?;
            if f.kind() != "identifier" || text(f, src) != "require" {
                return None;
            }
            let arg = call.child_by_field_name("arguments")?.named_child(0)?;
            Some(ModuleValue::new(&string_value(arg, src)?, ""))
        }
        "member_expression" => {
            let object = call.child_by_field_name("object")?;
            let prop = call.child_by_field_name("property")?;
            Some(required_module(object, src)?.member(text(prop, src)))
        }
        _ => None,
    }
}

/// The `require(...)` at the root of `require("m").a.b`, if any.
fn required_root<'t>(mut n: Node<'t>, src: &str) -> Option<Node<'t>> {
    loop {
        n = strip_ts(n);
        match n.kind() {
            "member_expression" => n = n.child_by_field_name("object")?,
            "call_expression" => {
                let f = n.child_by_field_name("function")?;
                return (f.kind() == "identifier" && text(f, src) == "require").then_some(n);
            }
            _ => return None,
        }
    }
}

/// The value of a string literal without template substitutions.
pub fn string_value(n: Node, src: &str) -> Option<String> {
    match n.kind() {
        "string" => {
            let t = text(n, src);
            Some(t[1..t.len().saturating_sub(1)].to_string())
        }
        "template_string" if n.named_child_count() == 0 => {
            let t = text(n, src);
            Some(t[1..t.len().saturating_sub(1)].to_string())
        }
        _ => None,
    }
}

fn last_identifier(n: Node) -> Option<Node> {
    let mut c = n.walk();
    n.named_children(&mut c)
        .filter(|x| x.kind() == "identifier")
        .last()
}

/// `"use strict";` and other directive prologue strings.
fn is_directive(stmt: Node, src: &str) -> bool {
    stmt.kind() == "expression_statement"
        && stmt.named_child(0).is_some_and(|s| s.kind() == "string")
        && !text(stmt, src).is_empty()
}

fn visit_all<'t>(root: Node<'t>, f: &mut dyn FnMut(Node<'t>)) {
    super::scope::visit(root, f)
}

#[cfg(test)]
mod tests {
    use crate::analysis::js::test_support::file;

    #[test]
    fn top_level_values_and_names() {
        let f = file(
            "a.js",
            "'use strict';\nconst pg = require('pg');\nconst pool = new pg.Pool({ max: 5 });\nconst { promises: fsp } = require('fs');\nfunction handler() {}\n",
        );
        let built = f.bindings.built("pool").unwrap();
        assert_eq!(built.ctor.display(), "pg.Pool");
        assert!(built.with_new);
        assert_eq!(
            f.bindings.module_value("fsp").unwrap().display(),
            "fs.promises"
        );
        assert!(f.bindings.top_level.contains("handler"));
        assert!(f.bindings.has_require && !f.bindings.has_import_syntax);
        let end = f.bindings.imports_end.unwrap();
        assert!(f.text()[..end].ends_with("require('fs');"));
        assert_eq!(f.bindings.first_statement, Some(14));
    }
}
