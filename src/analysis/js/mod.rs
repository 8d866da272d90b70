//! JavaScript and TypeScript analysis. A file is the unit: rules see the
//! parsed file, what its imports and requires bind (`bindings`), its
//! package (`package`: package.json, prettier options, tsconfig), the style
//! new code must be written in (`style`), the functions that run once per
//! request or message (`handlers`), the uses of a local (`scope`) and
//! whether a value is released on every path (`flow`).

pub mod bindings;
pub mod flow;
pub mod handlers;
pub mod package;
pub mod scope;
pub mod style;

use std::sync::Arc;

use tree_sitter::Node;

use crate::catalog::js::ModuleValue;
use crate::lang::js::strip_ts;
use crate::lang::{Language, text};
use crate::parse::ParsedFile;
pub use bindings::Bindings;
pub use package::{PackageFinder, PackageInfo};
pub use style::Style;

pub struct JsFile {
    pub parsed: ParsedFile,
    pub package: Option<Arc<PackageInfo>>,
    pub bindings: Bindings,
    pub style: Style,
    /// New imports are written as `import` (else as `require`).
    pub esm: bool,
    /// Functions that run once per request or message.
    pub handlers: Vec<handlers::Handler>,
}

impl JsFile {
    pub fn new(parsed: ParsedFile, package: Option<Arc<PackageInfo>>) -> JsFile {
        let bindings = Bindings::collect(parsed.tree.root_node(), parsed.text());
        let style = Style::of(&parsed, package.as_deref());
        let esm = is_esm(&parsed, &bindings, package.as_deref());
        let mut file = JsFile {
            parsed,
            package,
            bindings,
            style,
            esm,
            handlers: Vec::new(),
        };
        file.handlers = handlers::find(&file);
        file
    }

    /// The handler that runs `node` once per request or message: the
    /// nearest enclosing function registered as one (a callback inside a
    /// handler runs per request too).
    pub fn handler_of(&self, node: Node) -> Option<(Node<'_>, &handlers::Handler)> {
        let mut cur = node.parent();
        while let Some(n) = cur {
            if crate::lang::js::is_function(n)
                && let Some(h) = self.handlers.iter().find(|h| h.range == n.byte_range())
            {
                // Re-find the node in this file's tree for its lifetime.
                let f = self
                    .root()
                    .descendant_for_byte_range(h.range.start, h.range.end)?;
                let f = std::iter::successors(Some(f), |x| x.parent())
                    .find(|x| x.byte_range() == h.range && crate::lang::js::is_function(*x))?;
                return Some((f, h));
            }
            cur = n.parent();
        }
        None
    }

    pub fn text(&self) -> &str {
        self.parsed.text()
    }

    pub fn root(&self) -> Node<'_> {
        self.parsed.tree.root_node()
    }

    pub fn is_typescript(&self) -> bool {
        matches!(self.parsed.language, Language::TypeScript | Language::Tsx)
    }

    /// The module value an expression names, following imports, requires
    /// and member accesses: `pg.Pool` for `Pool` after `const { Pool } =
    /// require("pg")`, `fs.promises.open` for `fs.promises.open`. A name
    /// declared again in an enclosing function is not the import.
    pub fn resolve(&self, expr: Node) -> Option<ModuleValue> {
        let src = self.text();
        let expr = strip_ts(expr);
        match expr.kind() {
            "identifier" => {
                let name = text(expr, src);
                let v = self.bindings.module_value(name)?;
                if scope::is_shadowed(expr, name, src) {
                    return None;
                }
                Some(v.clone())
            }
            "member_expression" => {
                let object = expr.child_by_field_name("object")?;
                let prop = expr.child_by_field_name("property")?;
                if prop.kind() != "property_identifier" {
                    return None;
                }
                Some(self.resolve(object)?.member(text(prop, src)))
            }
            "call_expression" => bindings::required_module(expr, src),
            "await_expression" => {
                // `await import("pg")`
                let inner = expr.named_child(0)?;
                if inner.kind() == "call_expression"
                    && inner.child_by_field_name("function")?.kind() == "import"
                {
                    let arg = inner.child_by_field_name("arguments")?.named_child(0)?;
                    return Some(ModuleValue::new(&bindings::string_value(arg, src)?, ""));
                }
                None
            }
            _ => None,
        }
    }
}

