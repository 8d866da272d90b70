//! What leakfix writes must satisfy the Go toolchain: fixture modules under
//! tests/go/fixtures/ import stand-in clients (tests/go/standins/) and carry
//! runtime tests that count open clients and goroutines.

use crate::common::{go_command, go_fixture_roundtrip, repo_root, require_tool};

#[test]
fn standins_pass_their_self_test() {
    if !require_tool("go") {
        return;
    }
    let out = std::process::Command::new("sh")
        .arg(repo_root().join("tests/go/selftest.sh"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Handlers that build clients, readers, DBs, rows and response bodies per
/// call: after `leakfix fix` nothing stays open over hundreds of requests.
#[test]
fn missing_release_fixes_stop_the_leaks() {
    let Some(ws) = go_fixture_roundtrip("missing-release", &["fix"]) else {
        return;
    };
    // The value the caller owns is still returned open.
    let service =
        std::fs::read_to_string(ws.path().join("fixtures/missing-release/service.go")).unwrap();
    let keep = &service[service.find("func Keep").unwrap()..];
    assert!(
        !keep.contains("Close"),
        "Keep hands its client to the caller: it must not be closed:\n{keep}"
    );
    let out = go_command(
        &ws.path().join("fixtures/missing-release"),
        &["build", "./..."],
    );
    assert!(out.status.success());
}
