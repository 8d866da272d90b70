//! CODEOWNERS: who owns a path, read the way GitHub and GitLab read it.
//!
//! - Locations: GitHub looks in `.github/`, the root, then `docs/`; GitLab in
//!   the root, `docs/`, then `.gitlab/`. The first file found is the one.
//! - Lines: `PATTERN OWNER...`; `#` starts a comment; `\#` and `\ ` escape.
//!   Owners are `@user`, `@org/team`, `@@role` (GitLab) or e-mail addresses.
//! - Patterns are gitignore-like: `*` stays within a folder, `**` crosses
//!   them, a leading `/` anchors at the root, a trailing `/` matches only
//!   folders, a pattern names a file or everything under a folder, and
//!   `dir/*` only the files directly in `dir`. A pattern with a `/` inside is
//!   anchored on GitHub (as in gitignore); on GitLab only a leading `/`
//!   anchors (`internal/README.md` matches at any depth).
//! - The last matching line wins (an owner-less line un-owns). GitLab's
//!   sections (`[Name]`, optional `^[Name]`, `[Name][2]`, default owners after
//!   the header) each pick their last matching line, and a path's owners are
//!   those of every required section that matches (of the optional ones when
//!   no required section does); `!pattern` excludes paths from its section.
//!   A file is read as GitLab's when it is `.gitlab/CODEOWNERS`, has
//!   sections, or the repository has a `.gitlab-ci.yml`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use globset::{GlobBuilder, GlobMatcher};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    GitHub,
    GitLab,
}

#[derive(Debug)]
pub struct CodeOwners {
    /// Where it was read from, relative to the repository root.
    pub file: String,
    pub flavor: Flavor,
    sections: Vec<Section>,
}

#[derive(Debug)]
struct Section {
    name: String,
    optional: bool,
    default_owners: Vec<String>,
    entries: Vec<Entry>,
}

#[derive(Debug)]
struct Entry {
    pattern: Pattern,
    owners: Vec<String>,
    /// GitLab `!pattern`: excluded from the section.
    exclude: bool,
}

#[derive(Debug)]
struct Pattern {
    glob: GlobMatcher,
    /// Trailing `/`: folders only.
    dirs_only: bool,
    /// `dir/*`: the files directly in `dir`, not below.
    children_only: bool,
}

const GITHUB_LOCATIONS: [&str; 4] = [
    ".github/CODEOWNERS",
    "CODEOWNERS",
    "docs/CODEOWNERS",
    ".gitlab/CODEOWNERS",
];
const GITLAB_LOCATIONS: [&str; 3] = ["CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS"];

impl CodeOwners {
    /// The CODEOWNERS file of the repository at `root`, if it has one.
    pub fn find(root: &Path) -> Result<Option<CodeOwners>> {
        let gitlab_repo = root.join(".gitlab-ci.yml").is_file() || root.join(".gitlab").is_dir();
        let locations: &[&str] = if gitlab_repo {
            &GITLAB_LOCATIONS
        } else {
            &GITHUB_LOCATIONS
        };
        for rel in locations {
            let path = root.join(rel);
            if !path.is_file() {
                continue;
            }
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let flavor = if gitlab_repo || rel.starts_with(".gitlab/") || has_sections(&text) {
                Flavor::GitLab
            } else {
                Flavor::GitHub
            };
            return Ok(Some(CodeOwners::parse(rel, &text, flavor)));
        }
        Ok(None)
    }

    pub fn parse(file: &str, text: &str, flavor: Flavor) -> CodeOwners {
        let mut sections = vec![Section {
            name: String::new(),
            optional: false,
            default_owners: Vec::new(),
            entries: Vec::new(),
        }];
        let mut current = 0;
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if flavor == Flavor::GitLab
                && let Some((name, optional, owners)) = section_header(line)
            {
                // Sections of the same name (any case) are one section.
                current = match sections
                    .iter()
                    .position(|s| s.name.eq_ignore_ascii_case(&name))
                {
                    Some(i) => {
                        if !owners.is_empty() {
                            sections[i].default_owners = owners;
                        }
                        i
                    }
                    None => {
                        sections.push(Section {
                            name,
                            optional,
                            default_owners: owners,
                            entries: Vec::new(),
                        });
                        sections.len() - 1
                    }
                };
                continue;
            }
            let (raw, rest) = split_pattern(line);
            let (raw, exclude) = match raw.strip_prefix('!') {
                // GitHub does not support negation: such a line is an error there.
                Some(_) if flavor == Flavor::GitHub => continue,
                Some(p) => (p.to_string(), true),
                None => (raw, false),
            };
            let Some(pattern) = Pattern::new(&raw, flavor) else {
                continue;
            };
            let owners = rest
                .split_whitespace()
                .take_while(|w| !w.starts_with('#'))
                .filter(|w| w.contains('@'))
                .map(str::to_string)
                .collect();
            sections[current].entries.push(Entry {
                pattern,
                owners,
                exclude,
            });
        }
        CodeOwners {
            file: file.to_string(),
            flavor,
            sections,
        }
    }

    /// The owners of `path` (relative to the repository root,
    /// `/`-separated), in the file's order, without repeats; empty when
    /// nobody owns it.
    pub fn owners(&self, path: &str) -> Vec<String> {
        let mut required = Vec::new();
        let mut optional = Vec::new();
        for s in &self.sections {
            if s.entries
                .iter()
                .any(|e| e.exclude && e.pattern.matches(path))
            {
                continue;
            }
            let Some(e) = s
                .entries
                .iter()
                .rev()
                .find(|e| !e.exclude && e.pattern.matches(path))
            else {
                continue;
            };
            let owners = if e.owners.is_empty() && self.flavor == Flavor::GitLab {
                &s.default_owners
            } else {
                &e.owners
            };
            if s.optional {
                optional.extend(owners.iter().cloned());
            } else {
                required.extend(owners.iter().cloned());
            }
        }
        let mut owners = if required.is_empty() {
            optional
        } else {
            required
        };
        let mut seen = std::collections::HashSet::new();
        owners.retain(|o| seen.insert(o.to_lowercase()));
        owners
    }
}

