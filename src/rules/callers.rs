//! What a rule gives the callers stage (`crate::engine::callers`) when its fix must
//! also rewrite the uses of a function elsewhere in the module: the
//! `CallerFix` it attaches to its finding, and what that makes of the uses
//! in one package.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::analysis::go::GoPackage;
use crate::analysis::go::uses::{FuncRef, FuncUse};
use crate::finding::{Deferred, Finding};
use crate::fix::Edit;
use crate::rules::Context;

/// The part of a fix that lives where a function is used.
pub trait CallerFix: Send + Sync + fmt::Debug {
    /// The functions (and methods) whose every use the fix must see.
    fn targets(&self) -> &[FuncRef];
    /// Edits for the uses of the targets found in one package, which holds
    /// every file of its folder. Called once per package with a use (in any
    /// order, possibly in parallel); `uses` may be empty when a file only
    /// mentions a target's name.
    fn visit(&self, pkg: &GoPackage, uses: &[FuncUse<'_>], cx: &Context<'_>) -> CallerEdits;
    /// Notes the finding gets only when its fix is completed (an API change
    /// worth knowing about is no news when nothing changes).
    fn notes_when_fixed(&self) -> Vec<String> {
        Vec::new()
    }
}

/// A finding whose fix must be completed at the callers.
pub trait WithCallers {
    /// Asks the engine to complete the fix at the callers.
    fn with_callers(self, callers: Arc<dyn CallerFix>) -> Self;
}

impl WithCallers for Finding {
    fn with_callers(mut self, callers: Arc<dyn CallerFix>) -> Self {
        self.callers = Some(Deferred::new(callers));
        self
    }
}

/// What a `CallerFix` makes of the uses in one package.
#[derive(Debug, Default)]
pub struct CallerEdits {
    pub edits: Vec<Edit>,
    /// For people: a call site that needs a look.
    pub notes: Vec<String>,
    /// Why the fix cannot be completed. Any blocker removes the whole fix.
    pub blockers: Vec<String>,
}

/// A file as messages show it: relative to its module's root (or just its
/// name outside a module), the same on every machine.
pub fn shown_path(module: Option<&crate::analysis::go::GoModule>, path: &Path) -> String {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let rel = match module {
        Some(m) => abs.strip_prefix(&m.root).ok().map(Path::to_path_buf),
        None => abs.file_name().map(PathBuf::from),
    };
    rel.unwrap_or(abs).to_string_lossy().replace('\\', "/")
}
