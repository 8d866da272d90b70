//! Helpers for the unit tests of the Rust analyses: a parsed file from a
//! string, a function by name.

use std::sync::Arc;

use tree_sitter::Node;

use super::{RustFile, visit};
use crate::lang::{Language, text};
use crate::parse::ParsedFile;
use crate::source::SourceText;

/// `src` parsed as `a.rs`, outside any crate.
pub(crate) fn file(src: &str) -> RustFile {
    let parsed = ParsedFile::parse(
        Arc::from(std::path::Path::new("a.rs")),
        Language::Rust,
        SourceText::new(src.to_string()),
    )
    .unwrap();
    RustFile::new(parsed, None)
}

/// The `fn` item called `name` (the last one, if several).
pub(crate) fn function_named<'t>(f: &'t RustFile, name: &str) -> Node<'t> {
    let mut found = None;
    visit(f.root(), &mut |n| {
        if n.kind() == "function_item"
            && n.child_by_field_name("name")
                .is_some_and(|x| text(x, f.text()) == name)
        {
            found = Some(n);
        }
    });
    found.unwrap()
}
