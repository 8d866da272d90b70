//! The JavaScript rules end to end on running code: each Express app in
//! tests/js/apps (with real Express and on-finished from .tools/js, and the
//! stand-in pg) has a `node:test` runtime test that sends hundreds of
//! requests, some failing and some aborted by the client, and counts what
//! leaked. For each app: the test fails before `leakfix fix --unsafe` and
//! passes after it, with the same answers; the fixed code passes `node
//! --check` and prettier; a second run changes nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{copy_dir, js_tools, leakfix, node_check, prettier_format, repo_root};

/// A copy of tests/js with a node_modules folder: express and on-finished
/// linked from the installed tools, pg linked to the stand-in.
#[cfg(unix)]
fn workspace(tools: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo_root().join("tests/js"), dir.path());
    let nm = dir.path().join("node_modules");
    std::fs::create_dir_all(&nm).unwrap();
    for pkg in ["express", "on-finished"] {
        std::os::unix::fs::symlink(tools.join(pkg), nm.join(pkg)).unwrap();
    }
    std::os::unix::fs::symlink(dir.path().join("standins/pg"), nm.join("pg")).unwrap();
    dir
}

/// `node --test app.test.js` in `app`, with a time limit.
fn node_test(app: &Path, answers: &Path) -> Output {
    let mut child = Command::new("node")
        .args(["--test", "app.test.js"])
        .current_dir(app)
        .env("NODE_ENV", "test")
        .env("LEAKFIX_ANSWERS", answers)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs");
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > Duration::from_secs(180) {
            child.kill().ok();
            let out = child.wait_with_output().unwrap();
            panic!(
                "{}: node --test did not finish in 3 minutes:\n{}",
                app.display(),
                String::from_utf8_lossy(&out.stdout)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Every .js and package.json file of the app, with its text.
fn sources(app: &Path) -> Vec<(PathBuf, String)> {
    let mut out: Vec<(PathBuf, String)> = std::fs::read_dir(app)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "js")
                || p.file_name().is_some_and(|n| n == "package.json")
        })
        .map(|p| {
            let t = std::fs::read_to_string(&p).unwrap();
            (p, t)
        })
        .collect();
    out.sort();
    out
}

/// The round trip for one app; returns the app's fixed app.js.
#[cfg(unix)]
fn roundtrip(name: &str) -> Option<(tempfile::TempDir, String)> {
    let tools = js_tools()?;
    let ws = workspace(&tools);
    let app = ws.path().join("apps").join(name);
    let before_answers = ws.path().join("answers-before.json");
    let after_answers = ws.path().join("answers-after.json");

    let out = node_test(&app, &before_answers);
    assert!(
        !out.status.success(),
        "{name}: the runtime test passes before leakfix, so it cannot tell a fix from no fix:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let original = sources(&app);

    let out = leakfix()
        .args(["fix", "--unsafe"])
        .arg(&app)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0)),
        "{name}: leakfix left findings or failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let fixed = sources(&app);
    assert_ne!(original, fixed, "{name}: leakfix changed nothing");
    for ((path, before), (_, after)) in original.iter().zip(&fixed) {
        if path.extension().is_some_and(|e| e == "js") {
            node_check(path, after).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
        let clean = prettier_format(&tools, path, before).as_deref() == Some(before.as_str());
        if clean {
            assert_eq!(
                prettier_format(&tools, path, after).as_deref(),
                Some(after.as_str()),
                "{}: prettier-clean before leakfix, not after:\n{after}",
                path.display()
            );
        }
    }

    let out = node_test(&app, &after_answers);
    assert!(
        out.status.success(),
        "{name}: the runtime test fails after leakfix:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let answers = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    assert!(
        !answers(&after_answers).is_empty(),
        "{name}: no answers recorded"
    );
    assert_eq!(
        answers(&before_answers),
        answers(&after_answers),
        "{name}: the answers changed"
    );

    let out = leakfix()
        .args(["fix", "--unsafe"])
        .arg(&app)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(sources(&app), fixed, "{name}: a second run changed files");
    let app_js = std::fs::read_to_string(app.join("app.js")).unwrap();
    Some((ws, app_js))
}

#[cfg(unix)]
#[test]
fn missing_release_app() {
    let Some((_, app)) = roundtrip("missing-release") else {
        return;
    };
    assert_eq!(app.matches("} finally {").count(), 3, "{app}");
}

#[cfg(unix)]
#[test]
fn per_request_client_app() {
    let Some((_, app)) = roundtrip("per-request-client") else {
        return;
    };
    assert_eq!(
        app.matches("new Pool(").count(),
        1,
        "one shared pool:\n{app}"
    );
    assert!(!app.contains("pool.end()"), "{app}");
}

#[cfg(unix)]
#[test]
fn release_on_finish_app() {
    let Some((ws, app)) = roundtrip("release-on-finish") else {
        return;
    };
    assert!(app.contains("onFinished(res, () => {"), "{app}");
    let pkg =
        std::fs::read_to_string(ws.path().join("apps/release-on-finish/package.json")).unwrap();
    assert!(pkg.contains("\"on-finished\": \"^2.4.1\""), "{pkg}");
}

#[cfg(unix)]
#[test]
fn unhandled_pipe_app() {
    let Some((_, app)) = roundtrip("unhandled-pipe") else {
        return;
    };
    assert!(
        app.contains("pipeline(fs.createReadStream(file), res).catch(next);"),
        "{app}"
    );
}

/// TypeScript: a small strict project (tests/js/typescript, with just
/// enough declarations of pg, mongodb, express and on-finished) type-checks
/// with tsc before and after `leakfix fix --unsafe`, which exercises three
/// rules on it; the output stays prettier-clean and a second run changes
/// nothing.
#[test]
fn typescript_output_type_checks() {
    let Some(tools) = js_tools() else { return };
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo_root().join("tests/js/typescript"), dir.path());
    let tsc = || {
        Command::new("node")
            .arg(tools.join("typescript/bin/tsc"))
            .args(["-p", "."])
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let out = tsc();
    assert!(
        out.status.success(),
        "tsc before: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let routes = dir.path().join("src/routes.ts");
    let before = std::fs::read_to_string(&routes).unwrap();
    let out = leakfix()
        .args(["fix", "--unsafe"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let after = std::fs::read_to_string(&routes).unwrap();
    assert_ne!(before, after);
    for needle in [
        "import onFinished from \"on-finished\";",
        "} finally {\n    client.release();",
        "let ordersPool: Pool | undefined;",
        "let mongoClientPromise: Promise<MongoClient> | undefined;",
    ] {
        assert!(after.contains(needle), "no {needle:?} in\n{after}");
    }
    let out = tsc();
    assert!(
        out.status.success(),
        "tsc after leakfix: {}\n{after}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(
        prettier_format(&tools, &routes, &after).as_deref(),
        Some(after.as_str())
    );
    let pkg = std::fs::read_to_string(dir.path().join("package.json")).unwrap();
    assert!(pkg.contains("\"@types/on-finished\": \"^2.3.4\""), "{pkg}");
    let out = leakfix()
        .args(["fix", "--unsafe"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&routes).unwrap(), after);
}
