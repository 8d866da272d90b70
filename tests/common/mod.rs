//! Shared test helpers: run leakfix's engine over a fixture, check its
//! labels, and render findings plus the fixed code for a snapshot.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use leakfix::catalog::GoCatalog;
use leakfix::engine::{Engine, Overlay};
use leakfix::finding::Finding;
use leakfix::fix::Applicability;
use leakfix::fix_loop::fix_until_stable;
use leakfix::rules;
use leakfix::walk::{WalkOptions, walk};

/// Labels a fixture puts at the end of a line (on the reported call):
/// - `// leak`: a finding with a fix
/// - `// leak: no fix`: a finding without a fix
/// - `// ok` (or `...; ok` after another comment): no finding
/// - `// ok (false negative)`: a known miss, written down rather than hidden
///
/// A line that is only `// next line: <label>` gives the next line that
/// label, for code where rustfmt would move a comment at the end of the line
/// (`if let Err(e) = cmd.spawn() {`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Label {
    Leak,
    LeakNoFix,
    Ok,
    FalseNegative,
}

pub fn label_of(line: &str) -> Option<Label> {
    let l = line.trim_end();
    if l.ends_with("// leak") {
        Some(Label::Leak)
    } else if l.ends_with("// leak: no fix") {
        Some(Label::LeakNoFix)
    } else if l.ends_with("// ok (false negative)") {
        Some(Label::FalseNegative)
    } else if l.ends_with("// ok") || l.ends_with("; ok") {
        Some(Label::Ok)
    } else {
        None
    }
}

pub struct FixtureRun {
    pub findings: Vec<Finding>,
    pub fixed: String,
    pub original: String,
}

/// Runs one rule over one fixture file: findings, then the fixed text.
pub fn run_rule(
    rule_id: &str,
    path: &Path,
    applicability: Applicability,
    include_tests: bool,
) -> FixtureRun {
    let rule = rules::by_id(rule_id).unwrap_or_else(|| panic!("no rule {rule_id}"));
    let catalog = GoCatalog::built_in().unwrap();
    let excludes = Default::default();
    let (files, problems) = walk(
        &[path.to_path_buf()],
        &WalkOptions {
            include_tests,
            excludes: &excludes,
            threads: 1,
        },
    );
    assert!(problems.is_empty(), "{problems:?}");
    let (engine, problems) = Engine::new(vec![rule], &catalog, &files, Some(1)).unwrap();
    let engine = engine.with_include_tests(include_tests);
    assert!(problems.is_empty(), "{problems:?}");
    let analysis = engine.analyse(&engine.units, &Overlay::default(), None);
    assert!(analysis.problems.is_empty(), "{:?}", analysis.problems);
    let run = fix_until_stable(&engine, &analysis, applicability);
    assert!(
        run.problems.is_empty(),
        "fixing reported problems: {:?}",
        run.problems
    );
    let original = std::fs::read_to_string(path).unwrap();
    let fixed = run
        .changes
        .iter()
        .find(|(p, _, _)| &**p == path)
        .map(|(_, _, new)| new.text().to_string())
        .unwrap_or_else(|| original.clone());

    // The fixed text parses, and a second pass has nothing left to fix.
    if let Some(lang) = leakfix::lang::Language::from_path(path) {
        assert!(
            lang.parse(&fixed).1.is_none(),
            "fixed output does not parse:\n{fixed}"
        );
    }
    let again = engine.analyse(&engine.units, &run.overlay, None);
    let refixable: Vec<_> = again
        .findings
        .iter()
        .filter(|f| {
            f.fix
                .as_ref()
                .is_some_and(|x| x.applicability() >= applicability)
        })
        .collect();
    assert!(
        refixable.is_empty(),
        "not idempotent, still fixable after fixing: {refixable:#?}"
    );

    // The rule's declared fix availability matches what it emitted.
    let meta = rule.meta();
    for f in &analysis.findings {
        match meta.fix_availability {
            rules::FixAvailability::Never => {
                assert!(f.fix.is_none(), "{} declares no fixes", meta.id)
            }
            rules::FixAvailability::Always => assert!(
                f.fix.is_some(),
                "{} declares a fix for every finding",
                meta.id
            ),
            rules::FixAvailability::Sometimes => {}
        }
        if let Some(fix) = &f.fix {
            assert_eq!(
                fix.applicability(),
                meta.applicability,
                "{} fix applicability",
                meta.id
            );
        }
    }
    FixtureRun {
        findings: analysis.findings,
        fixed,
        original,
    }
}

