//! The baseline file: findings a team has accepted for now, so that CI fails
//! only on new ones. Each entry is keyed by rule, path, enclosing function
//! and normalised statement text (`analysis::anchor`), with a count of the
//! identical findings there, never by line number: lines inserted above,
//! a moved function or a reformatted file keep matching.
//!
//! The file is JSON, sorted, one field per line, so that it diffs well when
//! committed and rewritten.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

pub const VERSION: u32 = 1;

/// What identifies a finding across edits.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    /// `/`-separated, relative to the baseline file's folder.
    pub path: String,
    pub function: String,
    pub rule: String,
    pub statement: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileFormat {
    version: u32,
    /// For people reading the file.
    #[serde(default)]
    about: String,
    findings: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    path: String,
    #[serde(default)]
    function: String,
    rule: String,
    statement: String,
    #[serde(default = "one")]
    count: usize,
    /// For people reading the file; not matched.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    message: String,
}

fn one() -> usize {
    1
}

const ABOUT: &str = "Findings leakfix does not report (leakfix check --baseline FILE). Entries match by path, function, rule and statement text, not by line. Rewrite with leakfix check --write-baseline FILE.";

/// How many findings of each key to hide.
#[derive(Clone, Debug, Default)]
pub struct Baseline {
    counts: HashMap<Key, usize>,
}

impl Baseline {
    pub fn read(path: &Path) -> Result<Baseline> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read baseline {}", path.display()))?;
        let file: FileFormat = serde_json::from_str(&text)
            .with_context(|| format!("bad baseline {}", path.display()))?;
        if file.version != VERSION {
            bail!(
                "baseline {} has version {}; this leakfix reads version {VERSION} (rewrite it with --write-baseline)",
                path.display(),
                file.version
            );
        }
        let mut counts = HashMap::new();
        for e in file.findings {
            let key = Key {
                path: e.path,
                function: e.function,
                rule: e.rule,
                statement: e.statement,
            };
            *counts.entry(key).or_default() += e.count;
        }
        Ok(Baseline { counts })
    }

    pub fn from_keys<'k>(keys: impl IntoIterator<Item = &'k Key>) -> Baseline {
        let mut counts = HashMap::new();
        for k in keys {
            *counts.entry(k.clone()).or_default() += 1;
        }
        Baseline { counts }
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Which of `keys` (findings in position order) the baseline hides: for
    /// each key, as many of the first findings as it counts.
    pub fn hidden(&self, keys: &[Key]) -> Vec<bool> {
        let mut left = self.counts.clone();
        keys.iter()
            .map(|k| match left.get_mut(k) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    true
                }
                _ => false,
            })
            .collect()
    }
}

/// Writes findings (key and message, in any order) as a baseline file,
/// atomically. Returns the number of entries.
pub fn write(path: &Path, findings: &[(Key, String)]) -> Result<usize> {
    let mut grouped: BTreeMap<&Key, (usize, &str)> = BTreeMap::new();
    for (k, message) in findings {
        let e = grouped.entry(k).or_insert((0, message));
        e.0 += 1;
        // The same message whatever order findings come in.
        if message.as_str() < e.1 {
            e.1 = message;
        }
    }
    let entries: Vec<Entry> = grouped
        .into_iter()
        .map(|(k, (count, message))| Entry {
            path: k.path.clone(),
            function: k.function.clone(),
            rule: k.rule.clone(),
            statement: k.statement.clone(),
            count,
            message: message.to_string(),
        })
        .collect();
    let n = entries.len();
    let file = FileFormat {
        version: VERSION,
        about: ABOUT.to_string(),
        findings: entries,
    };
    let mut text = serde_json::to_string_pretty(&file)?;
    text.push('\n');
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write baseline {}", path.display()))?;
    std::io::Write::write_all(&mut tmp, text.as_bytes())?;
    tmp.persist(path)
        .with_context(|| format!("cannot write baseline {}", path.display()))?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(path: &str, statement: &str) -> Key {
        Key {
            path: path.into(),
            function: "f".into(),
            rule: "go-missing-release".into(),
            statement: statement.into(),
        }
    }

    #[test]
    fn counts_hide_the_first_findings_of_a_key() {
        let a = key("a.go", "c:=open()");
        let b = Baseline::from_keys([&a]);
        assert_eq!(
            b.hidden(&[a.clone(), a.clone(), key("a.go", "x")]),
            [true, false, false]
        );
    }

    #[test]
    fn written_files_are_sorted_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.json");
        let (a, z) = (key("a.go", "c:=open()"), key("z.go", "d:=open()"));
        let n = write(
            &path,
            &[
                (z.clone(), "m2".into()),
                (a.clone(), "m1".into()),
                (a.clone(), "m0".into()),
            ],
        )
        .unwrap();
        assert_eq!(n, 2);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.find("a.go").unwrap() < text.find("z.go").unwrap());
        assert!(text.contains("\"count\": 2") && text.contains("\"message\": \"m0\""));
        let b = Baseline::read(&path).unwrap();
        assert_eq!(
            b.hidden(&[a.clone(), a.clone(), a, z]),
            [true, true, false, true]
        );
    }

    #[test]
    fn other_versions_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.json");
        std::fs::write(&path, r#"{"version": 9, "findings": []}"#).unwrap();
        assert!(
            Baseline::read(&path)
                .unwrap_err()
                .to_string()
                .contains("version 9")
        );
    }
}
