//! SARIF: the validator, rules, regions and fixes.

use super::*;

/// Validator findings we accept, each for a reason; anything else (every
/// error, every warning, any other note) fails the test.
const ACCEPTED_SARIF_NOTES: &[(&str, &str, &str)] = &[
    (
        "SARIF2002",
        "",
        "ProvideMessageArguments: each message is written for its finding; there are no message templates to fill",
    ),
    (
        "SARIF2003",
        "",
        "ProvideVersionControlProvenance: leakfix does not read git; the code-scanning upload records the commit",
    ),
    (
        "SARIF2006",
        "",
        "UrisShouldBeReachable: checked over the network, which tests do not have",
    ),
    (
        "SARIF2009",
        "",
        "ConsiderConventionalIdentifierValues: rule ids are kebab-case words by the contract (`--rule go-missing-release`), not `LF1001`",
    ),
    (
        "SARIF2012",
        "Note_ProvideHelpUri",
        "ProvideRuleProperties/helpUri: the rule's whole documentation is in `help`; there is no hosted page per rule yet",
    ),
];

/// Microsoft's SARIF validator: the Sarif.Multitool executable that
/// scripts/test.sh installs and names in LEAKFIX_SARIF_MULTITOOL (or one a
/// previous run left in .tools/). Missing: skip visibly, fail in CI.
fn sarif_validator() -> Option<PathBuf> {
    let installed = || {
        let platform = match std::env::consts::OS {
            "linux" => "sarif-multitool-linux/Sarif.Multitool",
            "macos" => "sarif-multitool-darwin/Sarif.Multitool",
            "windows" => "sarif-multitool-win32/Sarif.Multitool.exe",
            _ => return None,
        };
        let p = repo_root()
            .join(".tools/sarif-validator/node_modules/@microsoft")
            .join(platform);
        p.is_file().then_some(p)
    };
    let exe = std::env::var_os("LEAKFIX_SARIF_MULTITOOL")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(installed);
    if let Some(exe) = exe {
        let works = validator_command(&exe)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(works, "the SARIF validator {} does not run", exe.display());
        return Some(exe);
    }
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        panic!(
            "the SARIF validator is required in CI (CI is set) but was not found: run ./scripts/test.sh, which installs it, or set LEAKFIX_SARIF_MULTITOOL"
        );
    }
    eprintln!(
        "SKIPPED: the SARIF validator (npm @microsoft/sarif-multitool) is not installed; ./scripts/test.sh installs it (this test fails instead when CI is set)"
    );
    None
}

fn validator_command(exe: &Path) -> Command {
    let mut c = Command::new(exe);
    // A .NET program: no ICU needed, no telemetry.
    c.env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
        .env("DOTNET_CLI_TELEMETRY_OPTOUT", "1");
    c
}

/// Validates `sarif` with every rule of the SARIF and GitHub Advanced
/// Security kinds at every level, and fails on anything not accepted above.
pub(crate) fn assert_valid_sarif(sarif: &str) {
    let Some(exe) = sarif_validator() else { return };
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("leakfix.sarif");
    let output = dir.path().join("validation.sarif");
    std::fs::write(&input, sarif).unwrap();
    let out = validator_command(&exe)
        .arg("validate")
        .arg(&input)
        .arg("--output")
        .arg(&output)
        .args(["--log", "ForceOverwrite"])
        .args(["--level", "Error;Warning;Note"])
        .args(["--rule-kind", "Sarif;Ghas"])
        .output()
        .unwrap();
    assert!(
        out.status.success() && output.is_file(),
        "the validator failed to run:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let log: Value = serde_json::from_slice(&std::fs::read(&output).unwrap()).unwrap();
    let run = &log["runs"][0];
    let texts: BTreeMap<String, Value> = run["tool"]["driver"]["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["messageStrings"].clone(),
            )
        })
        .collect();
    let mut rejected = Vec::new();
    for r in run["results"].as_array().into_iter().flatten() {
        let rule = r["ruleId"].as_str().unwrap_or("?");
        let level = r["level"].as_str().unwrap_or("warning");
        let id = r["message"]["id"].as_str().unwrap_or("");
        let accepted = level == "note"
            && ACCEPTED_SARIF_NOTES
                .iter()
                .any(|(a, m, _)| *a == rule && (m.is_empty() || *m == id));
        if !accepted {
            let mut text = texts
                .get(rule)
                .and_then(|t| t[id]["text"].as_str())
                .unwrap_or(id)
                .to_string();
            for (i, arg) in r["message"]["arguments"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                text = text.replace(&format!("{{{i}}}"), arg.as_str().unwrap_or(""));
            }
            rejected.push(format!("{level} {rule}: {text}"));
        }
    }
    assert!(
        rejected.is_empty(),
        "SARIF validator:\n{}",
        rejected.join("\n")
    );
}

