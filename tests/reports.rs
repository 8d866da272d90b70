//! Reports for CI and pipelines, over a folder of known leaks
//! (tests/fixtures/reports/known-leaks, labelled like the rule fixtures):
//! every output format, exit codes, that `check` never writes, the progress
//! bar, and the pre-commit hook and GitHub Action definitions.
//!
//! Each run happens in a copy of the fixture with the copy as the working
//! directory, as in CI: paths in the reports are relative to it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde::Deserialize;
use serde_json::Value;

use crate::common::{Label, copy_dir, label_of, leakfix, repo_root, require_tool};

const FORMATS: [&str; 5] = ["text", "diff", "json", "sarif", "github"];

fn known_leaks() -> PathBuf {
    repo_root().join("tests/fixtures/reports/known-leaks")
}

/// A leak a fixture labels: file (relative, `/`-separated), 1-based line of
/// the constructor call, and whether it gets a fix.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Leak {
    path: String,
    line: usize,
    fix: bool,
}

/// Every labelled leak in the `.go` and `.js` files below `dir`.
fn labelled(dir: &Path) -> Vec<Leak> {
    let mut leaks = Vec::new();
    for file in files(dir) {
        if file.extension().is_none_or(|e| e != "go" && e != "js") {
            continue;
        }
        let text = String::from_utf8(std::fs::read(dir.join(&file)).unwrap()).unwrap();
        for (i, line) in text.lines().enumerate() {
            let fix = match label_of(line) {
                Some(Label::Leak) => true,
                Some(Label::LeakNoFix) => false,
                _ => continue,
            };
            leaks.push(Leak {
                path: slash(&file),
                line: i + 1,
                fix,
            });
        }
    }
    leaks.sort();
    leaks
}

