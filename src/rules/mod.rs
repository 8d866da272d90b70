//! The rules: one folder per language, one file per rule, one static registry. A rule reads an analysed
//! unit (a Go package or a Rust file) and returns findings with fixes; it
//! never touches files.

mod go;
mod js;
mod rust;

use crate::analysis::go::GoPackage;
use crate::analysis::js::JsFile;
use crate::analysis::rust::RustFile;
use crate::engine::Context;
use crate::finding::Finding;
use crate::fix::Applicability;
use crate::lang::Language;

pub use go::{GoMissingRelease, GoPerRequestClient, GoUnstoppableGoroutine};
pub use js::{JsMissingRelease, JsPerRequestClient, JsReleaseOnFinish, JsUnhandledPipe};
pub use rust::{RustPerCallClient, RustUnflushedWriter, RustUnwaitedChild};

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
    pub language: Language,
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
    &GoPerRequestClient,
    &RustPerCallClient,
    &RustUnwaitedChild,
    &RustUnflushedWriter,
    &JsMissingRelease,
    &JsPerRequestClient,
    &JsReleaseOnFinish,
    &JsUnhandledPipe,
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
            assert!(
                id.starts_with(
                    all()
                        .iter()
                        .find(|r| r.meta().id == *id)
                        .unwrap()
                        .meta()
                        .language
                        .name()
                )
            );
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
