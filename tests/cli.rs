//! The command-line contract: exit codes, formats, that check never writes.

use crate::common::{leakfix, repo_root};

fn fixture_dir() -> std::path::PathBuf {
    repo_root().join("tests/fixtures/go-missing-release")
}

#[test]
fn check_exits_1_with_findings_and_0_with_exit_zero() {
    let out = leakfix()
        .args(["check"])
        .arg(fixture_dir())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = leakfix()
        .args(["check", "--exit-zero"])
        .arg(fixture_dir())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn missing_path_and_bad_arguments_exit_2() {
    let out = leakfix()
        .args(["check", "/definitely/not/here"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
    let out = leakfix()
        .args(["check", "--rule", "no-such-rule", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = leakfix()
        .args(["check", "--format", "xml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn clean_code_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.go"), "package a\n\nfunc f() {}\n").unwrap();
    let out = leakfix().arg("check").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn rules_and_explain() {
    let out = leakfix().arg("rules").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("go-missing-release"));
    let out = leakfix()
        .args(["explain", "go-missing-release"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for section in leakfix::rules::DOC_SECTIONS {
        assert!(text.contains(section), "explain lacks {section}");
    }
    let out = leakfix().args(["explain", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_bundled_examples_show_rust_findings_too() {
    let out = leakfix()
        .args(["check", "--unsafe"])
        .arg(repo_root().join("examples"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    for rule in [
        "rust-per-call-client",
        "rust-unwaited-child",
        "rust-unflushed-writer",
        "go-missing-release",
        "go-unstoppable-goroutine",
        "js-missing-release",
        "js-per-request-client",
        "js-release-on-finish",
        "js-unhandled-pipe",
    ] {
        assert!(
            text.contains(rule),
            "examples/ lacks a {rule} finding:\n{text}"
        );
    }
}

#[test]
fn rust_test_modules_are_skipped_unless_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("lib.rs"),
        "#[cfg(test)]\nmod tests {\n    use std::process::Command;\n\n    #[test]\n    fn t() {\n        let child = Command::new(\"true\").spawn().unwrap();\n        println!(\"{}\", child.id());\n    }\n}\n",
    )
    .unwrap();
    let out = leakfix().arg("check").arg(dir.path()).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = leakfix()
        .args(["check", "--include-tests"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("rust-unwaited-child"));
}
