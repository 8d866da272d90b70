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

/// The cron daemon from issue 7: helpers called on every job start
/// goroutines that subscribe to Redis and loop forever on
/// `context.Background()`. After `leakfix fix --unsafe`, hundreds of jobs
/// (each with a context cancelled at its end) leave no goroutine or
/// subscription behind, the work published to them is still seen, and every
/// call site in the module compiles again, tests included.
#[test]
fn unstoppable_goroutines_stop_with_their_job() {
    // What a person is told before fixing: the call sites that get
    // `context.TODO()`, and the API changes.
    if !require_tool("go") {
        return;
    }
    let ws = crate::common::go_workspace();
    let out = crate::common::leakfix()
        .args(["check", "--rule", "go-unstoppable-goroutine"])
        .arg(ws.path().join("fixtures/cron"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line_of = |file: &str, needle: &str| {
        let src = std::fs::read_to_string(ws.path().join("fixtures/cron").join(file)).unwrap();
        src.lines().position(|l| l.contains(needle)).unwrap() + 1
    };
    for want in [
        format!(
            "cmd/cronctl/main.go:{}: `main` has no context to pass, so it now passes `context.TODO()`",
            line_of("cmd/cronctl/main.go", "notify.WatchCancels(")
        ),
        format!(
            "jobs/runner.go:{}: `Replay` has no context to pass",
            line_of("jobs/runner.go", "notify.WatchCancels(rdb, id")
        ),
        format!(
            "notify/notify_test.go:{}: `TestCancelChannel` has no context to pass",
            line_of("notify/notify_test.go", "WatchCancels(")
        ),
        "API change: exported `notify.WatchCancels` now takes a `ctx context.Context` first parameter".into(),
        "jobs/metrics.go:11:2: go-unstoppable-goroutine This goroutine loops forever and has no context".into(),
    ] {
        assert!(text.contains(&want), "check output lacks {want:?}:\n{text}");
    }

    let Some(ws) = go_fixture_roundtrip("cron", &["fix", "--unsafe"]) else {
        return;
    };
    let dir = ws.path().join("fixtures/cron");
    let read = |p: &str| std::fs::read_to_string(dir.join(p)).unwrap();
    assert!(read("api/handler.go").contains("notify.WatchCancels(r.Context(), h.RDB, id,"));
    assert!(read("jobs/runner.go").contains("notify.WatchCancels(ctx, r.rdb, job.ID,"));
    assert!(read("jobs/runner.go").contains("r.reporter.Follow(ctx, job.ID)"));
    assert!(read("cmd/cronctl/main.go").contains("notify.WatchCancels(context.TODO(), rdb,"));
    assert!(read("notify/notify_test.go").contains("WatchCancels(context.TODO(), rdb,"));
    // The goroutine with no context at all is reported, not touched.
    assert!(read("jobs/metrics.go").contains("func StartMetrics(period time.Duration) {"));
    let out = go_command(&dir, &["build", "./..."]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every go-unstoppable-goroutine fixture, each file a package of one
/// module wired to the stand-ins: it vets before, and after
/// `leakfix fix --unsafe` it is gofmt-clean and still vets (so every
/// signature change reached every caller), and a second run changes nothing.
#[test]
fn goroutine_fixtures_still_vet_after_fix() {
    rule_fixtures_still_vet_after_fix("go-unstoppable-goroutine");
}

#[test]
fn abandoned_result_fixtures_still_vet_after_fix() {
    rule_fixtures_still_vet_after_fix("go-abandoned-result");
}

#[test]
fn unstoppable_handler_fixtures_still_vet_after_fix() {
    rule_fixtures_still_vet_after_fix("go-unstoppable-handler");
}

#[test]
fn blocked_producer_fixtures_still_vet_after_fix() {
    rule_fixtures_still_vet_after_fix("go-blocked-producer");
}

/// A rule's fixtures (tests/fixtures/RULE/*.go, each a package of one
/// module, and every RULE/NAME/ with a go.mod, a module of its own) vet
/// before `leakfix fix --unsafe --rule RULE`, are gofmt-clean and vet after
/// it, and a second run changes nothing.
fn rule_fixtures_still_vet_after_fix(rule: &str) {
    if !require_tool("go") || !require_tool("gofmt") {
        return;
    }
    let fixtures = repo_root().join("tests/fixtures").join(rule);
    // The redis stand-in needs the stand-ins' shared module, and Go honours
    // `replace` only in the main module, so both are replaced here.
    let standins = repo_root().join("tests/go/standins");
    let go_mod = |module: &str| {
        format!(
            "module {module}\n\ngo 1.22\n\nrequire (\n\tgithub.com/redis/go-redis/v9 v9.0.0\n\tstandins.test/shared v0.0.0\n)\n\nreplace (\n\tgithub.com/redis/go-redis/v9 => {}\n\tstandins.test/shared => {}\n)\n",
            standins.join("github.com/redis/go-redis/v9").display(),
            standins.join("_shared").display(),
        )
    };
    let ws = tempfile::tempdir().unwrap();
    let single = ws.path().join("single");
    std::fs::create_dir_all(&single).unwrap();
    std::fs::write(single.join("go.mod"), go_mod("example.com/fixtures")).unwrap();
    for entry in std::fs::read_dir(&fixtures).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|x| x == "go") {
            let pkg = single.join(p.file_stem().unwrap());
            std::fs::create_dir_all(&pkg).unwrap();
            std::fs::copy(&p, pkg.join(p.file_name().unwrap())).unwrap();
        }
    }
    let mut dirs = vec![single];
    // Fixtures that are modules of their own (RULE/NAME/go.mod).
    for entry in std::fs::read_dir(&fixtures).unwrap() {
        let p = entry.unwrap().path();
        if !p.join("go.mod").is_file() {
            continue;
        }
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        let dir = ws.path().join(&name);
        crate::common::copy_dir(&p, &dir);
        std::fs::write(dir.join("go.mod"), go_mod(&format!("example.com/{name}"))).unwrap();
        dirs.push(dir);
    }

    for dir in &dirs {
        let out = std::process::Command::new("gofmt")
            .arg("-l")
            .arg(dir)
            .output()
            .unwrap();
        assert!(
            out.stdout.is_empty(),
            "fixtures not gofmt-clean: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let out = go_command(dir, &["vet", "./..."]);
        assert!(
            out.status.success(),
            "vet before: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = crate::common::leakfix()
            .args(["fix", "--unsafe", "--rule", rule])
            .arg(dir)
            .output()
            .unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let fixed = crate::common::go_sources(dir);
        let out = std::process::Command::new("gofmt")
            .arg("-l")
            .arg(dir)
            .output()
            .unwrap();
        assert!(
            out.stdout.is_empty(),
            "not gofmt-clean: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let out = go_command(dir, &["vet", "./..."]);
        assert!(
            out.status.success(),
            "vet after: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        crate::common::leakfix()
            .args(["fix", "--unsafe", "--rule", rule])
            .arg(dir)
            .output()
            .unwrap();
        assert_eq!(
            crate::common::go_sources(dir),
            fixed,
            "a second run changed files"
        );
    }
}

/// Issue 12: goroutines blocked forever, one package per shape in the
/// `goroutines` fixture module. Each package's runtime test makes hundreds
/// of calls with timeouts and cancellations, checks the answers, and counts
/// the goroutines left once the calls settle: every package's test fails
/// before `leakfix fix --unsafe` (so each shape is seen on its own) and
/// passes after it, gofmt and vet clean, and a second run changes nothing.
#[test]
fn blocked_goroutines_end_after_fix() {
    if !require_tool("go") || !require_tool("gofmt") {
        return;
    }
    let ws = crate::common::go_workspace();
    let dir = ws.path().join("fixtures/goroutines");
    for pkg in GOROUTINE_SHAPES {
        let out = go_command(&dir, &["test", "-count=1", &format!("./{pkg}/")]);
        assert!(
            !out.status.success(),
            "goroutines/{pkg}: the runtime test passes before leakfix:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let Some(ws) = go_fixture_roundtrip("goroutines", &["fix", "--unsafe"]) else {
        return;
    };
    let read =
        |p: &str| std::fs::read_to_string(ws.path().join("fixtures/goroutines").join(p)).unwrap();
    assert!(read("results/results.go").contains("ch := make(chan result, 1)"));
    assert!(
        read("results/results.go")
            .contains("errc := make(chan error, 1)\n\tgo func() {\n\t\t_, err := download(url)")
    );
    assert!(read("races/races.go").contains("ch := make(chan string, len(mirrors))"));
    assert!(read("races/races.go").contains("answers := make(chan string, n)"));
    assert!(read("producers/producers.go").contains("case <-ctx.Done():"));
    assert!(read("producers/producers.go").contains("defer close(done)"));
    assert!(read("waits/waits.go").contains("closeOnCancel(ctx, conn)"));
    assert!(read("waits/waits.go").contains("case <-done:"));
    assert!(read("subs/subs.go").contains("follow(ctx, rdb, job, cancelled)"));
    assert!(read("subs/subs.go").contains("defer sub.Close()"));
    assert!(read("streams/streams.go").contains("case <-r.Context().Done():"));
}

/// The packages of the `goroutines` fixture module, one per shape.
const GOROUTINE_SHAPES: &[&str] = &["results", "races", "producers", "waits", "subs", "streams"];