/// Relative paths of every file below `dir`, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                if e.file_name() != ".git" {
                    walk(root, &e.path(), out);
                }
            } else {
                out.push(e.path().strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn slash(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Every file's bytes (and whether it is executable) below `dir`: two equal
/// snapshots mean nothing was written, created or removed.
fn snapshot(dir: &Path) -> BTreeMap<String, (Vec<u8>, bool)> {
    files(dir)
        .into_iter()
        .map(|f| {
            let p = dir.join(&f);
            let meta = std::fs::metadata(&p).unwrap();
            #[cfg(unix)]
            let exec = std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o111 != 0;
            #[cfg(not(unix))]
            let exec = meta.permissions().readonly();
            (slash(&f), (std::fs::read(&p).unwrap(), exec))
        })
        .collect()
}

/// A copy of the known leaks, as the working directory of a run.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&known_leaks(), dir.path());
    dir
}

/// The known leaks plus the files that trip reports up: CRLF line endings,
/// a BOM (also where a diff hunk starts at line 1), and folder names with a
/// space, a comma, a colon and a percent sign.
fn mixed_workspace() -> tempfile::TempDir {
    let dir = workspace();
    let store = std::fs::read_to_string(known_leaks().join("store/store.go")).unwrap();
    let put = |rel: &str, bytes: Vec<u8>| {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    };
    put(
        "crlf/store.go",
        store
            .replace("package store", "package crlf")
            .replace('\n', "\r\n")
            .into_bytes(),
    );
    let mut bom = "\u{feff}".to_string();
    bom.push_str(&store.replace("package store", "package bom"));
    put("bom/store.go", bom.into_bytes());
    put(
        "bom/top.go",
        "\u{feff}package bom; import \"time\"\nfunc Tick() {\n\tt := time.NewTicker(time.Second) // leak\n\t<-t.C\n}\n"
            .as_bytes()
            .to_vec(),
    );
    put(
        "odd dir, a:b 100%/store.go",
        store.replace("package store", "package odd").into_bytes(),
    );
    dir
}

fn run(dir: &Path, args: &[&str]) -> Output {
    leakfix()
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs and checks the exit code; returns stdout.
fn run_ok(dir: &Path, args: &[&str], code: i32) -> String {
    let out = run(dir, args);
    assert_eq!(
        out.status.code(),
        Some(code),
        "leakfix {args:?}\nstdout:\n{}\nstderr:\n{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

/// What `leakfix fix ARGS` writes, run on a copy of `dir`.
fn fixed_copy(dir: &Path, args: &[&str]) -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    copy_dir(dir, copy.path());
    let mut full = vec!["fix"];
    full.extend(args);
    let out = run(copy.path(), &full);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "fix failed: {}",
        stderr(&out)
    );
    copy
}

// ---------------------------------------------------------------------------
// The issue's acceptance scenario, format by format.

#[test]
fn acceptance_exit_codes() {
    let ws = workspace();
    assert!(!labelled(ws.path()).is_empty());
    for format in FORMATS {
        run_ok(ws.path(), &["check", "--format", format], 1);
        run_ok(ws.path(), &["check", "--format", format, "--exit-zero"], 0);
        let out = run(ws.path(), &["check", "--format", format, "no/such/path"]);
        assert_eq!(out.status.code(), Some(2), "{format}");
        assert!(stdout(&out).is_empty(), "a failed run prints no report");
        assert!(stderr(&out).contains("no/such/path"), "{}", stderr(&out));
        // One good path and one missing one: still a failed run.
        let out = run(ws.path(), &["check", "--format", format, ".", "missing.go"]);
        assert_eq!(out.status.code(), Some(2), "{format}");
    }
}

#[test]
fn acceptance_sarif_one_result_per_leak_and_no_validator_error() {
    let ws = workspace();
    let text = run_ok(ws.path(), &["check", "--format", "sarif"], 1);
    let sarif: Value = serde_json::from_str(&text).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let found: Vec<Leak> = results
        .iter()
        .map(|r| {
            let loc = &r["locations"][0]["physicalLocation"];
            Leak {
                path: loc["artifactLocation"]["uri"].as_str().unwrap().to_string(),
                line: loc["region"]["startLine"].as_u64().unwrap() as usize,
                fix: r["fixes"].as_array().is_some_and(|f| !f.is_empty()),
            }
        })
        .collect();
    assert_eq!(sorted(found), labelled(ws.path()));
    assert_valid_sarif(&text);
}

#[test]
fn acceptance_github_one_annotation_per_leak_on_the_constructor_line() {
    let ws = workspace();
    let text = run_ok(ws.path(), &["check", "--format", "github"], 1);
    let found: Vec<Leak> = text
        .lines()
        .map(|l| {
            let (props, _) = parse_annotation(l);
            Leak {
                path: props["file"].clone(),
                line: props["line"].parse().unwrap(),
                fix: l.contains("%0Afix ("),
            }
        })
        .collect();
    assert_eq!(sorted(found), labelled(ws.path()));
}

#[test]
fn acceptance_json_one_finding_per_leak() {
    let ws = workspace();
    let doc = json(&run_ok(ws.path(), &["check", "--format", "json"], 1));
    let found: Vec<Leak> = doc
        .findings
        .iter()
        .map(|f| Leak {
            path: f.path.clone(),
            line: f.range.start.line,
            fix: f.fix.is_some(),
        })
        .collect();
    assert_eq!(sorted(found), labelled(ws.path()));
}

#[test]
fn acceptance_diff_applied_where_check_ran_gives_what_fix_writes() {
    if !require_tool("git") {
        return;
    }
    let ws = workspace();
    assert_diff_equals_fix(ws.path(), &[]);
}

fn sorted(mut v: Vec<Leak>) -> Vec<Leak> {
    v.sort();
    v
}

// ---------------------------------------------------------------------------
// check never writes; failed runs exit 2.

#[test]
fn check_never_writes_in_any_format() {
    let ws = mixed_workspace();
    let before = snapshot(ws.path());
    for format in FORMATS {
        for extra in [&[][..], &["--unsafe"], &["--include-tests", "--exit-zero"]] {
            let mut args = vec!["check", "--format", format];
            args.extend(extra);
            let out = run(ws.path(), &args);
            assert!(
                matches!(out.status.code(), Some(0 | 1)),
                "{args:?}: {}",
                stderr(&out)
            );
            assert_eq!(
                snapshot(ws.path()),
                before,
                "leakfix {args:?} changed the tree"
            );
        }
    }
}

#[test]
fn failed_runs_exit_2_with_a_message_and_no_report() {
    let ws = workspace();
    std::fs::write(ws.path().join("broken.toml"), "skip = [\n").unwrap();
    std::fs::write(ws.path().join("unknown-key.toml"), "colour = true\n").unwrap();
    std::fs::write(ws.path().join("bad-rule.toml"), "select = [\"go-nope\"]\n").unwrap();
    let cases: [(&[&str], &str); 7] = [
        (&["check", "missing-dir"], "missing-dir"),
        (&["check", "--config", "broken.toml"], "broken.toml"),
        (
            &["check", "--config", "unknown-key.toml"],
            "unknown-key.toml",
        ),
        (&["check", "--config", "bad-rule.toml"], "go-nope"),
        (&["check", "--config", "absent.toml"], "absent.toml"),
        (&["check", "--rule", "go-nope"], "go-nope"),
        (&["check", "--skip-rule", "go-nope"], "go-nope"),
    ];
    for (args, mentions) in cases {
        for format in ["text", "sarif", "json"] {
            let mut full = args.to_vec();
            full.extend(["--format", format]);
            let out = run(ws.path(), &full);
            assert_eq!(out.status.code(), Some(2), "{full:?}: {}", stderr(&out));
            assert!(stdout(&out).is_empty(), "{full:?} printed a report");
            assert!(
                stderr(&out).contains(mentions),
                "{full:?}: {}",
                stderr(&out)
            );
        }
    }
    // The same config found by itself (leakfix.toml upwards) fails the same way.
    std::fs::copy(
        ws.path().join("unknown-key.toml"),
        ws.path().join("leakfix.toml"),
    )
    .unwrap();
    let out = run(ws.path(), &["check"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn a_file_that_does_not_parse_is_reported_but_does_not_fail_the_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ok.go"), "package a\n\nfunc f() {}\n").unwrap();
    // (It must mention a resource: files without one are never parsed.)
    std::fs::write(
        dir.path().join("broken.go"),
        "package a\n\nimport \"os\"\n\nfunc f( {\n\tf, err := os.Open(\"x\")\n",
    )
    .unwrap();
    for format in FORMATS {
        let out = run(dir.path(), &["check", "--format", format]);
        assert_eq!(out.status.code(), Some(0), "{format}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("broken.go"),
            "{format}: {}",
            stderr(&out)
        );
    }
    let sarif: Value =
        serde_json::from_str(&run_ok(dir.path(), &["check", "--format", "sarif"], 0)).unwrap();
    let notes = &sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"];
    assert_eq!(
        notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "broken.go"
    );
    let doc = json(&run_ok(dir.path(), &["check", "--format", "json"], 0));
    assert_eq!(doc.problems.len(), 1);
    assert_eq!(doc.problems[0].path, "broken.go");
    assert_eq!(doc.problems[0].kind, "syntax");
    assert!(!doc.problems[0].message.is_empty());
}

#[test]
fn fix_exit_codes_count_what_remains() {
    // The known leaks keep one leak without a fix: 1 after fixing, 0 with --exit-zero.
    let ws = workspace();
    run_ok(ws.path(), &["fix"], 1);
    run_ok(ws.path(), &["fix", "--exit-zero"], 0);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.go"),
        std::fs::read_to_string(known_leaks().join("main.go")).unwrap(),
    )
    .unwrap();
    run_ok(dir.path(), &["check"], 1);
    run_ok(dir.path(), &["fix"], 0);
    run_ok(dir.path(), &["check"], 0);
}

// ---------------------------------------------------------------------------
// SARIF

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

// ---------------------------------------------------------------------------
// GitHub annotations

/// `::warning k=v,k=v::message` -> (properties, message), unescaped.
fn parse_annotation(line: &str) -> (BTreeMap<String, String>, String) {
    let rest = line
        .strip_prefix("::warning ")
        .unwrap_or_else(|| panic!("not an annotation: {line:?}"));
    let (props, message) = rest.split_once("::").unwrap();
    let props = props
        .split(',')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_string(), unescape(v))
        })
        .collect();
    (props, unescape(message))
}

fn unescape(s: &str) -> String {
    s.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
}

#[test]
fn github_annotations_carry_position_rule_and_escaped_message() {
    let ws = mixed_workspace();
    let text = run_ok(ws.path(), &["check", "--format", "github"], 1);
    let doc = json(&run_ok(ws.path(), &["check", "--format", "json"], 1));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), doc.findings.len(), "{text}");
    assert_eq!(lines.len(), labelled(ws.path()).len());
    for (line, f) in lines.iter().zip(&doc.findings) {
        assert!(!line.contains('\r'), "a raw line break in {line:?}");
        let (props, message) = parse_annotation(line);
        let keys: Vec<&str> = props.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["col", "endColumn", "endLine", "file", "line", "title"]
        );
        assert_eq!(props["file"], f.path);
        assert_eq!(props["line"], f.range.start.line.to_string());
        assert_eq!(props["col"], f.range.start.column.to_string());
        assert_eq!(props["endLine"], f.range.end.line.to_string());
        assert_eq!(props["endColumn"], f.range.end.column.to_string());
        assert_eq!(props["title"], f.rule);
        assert!(message.starts_with(&f.message), "{message:?}");
        match &f.fix {
            Some(fix) => assert!(message.contains(&format!("\nfix (safe): {}", fix.title))),
            None => assert!(message.contains("\nnote: "), "why there is no fix"),
        }
    }
    // Property escaping: `,` `:` `%` in a path.
    assert!(
        text.contains("file=odd dir%2C a%3Ab 100%25/store.go,"),
        "{text}"
    );
}

