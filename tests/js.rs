//! JavaScript and TypeScript rule fixtures (tests/fixtures/js-*/), labelled
//! and snapshotted like the others; what leakfix writes must also pass
//! `node --check` (JavaScript) and `prettier --check` wherever the fixture
//! itself did (with the fixture folder's prettier config, if any).

use std::path::Path;

use leakfix::fix::Applicability;

use crate::common::{js_tools, node_check, prettier_format, run_rule};

fn js_fixture(rule: &str, path: &Path) {
    crate::fixtures::fixture(rule, path);
    let Some(tools) = js_tools() else { return };
    let applicability = leakfix::rules::by_id(rule).unwrap().meta().applicability;
    let run = run_rule(rule, path, applicability.min(Applicability::Unsafe), true);
    let is_js = path
        .extension()
        .is_some_and(|e| matches!(e.to_str(), Some("js" | "mjs" | "cjs" | "jsx")));
    if is_js {
        node_check(path, &run.original).unwrap_or_else(|e| {
            panic!(
                "{}: the fixture does not pass node --check: {e}",
                path.display()
            )
        });
        node_check(path, &run.fixed).unwrap_or_else(|e| {
            panic!(
                "{}: the fixed code does not pass node --check: {e}\n{}",
                path.display(),
                run.fixed
            )
        });
    }
    let before = prettier_format(&tools, path, &run.original);
    assert!(
        before.is_some(),
        "{}: prettier cannot parse the fixture",
        path.display()
    );
    if before.as_deref() == Some(run.original.as_str()) {
        let after = prettier_format(&tools, path, &run.fixed).unwrap_or_else(|| {
            panic!(
                "{}: prettier cannot parse the fixed code:\n{}",
                path.display(),
                run.fixed
            )
        });
        if after != run.fixed {
            panic!(
                "{}: the fixture is prettier-clean but the fixed code is not:\n{}",
                path.display(),
                leakfix::diff::unified("fixed -> prettier", &run.fixed, &after, 2)
            );
        }
    }
}

#[test]
fn js_missing_release() {
    insta::glob!(
        "fixtures/js-missing-release/**/*.{js,mjs,cjs,ts,tsx}",
        |path| js_fixture("js-missing-release", path)
    );
}

#[test]
fn js_per_request_client() {
    insta::glob!(
        "fixtures/js-per-request-client/**/*.{js,mjs,cjs,ts,tsx}",
        |path| js_fixture("js-per-request-client", path)
    );
}

#[test]
fn js_release_on_finish() {
    insta::glob!(
        "fixtures/js-release-on-finish/**/*.{js,mjs,cjs,ts,tsx}",
        |path| js_fixture("js-release-on-finish", path)
    );
}

#[test]
fn js_unhandled_pipe() {
    insta::glob!(
        "fixtures/js-unhandled-pipe/**/*.{js,mjs,cjs,ts,tsx}",
        |path| js_fixture("js-unhandled-pipe", path)
    );
}

// ---------------------------------------------------------------------------
// The command line with JavaScript: rules, explain, test files,
// suppression, config, package.json edits, files that do not parse.

use crate::common::leakfix;

const JS_RULES: [&str; 4] = [
    "js-missing-release",
    "js-per-request-client",
    "js-release-on-finish",
    "js-unhandled-pipe",
];

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

const LEAKY: &str = "const { Pool } = require(\"pg\");\n\nconst pool = new Pool();\n\nasync function user(id) {\n  const client = await pool.connect();\n  const { rows } = await client.query(\"SELECT $1\", [id]);\n  client.release();\n  return rows[0];\n}\n\nmodule.exports = { user };\n";

#[test]
fn rules_lists_and_explain_documents_every_js_rule() {
    let out = leakfix().arg("rules").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for id in JS_RULES {
        assert!(text.contains(id), "rules lacks {id}:\n{text}");
        let out = leakfix().args(["explain", id]).output().unwrap();
        assert!(out.status.success());
        let doc = String::from_utf8_lossy(&out.stdout);
        assert!(doc.contains("Language: js"), "{doc}");
        assert!(doc.contains("```js"), "{id}: no example");
    }
    let out = leakfix()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let js: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["language"] == "js")
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(js, JS_RULES);
}

