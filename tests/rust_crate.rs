//! The Rust rules end to end on real crates, built against stand-in crates
//! (tests/rust/standins: reqwest, hyper, redis, mongodb, tokio, once_cell,
//! winit; one copy of each):
//! - `svc`, a service: per-request clients (direct, `reqwest::get`, split
//!   builders, struct literals, an existing shared client, hyper, a
//!   `Result` alias, a type that owns its runtime), writers, children;
//! - `desk`, a desktop app with its own rustfmt.toml: tasks that outlive
//!   their owners, and a launcher whose children must be reaped without
//!   blocking the event loop.
//!
//! Each crate must build before and after `leakfix fix --unsafe`, its
//! runtime tests (clients built, children reaped, flushes, live tasks after
//! owners are dropped) must fail before and pass after, the output must be
//! rustfmt-clean with the crate's rustfmt.toml and clippy-clean, and a
//! second run must change nothing.

use std::path::Path;
use std::process::Command;

use crate::common::{copy_dir, leakfix, repo_root, require_tool};

fn cargo(dir: &Path, target: &Path, args: &[&str]) -> std::process::Output {
    Command::new("cargo")
        .arg("--offline")
        .args(args)
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

/// `cargo clippy` is there (it fails when CI is set and it is not).
fn require_clippy() -> bool {
    let found = Command::new("cargo")
        .args(["clippy", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return true;
    }
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        panic!("`cargo clippy` is required in CI (CI is set) but was not found");
    }
    eprintln!("SKIPPED: `cargo clippy` not found; the clippy check of fixed crates is skipped");
    false
}

/// A copy of tests/rust (crates and stand-ins) in a temporary folder; inside
/// our repository cargo would see leakfix's workspace.
fn workspace() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&repo_root().join("tests/rust"), &tmp.path().join("rust"));
    tmp
}

/// Copies the crate, optionally rewrites its `rust-version`, fixes it and
/// checks everything above; returns the fixed lib.rs. `remaining` is the
/// exit code leakfix must give (1 when findings without a fix remain).
fn fix_and_check(krate: &str, rust_version: Option<&str>, remaining: i32) -> String {
    let tmp = workspace();
    let dir = tmp.path().join("rust").join(krate);
    if let Some(v) = rust_version {
        let manifest = dir.join("Cargo.toml");
        let m = std::fs::read_to_string(&manifest).unwrap();
        std::fs::write(
            &manifest,
            m.replace(
                "rust-version = \"1.75\"",
                &format!("rust-version = \"{v}\""),
            ),
        )
        .unwrap();
    }
    let target = tmp.path().join("target");
    assert_ok(
        &cargo(&dir, &target, &["build", "-q"]),
        "cargo build before the fix",
    );
    let clippy = require_clippy();
    if clippy {
        assert_ok(
            &cargo(
                &dir,
                &target,
                &["clippy", "-q", "--all-targets", "--", "-D", "warnings"],
            ),
            "cargo clippy before the fix",
        );
    }

    let out = leakfix()
        .args(["fix", "--unsafe"])
        .arg(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(remaining),
        "{krate}: leakfix fix --unsafe:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{krate}: leakfix reported problems:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lib = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();

    assert_ok(
        &cargo(&dir, &target, &["build", "-q"]),
        "cargo build after the fix",
    );
    assert_ok(
        &cargo(&dir, &target, &["test", "-q"]),
        "the crate's runtime tests after the fix",
    );
    if clippy {
        assert_ok(
            &cargo(
                &dir,
                &target,
                &["clippy", "-q", "--all-targets", "--", "-D", "warnings"],
            ),
            "cargo clippy after the fix",
        );
    }
    if require_tool("rustfmt") {
        // rustfmt finds the crate's rustfmt.toml from the file's path.
        let out = Command::new("rustfmt")
            .args(["--edition", "2021", "--check"])
            .arg(dir.join("src/lib.rs"))
            .output()
            .unwrap();
        assert_ok(&out, "rustfmt --check on the fixed code");
    }

    // A second run changes nothing.
    let out = leakfix()
        .args(["fix", "--unsafe"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(remaining));
    assert_eq!(
        std::fs::read_to_string(dir.join("src/lib.rs")).unwrap(),
        lib,
        "second run changed the code"
    );
    lib
}

#[test]
fn the_fixed_service_builds_shares_clients_reaps_children_and_reports_write_errors() {
    if !require_tool("cargo") {
        return;
    }
    // The caller-specific client stays reported, untouched.
    let lib = fix_and_check("svc", None, 1);
    assert!(
        lib.contains("let client = Client::builder().user_agent(req.token.clone()).build()?;"),
        "the caller-specific client is untouched:\n{lib}"
    );
    assert!(
        lib.contains("static HTTP_CLIENT: OnceLock<reqwest::blocking::Client>"),
        "{lib}"
    );
    assert!(
        lib.contains("OnceCell::const_new()"),
        "async constructor uses tokio's OnceCell:\n{lib}"
    );
    assert!(lib.contains("let client = shared().clone();"), "{lib}");
    assert!(
        lib.contains("() -> std::result::Result<reqwest::blocking::Client, reqwest::Error> {"),
        "the Result alias is not used:\n{lib}"
    );
    assert!(
        lib.contains("http_client: reqwest::Client::new(),"),
        "{lib}"
    );
    let lib = fix_and_check("svc", Some("1.80"), 1);
    assert!(
        lib.contains("LazyLock<reqwest::blocking::Client> = LazyLock::new("),
        "{lib}"
    );
    let lib = fix_and_check("svc", Some("1.65"), 1);
    assert!(
        lib.contains("use once_cell::sync::Lazy;") && !lib.contains("OnceLock"),
        "before 1.70, once_cell:\n{lib}"
    );
}

#[test]
fn the_fixed_app_stops_tasks_with_their_owners_and_reaps_in_the_background() {
    if !require_tool("cargo") {
        return;
    }
    let lib = fix_and_check("desk", None, 0);
    assert!(lib.contains("impl Drop for Cache {"), "{lib}");
    assert!(
        lib.contains("std::thread::spawn(move || child.wait());"),
        "{lib}"
    );
}

#[test]
fn the_crates_fail_their_runtime_tests_before_the_fix() {
    if !require_tool("cargo") {
        return;
    }
    let tmp = workspace();
    for (krate, tests) in [
        (
            "svc",
            &[
                "handlers_share_one_client",
                "loops_build_their_client_once",
                "convenience_functions_share_one_client",
                "split_builders_and_struct_literals_share_one_client",
                "the_existing_shared_client_is_reused",
                "hyper_clients_are_shared",
                "modules_with_a_result_alias_share_too",
                "a_type_owning_its_runtime_keeps_one_client_per_instance",
                "write_errors_surface",
                "write_errors_surface_on_early_returns",
                "children_are_reaped",
                "children_of_a_successful_spawn_are_reaped",
                "children_from_branches_and_early_returns_are_reaped",
            ][..],
        ),
        (
            "desk",
            &[
                "tasks_stop_when_their_owners_are_dropped",
                "the_launcher_reaps_in_the_background",
            ][..],
        ),
    ] {
        let out = cargo(
            &tmp.path().join("rust").join(krate),
            &tmp.path().join("target"),
            &["test", "-q"],
        );
        assert!(
            !out.status.success(),
            "{krate}: the runtime tests must catch the leaks"
        );
        let text = String::from_utf8_lossy(&out.stdout);
        for t in tests {
            assert!(
                text.contains(&format!("{t} --- FAILED")),
                "{krate}: {t} should fail before the fix:\n{text}"
            );
        }
    }
}