#[test]
fn github_annotations_in_fix_mode_show_only_what_remains() {
    let ws = workspace();
    let text = run_ok(ws.path(), &["fix", "--format", "github"], 1);
    let remaining: Vec<Leak> = labelled(ws.path()).into_iter().filter(|l| !l.fix).collect();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), remaining.len(), "{text}");
    let (props, _) = parse_annotation(lines[0]);
    assert_eq!(props["line"], remaining[0].line.to_string());
}

// ---------------------------------------------------------------------------
// JSON: a typed parse that rejects unknown fields (docs/json-output.md)

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct JsonDoc {
    version: u32,
    tool: JsonTool,
    mode: String,
    findings: Vec<JsonFinding>,
    changed_files: Vec<JsonChange>,
    problems: Vec<JsonProblem>,
    summary: JsonSummary,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonTool {
    name: String,
    version: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonFinding {
    rule: String,
    path: String,
    range: JsonRange,
    message: String,
    status: String,
    fix: Option<JsonFix>,
    notes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonRange {
    start: JsonPosition,
    end: JsonPosition,
    byte_start: usize,
    byte_end: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonPosition {
    line: usize,
    column: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonFix {
    applicability: String,
    title: String,
    edits: Vec<JsonEdit>,
    diff: String,
    /// `--verify` only (tests/verify.rs reads it untyped).
    #[allow(dead_code)]
    verification: Option<JsonVerification>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct JsonVerification {
    status: String,
    message: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct JsonVerifySummary {
    verified: usize,
    withheld: usize,
    unverifiable: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonEdit {
    path: String,
    range: JsonRange,
    content: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonChange {
    path: String,
    diff: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonProblem {
    path: String,
    kind: String,
    message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonSummary {
    findings: usize,
    fixed: usize,
    remaining: usize,
    fixable_safe: usize,
    fixable_unsafe: usize,
    without_fix: usize,
    files_changed: usize,
    problems: usize,
    /// `--verify` only (tests/verify.rs reads it untyped).
    #[allow(dead_code)]
    verification: Option<JsonVerifySummary>,
}

/// Every field name above, for the docs check.
const JSON_FIELDS: &[&str] = &[
    "version",
    "tool",
    "mode",
    "findings",
    "changed_files",
    "problems",
    "summary",
    "name",
    "rule",
    "path",
    "range",
    "message",
    "status",
    "fix",
    "notes",
    "start",
    "end",
    "byte_start",
    "byte_end",
    "line",
    "column",
    "applicability",
    "title",
    "edits",
    "diff",
    "content",
    "kind",
    "fixed",
    "remaining",
    "fixable_safe",
    "fixable_unsafe",
    "without_fix",
    "files_changed",
    "verification",
    "verified",
    "withheld",
    "unverifiable",
];

pub(crate) fn json(text: &str) -> JsonDoc {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}:\n{text}"))
}

#[test]
fn json_document_in_check_mode() {
    let ws = mixed_workspace();
    let doc = json(&run_ok(ws.path(), &["check", "--format", "json"], 1));
    assert_eq!(doc.version, 1);
    assert_eq!(doc.tool.name, "leakfix");
    assert_eq!(doc.tool.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(doc.mode, "check");
    let leaks = labelled(ws.path());
    assert_eq!(doc.findings.len(), leaks.len());
    let rules: Vec<&str> = leakfix::rules::all().iter().map(|r| r.meta().id).collect();
    for f in &doc.findings {
        assert!(rules.contains(&f.rule.as_str()));
        assert_eq!(f.status, "open");
        assert!(!f.message.is_empty());
        // Byte offsets count in the file as stored (BOM included); columns
        // count code points in the line.
        let bytes = std::fs::read(ws.path().join(&f.path)).unwrap();
        let text = std::str::from_utf8(&bytes).unwrap();
        let line_start = text[..f.range.byte_start].rfind('\n').map_or(0, |i| i + 1);
        let before = text[line_start..f.range.byte_start].trim_start_matches('\u{feff}');
        assert_eq!(
            before.chars().count() + 1,
            f.range.start.column,
            "{}",
            f.path
        );
        assert_eq!(
            text[..f.range.byte_start].matches('\n').count() + 1,
            f.range.start.line
        );
        let covered = &text[f.range.byte_start..f.range.byte_end];
        assert!(covered.ends_with(')'), "the constructor call: {covered:?}");
        match &f.fix {
            Some(fix) => {
                assert_eq!(fix.applicability, "safe");
                assert!(!fix.title.is_empty() && !fix.edits.is_empty());
                assert!(
                    fix.diff.starts_with(&format!("--- a/{}\n", f.path)),
                    "{}",
                    fix.diff
                );
            }
            None => assert!(!f.notes.is_empty(), "a finding without a fix says why"),
        }
    }
    let with_fix = leaks.iter().filter(|l| l.fix).count();
    let s = &doc.summary;
    assert_eq!(
        (
            s.findings,
            s.fixed,
            s.remaining,
            s.fixable_safe,
            s.fixable_unsafe,
            s.without_fix
        ),
        (leaks.len(), 0, 0, with_fix, 0, leaks.len() - with_fix)
    );
    assert_eq!(s.files_changed, doc.changed_files.len());
    assert_eq!(s.problems, doc.problems.len());

    // All edits, applied to the files' bytes at their byte offsets, give
    // what `fix` writes; so do the changed files' diffs (below, with git).
    let fixed = snapshot(fixed_copy(ws.path(), &[]).path());
    let mut edits: BTreeMap<&str, BTreeSet<(usize, usize, &str)>> = BTreeMap::new();
    for f in &doc.findings {
        for e in f.fix.iter().flat_map(|x| &x.edits) {
            edits.entry(&e.path).or_default().insert((
                e.range.byte_start,
                e.range.byte_end,
                e.content.as_str(),
            ));
        }
    }
    let changed: Vec<&str> = doc.changed_files.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(edits.keys().copied().collect::<Vec<_>>(), changed);
    for (path, edits) in edits {
        let mut bytes = std::fs::read(ws.path().join(path)).unwrap();
        for (start, end, content) in edits.iter().rev() {
            bytes.splice(start..end, content.bytes());
        }
        assert!(bytes == fixed[path].0, "{path}");
    }
    if require_tool("git") {
        for f in doc.findings.iter().filter_map(|f| f.fix.as_ref()) {
            git_apply(ws.path(), &f.diff, true);
        }
        let patch: String = doc.changed_files.iter().map(|c| c.diff.as_str()).collect();
        assert_eq!(patch, run_ok(ws.path(), &["check", "--format", "diff"], 1));
        let copy = tempfile::tempdir().unwrap();
        copy_dir(ws.path(), copy.path());
        git_apply(copy.path(), &patch, false);
        assert!(snapshot(copy.path()) == fixed);
    }
}

#[test]
fn json_document_in_fix_mode() {
    let ws = workspace();
    let leaks = labelled(ws.path());
    let doc = json(&run_ok(ws.path(), &["fix", "--format", "json"], 1));
    assert_eq!(doc.mode, "fix");
    let fixed = doc.findings.iter().filter(|f| f.status == "fixed").count();
    let remaining = doc
        .findings
        .iter()
        .filter(|f| f.status == "remaining")
        .count();
    assert_eq!(fixed, leaks.iter().filter(|l| l.fix).count());
    assert_eq!(remaining, leaks.iter().filter(|l| !l.fix).count());
    assert_eq!(fixed + remaining, doc.findings.len());
    assert_eq!(
        (doc.summary.fixed, doc.summary.remaining),
        (fixed, remaining)
    );
    // main.go, store/store.go, web/users.js
    assert_eq!(doc.summary.files_changed, 3);
}

#[test]
fn json_schema_is_documented() {
    let docs = std::fs::read_to_string(repo_root().join("docs/json-output.md")).unwrap();
    for field in JSON_FIELDS {
        assert!(
            docs.contains(&format!("`{field}`")),
            "docs/json-output.md lacks `{field}`"
        );
    }
    assert!(docs.contains(&format!("`\"version\": {}`", 1)));
}

// ---------------------------------------------------------------------------
// diff

/// `git apply` (or `--check`) of `patch` in `dir`.
fn git_apply(dir: &Path, patch: &str, check_only: bool) {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), patch).unwrap();
    let mut cmd = Command::new("git");
    cmd.current_dir(dir).arg("apply");
    if check_only {
        cmd.arg("--check");
    }
    let out = cmd.arg(file.path()).output().unwrap();
    assert!(
        out.status.success(),
        "git apply failed in {}:\n{}\n{patch}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `check --format diff ARGS` in `dir`, applied there with `git apply`,
/// equals what `fix ARGS` writes, byte for byte.
fn assert_diff_equals_fix(dir: &Path, args: &[&str]) {
    let mut check = vec!["check", "--format", "diff", "--exit-zero"];
    check.extend(args);
    let patch = run_ok(dir, &check, 0);
    assert!(!patch.is_empty());
    let expected = snapshot(fixed_copy(dir, args).path());
    let applied = tempfile::tempdir().unwrap();
    copy_dir(dir, applied.path());
    git_apply(applied.path(), &patch, false);
    let got = snapshot(applied.path());
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    for (path, (bytes, _)) in &expected {
        assert!(
            got[path].0 == *bytes,
            "{path}: git apply gives\n{}\nfix writes\n{}",
            String::from_utf8_lossy(&got[path].0),
            String::from_utf8_lossy(bytes)
        );
    }
}

#[test]
fn diff_applies_with_crlf_bom_subfolders_and_odd_names() {
    if !require_tool("git") {
        return;
    }
    let ws = mixed_workspace();
    assert_diff_equals_fix(ws.path(), &[]);
    // --unsafe: unsafe fixes show in the diff exactly when `fix --unsafe`
    // applies them; without it, neither has them.
    assert_diff_equals_fix(ws.path(), &["--unsafe"]);
    let safe = run_ok(ws.path(), &["check", "--format", "diff"], 1);
    let doc = json(&run_ok(ws.path(), &["check", "--format", "json"], 1));
    for f in &doc.findings {
        if let Some(fix) = &f.fix
            && fix.applicability == "unsafe"
        {
            for e in &fix.edits {
                assert!(
                    e.content.is_empty() || !safe.contains(&e.content),
                    "an unsafe edit in the default diff: {}",
                    e.content
                );
            }
        }
    }
}

#[test]
fn diff_applies_from_a_subfolder_of_a_git_repository() {
    if !require_tool("git") {
        return;
    }
    let repo = tempfile::tempdir().unwrap();
    let service = repo.path().join("services/leaky");
    copy_dir(&known_leaks(), &service);
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .current_dir(repo.path())
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "leaky"]);
    let patch = run_ok(&service, &["check", "--format", "diff"], 1);
    assert!(
        patch.starts_with("--- a/main.go\n"),
        "paths relative to where check ran"
    );
    git_apply(&service, &patch, false);
    let expected = snapshot(fixed_copy(&known_leaks(), &[]).path());
    assert!(snapshot(&service) == expected);
}

#[test]
fn fixed_go_code_passes_gofmt_and_vet() {
    if !require_tool("go") || !require_tool("gofmt") {
        return;
    }
    let ws = workspace();
    run_ok(ws.path(), &["fix"], 1);
    let out = Command::new("gofmt")
        .arg("-l")
        .arg(".")
        .current_dir(ws.path())
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "gofmt -l: {}",
        stdout(&out)
    );
    let out = Command::new("go")
        .args(["vet", "./..."])
        .current_dir(ws.path())
        .env("GOFLAGS", "-mod=mod")
        .env("GOTOOLCHAIN", "local")
        .output()
        .unwrap();
    assert!(out.status.success(), "go vet: {}", stderr(&out));
}

// ---------------------------------------------------------------------------
// --force-exclude (the pre-commit hook passes every staged file)

#[test]
fn force_exclude_skips_named_files_the_walk_would_skip() {
    let dir = tempfile::tempdir().unwrap();
    let leak = std::fs::read_to_string(known_leaks().join("store/store.go")).unwrap();
    for rel in [
        "a.go",
        "a_test.go",
        "vendor/v/v.go",
        "gen/g.go",
        ".hidden/h.go",
    ] {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, &leak).unwrap();
    }
    std::fs::write(dir.path().join("leakfix.toml"), "exclude = [\"gen/\"]\n").unwrap();
    let named = [
        "a.go",
        "a_test.go",
        "vendor/v/v.go",
        "gen/g.go",
        ".hidden/h.go",
    ];
    let paths = |args: &[&str]| -> BTreeSet<String> {
        let mut full = vec!["check", "--format", "json", "--exit-zero"];
        full.extend(args);
        full.extend(named);
        json(&run_ok(dir.path(), &full, 0))
            .findings
            .into_iter()
            .map(|f| f.path)
            .collect()
    };
    assert_eq!(
        paths(&[]).len(),
        named.len(),
        "named files are always scanned"
    );
    assert_eq!(
        paths(&["--force-exclude"]),
        BTreeSet::from(["a.go".to_string()])
    );
    assert_eq!(
        paths(&["--force-exclude", "--include-tests"]),
        BTreeSet::from(["a.go".to_string(), "a_test.go".to_string()])
    );
}

// ---------------------------------------------------------------------------
// Progress bar

#[test]
fn no_progress_output_when_stderr_is_not_a_terminal() {
    let ws = mixed_workspace();
    for format in FORMATS {
        let out = leakfix()
            .current_dir(ws.path())
            .args(["check", "--format", format])
            .env("LEAKFIX_PROGRESS_DELAY_MS", "0")
            .output()
            .unwrap();
        let err = stderr(&out);
        assert!(
            !err.contains("scanning") && !err.contains('\r') && !err.contains('\u{1b}'),
            "{format}: {err:?}"
        );
        let out_text = stdout(&out);
        assert!(!out_text.contains("scanning") && !out_text.contains('\u{1b}'));
    }
}

#[cfg(unix)]
#[test]
fn progress_bar_on_a_terminal_is_cleared_before_the_report() {
    use expectrl::Expect;
    let ws = mixed_workspace();
    let run_in_pty = |extra: &[&str]| -> String {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_leakfix"));
        cmd.current_dir(ws.path())
            .args(["check", "--format", "json", "--exit-zero"])
            .args(extra)
            .env("LEAKFIX_PROGRESS_DELAY_MS", "0")
            .env("TERM", "xterm")
            .env_remove("NO_COLOR");
        let mut session = expectrl::Session::spawn(cmd).unwrap();
        session.set_expect_timeout(Some(std::time::Duration::from_secs(120)));
        let found = session.expect(expectrl::Eof).unwrap();
        // Eof matches everything that was printed.
        String::from_utf8_lossy(found.get(0).unwrap_or_default()).into_owned()
    };
    let shown = run_in_pty(&[]);
    assert!(shown.contains("scanning"), "{shown:?}");
    // The report starts after the bar was drawn and cleared.
    let bar = shown.find("scanning").unwrap();
    let report = shown.find("\"version\"").unwrap();
    assert!(bar < report, "{shown:?}");
    let last = shown.rfind("scanning").unwrap();
    assert!(
        shown[last..report].contains("\u{1b}[2K"),
        "the bar is erased: {shown:?}"
    );
    let hidden = run_in_pty(&["--no-progress"]);
    assert!(!hidden.contains("scanning"), "{hidden:?}");
}

// ---------------------------------------------------------------------------
// pre-commit hook and GitHub Action

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PreCommitHook {
    id: String,
    name: String,
    description: String,
    entry: String,
    language: String,
    types_or: Vec<String>,
    pass_filenames: bool,
    require_serial: bool,
    minimum_pre_commit_version: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Action {
    name: String,
    description: String,
    author: String,
    branding: BTreeMap<String, String>,
    inputs: BTreeMap<String, ActionInput>,
    outputs: BTreeMap<String, ActionOutput>,
    runs: ActionRuns,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionInput {
    description: String,
    required: bool,
    default: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionOutput {
    description: String,
    value: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionRuns {
    using: String,
    steps: Vec<ActionStep>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ActionStep {
    name: String,
    id: Option<String>,
    #[serde(rename = "if")]
    condition: Option<String>,
    shell: Option<String>,
    working_directory: Option<String>,
    env: Option<BTreeMap<String, String>>,
    run: Option<String>,
    uses: Option<String>,
    with: Option<BTreeMap<String, String>>,
}

#[test]
fn pre_commit_hook_definition() {
    let text = std::fs::read_to_string(repo_root().join(".pre-commit-hooks.yaml")).unwrap();
    let hooks: Vec<PreCommitHook> = serde_norway::from_str(&text).unwrap();
    assert_eq!(hooks.len(), 1);
    let h = &hooks[0];
    assert_eq!(h.id, "leakfix");
    assert!(!h.name.is_empty() && !h.description.is_empty());
    assert_eq!(
        h.language, "rust",
        "pre-commit builds it with cargo from this repository"
    );
    assert_eq!(h.types_or, ["go", "rust", "javascript", "jsx", "ts", "tsx"]);
    assert!(h.pass_filenames && h.require_serial);
    assert!(!h.minimum_pre_commit_version.is_empty());
    // The entry is a leakfix command line that parses, and never writes.
    let words: Vec<&str> = h.entry.split_whitespace().collect();
    assert_eq!(words[..2], ["leakfix", "check"]);
    let ws = workspace();
    let before = snapshot(ws.path());
    let mut args: Vec<&str> = words[1..].to_vec();
    args.extend(["main.go", "store/store.go"]);
    let out = run_ok(ws.path(), &args, 1);
    assert!(out.contains("main.go") && out.contains("store/store.go"));
    assert_eq!(snapshot(ws.path()), before);
}

#[test]
fn github_action_definition() {
    let text = std::fs::read_to_string(repo_root().join("action.yml")).unwrap();
    let action: Action = serde_norway::from_str(&text).unwrap();
    assert_eq!(action.name, "leakfix");
    assert!(!action.description.is_empty() && !action.author.is_empty());
    assert!(action.branding.contains_key("icon"));
    for input in [
        "paths",
        "args",
        "working-directory",
        "upload-sarif",
        "sarif-file",
    ] {
        assert!(action.inputs.contains_key(input), "input {input}");
    }
    assert_eq!(action.inputs["paths"].default, ".");
    assert_eq!(action.inputs["upload-sarif"].default, "true");
    assert_eq!(action.inputs["fail-on-findings"].default, "true");
    for (name, i) in &action.inputs {
        assert!(!i.description.is_empty() && !i.required, "{name}");
    }
    for o in action.outputs.values() {
        assert!(o.value.contains("steps.check.outputs."), "{}", o.value);
        assert!(!o.description.is_empty());
    }
    assert_eq!(action.runs.using, "composite");
    let steps = &action.runs.steps;
    for s in steps {
        assert!(!s.name.is_empty());
        assert!(
            s.run.is_some() != s.uses.is_some(),
            "{}: run or uses",
            s.name
        );
        if s.run.is_some() {
            assert_eq!(s.shell.as_deref(), Some("bash"), "{}", s.name);
        }
        assert!(s.working_directory.is_none() || s.run.is_some());
        assert!(s.with.is_none() || s.uses.is_some());
        let _ = (&s.condition, &s.env);
    }
    let upload = steps
        .iter()
        .find(|s| {
            s.uses
                .as_deref()
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))
        })
        .expect("a step uploads the SARIF report");
    assert!(upload.with.as_ref().unwrap().contains_key("sarif_file"));
    // Every `${{ inputs.X }}` names a declared input; every `steps.ID` a step.
    let ids: Vec<&str> = steps.iter().filter_map(|s| s.id.as_deref()).collect();
    for (i, _) in text.match_indices("inputs.") {
        if !text[..i].ends_with([' ', '{', '(']) {
            continue;
        }
        let name: String = text[i + 7..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        assert!(
            action.inputs.contains_key(&name),
            "undeclared input {name:?}"
        );
    }
    for (i, _) in text.match_indices("steps.") {
        let id: String = text[i + 6..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        assert!(ids.contains(&id.as_str()), "unknown step id {id}");
    }
}

/// The action's check step, run as GitHub runs it (`bash -e`), with the
/// inputs in its environment: leaks are exit-code 1 (the step goes on to
/// upload), a failed run stops the step.
#[cfg(unix)]
#[test]
fn github_action_check_step_runs() {
    let text = std::fs::read_to_string(repo_root().join("action.yml")).unwrap();
    let action: Action = serde_norway::from_str(&text).unwrap();
    let step = action
        .runs
        .steps
        .iter()
        .find(|s| s.id.as_deref() == Some("check"))
        .unwrap();
    let script = step.run.clone().unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_leakfix"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let ws = workspace();
    let run_step = |paths: &str, args: &str, annotations: &str| {
        let outputs = ws.path().join("github-output");
        std::fs::write(&outputs, "").unwrap();
        let out = Command::new("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &script])
            .current_dir(ws.path())
            .env("PATH", &path)
            .env("GITHUB_OUTPUT", &outputs)
            .env("LEAKFIX_PATHS", paths)
            .env("LEAKFIX_ARGS", args)
            .env("LEAKFIX_SARIF", "leakfix.sarif")
            .env("LEAKFIX_ANNOTATIONS", annotations)
            .output()
            .unwrap();
        (out, std::fs::read_to_string(&outputs).unwrap())
    };
    let (out, outputs) = run_step(".", "", "false");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(outputs.contains("exit-code=1\n"), "{outputs}");
    assert!(outputs.contains("sarif-file=leakfix.sarif\n"));
    let sarif: Value =
        serde_json::from_slice(&std::fs::read(ws.path().join("leakfix.sarif")).unwrap()).unwrap();
    assert_eq!(
        sarif["runs"][0]["results"].as_array().unwrap().len(),
        labelled(ws.path()).len()
    );

    let (out, outputs) = run_step("main.go\n  store", "--rule go-missing-release", "true");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(outputs.contains("exit-code=1\n"));
    assert_eq!(
        stdout(&out)
            .lines()
            .filter(|l| l.starts_with("::warning "))
            .count(),
        labelled(ws.path())
            .iter()
            .filter(|l| l.path.ends_with(".go"))
            .count()
    );

    let (out, outputs) = run_step("no-such-dir", "", "false");
    assert_eq!(out.status.code(), Some(2));
    assert!(outputs.contains("exit-code=2\n"));
    assert!(stdout(&out).contains("::error"));
}
