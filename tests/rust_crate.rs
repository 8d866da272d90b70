//! The Rust rules end to end on a real crate: `tests/rust/svc` (with
//! stand-in crates for reqwest, redis, mongodb and tokio) must build before
//! and after `leakfix fix --unsafe`, its runtime tests (one client for 200
//! calls, one per call for a loop, the caller-specific client untouched
//! with its errors, a write error to /dev/full, no zombies) must pass after
//! the fix, the output must be rustfmt-clean, and a second run must change
//! nothing.

use std::path::Path;
use std::process::Command;

use crate::common::{copy_dir, leakfix, repo_root, require_tool};

fn cargo(dir: &Path, target: &Path, args: &[&str]) -> std::process::Output {
    Command::new("cargo")
        .args(args)
        .arg("--offline")
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs")
}

fn assert_ok(out: &std::process::Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Copies the crate, optionally rewrites its `rust-version`, fixes it and
/// checks everything the issue asks; returns the fixed lib.rs.
fn fix_and_check(rust_version: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("rust");
    copy_dir(&repo_root().join("tests/rust"), &root);
    let svc = root.join("svc");
    let manifest = svc.join("Cargo.toml");
    let m = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        m.replace(
            "rust-version = \"1.75\"",
            &format!("rust-version = \"{rust_version}\""),
        ),
    )
    .unwrap();
    let target = tmp.path().join("target");

    assert_ok(
        &cargo(&svc, &target, &["build", "-q"]),
        "cargo build before the fix",
    );

    let out = leakfix()
        .args(["fix", "--unsafe"])
        .arg(&svc)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the caller-specific client remains reported:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("its arguments depend on this call"),
        "{stdout}"
    );
    let lib = std::fs::read_to_string(svc.join("src/lib.rs")).unwrap();
    assert!(
        lib.contains("let client = Client::builder().user_agent(req.token.clone()).build()?;"),
        "the caller-specific client is untouched:\n{lib}"
    );

    assert_ok(
        &cargo(&svc, &target, &["build", "-q"]),
        "cargo build after the fix",
    );
    assert_ok(
        &cargo(&svc, &target, &["test", "-q"]),
        "the crate's runtime tests after the fix",
    );
    if require_tool("rustfmt") {
        let out = Command::new("rustfmt")
            .args(["--edition", "2021", "--check"])
            .arg(svc.join("src/lib.rs"))
            .output()
            .unwrap();
        assert_ok(&out, "rustfmt --check on the fixed code");
    }

    // A second run changes nothing.
    let out = leakfix()
        .args(["fix", "--unsafe"])
        .arg(&svc)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(svc.join("src/lib.rs")).unwrap(),
        lib,
        "second run changed the code"
    );
    lib
}

#[test]
fn fixed_crate_builds_shares_clients_reaps_children_and_reports_write_errors() {
    if !require_tool("cargo") {
        return;
    }
    let lib = fix_and_check("1.75");
    assert!(
        lib.contains("static HTTP_CLIENT: OnceLock<reqwest::blocking::Client>"),
        "{lib}"
    );
    assert!(
        lib.contains("OnceCell::const_new()"),
        "async constructor uses tokio's OnceCell:\n{lib}"
    );
    let lib = fix_and_check("1.80");
    assert!(
        lib.contains("LazyLock<reqwest::blocking::Client> = LazyLock::new("),
        "{lib}"
    );
}

#[test]
fn the_crate_fails_its_runtime_tests_before_the_fix() {
    if !require_tool("cargo") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("rust");
    copy_dir(&repo_root().join("tests/rust"), &root);
    let out = cargo(
        &root.join("svc"),
        &tmp.path().join("target"),
        &["test", "-q"],
    );
    assert!(
        !out.status.success(),
        "the runtime tests must catch the leaks"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for t in [
        "clients_are_shared",
        "write_errors_surface",
        "children_are_reaped",
    ] {
        assert!(text.contains(t), "{t} should fail before the fix:\n{text}");
    }
}
