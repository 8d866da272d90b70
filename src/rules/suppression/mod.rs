//! Rules about the `leakfix:ignore` markers themselves, for every language.
//! They read no syntax tree: the engine hands over each analysed file's
//! markers with what they silenced in the run (`crate::suppress`), and
//! `crate::adopt` calls `check_markers` once the language rules are done.

mod ignore_without_reason;
mod unused_ignore;

pub use ignore_without_reason::IgnoreWithoutReason;
pub use unused_ignore::UnusedIgnore;

use crate::finding::Finding;
use crate::rules::Rule;
use crate::suppress::IgnoreFile;

/// Findings about the markers in `files`, for the marker rules among `ran`
/// (the rules this run selected). `require_reason`: config `require-reason`.
pub fn check_markers(
    files: &[IgnoreFile],
    ran: &[&'static dyn Rule],
    require_reason: bool,
) -> Vec<Finding> {
    let selected = |id: &str| ran.iter().any(|r| r.meta().id == id);
    let mut out = Vec::new();
    for file in files {
        if selected(unused_ignore::ID) {
            unused_ignore::check(file, ran, &mut out);
        }
        if require_reason && selected(ignore_without_reason::ID) {
            ignore_without_reason::check(file, &mut out);
        }
    }
    out
}

/// Does a marker name `id` (to exempt itself from a marker rule)?
fn names(marker: &crate::suppress::Marker, id: &str) -> bool {
    marker.rules.iter().any(|(r, _)| r == id)
}
