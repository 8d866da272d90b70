//! `check --format diff --split-by codeowners|dir --output DIR`: the same
//! changes as `--format diff`, cut into one patch per owner (CODEOWNERS) or
//! per top-level folder, plus `summary.md` to paste into each pull request.
//!
//! Every changed file goes to exactly one patch, whole, so each patch
//! applies on its own and in any order, and together they are the full
//! diff. The files one fix edits together (a signature and its callers)
//! stay in one patch: the owner of the file where the finding is gets them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::{FileChange, Report};
use crate::cli::SplitBy;
use crate::codeowners::{CodeOwners, relative_to};
use crate::diff::unified;
use crate::finding::Finding;
use crate::fix::Applicability;

pub const SUMMARY: &str = "summary.md";

/// `--split-by`: how patches are grouped, and the folder they go to.
#[derive(Clone, Debug)]
pub struct Split {
    pub by: SplitBy,
    pub output: PathBuf,
}

/// Patches with more fixes than this fold each file's list (`<details>`).
const FOLD_OVER: usize = 15;

/// Checked before the run: DIR is a folder that holds nothing but a
/// previous split (which is replaced), and codeowners has a CODEOWNERS.
pub fn check_options(by: SplitBy, output: &Path, cwd: &Path) -> Result<()> {
    if output.exists() {
        if !output.is_dir() {
            bail!("--output {}: not a folder", output.display());
        }
        for e in std::fs::read_dir(output)
            .with_context(|| format!("cannot read --output {}", output.display()))?
        {
            let name = e?.file_name();
            let name = name.to_string_lossy();
            if !(name.ends_with(".patch") || name == SUMMARY) {
                bail!(
                    "--output {}: the folder holds other files ({name}); give an empty or new folder",
                    output.display()
                );
            }
        }
    }
    if by == SplitBy::Codeowners {
        let root = repo_root(cwd);
        if CodeOwners::find(&root)?.is_none() {
            bail!(
                "--split-by codeowners: no CODEOWNERS in {} (.github/, the root, docs/ or .gitlab/); try --split-by dir",
                root.display()
            );
        }
    }
    Ok(())
}

/// The repository root: the git work tree around `cwd`, or `cwd`.
fn repo_root(cwd: &Path) -> PathBuf {
    crate::changed_lines::git_toplevel(cwd)
        .or_else(|_| std::fs::canonicalize(cwd))
        .unwrap_or_else(|_| cwd.to_path_buf())
}

/// One patch: its owners (or folder) and its files.
struct Patch {
    /// As shown: `@org/team @user`, a folder, or empty (unowned / root files).
    owners: Vec<String>,
    name: String,
    files: Vec<usize>,
    /// Files in it that their CODEOWNERS owners would not have picked
    /// (a fix that edits them together with a file of this owner).
    borrowed: Vec<(usize, Vec<String>)>,
}