fn has_sections(text: &str) -> bool {
    text.lines().any(|l| section_header(l.trim()).is_some())
}

/// `[Name]`, `^[Name]`, `[Name][2]`, each optionally followed by owners.
fn section_header(line: &str) -> Option<(String, bool, Vec<String>)> {
    let (optional, rest) = match line.strip_prefix('^') {
        Some(r) => (true, r),
        None => (false, line),
    };
    let rest = rest.strip_prefix('[')?;
    let close = rest.find(']')?;
    let name = rest[..close].trim().to_string();
    let mut rest = &rest[close + 1..];
    if let Some(r) = rest.strip_prefix('[') {
        let close = r.find(']')?;
        if !r[..close].chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        rest = &r[close + 1..];
    }
    if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let owners = rest
        .split_whitespace()
        .take_while(|w| !w.starts_with('#'))
        .filter(|w| w.contains('@'))
        .map(str::to_string)
        .collect();
    (!name.is_empty()).then_some((name, optional, owners))
}

/// The pattern (unescaped) and the rest of the line.
fn split_pattern(line: &str) -> (String, &str) {
    let mut pattern = String::new();
    let mut chars = line.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, next)) => pattern.push(next),
                None => pattern.push('\\'),
            },
            c if c.is_whitespace() => return (pattern, &line[i..]),
            c => pattern.push(c),
        }
    }
    (pattern, "")
}

impl Pattern {
    fn new(raw: &str, flavor: Flavor) -> Option<Pattern> {
        let dirs_only = raw.ends_with('/') && raw.len() > 1;
        let body = raw.trim_end_matches('/');
        let anchored = body.starts_with('/')
            || (flavor == Flavor::GitHub && body.trim_start_matches('/').contains('/'));
        let body = body.trim_start_matches('/');
        if body.is_empty() {
            return None;
        }
        let children_only = body.ends_with("/*");
        let glob = if anchored || body.starts_with("**") {
            body.to_string()
        } else {
            format!("**/{body}")
        };
        let glob = GlobBuilder::new(&glob)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .ok()?
            .compile_matcher();
        Some(Pattern {
            glob,
            dirs_only,
            children_only,
        })
    }

    /// Does it match the file `path`, or a folder it is in?
    fn matches(&self, path: &str) -> bool {
        if !self.dirs_only && self.glob.is_match(path) {
            return true;
        }
        if self.children_only {
            return false;
        }
        let mut at = path.len();
        while let Some(i) = path[..at].rfind('/') {
            if self.glob.is_match(&path[..i]) {
                return true;
            }
            at = i;
        }
        false
    }
}