#[test]
fn test_files_are_skipped_unless_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("src/db.test.js", LEAKY),
            ("src/db.spec.ts", LEAKY),
            ("src/__tests__/db.js", LEAKY),
            ("node_modules/pg-helper/index.js", LEAKY),
            (
                "src/types.d.ts",
                "export declare function user(id: number): Promise<unknown>;\n",
            ),
        ],
    );
    let out = leakfix().arg("check").arg(dir.path()).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = leakfix()
        .args(["check", "--include-tests"])
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text.matches("js-missing-release").count(), 3, "{text}");
    assert!(!text.contains("node_modules"), "{text}");
}

#[test]
fn leakfix_ignore_silences_a_js_finding() {
    let dir = tempfile::tempdir().unwrap();
    let ignored = LEAKY.replace(
        "  const client = await pool.connect();\n",
        "  // leakfix:ignore js-missing-release -- released by the caller's hook\n  const client = await pool.connect();\n",
    );
    write(dir.path(), &[("a.js", &ignored)]);
    let out = leakfix().arg("check").arg(dir.path()).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let other = LEAKY.replace(
        "  const client = await pool.connect();\n",
        "  const client = await pool.connect(); // leakfix:ignore js-unhandled-pipe\n",
    );
    write(dir.path(), &[("a.js", &other)]);
    let out = leakfix().arg("check").arg(dir.path()).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "another rule's ignore does not silence it"
    );
}

#[test]
fn a_js_file_that_does_not_parse_is_reported_and_never_written() {
    let dir = tempfile::tempdir().unwrap();
    let broken = format!("{LEAKY}\nfunction (\n");
    write(dir.path(), &[("a.js", &broken), ("b.js", LEAKY)]);
    let out = leakfix().arg("fix").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "b.js fixed, a.js only reported");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("a.js") && err.contains("syntax error"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.js")).unwrap(),
        broken
    );
    assert!(
        std::fs::read_to_string(dir.path().join("b.js"))
            .unwrap()
            .contains("} finally {")
    );
}

const MIDDLEWARE: &str = "const { Pool } = require(\"pg\");\n\nconst pool = new Pool();\n\nmodule.exports = async function withDb(req, res, next) {\n  req.db = await pool.connect();\n  res.on(\"finish\", () => {\n    req.db.release();\n  });\n  next();\n};\n";

const PACKAGE: &str = "{\n  \"name\": \"api\",\n  \"private\": true,\n  \"dependencies\": {\n    \"express\": \"^4.21.0\",\n    \"pg\": \"^8.11.0\"\n  }\n}\n";

/// The diff carries the package.json edit too, and `git apply` of it gives
/// what `fix` writes.
#[test]
fn the_diff_adds_on_finished_to_package_json() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[("mw.js", MIDDLEWARE), ("package.json", PACKAGE)],
    );
    let out = leakfix()
        .args(["check", "--unsafe", "--format", "diff"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let diff = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(diff.contains("+++ b/package.json"), "{diff}");
    assert!(
        diff.contains("+    \"on-finished\": \"^2.4.1\",\n     \"pg\""),
        "{diff}"
    );
    assert!(
        diff.contains("+const onFinished = require(\"on-finished\");"),
        "{diff}"
    );
    let out = leakfix()
        .args(["check", "--unsafe"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("adds on-finished to package.json: run your package manager"),
        "{text}"
    );
    if crate::common::require_tool("git") {
        let copy = tempfile::tempdir().unwrap();
        crate::common::copy_dir(dir.path(), copy.path());
        let mut child = std::process::Command::new("git")
            .args(["apply", "-"])
            .current_dir(copy.path())
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(diff.as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success());
        let out = leakfix()
            .args(["fix", "--unsafe"])
            .arg(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        for f in ["mw.js", "package.json"] {
            assert_eq!(
                std::fs::read_to_string(copy.path().join(f)).unwrap(),
                std::fs::read_to_string(dir.path().join(f)).unwrap(),
                "{f}: git apply of the diff differs from fix"
            );
        }
    }
}

/// `[js] add-dependencies = false`: the guarded pair, package.json untouched.
#[test]
fn add_dependencies_off_gives_the_guarded_pair() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("mw.js", MIDDLEWARE),
            ("package.json", PACKAGE),
            ("leakfix.toml", "[js]\nadd-dependencies = false\n"),
        ],
    );
    let out = leakfix()
        .args(["fix", "--unsafe"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("package.json")).unwrap(),
        PACKAGE
    );
    let mw = std::fs::read_to_string(dir.path().join("mw.js")).unwrap();
    assert!(mw.contains("    if (released) return;\n"), "{mw}");
    assert!(
        mw.contains("  res.on(\"finish\", release);\n  res.on(\"close\", release);\n"),
        "{mw}"
    );
    assert!(!mw.contains("on-finished"), "{mw}");
}

