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
