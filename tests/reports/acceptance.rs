//! The acceptance scenario, format by format; `check` never writes;
//! failed runs exit 2.

use super::*;

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
