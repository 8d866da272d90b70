//! The rules: one folder per language, one file per rule, one static registry. A rule reads an analysed
//! unit (a Go package or a Rust file) and returns findings with fixes; it
//! never touches files.

mod go;
mod js;
mod rust;
mod suppression;

pub mod callers;

use crate::analysis::go::GoPackage;
use crate::analysis::go::ModuleIndex;
use crate::analysis::js::JsFile;
use crate::analysis::rust::RustFile;
use crate::catalog::go::GoCatalog;
use crate::catalog::js::JsCatalog;
use crate::catalog::rust::RustCatalog;
use crate::finding::Finding;
use crate::fix::Applicability;
use crate::lang::Language;

pub use go::{
    GoAbandonedResult, GoBlockedProducer, GoMissingRelease, GoPerRequestClient,
    GoUnstoppableGoroutine, GoUnstoppableHandler,
};
pub use js::{JsMissingRelease, JsPerRequestClient, JsReleaseOnFinish, JsUnhandledPipe};
pub use rust::{RustDetachedTask, RustPerCallClient, RustUnflushedWriter, RustUnwaitedChild};
pub use suppression::{IgnoreWithoutReason, UnusedIgnore, check_markers};

/// Whether a rule's findings come with a fix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixAvailability {
    Always,
    Sometimes,
    Never,
}

pub struct RuleMeta {
    /// Stable id used by `--rule`, `// leakfix:ignore ID`, reports.
    pub id: &'static str,
    /// The language whose units the engine hands the rule; None for the
    /// rules about `leakfix:ignore` markers, judged after the others over
    /// files of every language (`suppression`).
    pub language: Option<Language>,
    /// What it finds, one line.
    pub summary: &'static str,
    /// What its fix does, one line.
    pub fix_summary: &'static str,
    pub fix_availability: FixAvailability,
    /// The applicability of the fixes it emits.
    pub applicability: Applicability,
    /// Markdown with the sections `## What it does`, `## Why is this bad?`,
    /// `## Example`, `## Use instead`, `## Fix safety`, `## References`.
    pub docs: &'static str,
}

impl RuleMeta {
    /// `go`, `rust`, or `any` for the rules of every language.
    pub fn language_name(&self) -> &'static str {
        self.language.map_or("any", Language::name)
    }
}

/// What rules may read besides the unit itself.
pub struct Context<'a> {
    /// Learned entries, then user configuration, then the built-in catalog.
    pub go_catalog: &'a GoCatalog,
    pub index: &'a ModuleIndex,
    /// User configuration, then the built-in Rust catalog.
    pub rust_catalog: &'a RustCatalog,
    /// Report test code too (`--include-tests`): Rust test modules and
    /// `#[test]` functions live in ordinary files, so rules check it.
    pub include_tests: bool,
    /// User configuration, then the built-in JavaScript catalog.
    pub js_catalog: &'a JsCatalog,
    /// May a JavaScript fix add a package to package.json?
    pub js_add_dependencies: bool,
}

/// What a rule is run on.
pub enum Unit<'a> {
    Go(&'a GoPackage),
    Rust(&'a RustFile),
    Js(&'a JsFile),
}

pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;
    fn check(&self, unit: &Unit<'_>, cx: &Context<'_>, out: &mut Vec<Finding>);

    /// Literals one of which a Go file must contain for this rule to find
    /// anything in its package (the engine parses nothing else), or None
    /// when the rule must see every Go file.
    fn go_literals(&self, _cx: &Context<'_>) -> Option<Vec<String>> {
        None
    }
}

static RULES: &[&dyn Rule] = &[
    &GoMissingRelease,
    &GoUnstoppableGoroutine,
    &GoAbandonedResult,
    &GoBlockedProducer,
    &GoUnstoppableHandler,
    &GoPerRequestClient,
    &RustPerCallClient,
    &RustUnwaitedChild,
    &RustUnflushedWriter,
    &RustDetachedTask,
    &JsMissingRelease,
    &JsPerRequestClient,
    &JsReleaseOnFinish,
    &JsUnhandledPipe,
    &UnusedIgnore,
    &IgnoreWithoutReason,
];

pub fn all() -> &'static [&'static dyn Rule] {
    RULES
}

pub fn by_id(id: &str) -> Option<&'static dyn Rule> {
    RULES.iter().copied().find(|r| r.meta().id == id)
}

/// The sections every rule's docs must have, in this order.
pub const DOC_SECTIONS: [&str; 6] = [
    "## What it does",
    "## Why is this bad?",
    "## Example",
    "## Use instead",
    "## Fix safety",
    "## References",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_kebab_case() {
        let mut ids: Vec<_> = all().iter().map(|r| r.meta().id).collect();
        for id in &ids {
            assert!(
                id.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{id}"
            );
            // A language's rules start with its name; the rules of every
            // language (about ignore markers) start with none of them.
            let meta = by_id(id).unwrap().meta();
            match meta.language {
                Some(l) => assert!(id.starts_with(&format!("{}-", l.name())), "{id}"),
                None => assert!(
                    Language::ALL
                        .iter()
                        .all(|l| !id.starts_with(&format!("{}-", l.name()))),
                    "{id}"
                ),
            }
        }
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(n, ids.len(), "duplicate rule ids");
    }

    #[test]
    fn every_rule_has_complete_docs() {
        for r in all() {
            let docs = r.meta().docs;
            let mut last = 0;
            for s in DOC_SECTIONS {
                let at = docs
                    .find(s)
                    .unwrap_or_else(|| panic!("{}: docs lack {s:?}", r.meta().id));
                assert!(at >= last, "{}: {s:?} out of order", r.meta().id);
                last = at;
            }
        }
    }
}