/// `path` relative to `root`, `/`-separated (None when outside it).
pub fn relative_to(root: &Path, path: &Path) -> Option<String> {
    let abs: PathBuf = std::fs::canonicalize(path).ok()?;
    let rel = abs.strip_prefix(root).ok()?;
    Some(
        rel.components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn github(text: &str) -> CodeOwners {
        CodeOwners::parse("CODEOWNERS", text, Flavor::GitHub)
    }

    fn owners(c: &CodeOwners, path: &str) -> String {
        c.owners(path).join(" ")
    }

    /// The examples of GitHub's documentation on CODEOWNERS syntax.
    #[test]
    fn github_documentation_examples() {
        let c = github(
            "# comment\n\
             *       @global-owner1 @global-owner2\n\
             *.js    @js-owner #This is an inline comment.\n\
             *.go docs@example.com\n\
             *.txt @octo-org/octocats\n\
             /build/logs/ @doctocat\n\
             docs/*  docs@example.com\n\
             apps/ @octocat\n\
             /docs/ @doctocat\n\
             /scripts/ @doctocat @octocat\n\
             **/logs @octocat\n\
             /apps/ @octocat\n\
             /apps/github\n\
             /apps/ @octocat\n\
             /apps/github @doctocat\n",
        );
        assert_eq!(owners(&c, "README.md"), "@global-owner1 @global-owner2");
        assert_eq!(owners(&c, "src/app.js"), "@js-owner");
        assert_eq!(owners(&c, "main.go"), "docs@example.com");
        assert_eq!(
            owners(&c, "build/logs/a/b.txt"),
            "@octocat",
            "**/logs comes last"
        );
        assert_eq!(owners(&c, "x/build/logs/b.md"), "@octocat", "**/logs");
        // `docs/*` matches the files directly in docs/ ... but /docs/ comes later.
        assert_eq!(owners(&c, "docs/getting-started.md"), "@doctocat");
        assert_eq!(owners(&c, "a/apps/b.md"), "@octocat");
        assert_eq!(owners(&c, "scripts/x.sh"), "@doctocat @octocat");
        assert_eq!(owners(&c, "deeply/nested/logs/x.md"), "@octocat");
        assert_eq!(owners(&c, "apps/github/x.go"), "@doctocat");
        assert_eq!(owners(&c, "apps/other/x.rb"), "@octocat");
    }

    #[test]
    fn github_anchoring_last_match_and_unowning() {
        let c = github("docs/* @docs\n/apps/ @apps\n/apps/github\n");
        assert_eq!(owners(&c, "docs/a.md"), "@docs");
        assert_eq!(owners(&c, "docs/build/a.md"), "", "docs/* is not recursive");
        assert_eq!(owners(&c, "x/docs/a.md"), "", "a slash inside anchors");
        assert_eq!(owners(&c, "apps/a.go"), "@apps");
        assert_eq!(
            owners(&c, "apps/github/a.go"),
            "",
            "an owner-less line un-owns"
        );
        let c = github("/apps/ @a\n!apps/x @b\nfoo\\ bar @c\n\\#notes @d\n");
        assert_eq!(owners(&c, "apps/x/y.go"), "@a", "no negation on GitHub");
        assert_eq!(owners(&c, "foo bar"), "@c");
        assert_eq!(owners(&c, "#notes"), "@d");
    }

    #[test]
    fn gitlab_sections_relative_paths_and_exclusions() {
        let c = CodeOwners::parse(
            ".gitlab/CODEOWNERS",
            "* @admins\n\
             internal/README.md @readme\n\
             [Docs] @docs-team\n\
             docs/\n\
             *.md @writers\n\
             ^[Optional reviewers][2] @helpers\n\
             /src/ @maybe\n\
             [Backend]\n\
             /src/ @backend @Backend\n\
             !/src/generated/\n\
             [docs]\n\
             /guide/ @guides\n",
            Flavor::GitLab,
        );
        assert_eq!(
            owners(&c, "x/internal/README.md"),
            "@readme @writers",
            "relative paths float"
        );
        assert_eq!(
            owners(&c, "docs/a.txt"),
            "@admins @docs-team",
            "section default owners"
        );
        assert_eq!(owners(&c, "a/b.md"), "@admins @writers");
        assert_eq!(
            owners(&c, "src/a.go"),
            "@admins @backend",
            "required sections combine"
        );
        assert_eq!(owners(&c, "src/generated/a.go"), "@admins");
        assert_eq!(
            owners(&c, "guide/x.txt"),
            "@admins @guides",
            "sections merge by name"
        );
        let c = CodeOwners::parse("CODEOWNERS", "^[Opt] @o\n/x/\n", Flavor::GitLab);
        assert_eq!(
            owners(&c, "x/a"),
            "@o",
            "optional owners when no required section matches"
        );
    }

    #[test]
    fn locations_and_flavour() {
        let dir = tempfile::tempdir().unwrap();
        assert!(CodeOwners::find(dir.path()).unwrap().is_none());
        std::fs::write(dir.path().join("CODEOWNERS"), "* @root\n").unwrap();
        std::fs::create_dir(dir.path().join(".github")).unwrap();
        std::fs::write(dir.path().join(".github/CODEOWNERS"), "* @gh\n").unwrap();
        let c = CodeOwners::find(dir.path()).unwrap().unwrap();
        assert_eq!(
            (c.file.as_str(), c.flavor),
            (".github/CODEOWNERS", Flavor::GitHub)
        );
        std::fs::write(dir.path().join(".gitlab-ci.yml"), "").unwrap();
        let c = CodeOwners::find(dir.path()).unwrap().unwrap();
        assert_eq!((c.file.as_str(), c.flavor), ("CODEOWNERS", Flavor::GitLab));
    }
}
