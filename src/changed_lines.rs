//! Which lines are new: added or changed since a git revision (`git diff`,
//! run here) or in a patch file. A finding counts as new when the line of
//! its constructor (where it starts) is one of them.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

#[derive(Clone, Debug, Default)]
pub struct ChangedLines {
    /// What the diff's paths are relative to (canonical).
    root: PathBuf,
    /// Path relative to `root` -> 1-based new line numbers added or changed.
    lines: HashMap<PathBuf, BTreeSet<usize>>,
    /// Files that are new as a whole (untracked in the working tree).
    whole: HashSet<PathBuf>,
}

impl ChangedLines {
    /// Lines added or changed in the working tree since `rev`, by
    /// `git diff` in the repository around `dir`; untracked files count as
    /// new as a whole.
    pub fn from_rev(dir: &Path, rev: &str) -> Result<ChangedLines> {
        let root = git_toplevel(dir).with_context(|| {
            format!(
                "--new-from-rev needs a git repository, and {} is not in one",
                dir.display()
            )
        })?;
        if rev.starts_with('-') {
            bail!("--new-from-rev {rev:?}: not a git revision");
        }
        let verify = git(
            &root,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{rev}^{{commit}}"),
            ],
        )?;
        if !verify.status.success() {
            bail!(
                "--new-from-rev {rev:?}: no such commit in the repository at {}",
                root.display()
            );
        }
        let out = git(
            &root,
            &[
                "-c",
                "core.quotePath=true",
                "diff",
                "--no-color",
                "--no-ext-diff",
                "--no-textconv",
                "--find-renames",
                "-U0",
                "--src-prefix=a/",
                "--dst-prefix=b/",
                rev,
                "--",
            ],
        )?;
        if !out.status.success() {
            bail!(
                "git diff {rev} failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        let lines = parse_unified(&String::from_utf8_lossy(&out.stdout));
        let out = git(&root, &["ls-files", "--others", "--exclude-standard", "-z"])?;
        let whole = out
            .stdout
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| PathBuf::from(String::from_utf8_lossy(p).into_owned()))
            .collect();
        Ok(ChangedLines { root, lines, whole })
    }

    /// Lines a unified diff adds or changes. Its paths (after `b/`) are
    /// relative to the top of the git repository around `cwd`, or to `cwd`
    /// outside one, as `git diff` writes them.
    pub fn from_patch(patch: &Path, cwd: &Path) -> Result<ChangedLines> {
        let text = std::fs::read(patch)
            .with_context(|| format!("cannot read --new-from-patch {}", patch.display()))?;
        let text = String::from_utf8_lossy(&text);
        if !text.lines().any(|l| l.starts_with("+++ ")) {
            bail!(
                "--new-from-patch {}: not a unified diff (no `+++` line)",
                patch.display()
            );
        }
        let root = match git_toplevel(cwd) {
            Ok(top) => top,
            Err(_) => std::fs::canonicalize(cwd)?,
        };
        Ok(ChangedLines {
            root,
            lines: parse_unified(&text),
            whole: HashSet::new(),
        })
    }

    /// Is 1-based `line` of `path` new?
    pub fn is_changed(&self, path: &Path, line: usize) -> bool {
        let Ok(abs) = std::fs::canonicalize(path) else {
            return false;
        };
        let Ok(rel) = abs.strip_prefix(&self.root) else {
            return false;
        };
        self.whole.contains(rel) || self.lines.get(rel).is_some_and(|l| l.contains(&line))
    }
}

fn git(dir: &Path, args: &[&str]) -> Result<std::process::Output> {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_OPTIONAL_LOCKS", "0")
        .output()
        .context("cannot run git (is it installed and on PATH?)")
}

/// The top folder of the git work tree around `dir`, canonical.
pub fn git_toplevel(dir: &Path) -> Result<PathBuf> {
    let dir = if dir.is_file() {
        dir.parent().unwrap_or(Path::new("."))
    } else {
        dir
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let out = git(dir, &["rev-parse", "--show-toplevel"])?;
    if !out.status.success() {
        bail!("{}", String::from_utf8_lossy(&out.stderr).trim());
    }
    let top = String::from_utf8_lossy(&out.stdout).trim().to_string();
    Ok(std::fs::canonicalize(&top).unwrap_or_else(|_| PathBuf::from(top)))
}

/// Path -> new line numbers that a unified diff adds (a changed line is a
/// removal plus an addition). Deleted files have none.
pub fn parse_unified(text: &str) -> HashMap<PathBuf, BTreeSet<usize>> {
    let mut out: HashMap<PathBuf, BTreeSet<usize>> = HashMap::new();
    let mut current: Option<PathBuf> = None;
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some(rest) = line.strip_prefix("+++ ") {
            current = new_path(rest);
            if let Some(p) = &current {
                out.entry(p.clone()).or_default();
            }
            continue;
        }
        if line.starts_with("diff --git ") {
            current = None;
            continue;
        }
        let Some(header) = line.strip_prefix("@@ ") else {
            continue;
        };
        let Some((old, new)) = hunk_ranges(header) else {
            continue;
        };
        let (mut old_left, mut new_left) = (old, new.1);
        let mut at = new.0;
        // The hunk's lines, counted (a removed line may itself start with `--`).
        while old_left > 0 || new_left > 0 {
            let Some(l) = lines.next() else { break };
            match l.as_bytes().first() {
                Some(b'+') => {
                    if let Some(p) = &current {
                        out.entry(p.clone()).or_default().insert(at);
                    }
                    at += 1;
                    new_left = new_left.saturating_sub(1);
                }
                Some(b'-') => old_left = old_left.saturating_sub(1),
                Some(b'\\') => {}
                _ => {
                    at += 1;
                    old_left = old_left.saturating_sub(1);
                    new_left = new_left.saturating_sub(1);
                }
            }
        }
    }
    out
}

