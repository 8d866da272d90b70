//! Fixes completed at a function's callers in other packages (src/engine/callers.rs):
//! the module is searched beyond the scanned paths, and a caller leakfix may
//! not edit removes the fix instead of leaving the module broken.

use std::path::Path;

use crate::common::leakfix;

fn write(root: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let p = root.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

const WATCH: &str = "package watch\n\nimport (\n\t\"context\"\n\t\"time\"\n)\n\nfunc Watch(name string) {\n\tctx := context.Background()\n\tgo func() {\n\t\tfor {\n\t\t\tpoll(ctx, name)\n\t\t\ttime.Sleep(time.Second)\n\t\t}\n\t}()\n}\n\nfunc poll(ctx context.Context, name string) {}\n";

const JOBS: &str = "package jobs\n\nimport (\n\t\"context\"\n\n\t\"example.com/m/watch\"\n)\n\nfunc Run(ctx context.Context) {\n\twatch.Watch(\"a\")\n}\n";

fn module() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("go.mod", "module example.com/m\n\ngo 1.22\n"),
            ("watch/watch.go", WATCH),
            ("jobs/jobs.go", JOBS),
        ],
    );
    dir
}

#[test]
fn callers_in_other_packages_are_updated_with_the_function() {
    let dir = module();
    let out = leakfix()
        .args(["fix", "--unsafe"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let jobs = std::fs::read_to_string(dir.path().join("jobs/jobs.go")).unwrap();
    assert!(jobs.contains("watch.Watch(ctx, \"a\")"), "{jobs}");
    let watch = std::fs::read_to_string(dir.path().join("watch/watch.go")).unwrap();
    assert!(
        watch.contains("func Watch(ctx context.Context, name string) {"),
        "{watch}"
    );
}

#[test]
fn a_caller_outside_the_scanned_paths_removes_the_fix() {
    let dir = module();
    let out = leakfix()
        .args(["fix", "--unsafe"])
        .arg(dir.path().join("watch"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("no fix: `watch.Watch` is used at jobs/jobs.go:10, in a file leakfix was not asked to scan"),
        "{text}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("watch/watch.go")).unwrap(),
        WATCH
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("jobs/jobs.go")).unwrap(),
        JOBS
    );
}

#[test]
fn an_excluded_caller_removes_the_fix() {
    let dir = module();
    write(dir.path(), &[("leakfix.toml", "exclude = [\"jobs/\"]\n")]);
    let out = leakfix()
        .args(["fix", "--unsafe"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("watch/watch.go")).unwrap(),
        WATCH
    );
}

#[test]
fn a_caller_that_does_not_parse_removes_the_fix() {
    let dir = module();
    write(
        dir.path(),
        &[(
            "jobs/broken.go",
            "package jobs\n\nfunc f() { watch.Watch(\"b\" }\n",
        )],
    );
    let out = leakfix()
        .args(["fix", "--unsafe"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("jobs/broken.go mentions `Watch` but does not parse"),
        "{text}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("jobs/jobs.go")).unwrap(),
        JOBS
    );
}

#[test]
fn nested_modules_and_vendor_are_not_searched() {
    let dir = module();
    // A nested module and a vendored copy mention Watch: neither is part of
    // this module's build, so neither blocks nor receives the fix.
    write(
        dir.path(),
        &[
            ("tools/go.mod", "module example.com/tools\n\ngo 1.22\n"),
            (
                "tools/t.go",
                "package tools\n\nimport \"example.com/m/watch\"\n\nfunc T() { watch.Watch(\"t\") }\n",
            ),
            (
                "vendor/x/x.go",
                "package x\n\nfunc Watch() {}\n\nfunc y() { Watch( }\n",
            ),
        ],
    );
    let out = leakfix()
        .args(["fix", "--unsafe"])
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let jobs = std::fs::read_to_string(dir.path().join("jobs/jobs.go")).unwrap();
    assert!(jobs.contains("watch.Watch(ctx, \"a\")"), "{text}\n{jobs}");
}

#[test]
fn the_diff_of_a_multi_file_fix_applies_with_git() {
    let dir = module();
    let out = leakfix()
        .args(["check", "--unsafe", "--format", "diff"])
        .arg(".")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let diff = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        diff.contains("jobs/jobs.go") && diff.contains("watch/watch.go"),
        "{diff}"
    );
    std::fs::write(dir.path().join("fix.diff"), &diff).unwrap();
    let Ok(applied) = std::process::Command::new("git")
        .args(["apply", "--check", "fix.diff"])
        .current_dir(dir.path())
        .output()
    else {
        return; // no git: the content check above stands
    };
    assert!(
        applied.status.success(),
        "{}",
        String::from_utf8_lossy(&applied.stderr)
    );
}

#[test]
fn a_sibling_file_that_was_not_named_is_not_edited() {
    let dir = module();
    write(
        dir.path(),
        &[(
            "watch/again.go",
            "package watch\n\nfunc again() { Watch(\"b\") }\n",
        )],
    );
    let out = leakfix()
        .args(["fix", "--unsafe"])
        .arg(dir.path().join("watch/watch.go"))
        .arg(dir.path().join("jobs"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "`watch.Watch` is used at watch/again.go:3, in a file leakfix was not asked to scan"
        ),
        "{text}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("watch/watch.go")).unwrap(),
        WATCH
    );
}
