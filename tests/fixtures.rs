//! Per-rule fixtures: every file under tests/fixtures/<rule>/ is run through
//! its rule; labels in the file must match the findings, and the findings
//! plus the fixed code are snapshotted (snapshots/, beside src/ and tests/).

use std::path::Path;

use leakfix::fix::Applicability;

use crate::common::{
    check_labels, check_module_labels, render, render_module, run_rule, run_rule_module,
};

pub(crate) fn fixture(rule: &str, path: &Path) {
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
    settings.set_snapshot_path("../snapshots");
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
fn go_unstoppable_goroutine() {
    insta::glob!("fixtures/go-unstoppable-goroutine/*.go", |path| fixture(
        "go-unstoppable-goroutine",
        path
    ));
}

#[test]
fn go_abandoned_result() {
    insta::glob!("fixtures/go-abandoned-result/*.go", |path| fixture(
        "go-abandoned-result",
        path
    ));
}

#[test]
fn go_blocked_producer() {
    insta::glob!("fixtures/go-blocked-producer/*.go", |path| fixture(
        "go-blocked-producer",
        path
    ));
}

#[test]
fn go_unstoppable_handler() {
    insta::glob!("fixtures/go-unstoppable-handler/*.go", |path| fixture(
        "go-unstoppable-handler",
        path
    ));
}

#[test]
fn go_unstoppable_handler_docs_example_is_what_the_fix_writes() {
    docs_example_is_what_the_fix_writes(
        "go-unstoppable-handler",
        "package sse\n\nimport (\n\t\"fmt\"\n\t\"net/http\"\n\t\"time\"\n)\n\nvar broker struct{ events chan string }\n\n",
    );
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

/// Does rustfmt leave `text` unchanged? (`rustfmt --check` on stdin exits 0
/// even when it would change the code, so the output is compared instead.)
pub fn rustfmt_clean(text: &str) -> bool {
    rustfmt_clean_with(text, "2024", None)
}

/// As `rustfmt_clean`, for a crate's edition and rustfmt.toml.
pub fn rustfmt_clean_with(text: &str, edition: &str, config: Option<&Path>) -> bool {
    use std::io::Write;
    let mut cmd = std::process::Command::new("rustfmt");
    cmd.args(["--edition", edition, "--emit", "stdout"]);
    if let Some(c) = config {
        cmd.arg("--config-path").arg(c);
    }
    let mut child = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("rustfmt runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    out.status.success() && String::from_utf8_lossy(&out.stdout) == text
}

#[test]
fn rust_per_call_client() {
    insta::glob!("fixtures/rust-per-call-client/*.rs", |path| rust_fixture(
        "rust-per-call-client",
        path
    ));
}

/// Fixtures that are crates (`<rule>/<name>/src/lib.rs` with a Cargo.toml,
/// maybe a rustfmt.toml): what the crate says about itself changes the fix.
/// The fixed code must be rustfmt-clean with the crate's edition and
/// rustfmt.toml.
fn rust_crate_fixture(rule: &str, lib: &Path) {
    let krate = lib.parent().unwrap().parent().unwrap();
    let name = krate.file_name().unwrap().to_string_lossy().to_string();
    let applicability = leakfix::rules::by_id(rule).unwrap().meta().applicability;
    let run = run_rule(rule, lib, applicability.min(Applicability::Unsafe), true);
    let errors = check_labels(&run);
    assert!(
        errors.is_empty(),
        "{}:\n{}",
        krate.display(),
        errors.join("\n")
    );
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_input_file(lib);
    settings.bind(|| insta::assert_snapshot!(format!("{rule}__{name}"), render(&run, "lib.rs")));
    if !crate::common::require_tool("rustfmt") {
        return;
    }
    let manifest = std::fs::read_to_string(krate.join("Cargo.toml")).unwrap();
    let edition = manifest
        .lines()
        .find_map(|l| l.strip_prefix("edition = "))
        .map(|e| e.trim_matches('"').to_string())
        .unwrap_or_else(|| "2015".into());
    let config = krate.join("rustfmt.toml");
    let config = config.exists().then_some(config.as_path());
    assert!(
        rustfmt_clean_with(&run.original, &edition, config),
        "{}: the fixture itself is not rustfmt-clean",
        krate.display()
    );
    assert!(
        rustfmt_clean_with(&run.fixed, &edition, config),
        "{}: the fixed code is not rustfmt-clean:\n{}",
        krate.display(),
        run.fixed
    );
}

#[test]
fn rust_per_call_client_crates() {
    insta::glob!("fixtures/rust-per-call-client/*/src/lib.rs", |path| {
        rust_crate_fixture("rust-per-call-client", path)
    });
}

/// Fixtures that are whole Go modules (`<rule>/<name>/go.mod`): calls in
/// other packages, test files, generated files.
fn fixture_module(rule: &str, go_mod: &Path) {
    let dir = go_mod.parent().unwrap();
    let run = run_rule_module(rule, dir, Applicability::Unsafe);
    let errors = check_module_labels(&run, dir);
    assert!(
        errors.is_empty(),
        "{}:\n{}",
        dir.display(),
        errors.join("\n")
    );
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_input_file(go_mod);
    settings.bind(|| insta::assert_snapshot!(format!("{rule}__{name}"), render_module(&run, dir)));
}

#[test]
fn go_missing_release_modules() {
    insta::glob!("fixtures/go-missing-release/*/go.mod", |path| {
        fixture_module("go-missing-release", path)
    });
}

#[test]
fn go_unstoppable_goroutine_modules() {
    insta::glob!("fixtures/go-unstoppable-goroutine/*/go.mod", |path| {
        fixture_module("go-unstoppable-goroutine", path)
    });
}

/// The rule's documented example, fixed, is its documented "Use instead".
/// A rule's docs show what its fix writes: the `## Example` block, after
/// `leakfix fix --unsafe` (with `prelude` before it), is the `## Use
/// instead` block.
fn docs_example_is_what_the_fix_writes(rule: &str, prelude: &str) {
    let docs = leakfix::rules::by_id(rule).unwrap().meta().docs;
    let block = |section: &str| {
        let at = docs.find(section).unwrap();
        let start = at + docs[at..].find("```go\n").unwrap() + "```go\n".len();
        let end = start + docs[start..].find("```").unwrap();
        docs[start..end].to_string()
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("example.go");
    std::fs::write(&file, format!("{prelude}{}", block("## Example"))).unwrap();
    let out = crate::common::leakfix()
        .args(["fix", "--unsafe", "--rule", rule])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        format!("{prelude}{}", block("## Use instead"))
    );
}

#[test]
fn go_unstoppable_goroutine_docs_example_is_what_the_fix_writes() {
    docs_example_is_what_the_fix_writes(
        "go-unstoppable-goroutine",
        "package jobs\n\nimport (\n\t\"context\"\n\n\t\"github.com/redis/go-redis/v9\"\n)\n\ntype Job struct {\n\tID     string\n\tCancel func()\n\tDo     func(context.Context) error\n}\n\ntype Runner struct{ rdb *redis.Client }\n\n",
    );
}

#[test]
fn go_blocked_producer_docs_example_is_what_the_fix_writes() {
    docs_example_is_what_the_fix_writes(
        "go-blocked-producer",
        "package lines\n\nimport (\n\t\"bufio\"\n\t\"context\"\n\t\"io\"\n)\n\nfunc check(path string) error { return nil }\n\n",
    );
}

#[test]
fn go_abandoned_result_docs_example_is_what_the_fix_writes() {
    docs_example_is_what_the_fix_writes(
        "go-abandoned-result",
        "package fetch\n\nimport \"context\"\n\nfunc download(url string) ([]byte, error) { return nil, nil }\n\nfunc ask(mirror string) string { return mirror }\n\n",
    );
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

#[test]
fn rust_unwaited_child_crates() {
    insta::glob!("fixtures/rust-unwaited-child/*/src/lib.rs", |path| {
        rust_crate_fixture("rust-unwaited-child", path)
    });
}

#[test]
fn rust_detached_task() {
    insta::glob!("fixtures/rust-detached-task/*.rs", |path| rust_fixture(
        "rust-detached-task",
        path
    ));
}

/// The single-file fixtures again, each a package of one module with a
/// go.mod around it: what a rule finds and leaves alone must not depend on
/// whether the code sits in a module (`go.mod` changes how leakfix resolves
/// imports and callers).
fn fixtures_in_a_module(rule: &str) {
    let fixtures = crate::common::repo_root().join("tests/fixtures").join(rule);
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(
        ws.path().join("go.mod"),
        "module example.com/fixtures\n\ngo 1.22\n",
    )
    .unwrap();
    for entry in std::fs::read_dir(&fixtures).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|x| x == "go") {
            let pkg = ws.path().join(p.file_stem().unwrap());
            std::fs::create_dir_all(&pkg).unwrap();
            std::fs::copy(&p, pkg.join(p.file_name().unwrap())).unwrap();
        }
    }
    let run = run_rule_module(rule, ws.path(), Applicability::Unsafe);
    let errors = check_module_labels(&run, ws.path());
    assert!(
        errors.is_empty(),
        "{rule} in a module:\n{}",
        errors.join("\n")
    );
}

#[test]
fn go_fixtures_in_a_module() {
    for rule in [
        "go-missing-release",
        "go-unstoppable-goroutine",
        "go-abandoned-result",
        "go-blocked-producer",
        "go-unstoppable-handler",
        "go-per-request-client",
    ] {
        fixtures_in_a_module(rule);
    }
}