/// `-a,b +c,d @@ ...` -> (old count, (new start, new count)).
fn hunk_ranges(header: &str) -> Option<(usize, (usize, usize))> {
    let mut parts = header.split_whitespace();
    let old = parts.next()?.strip_prefix('-')?;
    let new = parts.next()?.strip_prefix('+')?;
    let count = |s: &str| -> Option<(usize, usize)> {
        match s.split_once(',') {
            Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
            None => Some((s.parse().ok()?, 1)),
        }
    };
    Some((count(old)?.1, count(new)?))
}

/// The path of a `+++` line, without `b/`, a timestamp or quotes; None for
/// `/dev/null`.
fn new_path(rest: &str) -> Option<PathBuf> {
    let rest = rest.split('\t').next().unwrap_or(rest).trim_end();
    let path = if rest.starts_with('"') {
        unquote(rest)?
    } else {
        rest.to_string()
    };
    if path == "/dev/null" {
        return None;
    }
    let path = path.strip_prefix("b/").unwrap_or(&path);
    Some(PathBuf::from(path))
}

/// git's C-style quoting of unusual paths (`"a\tb"`, octal UTF-8 bytes).
fn unquote(s: &str) -> Option<String> {
    let inner = s.strip_prefix('"')?.strip_suffix('"')?;
    let mut bytes = Vec::new();
    let mut chars = inner.bytes().peekable();
    while let Some(b) = chars.next() {
        if b != b'\\' {
            bytes.push(b);
            continue;
        }
        match chars.next()? {
            b'n' => bytes.push(b'\n'),
            b't' => bytes.push(b'\t'),
            b'r' => bytes.push(b'\r'),
            b'a' => bytes.push(7),
            b'b' => bytes.push(8),
            b'f' => bytes.push(12),
            b'v' => bytes.push(11),
            d @ b'0'..=b'7' => {
                let mut v = u32::from(d - b'0');
                for _ in 0..2 {
                    let n = *chars.peek()?;
                    if !(b'0'..=b'7').contains(&n) {
                        break;
                    }
                    v = v * 8 + u32::from(n - b'0');
                    chars.next();
                }
                bytes.push(u8::try_from(v).ok()?);
            }
            other => bytes.push(other),
        }
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(diff: &str, path: &str) -> Vec<usize> {
        parse_unified(diff)
            .get(Path::new(path))
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default()
    }

    #[test]
    fn zero_context_hunks() {
        let diff = "diff --git a/x.go b/x.go\nindex 1..2 100644\n--- a/x.go\n+++ b/x.go\n@@ -3,0 +4,2 @@ func f() {\n+\ta := 1\n+\tb := 2\n@@ -10 +12 @@\n-\told\n+\tnew\n@@ -20,2 +21,0 @@\n-\tgone\n-\tgone\n";
        assert_eq!(lines(diff, "x.go"), [4, 5, 12]);
    }

    #[test]
    fn context_hunks_and_removed_lines_that_look_like_headers() {
        let diff = "--- a/dir/y.rs\n+++ b/dir/y.rs\n@@ -1,4 +1,4 @@\n fn a() {}\n---- not a header\n+// new\n fn b() {}\n fn c() {}\n";
        assert_eq!(lines(diff, "dir/y.rs"), [2]);
    }

    #[test]
    fn new_deleted_renamed_and_quoted_files() {
        let diff = "diff --git a/new.go b/new.go\nnew file mode 100644\n--- /dev/null\n+++ b/new.go\n@@ -0,0 +1,2 @@\n+package a\n+\ndiff --git a/old.go b/old.go\ndeleted file mode 100644\n--- a/old.go\n+++ /dev/null\n@@ -1 +0,0 @@\n-package a\ndiff --git \"a/sp ace\\tx.go\" \"b/sp ace\\tx.go\"\n--- \"a/sp ace\\tx.go\"\n+++ \"b/sp ace\\tx.go\"\n@@ -1 +1 @@\n-a\n+b\n";
        assert_eq!(lines(diff, "new.go"), [1, 2]);
        assert!(!parse_unified(diff).contains_key(Path::new("old.go")));
        assert_eq!(lines(diff, "sp ace\tx.go"), [1]);
    }

    #[test]
    fn octal_escapes_are_utf8_bytes() {
        assert_eq!(
            unquote("\"\\303\\251t\\303\\251.go\"").as_deref(),
            Some("été.go")
        );
    }
}