/// A rule's documented example, fixed, contains its "Use instead" code
/// (import lines are checked on their own: they go beside the file's own).
#[test]
fn docs_examples_are_what_the_fixes_write() {
    // (rule, code before the example, other files)
    type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);
    let cases: [Case; 4] = [
        ("js-missing-release", "", &[]),
        (
            "js-per-request-client",
            "const express = require(\"express\");\nconst { Pool } = require(\"pg\");\n\nconst app = express();\n\n",
            &[],
        ),
        (
            "js-release-on-finish",
            "const express = require(\"express\");\nconst { Pool } = require(\"pg\");\n\nconst app = express();\nconst pool = new Pool();\n\n",
            &[("package.json", PACKAGE)],
        ),
        (
            "js-unhandled-pipe",
            "const express = require(\"express\");\nconst fs = require(\"node:fs\");\nconst path = require(\"node:path\");\n\nconst app = express();\nconst DIR = \"files\";\n\n",
            &[],
        ),
    ];
    for (id, prelude, extra) in cases {
        let docs = leakfix::rules::by_id(id).unwrap().meta().docs;
        let block = |section: &str| {
            let at = docs.find(section).unwrap();
            let start = at + docs[at..].find("```js\n").unwrap() + "```js\n".len();
            let end = start + docs[start..].find("```").unwrap();
            docs[start..end].to_string()
        };
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), extra);
        let file = dir.path().join("app.js");
        std::fs::write(&file, format!("{prelude}{}", block("## Example"))).unwrap();
        let out = leakfix()
            .args(["fix", "--unsafe"])
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{id}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let fixed = std::fs::read_to_string(&file).unwrap();
        let want = block("## Use instead");
        let (imports, code): (Vec<&str>, Vec<&str>) = want
            .split_inclusive('\n')
            .partition(|l| l.contains("require(") || l.starts_with("import "));
        let code: String = code.concat();
        assert!(
            fixed.contains(code.trim_start_matches('\n')),
            "{id}: the fix writes\n{fixed}\nnot\n{code}"
        );
        for i in imports {
            assert!(fixed.contains(i), "{id}: no {i:?} in\n{fixed}");
        }
    }
}

/// Markers in TypeScript files are judged against the JS rules: one that
/// silences nothing is an unused ignore (not "another language's rule"),
/// and a baseline hides JS findings.
#[test]
fn typescript_markers_and_baselines() {
    let dir = tempfile::tempdir().unwrap();
    let stale = LEAKY.replace(
        "module.exports = { user };\n",
        "// leakfix:ignore js-missing-release -- nothing here any more\nexport const x = 1;\n",
    );
    let stale = stale.replace(
        "const { Pool } = require(\"pg\");",
        "import { Pool } from \"pg\";",
    );
    write(dir.path(), &[("a.ts", &stale)]);
    let out = leakfix().arg("check").arg(dir.path()).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("unused-ignore"), "{text}");
    assert!(!text.contains("another language"), "{text}");
    assert!(text.contains("js-missing-release"), "{text}");

    let baseline = dir.path().join("baseline.json");
    let out = leakfix()
        .args(["check", "--exit-zero", "--write-baseline"])
        .arg(&baseline)
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = leakfix()
        .args(["check", "--baseline"])
        .arg(&baseline)
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