/// Minified or generated code: never reported or edited.
pub fn is_generated(path: &std::path::Path, text: &str) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name.contains(".min.") || name.contains(".bundle.") {
        return true;
    }
    let cut = (0..=text.len().min(600))
        .rev()
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0);
    let head = &text[..cut];
    if head.contains("@generated")
        || head.contains("DO NOT EDIT")
        || head.contains("Code generated")
    {
        return true;
    }
    // Bundles and minified files: very long lines on average.
    let lines = text.lines().count().max(1);
    text.len() > 20_000 && text.len() / lines > 300
}

/// Does the file use `import`/`export` (so a new import is an `import`)?
fn is_esm(parsed: &ParsedFile, bindings: &Bindings, package: Option<&PackageInfo>) -> bool {
    if bindings.has_import_syntax {
        return true;
    }
    if bindings.has_require {
        return false;
    }
    let ext = parsed
        .path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("");
    match ext {
        "mjs" | "mts" => true,
        "cjs" | "cts" => false,
        "ts" | "tsx" => true,
        _ => package.is_some_and(|p| p.is_module),
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use std::path::Path;
    use std::sync::Arc;

    use super::JsFile;
    use crate::lang::Language;
    use crate::parse::ParsedFile;
    use crate::source::SourceText;

    pub fn file(name: &str, src: &str) -> JsFile {
        let path = Path::new(name);
        let lang = Language::from_path(path).unwrap();
        let parsed = ParsedFile::parse(Arc::from(path), lang, SourceText::new(src.to_string()))
            .unwrap_or_else(|p| panic!("{}", p.message));
        JsFile::new(parsed, None)
    }

    /// The first node of `kind` whose text is `text`.
    pub fn find<'t>(file: &'t JsFile, kind: &str, text: &str) -> tree_sitter::Node<'t> {
        let mut found = None;
        crate::analysis::js::scope::visit(file.root(), &mut |n| {
            if found.is_none() && n.kind() == kind && &file.text()[n.byte_range()] == text {
                found = Some(n);
            }
        });
        found.unwrap_or_else(|| panic!("no {kind} {text:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{file, find};

    #[test]
    fn resolves_imports_requires_and_members() {
        let f = file(
            "a.js",
            "const { Pool } = require('pg');\nconst fs = require('node:fs');\nconst fsp = fs.promises;\nfunction g(Pool) { return new Pool(); }\nnew Pool();\nfsp.open('x');\n",
        );
        let pool = find(&f, "expression_statement", "new Pool();")
            .named_child(0)
            .unwrap();
        let ctor = pool.child_by_field_name("constructor").unwrap();
        assert_eq!(f.resolve(ctor).unwrap().display(), "pg.Pool");
        let shadowed = find(&f, "return_statement", "return new Pool();");
        let ctor = shadowed
            .named_child(0)
            .unwrap()
            .child_by_field_name("constructor")
            .unwrap();
        assert!(f.resolve(ctor).is_none(), "a parameter named Pool");
        let open = find(&f, "member_expression", "fsp.open");
        assert_eq!(f.resolve(open).unwrap().display(), "fs.promises.open");
        assert!(!f.esm);
    }

    #[test]
    fn resolves_es_imports() {
        let f = file(
            "a.ts",
            "import pg from 'pg';\nimport * as fsp from 'node:fs/promises';\nimport { createClient as mk } from 'redis';\nnew pg.Pool();\nfsp.open('x');\nmk();\n",
        );
        let m = find(&f, "member_expression", "pg.Pool");
        assert_eq!(f.resolve(m).unwrap().display(), "pg.Pool");
        let m = find(&f, "member_expression", "fsp.open");
        assert_eq!(f.resolve(m).unwrap().display(), "fs/promises.open");
        let m = find(&f, "identifier", "mk");
        assert!(f.resolve(m).is_some());
        assert!(f.esm);
    }
}
