//! diff output, and --force-exclude (the pre-commit hook passes every staged file).

use super::*;

/// `git apply` (or `--check`) of `patch` in `dir`.
pub(super) fn git_apply(dir: &Path, patch: &str, check_only: bool) {
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
pub(super) fn assert_diff_equals_fix(dir: &Path, args: &[&str]) {
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