/// Writes the patches and summary.md, and tells on `out` what it wrote.
/// `fixed`: the findings whose fixes the changes are.
pub fn write(split: &Split, report: &Report, fixed: &[Finding], out: &mut dyn Write) -> Result<()> {
    let changes = &report.changes;
    let root = repo_root(report.cwd);
    let codeowners = match split.by {
        SplitBy::Codeowners => CodeOwners::find(&root)?,
        SplitBy::Dir => None,
    };
    let owner_of = |c: &FileChange| -> Vec<String> {
        match &codeowners {
            Some(co) => relative_to(&root, &c.path)
                .map(|rel| co.owners(&rel))
                .unwrap_or_default(),
            None => match c.display.split_once('/') {
                Some((top, _)) if top != ".." => vec![format!("{top}/")],
                _ => Vec::new(),
            },
        }
    };
    let index: HashMap<&Path, usize> = changes
        .iter()
        .enumerate()
        .map(|(i, c)| (&*c.path, i))
        .collect();

    // Files one fix edits together form one group (union-find).
    let mut parent: Vec<usize> = (0..changes.len()).collect();
    fn find(parent: &mut [usize], i: usize) -> usize {
        let mut r = i;
        while parent[r] != r {
            r = parent[r];
        }
        let mut i = i;
        while parent[i] != r {
            let next = parent[i];
            parent[i] = r;
            i = next;
        }
        r
    }
    // Which files hold the findings whose fixes made each group.
    let mut homes: Vec<usize> = Vec::new();
    let mut fix_files: Vec<(usize, Vec<usize>)> = Vec::new();
    for (fi, f) in fixed.iter().enumerate() {
        let mut files: Vec<usize> = f
            .fix
            .iter()
            .flat_map(|x| x.paths())
            .filter_map(|p| index.get(&**p).copied())
            .collect();
        if let Some(&home) = index.get(&*f.path) {
            files.push(home);
            homes.push(home);
        }
        files.sort();
        files.dedup();
        for w in files.windows(2) {
            let (a, b) = (find(&mut parent, w[0]), find(&mut parent, w[1]));
            if a != b {
                parent[a.max(b)] = a.min(b);
            }
        }
        fix_files.push((fi, files));
    }
    let owners: Vec<Vec<String>> = changes.iter().map(owner_of).collect();
    let key = |o: &[String]| -> Vec<String> {
        let mut k: Vec<String> = o.iter().map(|s| s.to_lowercase()).collect();
        k.sort();
        k.dedup();
        k
    };
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..changes.len() {
        let g = find(&mut parent, i);
        groups.entry(g).or_default().push(i);
    }
    // A group's owner: the one all its files share, or else the (first)
    // owner of the files its findings are in.
    let mut patches: BTreeMap<Vec<String>, Patch> = BTreeMap::new();
    for files in groups.into_values() {
        let keys: BTreeSet<Vec<String>> = files.iter().map(|&i| key(&owners[i])).collect();
        let home = if keys.len() == 1 {
            files[0]
        } else {
            files
                .iter()
                .copied()
                .filter(|i| homes.contains(i))
                .min_by_key(|&i| key(&owners[i]))
                .unwrap_or(files[0])
        };
        let k = key(&owners[home]);
        let patch = patches.entry(k).or_insert_with(|| Patch {
            owners: owners[home].clone(),
            name: String::new(),
            files: Vec::new(),
            borrowed: Vec::new(),
        });
        for &i in &files {
            if key(&owners[i]) != key(&owners[home]) {
                patch.borrowed.push((i, owners[i].clone()));
            }
        }
        patch.files.extend(files);
    }
    let mut patches: Vec<Patch> = patches.into_values().collect();
    // Unowned (or root files) last; names unique.
    patches.sort_by_key(|p| (p.owners.is_empty(), key(&p.owners)));
    let mut used = BTreeSet::new();
    for p in &mut patches {
        p.files
            .sort_by(|&a, &b| changes[a].display.cmp(&changes[b].display));
        let base = match (p.owners.is_empty(), split.by) {
            (true, SplitBy::Codeowners) => "unowned".to_string(),
            (true, SplitBy::Dir) => "root-files".to_string(),
            (false, _) => slug(&p.owners),
        };
        let mut name = format!("{base}.patch");
        let mut n = 2;
        while !used.insert(name.clone()) {
            name = format!("{base}-{n}.patch");
            n += 1;
        }
        p.name = name;
    }

    std::fs::create_dir_all(&split.output)
        .with_context(|| format!("cannot create {}", split.output.display()))?;
    for e in std::fs::read_dir(&split.output)? {
        let path = e?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if name.is_some_and(|n| n.ends_with(".patch") || n == SUMMARY) {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot replace {}", path.display()))?;
        }
    }
    for p in &patches {
        let mut text = String::new();
        for &i in &p.files {
            let c = &changes[i];
            text.push_str(&unified(&c.display, &c.old_text(), &c.new_text(), 3));
        }
        let path = split.output.join(&p.name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let file_patch: HashMap<usize, usize> = patches
        .iter()
        .enumerate()
        .flat_map(|(pi, p)| p.files.iter().map(move |&f| (f, pi)))
        .collect();
    let mut fixes_of: Vec<Vec<usize>> = vec![Vec::new(); patches.len()];
    for (fi, files) in &fix_files {
        if let Some(&pi) = files.first().and_then(|f| file_patch.get(f)) {
            fixes_of[pi].push(*fi);
        }
    }
    let summary = summary(
        split,
        report,
        fixed,
        &patches,
        &fixes_of,
        codeowners.as_ref(),
    );
    let path = split.output.join(SUMMARY);
    std::fs::write(&path, summary).with_context(|| format!("cannot write {}", path.display()))?;

    let shown = split.output.display();
    for (p, fixes) in patches.iter().zip(&fixes_of) {
        writeln!(
            out,
            "{shown}/{}: {} in {}{}",
            p.name,
            plural(fixes.len(), "fix", "fixes"),
            plural(p.files.len(), "file", "files"),
            owners_suffix(&p.owners),
        )?;
    }
    writeln!(
        out,
        "{shown}/{SUMMARY}: {} in {}, {} ({})",
        plural(fixed.len(), "fix", "fixes"),
        plural(changes.len(), "file", "files"),
        plural(patches.len(), "patch", "patches"),
        match &codeowners {
            Some(c) => format!("owners from {}", c.file),
            None => "one per top-level folder".to_string(),
        }
    )?;
    Ok(())
}

fn owners_suffix(owners: &[String]) -> String {
    if owners.is_empty() {
        String::new()
    } else {
        format!(" for {}", owners.join(" "))
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A file name from an owner list: `@org/team @User` -> `org-team+user`.
fn slug(owners: &[String]) -> String {
    let mut parts: Vec<String> = owners
        .iter()
        .map(|o| {
            o.trim_start_matches('@')
                .trim_end_matches('/')
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                        c.to_ascii_lowercase()
                    } else {
                        '-'
                    }
                })
                .collect()
        })
        .collect();
    parts.sort();
    parts.dedup();
    let s = parts.join("+");
    let s = s.trim_matches(|c| c == '.' || c == '-').to_string();
    if s.len() > 100 {
        // Still unique: the names are de-duplicated by the caller.
        let cut: String = s.chars().take(100).collect();
        format!("{cut}-etc")
    } else if s.is_empty() {
        "owners".to_string()
    } else {
        s
    }
}

fn summary(
    split: &Split,
    report: &Report,
    fixed: &[Finding],
    patches: &[Patch],
    fixes_of: &[Vec<usize>],
    codeowners: Option<&CodeOwners>,
) -> String {
    let changes = &report.changes;
    let mut s = String::new();
    let files: usize = patches.iter().map(|p| p.files.len()).sum();
    let _ = writeln!(
        s,
        "# leakfix: {} in {}, {}\n",
        plural(fixed.len(), "fix", "fixes"),
        plural(files, "file", "files"),
        plural(patches.len(), "patch", "patches")
    );
    let how = match (split.by, codeowners) {
        (SplitBy::Codeowners, Some(c)) => format!("one per owner list in `{}`", c.file),
        _ => "one per top-level folder".to_string(),
    };
    let _ = writeln!(
        s,
        "Written by `leakfix check --format diff --split-by {}`: {how}. \
         Each patch applies on its own, in any order, with `git apply PATCH` \
         from the folder leakfix ran in (`git apply --check PATCH` tries it \
         first). Each section below is a pull-request description for its patch.\n",
        match split.by {
            SplitBy::Codeowners => "codeowners",
            SplitBy::Dir => "dir",
        }
    );
    let _ = writeln!(s, "| patch | owners | files | fixes |");
    let _ = writeln!(s, "| --- | --- | ---: | ---: |");
    for (p, fixes) in patches.iter().zip(fixes_of) {
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} |",
            p.name,
            owners_cell(p, split.by),
            p.files.len(),
            fixes.len()
        );
    }
    let fixed_keys: BTreeSet<(&Path, &str, &str)> = fixed
        .iter()
        .map(|f| (&*f.path, f.rule, f.message.as_str()))
        .collect();
    for (p, fixes) in patches.iter().zip(fixes_of) {
        let _ = writeln!(s, "\n---\n\n## {}: {}\n", p.name, owners_cell(p, split.by));
        let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
        let mut unsafe_count = 0;
        for &fi in fixes {
            *by_rule.entry(fixed[fi].rule).or_default() += 1;
            if fixed[fi]
                .fix
                .as_ref()
                .is_some_and(|x| x.applicability() < Applicability::Safe)
            {
                unsafe_count += 1;
            }
        }
        let rules: Vec<String> = by_rule.iter().map(|(r, n)| format!("{n} `{r}`")).collect();
        let whose = match split.by {
            SplitBy::Codeowners if p.owners.is_empty() => {
                "files no CODEOWNERS line owns".to_string()
            }
            SplitBy::Codeowners => format!("files owned by {}", p.owners.join(" ")),
            SplitBy::Dir if p.owners.is_empty() => "files at the top level".to_string(),
            SplitBy::Dir => format!("files under `{}`", p.owners[0]),
        };
        let _ = writeln!(
            s,
            "This patch applies {} that [leakfix](https://github.com/leakfix/leakfix) found in {} ({whose}): {}.",
            plural(fixes.len(), "fix", "fixes"),
            plural(p.files.len(), "file", "files"),
            rules.join(", ")
        );
        let safe = fixes.len() - unsafe_count;
        let safety = [
            match safe {
                0 => String::new(),
                1 => "1 fix is safe: it changes nothing in what the program does, except release what leaked.".to_string(),
                n => format!("{n} fixes are safe: they change nothing in what the program does, except release what leaked."),
            },
            match unsafe_count {
                0 => String::new(),
                1 => "1 fix is unsafe: it changes structure or lifetimes, so read it closely."
                    .to_string(),
                n => format!(
                    "{n} fixes are unsafe: they change structure or lifetimes, so read them closely."
                ),
            },
        ];
        let safety: Vec<&str> = safety
            .iter()
            .map(String::as_str)
            .filter(|t| !t.is_empty())
            .collect();
        let _ = writeln!(s, "{}\n", safety.join(" "));
        for &i in &p.files {
            let c = &changes[i];
            let here: Vec<&Finding> = fixes
                .iter()
                .map(|&fi| &fixed[fi])
                .filter(|f| f.path == c.path)
                .collect();
            let mut here: Vec<(usize, &Finding)> = here
                .into_iter()
                .map(|f| (line_of(report, fixed, f), f))
                .collect();
            here.sort_by_key(|&(line, f)| (line, f.rule));
            // A long patch folds each file's list, so the description stays short.
            let fold = fixes.len() > FOLD_OVER;
            if fold {
                let _ = writeln!(
                    s,
                    "<details><summary><code>{}</code>: {}</summary>\n",
                    c.display,
                    plural(here.len(), "fix", "fixes")
                );
            } else {
                let _ = writeln!(s, "### `{}`\n", c.display);
            }
            for (line, f) in &here {
                let fix = f.fix.as_ref();
                let _ = writeln!(
                    s,
                    "- line {}, `{}` ({}): {}.  \n  {}.",
                    line,
                    f.rule,
                    fix.map_or("", |x| x.applicability().as_str()),
                    fix.map_or("", |x| x.title()).trim_end_matches('.'),
                    capitalise(f.message.trim_end_matches('.'))
                );
                for n in &f.notes {
                    let _ = writeln!(s, "  Note: {n}");
                }
            }
            if here.is_empty() {
                let _ = writeln!(s, "- edited by a fix in another file of this patch.");
            }
            let _ = writeln!(s);
            if fold {
                let _ = writeln!(s, "</details>\n");
            }
        }
        if !p.borrowed.is_empty() {
            let _ = writeln!(
                s,
                "Some fixes here also edit files with other owners, so that they stay whole:\n"
            );
            for (i, owners) in &p.borrowed {
                let _ = writeln!(
                    s,
                    "- `{}` ({})",
                    changes[*i].display,
                    if owners.is_empty() {
                        "unowned".to_string()
                    } else {
                        owners.join(" ")
                    }
                );
            }
            let _ = writeln!(s);
        }
        // What is left in these files for a person.
        let left: Vec<&super::Reported> = report
            .findings
            .iter()
            .filter(|r| p.files.iter().any(|&i| changes[i].path == r.finding.path))
            .filter(|r| {
                !fixed_keys.contains(&(
                    &*r.finding.path,
                    r.finding.rule,
                    r.finding.message.as_str(),
                ))
            })
            .collect();
        if !left.is_empty() {
            let _ = writeln!(
                s,
                "Not in this patch: {} in these files that need a person (`leakfix check` says why):\n",
                plural(left.len(), "finding", "findings")
            );
            for r in left {
                let _ = writeln!(
                    s,
                    "- `{}:{}` `{}`: {}",
                    r.path,
                    r.finding.start.line,
                    r.finding.rule,
                    r.finding.message.trim_end_matches('.')
                );
            }
            let _ = writeln!(s);
        }
        let _ = writeln!(
            s,
            "`leakfix explain RULE` tells what a rule finds and why its fix is safe. Apply with `git apply {}`.",
            p.name
        );
    }
    s
}

