//! `--verify` end to end: fixture trees where some fixes cannot compile
//! (a forked module whose `Close` takes a context, an import that clashes
//! with a name the package's tests declare, a release method that exists
//! under another GOOS only, an error conversion `?` needs that only a
//! disabled Cargo feature provides), where they compile (including a fix
//! that rewrites callers in another package, and an accessor in a crate
//! whose own `Result` takes one parameter), and where the package did not
//! build before.
//! `fix --unsafe --verify` must write the good fixes, withhold the others
//! with the compiler's error, and leave every package that built before
//! building; the compilers check what it wrote.
//!
//! Fixtures: tests/go/fixtures/verify (Go, with the shared stand-ins) and
//! tests/rust/verify-alias, tests/rust/verify-broken, tests/rust/svc.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::common::{
    copy_dir, go_command, go_sources, go_workspace, leakfix, repo_root, require_tool,
};

/// leakfix with the environment the fixtures need: no network for Go (the
/// stand-ins are `replace`d directories), no toolchain download, and a
/// cache folder of its own.
fn run(dir: &Path, cache: &Path, args: &[&str]) -> Output {
    leakfix()
        .args(args)
        .current_dir(dir)
        .env("LEAKFIX_CACHE_DIR", cache)
        .env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local")
        .env("GOWORK", "off")
        .env("GOFLAGS", "-buildvcs=false")
        .env("CARGO_NET_OFFLINE", "true")
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn both(out: &Output) -> String {
    format!(
        "{}\n--- stderr ---\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap()
}

/// The Go packages of the fixture that built before leakfix.
const BUILDING: &[&str] = &[
    "./cache", "./fine", "./jobs", "./shadow", "./tagged", "./worker",
];

/// The three fixes that do not compile, by the error each gets.
const WITHHELD: &[(&str, &str)] = &[
    (
        "cache/cache.go",
        "not enough arguments in call to rdb.Close",
    ),
    (
        "shadow/profile.go",
        "shadow/profile_test.go:6:5: atomic already declared through import of package atomic",
    ),
    (
        "tagged/device.go",
        "dev.Close undefined (type *Device has no field or method Close)",
    ),
];

fn go_tools() -> bool {
    require_tool("go") && require_tool("gofmt")
}

#[test]
fn go_fix_unsafe_verify_writes_what_compiles_and_withholds_the_rest() {
    if !go_tools() {
        return;
    }
    let ws = go_workspace();
    let cache = tempfile::tempdir().unwrap();
    let dir = ws.path().join("fixtures/verify");
    let out = go_command(&dir, &["vet", "./broken"]);
    assert!(
        !out.status.success(),
        "broken/ must not build before the fix"
    );

    let out = run(&dir, cache.path(), &["fix", "--unsafe", "--verify", "."]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    for (file, error) in WITHHELD {
        let finding = text
            .split("\n\n")
            .find(|f| f.starts_with(file))
            .unwrap_or_else(|| panic!("{file} is still reported:\n{text}"));
        assert!(finding.contains("withheld"), "{finding}");
        assert!(finding.contains(error), "{finding}");
    }
    assert!(
        text.contains("broken/report.go:13:17: go-missing-release fixed, note: fix not verified: its package did not build before the fix: render.go:6:9: undefined: renderV2"),
        "{text}"
    );
    assert!(
        text.contains("Checked 9 fixes with go build, go vet in 6 packages ("),
        "{text}"
    );
    assert!(
        text.contains("5 verified, 3 withheld (the fixed code does not build), 1 unverifiable"),
        "{text}"
    );

    // The good fixes were written, the withheld ones were not.
    let cache_go = read(&dir, "cache/cache.go");
    assert!(cache_go.contains("\tdefer client.Close()\n"), "{cache_go}");
    assert!(!cache_go.contains("rdb.Close"), "{cache_go}");
    let shadow = read(&dir, "shadow/profile.go");
    assert!(!shadow.contains("storageClient()"), "{shadow}");
    assert!(
        shadow.contains("\tdefer client.Close()\n"),
        "the close is applied in place of the withheld hoist:\n{shadow}"
    );
    assert_eq!(
        read(&dir, "tagged/device.go"),
        read(
            &repo_root().join("tests/go/fixtures/verify"),
            "tagged/device.go"
        )
    );
    assert!(read(&dir, "broken/report.go").contains("defer client.Close()"));
    assert!(
        read(&dir, "worker/worker.go").contains("func Start(ctx context.Context, queue string)")
    );
    assert!(read(&dir, "jobs/jobs.go").contains("worker.Start(ctx, q)"));
    let fine = read(&dir, "fine/export.go");
    assert!(fine.contains("defer client.Close()") && fine.contains("defer resp.Body.Close()"));

    // Every package that built before still builds and vets, tests included.
    let mut args = vec!["vet"];
    args.extend(BUILDING);
    let out = go_command(&dir, &args);
    assert!(
        out.status.success(),
        "go vet after the fix:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new("gofmt").arg("-l").arg(&dir).output().unwrap();
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // A second run changes nothing: the withheld fixes stay withheld.
    let before = go_sources(&dir);
    let out = run(&dir, cache.path(), &["fix", "--unsafe", "--verify", "."]);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    assert_eq!(go_sources(&dir), before);
    assert!(
        stdout(&out).contains("0 verified, 3 withheld"),
        "{}",
        both(&out)
    );
}

#[test]
fn withheld_fixes_carry_the_compiler_error_in_json_and_sarif() {
    if !go_tools() {
        return;
    }
    let ws = go_workspace();
    let cache = tempfile::tempdir().unwrap();
    let dir = ws.path().join("fixtures/verify");
    let before = go_sources(&dir);

    let out = run(
        &dir,
        cache.path(),
        &["check", "--unsafe", "--verify", "--format", "json", "."],
    );
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    // The typed parse rejects fields docs/json-output.md does not name.
    let _ = crate::reports::json(&stdout(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        doc["summary"]["verification"],
        serde_json::json!({ "verified": 5, "withheld": 3, "unverifiable": 1 }),
        "{doc:#}"
    );
    let findings = doc["findings"].as_array().unwrap();
    for (file, error) in WITHHELD {
        let f = findings
            .iter()
            .find(|f| f["path"] == *file && f["fix"]["verification"]["status"] == "withheld")
            .unwrap_or_else(|| panic!("no withheld fix in {file}: {doc:#}"));
        let message = f["fix"]["verification"]["message"].as_str().unwrap();
        assert!(message.contains(error), "{message}");
        let notes: Vec<&str> = f["notes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap())
            .collect();
        assert!(
            notes
                .iter()
                .any(|n| n.starts_with("fix withheld: ") && n.contains(error)),
            "{notes:?}"
        );
    }
    let unverifiable = findings
        .iter()
        .find(|f| f["path"] == "broken/report.go")
        .unwrap();
    assert_eq!(
        unverifiable["fix"]["verification"]["status"],
        "unverifiable"
    );
    // The changes check shows are the ones fix writes: no withheld fix.
    let changed: String = doc["changed_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["diff"].as_str().unwrap().to_string())
        .collect();
    assert!(!changed.contains("rdb.Close") && !changed.contains("dev.Close"));
    assert!(!changed.contains("storageClient()"));

    let out = run(
        &dir,
        cache.path(),
        &["check", "--unsafe", "--verify", "--format", "sarif", "."],
    );
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    let sarif = stdout(&out);
    let log: Value = serde_json::from_str(&sarif).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    for (file, error) in WITHHELD {
        let withheld: Vec<&Value> = results
            .iter()
            .filter(|r| {
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == *file
                    && r["message"]["text"]
                        .as_str()
                        .is_some_and(|t| t.contains("fix withheld"))
            })
            .collect();
        assert_eq!(withheld.len(), 1, "{file}: {sarif}");
        let r = withheld[0];
        assert!(r["message"]["text"].as_str().unwrap().contains(error));
        assert!(
            r.get("fixes").is_none(),
            "a withheld fix is not offered: {r:#}"
        );
    }
    let verified = results
        .iter()
        .flat_map(|r| r["fixes"].as_array().into_iter().flatten())
        .filter(|f| f["properties"]["verification"] == "verified")
        .count();
    assert_eq!(verified, 5, "{sarif}");
    crate::reports::assert_valid_sarif(&sarif);
    assert_eq!(go_sources(&dir), before, "check never writes");
}

/// A release method behind a build tag: verified with the tag from the
/// config (`verify-go-flags`), withheld without it.
#[test]
fn build_flags_come_from_the_config() {
    if !go_tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let module = dir.path();
    std::fs::write(
        module.join("go.mod"),
        "module example.com/tags\n\ngo 1.22\n",
    )
    .unwrap();
    std::fs::create_dir(module.join("dev")).unwrap();
    std::fs::write(
        module.join("dev/dev.go"),
        "package dev\n\ntype Port struct{ n int }\n\nfunc Open(n int) (*Port, error) { return &Port{n: n}, nil }\n\nfunc Probe() (int, error) {\n\tp, err := Open(1)\n\tif err != nil {\n\t\treturn 0, err\n\t}\n\treturn p.n, nil\n}\n",
    )
    .unwrap();
    std::fs::write(
        module.join("dev/close_hw.go"),
        "//go:build hw\n\npackage dev\n\n// Close releases the port.\nfunc (p *Port) Close() error { return nil }\n",
    )
    .unwrap();
    let out = run(module, cache.path(), &["check", "--verify", "."]);
    assert!(stdout(&out).contains("p.Close undefined"), "{}", both(&out));
    std::fs::write(
        module.join("leakfix.toml"),
        "verify = true\nverify-go-flags = [\"-tags=hw\"]\n",
    )
    .unwrap();
    let out = run(module, cache.path(), &["fix", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert!(stdout(&out).contains("1 verified"), "{}", both(&out));
    assert!(read(module, "dev/dev.go").contains("defer p.Close()"));
}

#[test]
fn without_the_toolchain_verify_exits_2_and_writes_nothing() {
    let ws = tempfile::tempdir().unwrap();
    copy_dir(&repo_root().join("tests/go"), &ws.path().join("go"));
    copy_dir(&repo_root().join("tests/rust"), &ws.path().join("rust"));
    let cache = tempfile::tempdir().unwrap();
    let snapshot = |dir: &Path| -> Vec<(PathBuf, Vec<u8>)> {
        let mut files = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                if e.file_type().unwrap().is_dir() {
                    stack.push(e.path());
                } else {
                    files.push((e.path(), std::fs::read(e.path()).unwrap()));
                }
            }
        }
        files.sort();
        files
    };
    let before = snapshot(ws.path());
    for (dir, var, needs) in [
        (
            "go/fixtures/verify",
            "LEAKFIX_GO",
            "--verify needs the Go toolchain",
        ),
        ("rust/verify-alias", "LEAKFIX_CARGO", "--verify needs cargo"),
    ] {
        let out = leakfix()
            .args(["fix", "--unsafe", "--verify", "."])
            .current_dir(ws.path().join(dir))
            .env("LEAKFIX_CACHE_DIR", cache.path())
            .env(var, "/nonexistent/toolchain")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", both(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(needs) && err.contains("nothing was written"),
            "{err}"
        );
        assert!(out.stdout.is_empty(), "no report for a failed run");
    }
    assert_eq!(snapshot(ws.path()), before);

    // `verify = true` turns it on; `--no-verify` off again.
    let dir = ws.path().join("go/fixtures/verify");
    std::fs::write(dir.join("leakfix.toml"), "verify = true\n").unwrap();
    let with = |args: &[&str]| {
        leakfix()
            .args(args)
            .current_dir(&dir)
            .env("LEAKFIX_GO", "/nonexistent/toolchain")
            .output()
            .unwrap()
    };
    let out = with(&["check", "."]);
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
    let out = with(&["check", "--no-verify", "."]);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
}

#[test]
fn cargo_fix_unsafe_verify_writes_what_compiles_and_withholds_the_rest() {
    if !require_tool("cargo") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let root = tmp.path().join("rust");
    copy_dir(&repo_root().join("tests/rust"), &root);
    let cargo = |dir: &str, args: &[&str]| {
        Command::new("cargo")
            .args(args)
            .arg("--offline")
            .current_dir(root.join(dir))
            .env("CARGO_TARGET_DIR", tmp.path().join("target"))
            .env_remove("RUSTFLAGS")
            .output()
            .unwrap()
    };
    let out = cargo("verify-broken", &["check", "-q"]);
    assert!(
        !out.status.success(),
        "verify-broken must not build before the fix"
    );
    let paths = ["verify-alias", "verify-broken", "svc"];

    let mut args = vec!["check", "--unsafe", "--verify", "--format", "json"];
    args.extend(paths);
    let out = run(&root, cache.path(), &args);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let withheld: Vec<&Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["fix"]["verification"]["status"] == "withheld")
        .collect();
    assert_eq!(withheld.len(), 1, "{doc:#}");
    assert_eq!(withheld[0]["path"], "verify-alias/src/lib.rs");
    assert_eq!(withheld[0]["rule"], "rust-unflushed-writer");
    assert!(
        withheld[0]["fix"]["verification"]["message"]
            .as_str()
            .unwrap()
            .contains("`?` couldn't convert the error to `Error` (cargo check)"),
        "{doc:#}"
    );

    let mut args = vec!["fix", "--unsafe", "--verify"];
    args.extend(paths);
    let out = run(&root, cache.path(), &args);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    assert!(
        text.contains("= fix (safe, withheld): flush `w` before the end of its scope"),
        "{text}"
    );
    assert!(
        text.contains("verify-broken/src/lib.rs:10:17: rust-unflushed-writer fixed, note: fix not verified: its crate did not build before the fix: src/lib.rs:12:27: cannot find function `render` in this scope (cargo check)"),
        "{text}"
    );
    assert!(text.contains("1 withheld"), "{text}");
    let alias = read(&root, "verify-alias/src/lib.rs");
    assert!(
        alias.contains("fn http_client() -> std::result::Result<"),
        "the accessor is written:\n{alias}"
    );
    assert!(!alias.contains("w.flush()?;"), "{alias}");
    assert!(read(&root, "verify-broken/src/lib.rs").contains("w.flush()?;"));
    assert!(read(&root, "svc/src/lib.rs").contains("fn http_client()"));

    // Every crate that built before still builds, all targets.
    for dir in ["verify-alias", "svc"] {
        let out = cargo(dir, &["check", "-q", "--all-targets"]);
        assert!(
            out.status.success(),
            "{dir} after the fix:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // With the feature the configuration names, the flush compiles too.
    std::fs::write(
        root.join("verify-alias/leakfix.toml"),
        "verify-cargo-flags = [\"--features\", \"io-errors\"]\n",
    )
    .unwrap();
    let out = run(
        &root.join("verify-alias"),
        cache.path(),
        &["fix", "--verify", "."],
    );
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert!(stdout(&out).contains("1 verified"), "{}", both(&out));
    assert!(read(&root, "verify-alias/src/lib.rs").contains("w.flush()?;"));
    let out = cargo(
        "verify-alias",
        &["check", "-q", "--all-targets", "--features", "io-errors"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The user's tree has no build output of leakfix's checks.
    assert!(!root.join("verify-alias/target").exists());
    assert!(!root.join("svc/target").exists());
}
