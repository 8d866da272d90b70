//! Per-rule fixtures: every file under tests/fixtures/<rule>/ is run through
//! its rule; labels in the file must match the findings, and the findings
//! plus the fixed code are snapshotted (tests/snapshots/).

use std::path::Path;

use leakfix::fix::Applicability;

use crate::common::{check_labels, render, run_rule};

fn fixture(rule: &str, path: &Path) {
    let applicability = leakfix::rules::by_id(rule).unwrap().meta().applicability;
    let applicability = applicability
        .min(Applicability::Safe)
        .max(Applicability::Unsafe);
    let run = run_rule(rule, path, applicability, true);
    let errors = check_labels(&run);
    assert!(
        errors.is_empty(),
        "{}:\n{}",
        path.display(),
        errors.join("\n")
    );
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_input_file(path);
    settings.bind(|| insta::assert_snapshot!(format!("{rule}__{name}"), render(&run, &name)));
}

#[test]
fn go_missing_release() {
    insta::glob!("fixtures/go-missing-release/*.go", |path| fixture(
        "go-missing-release",
        path
    ));
}

#[test]
fn go_per_request_client() {
    insta::glob!("fixtures/go-per-request-client/*.go", |path| fixture(
        "go-per-request-client",
        path
    ));
}

/// Rust fixtures: as above, and the fixed code must be as rustfmt-clean as
/// the fixture was.
fn rust_fixture(rule: &str, path: &Path) {
    fixture(rule, path);
    if !crate::common::require_tool("rustfmt") {
        return;
    }
    let applicability = leakfix::rules::by_id(rule).unwrap().meta().applicability;
    let run = run_rule(rule, path, applicability.min(Applicability::Unsafe), true);
    assert!(
        rustfmt_clean(&run.original),
        "{}: the fixture itself is not rustfmt-clean",
        path.display()
    );
    assert!(
        rustfmt_clean(&run.fixed),
        "{}: the fixed code is not rustfmt-clean:\n{}",
        path.display(),
        run.fixed
    );
}

pub fn rustfmt_clean(text: &str) -> bool {
    use std::io::Write;
    let mut child = std::process::Command::new("rustfmt")
        .args(["--edition", "2024", "--check"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("rustfmt runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap().status.success()
}

#[test]
fn rust_per_call_client() {
    insta::glob!("fixtures/rust-per-call-client/*.rs", |path| rust_fixture(
        "rust-per-call-client",
        path
    ));
}

#[test]
fn rust_unwaited_child() {
    insta::glob!("fixtures/rust-unwaited-child/*.rs", |path| rust_fixture(
        "rust-unwaited-child",
        path
    ));
}

#[test]
fn rust_unflushed_writer() {
    insta::glob!("fixtures/rust-unflushed-writer/*.rs", |path| rust_fixture(
        "rust-unflushed-writer",
        path
    ));
}