/// Each line's label, with `// next line: <label>` applied to the line after it.
fn line_labels(text: &str) -> Vec<Option<Label>> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<Option<Label>> = lines.iter().map(|l| label_of(l)).collect();
    for (i, l) in lines.iter().enumerate() {
        if let Some(rest) = l.trim().strip_prefix("// next line: ") {
            out[i] = None;
            if i + 1 < out.len() {
                out[i + 1] = label_of(&format!("// {rest}"));
            }
        }
    }
    out
}

/// Checks that findings sit exactly on the labelled lines.
pub fn check_labels(run: &FixtureRun) -> Vec<String> {
    let mut errors = Vec::new();
    let lines: Vec<&str> = run.original.lines().collect();
    let labels = line_labels(&run.original);
    // A finding may span lines (a method chain): its label goes on any of
    // them, usually the last.
    let labelled = |f: &Finding| {
        (f.start.line..=f.end.line).any(|l| {
            matches!(
                labels.get(l - 1).copied().flatten(),
                Some(Label::Leak | Label::LeakNoFix)
            )
        })
    };
    for (i, label) in labels.iter().copied().enumerate().take(lines.len()) {
        let n = i + 1;
        let covers = |f: &&Finding| f.start.line <= n && n <= f.end.line;
        let here: Vec<&Finding> = match label {
            Some(Label::Leak | Label::LeakNoFix) => run.findings.iter().filter(covers).collect(),
            _ => run
                .findings
                .iter()
                .filter(|f| f.start.line == n && !labelled(f))
                .collect(),
        };
        match label {
            Some(Label::Leak) => {
                if here.is_empty() {
                    errors.push(format!("line {n}: labelled `leak` but nothing was found"));
                } else if here.iter().any(|f| f.fix.is_none()) {
                    errors.push(format!(
                        "line {n}: labelled `leak` but found without a fix: {:?}",
                        here[0].notes
                    ));
                }
            }
            Some(Label::LeakNoFix) => {
                if here.is_empty() {
                    errors.push(format!(
                        "line {n}: labelled `leak: no fix` but nothing was found"
                    ));
                } else if here.iter().any(|f| f.fix.is_some()) {
                    errors.push(format!(
                        "line {n}: labelled `leak: no fix` but a fix was offered"
                    ));
                }
            }
            Some(Label::Ok) | Some(Label::FalseNegative) | None => {
                for f in here {
                    errors.push(format!("line {n}: unexpected finding: {}", f.message));
                }
            }
        }
    }
    errors
}

/// Findings and the diff the fixes make, for a snapshot.
pub fn render(run: &FixtureRun, name: &str) -> String {
    let mut out = String::new();
    for f in &run.findings {
        out.push_str(&format!(
            "{}:{}: {} {}\n",
            f.start.line, f.start.column, f.rule, f.message
        ));
        match &f.fix {
            Some(fix) => out.push_str(&format!(
                "    fix ({}): {}\n",
                fix.applicability().as_str(),
                fix.title()
            )),
            None => out.push_str("    no fix\n"),
        }
        for n in &f.notes {
            out.push_str(&format!("    note: {n}\n"));
        }
    }
    out.push_str("\n--- fixed ---\n");
    out.push_str(&leakfix::diff::unified(name, &run.original, &run.fixed, 2));
    out
}