fn owners_cell(p: &Patch, by: SplitBy) -> String {
    match (p.owners.is_empty(), by) {
        (true, SplitBy::Codeowners) => "(unowned)".to_string(),
        (true, SplitBy::Dir) => "(top level)".to_string(),
        (false, _) => p.owners.join(" "),
    }
}

/// The line a fixed finding had in the file as read. A fix applied in a
/// later round of the fix loop was found in partly fixed text: it gets the
/// line of a finding first reported with the same rule and message that no
/// fixed finding has the position of.
fn line_of(report: &Report, fixed: &[Finding], f: &Finding) -> usize {
    let same = |a: &Finding, b: &Finding| a.path == b.path && a.rule == b.rule;
    let first = report.findings.iter().map(|r| &r.finding);
    if first.clone().any(|r| same(r, f) && r.range == f.range) {
        return f.start.line;
    }
    first
        .filter(|r| same(r, f) && r.message == f.message)
        .find(|r| !fixed.iter().any(|x| same(x, r) && x.range == r.range))
        .map_or(f.start.line, |r| r.start.line)
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(
            slug(&["@Org/Team-A".into(), "@bob".into(), "x@example.com".into()]),
            "bob+org-team-a+x-example.com"
        );
        assert_eq!(slug(&["cmd/".into()]), "cmd");
    }
}
