//! Output: one emitter per format over the same `Report`. Emitters only
//! format; everything they show is computed before.

pub mod diff;
pub mod github;
pub mod json;
pub mod sarif;
pub mod split;
pub mod text;

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use crate::cli::Format;
use crate::cli::Mode;
use crate::finding::{Finding, Problem};
use crate::source::SourceText;

/// What happened to a finding in this run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// `check`: found; not acted on.
    Open,
    /// `fix`: its fix was written.
    Fixed,
    /// `fix`: still there after fixing.
    Remaining,
}

pub struct Reported {
    pub finding: Finding,
    pub status: Status,
    pub path: String,
    /// `--verify`: what the compilers said about its fix.
    pub verdict: Option<crate::verify::Verdict>,
}

/// `--verify`: how the fixes fared.
#[derive(Clone, Debug, Default)]
pub struct VerifySummary {
    pub verified: usize,
    pub withheld: usize,
    pub unverifiable: usize,
    /// Packages (Go) and crates (Rust) checked.
    pub units: usize,
    pub tools: Vec<&'static str>,
    pub elapsed: std::time::Duration,
}

pub struct FileChange {
    pub path: Arc<Path>,
    /// Path as shown (relative to the working directory, `/`-separated).
    pub display: String,
    pub old: SourceText,
    pub new: SourceText,
}

impl FileChange {
    /// Full text including a BOM, for diffs that `git apply` matches byte for byte.
    pub fn old_text(&self) -> String {
        String::from_utf8(self.old.to_bytes()).expect("was UTF-8")
    }

    pub fn new_text(&self) -> String {
        String::from_utf8(self.new.to_bytes()).expect("was UTF-8")
    }
}

pub struct Report<'a> {
    pub mode: Mode,
    pub cwd: &'a Path,
    pub findings: Vec<Reported>,
    pub changes: Vec<FileChange>,
    pub problems: Vec<Problem>,
    /// `--verify`: the counts, for the summary.
    pub verification: Option<VerifySummary>,
    /// Applicability a fix needs to be applied in this run.
    pub min_applicability: crate::fix::Applicability,
    /// A file as it was read (what open and fixed findings point into).
    pub before: &'a dyn Fn(&Path) -> Option<SourceText>,
    /// A file as it is after this run's fixes (what remaining findings point into).
    pub after: &'a dyn Fn(&Path) -> Option<SourceText>,
    /// How many files were scanned.
    pub files_scanned: usize,
}

impl Report<'_> {
    pub fn display_path(&self, path: &Path) -> String {
        display_path(self.cwd, path)
    }

    /// The text a finding's positions refer to.
    pub fn source_of(&self, r: &Reported, path: &Path) -> Option<SourceText> {
        match r.status {
            Status::Remaining => (self.after)(path),
            Status::Open | Status::Fixed => (self.before)(path),
        }
    }

    pub fn count(&self, status: Status) -> usize {
        self.findings.iter().filter(|f| f.status == status).count()
    }
}

/// Relative to `cwd` when below it, `/`-separated, without a leading `./`.
pub fn display_path(cwd: &Path, path: &Path) -> String {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    };
    let shown = abs.strip_prefix(cwd).map(Path::to_path_buf).unwrap_or(abs);
    let mut parts = Vec::new();
    for c in shown.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if parts.last().is_some_and(|p: &String| p != "..") {
                    parts.pop();
                } else {
                    parts.push("..".to_string());
                }
            }
            std::path::Component::RootDir => parts.push(String::new()),
            other => parts.push(other.as_os_str().to_string_lossy().into_owned()),
        }
    }
    let s = parts.join("/");
    if s.is_empty() { ".".into() } else { s }
}

pub fn emit(format: Format, report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    match format {
        Format::Text => text::emit(report, out),
        Format::Diff => diff::emit(report, out),
        Format::Json => json::emit(report, out),
        Format::Github => github::emit(report, out),
        Format::Sarif => sarif::emit(report, out),
    }
}

/// Problems go to stderr whatever the format, one line each.
pub fn emit_problems(report: &Report, err: &mut dyn Write) -> std::io::Result<()> {
    for p in &report.problems {
        writeln!(
            err,
            "leakfix: {}: {}",
            report.display_path(&p.path),
            p.message
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_paths() {
        let cwd = Path::new("/work/repo");
        assert_eq!(display_path(cwd, Path::new("./a/b.go")), "a/b.go");
        assert_eq!(display_path(cwd, Path::new("/work/repo/x.go")), "x.go");
        assert_eq!(
            display_path(cwd, Path::new("/elsewhere/x.go")),
            "/elsewhere/x.go"
        );
        assert_eq!(
            display_path(cwd, Path::new("../other/x.go")),
            "../other/x.go"
        );
    }
}