#[test]
fn sarif_describes_the_tool_and_every_rule() {
    let ws = workspace();
    let sarif: Value =
        serde_json::from_str(&run_ok(ws.path(), &["check", "--format", "sarif"], 1)).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(sarif["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let run = &sarif["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "leakfix");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        driver["informationUri"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        base.starts_with("file:///") && base.ends_with('/'),
        "{base}"
    );

    let rules = driver["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let registry: Vec<&str> = leakfix::rules::all().iter().map(|r| r.meta().id).collect();
    assert_eq!(ids, registry);
    for (rule, meta) in rules.iter().zip(leakfix::rules::all()) {
        let meta = meta.meta();
        assert!(
            rule["shortDescription"]["text"]
                .as_str()
                .unwrap()
                .starts_with(meta.summary)
        );
        assert!(!rule["fullDescription"]["text"].as_str().unwrap().is_empty());
        assert_eq!(rule["defaultConfiguration"]["level"], "warning");
        for part in ["text", "markdown"] {
            let help = rule["help"][part].as_str().unwrap();
            for section in leakfix::rules::DOC_SECTIONS {
                assert!(
                    help.contains(section),
                    "{} help.{part} lacks {section}",
                    meta.id
                );
            }
            // The rules about ignore markers show Go examples.
            let fence = format!("```{}", meta.language.map_or("go", |l| l.name()));
            assert!(
                help.contains(&fence),
                "{}: before/after examples in {fence}",
                meta.id
            );
        }
    }

    for r in run["results"].as_array().unwrap() {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
        assert_eq!(r["level"], "warning");
        assert!(!r["message"]["text"].as_str().unwrap().is_empty());
        let artifact = &r["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(artifact["uriBaseId"], "%SRCROOT%");
    }
}

/// Regions in lines and code-point columns: the snippet is exactly the text
/// the region covers, in every kind of file.
#[test]
fn sarif_regions_count_code_points_and_cover_their_snippet() {
    let ws = mixed_workspace();
    let text = run_ok(ws.path(), &["check", "--format", "sarif"], 1);
    let sarif: Value = serde_json::from_str(&text).unwrap();
    let mut saw_multibyte = false;
    for r in sarif["runs"][0]["results"].as_array().unwrap() {
        let loc = &r["locations"][0]["physicalLocation"];
        let path = uri_to_path(loc["artifactLocation"]["uri"].as_str().unwrap());
        let source = read_text(&ws.path().join(&path));
        let region = &loc["region"];
        let covered = region_text(&source, region);
        assert_eq!(
            covered,
            region["snippet"]["text"].as_str().unwrap(),
            "{path}"
        );
        let context = &loc["contextRegion"];
        assert_eq!(
            region_text(&source, context),
            context["snippet"]["text"].as_str().unwrap()
        );
        let line = source.lines().nth(num(region, "startLine") - 1).unwrap();
        saw_multibyte |= line.len() != line.chars().count();
    }
    assert!(
        saw_multibyte,
        "the fixture has a leak after a non-ASCII identifier"
    );
    // Percent-encoded folder names.
    assert!(
        text.contains("\"odd%20dir%2C%20a%3Ab%20100%25/store.go\""),
        "{text}"
    );
    assert_valid_sarif(&text);
}

/// Start line, start column, end line, end column, inserted text.
type LineColReplacement = (usize, usize, usize, usize, String);

/// The fixes, applied as a SARIF viewer would (replacements in line/column
/// regions of the file as read), give exactly what `fix` writes.
#[test]
fn sarif_fixes_rebuild_what_fix_writes() {
    let ws = mixed_workspace();
    let sarif: Value =
        serde_json::from_str(&run_ok(ws.path(), &["check", "--format", "sarif"], 1)).unwrap();
    let mut by_file: BTreeMap<String, BTreeSet<LineColReplacement>> = BTreeMap::new();
    for r in sarif["runs"][0]["results"].as_array().unwrap() {
        for fix in r["fixes"].as_array().into_iter().flatten() {
            assert!(
                fix["description"]["text"]
                    .as_str()
                    .unwrap()
                    .contains("(safe fix)")
            );
            assert_eq!(fix["properties"]["applicability"], "safe");
            for change in fix["artifactChanges"].as_array().unwrap() {
                let path = uri_to_path(change["artifactLocation"]["uri"].as_str().unwrap());
                assert_eq!(change["artifactLocation"]["uriBaseId"], "%SRCROOT%");
                for rep in change["replacements"].as_array().unwrap() {
                    let d = &rep["deletedRegion"];
                    by_file.entry(path.clone()).or_default().insert((
                        num(d, "startLine"),
                        num(d, "startColumn"),
                        num(d, "endLine"),
                        num(d, "endColumn"),
                        rep["insertedContent"]["text"]
                            .as_str()
                            .unwrap_or("")
                            .to_string(),
                    ));
                }
            }
        }
    }
    let fixed = fixed_copy(ws.path(), &[]);
    let expected = snapshot(fixed.path());
    let mut rebuilt = snapshot(ws.path());
    for (path, reps) in &by_file {
        let bytes = &rebuilt[path].0;
        let (bom, text) = match bytes.strip_prefix("\u{feff}".as_bytes()) {
            Some(rest) => (true, String::from_utf8(rest.to_vec()).unwrap()),
            None => (false, String::from_utf8(bytes.clone()).unwrap()),
        };
        let mut edits: Vec<(usize, usize, &str)> = reps
            .iter()
            .map(|(sl, sc, el, ec, s)| {
                (offset(&text, *sl, *sc), offset(&text, *el, *ec), s.as_str())
            })
            .collect();
        edits.sort();
        let mut out = text.clone();
        for (start, end, s) in edits.iter().rev() {
            out.replace_range(*start..*end, s);
        }
        let mut new = if bom {
            "\u{feff}".as_bytes().to_vec()
        } else {
            Vec::new()
        };
        new.extend(out.into_bytes());
        rebuilt.get_mut(path).unwrap().0 = new;
    }
    assert_eq!(rebuilt.len(), expected.len());
    for (path, (bytes, _)) in &expected {
        assert!(
            rebuilt[path].0 == *bytes,
            "{path}: SARIF fixes give\n{}\nfix writes\n{}",
            String::from_utf8_lossy(&rebuilt[path].0),
            String::from_utf8_lossy(bytes)
        );
    }
}

#[test]
fn sarif_in_fix_mode_shows_what_remains_in_the_files_as_written() {
    let ws = workspace();
    let text = run_ok(ws.path(), &["fix", "--format", "sarif"], 1);
    let sarif: Value = serde_json::from_str(&text).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let remaining: Vec<Leak> = labelled(ws.path()).into_iter().filter(|l| !l.fix).collect();
    assert_eq!(results.len(), remaining.len());
    for (r, leak) in results.iter().zip(&remaining) {
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], leak.path.as_str());
        // `labelled` read the fixed files: the line is where it is now.
        assert_eq!(num(&loc["region"], "startLine"), leak.line);
        let source = read_text(&ws.path().join(&leak.path));
        assert_eq!(
            region_text(&source, &loc["region"]),
            loc["region"]["snippet"]["text"].as_str().unwrap()
        );
    }
    assert_valid_sarif(&text);
}

fn num(v: &Value, key: &str) -> usize {
    v[key].as_u64().unwrap_or_else(|| panic!("{key} in {v}")) as usize
}

/// A relative SARIF uri back to a path (percent-decoded).
fn uri_to_path(uri: &str) -> String {
    let bytes = uri.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&uri[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// A file's text without its BOM, as SARIF positions count it.
fn read_text(path: &Path) -> String {
    let text = String::from_utf8(std::fs::read(path).unwrap()).unwrap();
    text.strip_prefix('\u{feff}')
        .map(str::to_string)
        .unwrap_or(text)
}

/// Byte offset of a 1-based line and code-point column.
fn offset(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    let rest = &text[start..];
    rest.char_indices()
        .map(|(i, _)| i)
        .chain([rest.len()])
        .nth(column - 1)
        .map(|i| start + i)
        .unwrap()
}

fn region_text<'t>(text: &'t str, region: &Value) -> &'t str {
    let start = offset(text, num(region, "startLine"), num(region, "startColumn"));
    let end = offset(text, num(region, "endLine"), num(region, "endColumn"));
    &text[start..end]
}