/// The `leakfix` binary built for the tests.
pub fn leakfix() -> Command {
    Command::new(env!("CARGO_BIN_EXE_leakfix"))
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Copies a folder (recursively) into `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// Tests that need an external toolchain (go, gofmt, npx) call this first.
/// Without the tool: a visible skip locally, a failure in CI (`CI` set).
pub fn require_tool(tool: &str) -> bool {
    let found = Command::new(tool)
        .arg(if tool == "gofmt" { "-h" } else { "version" })
        .output()
        .is_ok();
    if found {
        return true;
    }
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        panic!("`{tool}` is required in CI (CI is set) but was not found on PATH");
    }
    eprintln!(
        "SKIPPED: `{tool}` not found on PATH; install it to run this test (it fails instead when CI is set)"
    );
    false
}

/// The Go environment for fixture modules: offline, no toolchain download,
/// `require` lines filled in from the `replace` directives.
pub fn go_command(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("go")
        .args(args)
        .current_dir(dir)
        .env("GOFLAGS", "-mod=mod -buildvcs=false")
        .env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local")
        .env("GOWORK", "off")
        .output()
        .expect("go runs")
}

/// A copy of tests/go (stand-ins and fixture modules) in a temporary folder,
/// so fixture modules can be rewritten and their relative `replace` paths hold.
pub fn go_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo_root().join("tests/go"), dir.path());
    dir
}

/// Every `.go` file under `dir`, with its bytes.
pub fn go_sources(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "go") {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// Checks a fixture module end to end with the Go toolchain: it builds and
/// its runtime test FAILS before leakfix (the test can see the leak), then
/// `leakfix <args>` rewrites it, and afterwards gofmt is clean, `go vet`
/// passes, the runtime test passes, and a second run changes nothing.
/// Returns the workspace for further checks. None when Go is unavailable.
pub fn go_fixture_roundtrip(module: &str, leakfix_args: &[&str]) -> Option<tempfile::TempDir> {
    if !require_tool("go") || !require_tool("gofmt") {
        return None;
    }
    let ws = go_workspace();
    let dir = ws.path().join("fixtures").join(module);
    let out = go_command(&dir, &["vet", "./..."]);
    assert!(
        out.status.success(),
        "{module}: go vet fails before leakfix:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = go_command(&dir, &["test", "-count=1", "./..."]);
    assert!(
        !out.status.success(),
        "{module}: the runtime test passes before leakfix, so it cannot tell a fix from no fix:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );

    let out = leakfix().args(leakfix_args).arg(&dir).output().unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{module}: leakfix failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let after_first = go_sources(&dir);

    let out = Command::new("gofmt").arg("-l").arg(&dir).output().unwrap();
    assert!(
        out.stdout.is_empty(),
        "{module}: not gofmt-clean after leakfix: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = go_command(&dir, &["vet", "./..."]);
    assert!(
        out.status.success(),
        "{module}: go vet fails after leakfix:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = go_command(&dir, &["test", "-count=1", "./..."]);
    assert!(
        out.status.success(),
        "{module}: the runtime test fails after leakfix:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let out = leakfix().args(leakfix_args).arg(&dir).output().unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)));
    assert_eq!(
        go_sources(&dir),
        after_first,
        "{module}: a second leakfix run changed files"
    );
    Some(ws)
}

/// A fixture that is a whole Go module (a folder with a go.mod): every file
/// before and after the rule's fixes.
pub struct ModuleRun {
    pub findings: Vec<Finding>,
    /// (path relative to the module, original, fixed) for every `.go` file.
    pub files: Vec<(String, String, String)>,
}

/// Runs one rule over a fixture module (test files included, as a signature
/// change must update them), with the same checks as `run_rule`.
pub fn run_rule_module(rule_id: &str, dir: &Path, applicability: Applicability) -> ModuleRun {
    let rule = rules::by_id(rule_id).unwrap_or_else(|| panic!("no rule {rule_id}"));
    let catalog = GoCatalog::built_in().unwrap();
    let excludes = Default::default();
    let (files, problems) = walk(
        &[dir.to_path_buf()],
        &WalkOptions {
            include_tests: false,
            excludes: &excludes,
            threads: 1,
        },
    );
    assert!(problems.is_empty(), "{problems:?}");
    let (engine, problems) = Engine::new(vec![rule], &catalog, &files, Some(1)).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let analysis = engine.analyse(&engine.units, &Overlay::default(), None);
    assert!(analysis.problems.is_empty(), "{:?}", analysis.problems);
    let run = fix_until_stable(&engine, &analysis, applicability);
    assert!(
        run.problems.is_empty(),
        "fixing reported problems: {:?}",
        run.problems
    );
    let again = engine.analyse(&engine.units, &run.overlay, None);
    let refixable: Vec<_> = again
        .findings
        .iter()
        .filter(|f| {
            f.fix
                .as_ref()
                .is_some_and(|x| x.applicability() >= applicability)
        })
        .collect();
    assert!(refixable.is_empty(), "not idempotent: {refixable:#?}");
    for f in &analysis.findings {
        if let Some(fix) = &f.fix {
            assert_eq!(fix.applicability(), rule.meta().applicability);
        }
    }
    let mut out = Vec::new();
    for (path, _) in go_sources(dir) {
        let original = std::fs::read_to_string(&path).unwrap();
        let fixed = run
            .changes
            .iter()
            .find(|(p, _, _)| {
                std::path::absolute(p).unwrap() == std::path::absolute(&path).unwrap()
            })
            .map(|(_, _, new)| new.text().to_string())
            .unwrap_or_else(|| original.clone());
        assert!(
            leakfix::lang::Language::Go.parse(&fixed).1.is_none(),
            "fixed output does not parse:\n{fixed}"
        );
        let rel = path
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        out.push((rel, original, fixed));
    }
    for (p, _, _) in &run.changes {
        assert!(
            std::path::absolute(p)
                .unwrap()
                .starts_with(std::path::absolute(dir).unwrap()),
            "a fix edited {} outside the module",
            p.display()
        );
    }
    ModuleRun {
        findings: analysis.findings,
        files: out,
    }
}

/// `check_labels` over every file of a module run.
pub fn check_module_labels(run: &ModuleRun, dir: &Path) -> Vec<String> {
    let mut errors = Vec::new();
    for (rel, original, fixed) in &run.files {
        let path = std::path::absolute(dir.join(rel)).unwrap();
        let findings: Vec<Finding> = run
            .findings
            .iter()
            .filter(|f| std::path::absolute(&f.path).unwrap() == path)
            .cloned()
            .collect();
        let one = FixtureRun {
            findings,
            fixed: fixed.clone(),
            original: original.clone(),
        };
        errors.extend(
            check_labels(&one)
                .into_iter()
                .map(|e| format!("{rel}: {e}")),
        );
    }
    errors
}

/// Findings (with paths relative to the module) and the diff of every file.
pub fn render_module(run: &ModuleRun, dir: &Path) -> String {
    let mut out = String::new();
    let root = std::path::absolute(dir).unwrap();
    for f in &run.findings {
        let rel = std::path::absolute(&f.path).unwrap();
        let rel = rel
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        out.push_str(&format!(
            "{rel}:{}:{}: {} {}\n",
            f.start.line, f.start.column, f.rule, f.message
        ));
        match &f.fix {
            Some(fix) => out.push_str(&format!(
                "    fix ({}): {}\n",
                fix.applicability().as_str(),
                fix.title()
            )),
            None => out.push_str("    no fix\n"),
        }
        for n in &f.notes {
            out.push_str(&format!("    note: {n}\n"));
        }
    }
    out.push_str("\n--- fixed ---\n");
    for (rel, original, fixed) in &run.files {
        out.push_str(&leakfix::diff::unified(rel, original, fixed, 2));
    }
    out
}

/// The JavaScript tools scripts/test.sh installs (prettier, express,
/// on-finished): their `node_modules` folder, from LEAKFIX_JS_TOOLS or
/// `.tools/js`. Without them (or without node): a visible skip locally, a
/// failure in CI.
pub fn js_tools() -> Option<PathBuf> {
    if !require_tool("node") {
        return None;
    }
    let dir = std::env::var_os("LEAKFIX_JS_TOOLS")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            let d = repo_root().join(".tools/js/node_modules");
            d.is_dir().then_some(d)
        });
    if let Some(d) = dir
        && d.join("prettier/bin/prettier.cjs").is_file()
    {
        return Some(d);
    }
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        panic!(
            "prettier, express and on-finished are required in CI (CI is set) but were not found: run ./scripts/test.sh, which installs them into .tools/js, or set LEAKFIX_JS_TOOLS"
        );
    }
    eprintln!(
        "SKIPPED: the JavaScript test tools are not installed; ./scripts/test.sh installs them into .tools/js (this test fails instead when CI is set)"
    );
    None
}

/// prettier's layout of `text` as if it were the file at `path` (whose
/// folder's prettier config applies): None when prettier rejects it.
pub fn prettier_format(tools: &Path, path: &Path, text: &str) -> Option<String> {
    use std::io::Write;
    let mut child = Command::new("node")
        .arg(tools.join("prettier/bin/prettier.cjs"))
        .arg("--stdin-filepath")
        .arg(path)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("node runs prettier");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    out.status
        .success()
        .then(|| String::from_utf8(out.stdout).unwrap())
}

/// `node --check` of JavaScript text (as an ES module when it uses
/// import/export): Err with node's message when it does not parse.
pub fn node_check(path: &Path, text: &str) -> Result<(), String> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("js");
    let esm = text.lines().any(|l| {
        let l = l.trim_start();
        l.starts_with("import ") || l.starts_with("export ")
    });
    let ext = match ext {
        "js" | "jsx" if esm => "mjs",
        "jsx" => "js",
        e => e,
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(format!("check.{ext}"));
    std::fs::write(&file, text).unwrap();
    let out = Command::new("node")
        .arg("--check")
        .arg(&file)
        .output()
        .unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).to_string())
    }
}
