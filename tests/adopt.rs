//! Adopting leakfix on a repository that already has leaks: baselines,
//! new code only, unused ignores, one patch per owner. Each test builds a
//! git repository in a temporary folder (git is required: these tests fail
//! without it in CI and skip visibly elsewhere).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{leakfix, require_tool};

/// A git repository in a temporary folder.
struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    /// None (a visible skip) without git, unless CI is set.
    fn new(files: &[(&str, &str)]) -> Option<Repo> {
        if !require_tool("git") {
            return None;
        }
        let repo = Repo {
            dir: tempfile::tempdir().unwrap(),
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.write(files);
        repo.commit("initial");
        Some(repo)
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, files: &[(&str, &str)]) {
        for (name, text) in files {
            let p = self.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path().join(name)).unwrap()
    }

    fn git(&self, args: &[&str]) -> String {
        git_in(self.path(), args)
    }

    fn commit(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
    }

    /// Runs leakfix in the repository.
    fn run(&self, args: &[&str]) -> Output {
        leakfix()
            .args(args)
            .current_dir(self.path())
            .output()
            .unwrap()
    }

    /// Runs leakfix and checks its exit code; returns stdout.
    fn run_ok(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "leakfix {args:?}\nstdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A fresh clone of the committed state.
    fn clone_clean(&self) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("git")
            .args(["clone", "-q"])
            .arg(self.path())
            .arg(dir.path().join("c"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        dir
    }
}

fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `path:line: rule` of every finding in text output.
fn found(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.starts_with(' ') && l.matches(':').count() >= 3 && !l.starts_with("Found"))
        .map(|l| {
            let mut parts = l.splitn(4, ':');
            let (path, line, _col) = (parts.next().unwrap(), parts.next().unwrap(), parts.next());
            let rule = parts.next().unwrap().split_whitespace().next().unwrap();
            format!("{path}:{line}: {rule}")
        })
        .collect()
}

const GO_MOD: &str = "module example.com/shop\n\ngo 1.22\n";

const FETCH: &str = r#"package svc

import (
	"io"
	"net/http"
	"os"
)

// Fetch returns the body of url.
func Fetch(url string) ([]byte, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(resp.Body)
}

// Size reports how big the file at path is.
func Size(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}
"#;

/// FETCH after a day of edits elsewhere: a function inserted above, Size
/// moved before Fetch, Fetch's call laid out over three lines with a
/// comment, as gofmt keeps it.
const FETCH_EDITED: &str = r#"package svc

import (
	"io"
	"net/http"
	"os"
	"strings"
)

// Clean trims a URL.
func Clean(url string) string {
	return strings.TrimSpace(url)
}

// Size reports how big the file at path is.
func Size(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// Fetch returns the body of url.
func Fetch(url string) ([]byte, error) {
	resp, err := http.Get(
		url, // already clean
	)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(resp.Body)
}
"#;

const CHILD: &str = r#"use std::process::Command;

pub fn convert(input: &str) -> std::io::Result<u32> {
    let child = Command::new("convert").arg(input).spawn()?;
    Ok(child.id())
}
"#;

/// CHILD as rustfmt lays out a longer chain, with a line added above.
const CHILD_EDITED: &str = r#"use std::process::Command;

/// Converts an image.
pub fn convert(input: &str) -> std::io::Result<u32> {
    let child = Command::new("convert")
        .arg(input)
        .spawn()?;
    Ok(child.id())
}
"#;

const CARGO_TOML: &str = "[package]\nname = \"tool\"\nversion = \"0.1.0\"\nedition = \"2021\"\n";

#[test]
fn a_baseline_survives_shifted_and_reformatted_code_and_new_leaks_still_fail() {
    let Some(repo) = Repo::new(&[
        ("go.mod", GO_MOD),
        ("svc/fetch.go", FETCH),
        ("tool/Cargo.toml", CARGO_TOML),
        ("tool/src/lib.rs", CHILD),
    ]) else {
        return;
    };
    let before = found(&repo.run_ok(&["check"], 1));
    assert_eq!(
        before,
        [
            "svc/fetch.go:11: go-missing-release",
            "svc/fetch.go:20: go-missing-release",
            "tool/src/lib.rs:4: rust-unwaited-child"
        ]
    );
    let out = repo.run(&["check", "--write-baseline", "leakfix-baseline.json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrote 3 findings"));
    let baseline = repo.read("leakfix-baseline.json");
    assert!(
        !baseline.contains("\"line"),
        "keyed without line numbers:\n{baseline}"
    );
    for key in [
        "\"function\": \"Fetch\"",
        "\"statement\": \"resp,err:=http.Get(url)\"",
        "\"function\": \"Size\"",
        "\"function\": \"convert\"",
    ] {
        assert!(baseline.contains(key), "{key} in\n{baseline}");
    }
    repo.commit("baseline");

    // Lines shift, a function moves, a call is reformatted: still hidden,
    // in every format and in the exit code.
    repo.write(&[
        ("svc/fetch.go", FETCH_EDITED),
        ("tool/src/lib.rs", CHILD_EDITED),
    ]);
    assert_eq!(
        repo.run_ok(&["check", "--baseline", "leakfix-baseline.json"], 0)
            .trim(),
        "No leaks found."
    );
    for format in ["json", "sarif", "github", "diff"] {
        let text = repo.run_ok(
            &[
                "check",
                "--baseline",
                "leakfix-baseline.json",
                "--format",
                format,
            ],
            0,
        );
        assert!(
            !text.contains("go-missing-release") || format == "sarif",
            "{format}:\n{text}"
        );
    }
    let out = repo.run(&["check", "--baseline", "leakfix-baseline.json"]);
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("3 findings listed in the baseline not shown")
    );
    // The config file names it too.
    repo.write(&[("leakfix.toml", "baseline = \"leakfix-baseline.json\"\n")]);
    repo.run_ok(&["check"], 0);
    assert_eq!(
        found(&repo.run_ok(&["check", "--include-baselined"], 1)).len(),
        3
    );

    // A new leak fails the run, and only it is reported.
    let store = "package svc\n\nimport \"os\"\n\n// Head reads the start of a file.\nfunc Head(path string) ([]byte, error) {\n\tf, err := os.Open(path)\n\tif err != nil {\n\t\treturn nil, err\n\t}\n\tbuf := make([]byte, 16)\n\tn, err := f.Read(buf)\n\treturn buf[:n], err\n}\n";
    repo.write(&[("svc/head.go", store)]);
    assert_eq!(
        found(&repo.run_ok(&["check"], 1)),
        ["svc/head.go:7: go-missing-release"]
    );

    // `fix` leaves baselined findings alone unless asked.
    repo.run_ok(&["fix"], 0);
    assert!(repo.read("svc/head.go").contains("defer f.Close()"));
    assert_eq!(repo.read("svc/fetch.go"), FETCH_EDITED);
    assert_eq!(repo.read("tool/src/lib.rs"), CHILD_EDITED);

    // A leak fixed by hand drops out of the rewritten baseline.
    repo.write(&[(
        "svc/fetch.go",
        &FETCH_EDITED.replace(
            "\treturn io.ReadAll(resp.Body)",
            "\tdefer resp.Body.Close()\n\treturn io.ReadAll(resp.Body)",
        ),
    )]);
    repo.run_ok(&["check", "--write-baseline", "leakfix-baseline.json"], 0);
    let rewritten = repo.read("leakfix-baseline.json");
    assert!(
        !rewritten.contains("\"function\": \"Fetch\""),
        "{rewritten}"
    );
    assert!(rewritten.contains("\"function\": \"Size\""));
    let diff = repo.git(&["diff", "--", "leakfix-baseline.json"]);
    assert!(
        diff.lines()
            .any(|l| l.starts_with('-') && l.contains("\"Fetch\""))
            && !diff
                .lines()
                .any(|l| l.starts_with('+') && !l.starts_with("+++")),
        "only the fixed entry goes:\n{diff}"
    );

    // --include-baselined: fix them all.
    repo.run_ok(&["fix", "--include-baselined", "--unsafe"], 0);
    assert!(repo.read("svc/fetch.go").contains("defer f.Close()"));
}

#[test]
fn a_missing_or_bad_baseline_is_a_clear_error() {
    let Some(repo) = Repo::new(&[("go.mod", GO_MOD), ("svc/fetch.go", FETCH)]) else {
        return;
    };
    let out = repo.run(&["check", "--baseline", "nope.json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot read baseline nope.json") && err.contains("--write-baseline"),
        "{err}"
    );
    repo.write(&[("bad.json", "{\"version\": 1}")]);
    assert_eq!(
        repo.run(&["check", "--baseline", "bad.json"]).status.code(),
        Some(2)
    );
    assert_eq!(
        repo.run(&["fix", "--write-baseline", "b.json"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn new_from_rev_reports_only_the_new_commits_leak() {
    let Some(repo) = Repo::new(&[("go.mod", GO_MOD), ("svc/fetch.go", FETCH)]) else {
        return;
    };
    // The new commit adds a leak, and edits a line next to an old one.
    let edited = FETCH
        .replace("// Size reports", "// Size reports, in bytes,")
        .replace(
            "\treturn st.Size(), nil\n}\n",
            "\treturn st.Size(), nil\n}\n\n// Touch creates path.\nfunc Touch(path string) error {\n\tf, err := os.Create(path)\n\tif err != nil {\n\t\treturn err\n\t}\n\t_, err = f.Write(nil)\n\treturn err\n}\n",
        );
    repo.write(&[("svc/fetch.go", &edited)]);
    repo.commit("touch");
    assert_eq!(found(&repo.run_ok(&["check"], 1)).len(), 3);
    let text = repo.run_ok(&["check", "--new-from-rev", "HEAD~1"], 1);
    assert_eq!(found(&text), ["svc/fetch.go:33: go-missing-release"]);
    // Nothing is new since HEAD.
    repo.run_ok(&["check", "--new-from-rev", "HEAD"], 0);
    // The same from a patch file.
    let patch = repo.git(&["diff", "HEAD~1", "HEAD"]);
    std::fs::write(repo.path().join("new.patch"), &patch).unwrap();
    let text = repo.run_ok(&["check", "--new-from-patch", "new.patch"], 1);
    assert_eq!(found(&text), ["svc/fetch.go:33: go-missing-release"]);
    // Uncommitted and untracked changes count as new too.
    repo.write(&[("svc/more.go", "package svc\n\nimport \"os\"\n\nfunc Remove(path string) error {\n\tf, err := os.Open(path)\n\tif err != nil {\n\t\treturn err\n\t}\n\t_ = f.Name()\n\treturn os.Remove(path)\n}\n")]);
    let text = repo.run_ok(&["check", "--new-from-rev", "HEAD"], 1);
    assert_eq!(found(&text), ["svc/more.go:6: go-missing-release"]);
    // `fix` fixes only the new leaks, in files whose lines move as it edits.
    repo.run_ok(&["fix", "--new-from-rev", "HEAD~1"], 0);
    let fixed = repo.read("svc/fetch.go");
    assert_eq!(fixed.matches("defer f.Close()").count(), 1, "{fixed}");
    assert!(
        fixed.contains("\tdefer f.Close()\n\t_, err = f.Write(nil)"),
        "{fixed}"
    );
    assert!(repo.read("svc/more.go").contains("defer f.Close()"));
    assert_eq!(
        found(&repo.run_ok(&["check"], 1)).len(),
        2,
        "the old leaks are still there"
    );
}

#[test]
fn new_from_rev_errors_exit_2() {
    let Some(repo) = Repo::new(&[("go.mod", GO_MOD), ("svc/fetch.go", FETCH)]) else {
        return;
    };
    let out = repo.run(&["check", "--new-from-rev", "no-such-branch"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such commit"));
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("a.go"), FETCH).unwrap();
    let out = leakfix()
        .args(["check", "--new-from-rev", "HEAD"])
        .arg(outside.path())
        .current_dir(outside.path())
        .env("GIT_CEILING_DIRECTORIES", outside.path().parent().unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs a git repository"));
    let out = repo.run(&["check", "--new-from-patch", "svc/fetch.go"]);
    assert_eq!(out.status.code(), Some(2), "not a diff");
}

const IGNORES: &str = r#"package svc

import (
	"net/http"
	"os"
)

// Open hands the file to the caller.
func Open(path string) (*os.File, error) {
	// leakfix:ignore go-missing-release -- the caller closes it
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Create leaks the file, knowingly.
func Create(path string) error {
	// leakfix:ignore go-missing-release, go-per-request-client -- kept open for the process
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_ = f.Name()
	return nil
}

// Ping leaks a response body, knowingly.
func Ping(url string) error {
	resp, err := http.Get(url) // leakfix:ignore
	if err != nil {
		return err
	}
	_ = resp.StatusCode

	// leakfix:ignore rust-unwaited-child
	return nil
}
"#;

const IGNORES_FIXED: &str = r#"package svc

import (
	"net/http"
	"os"
)

// Open hands the file to the caller.
func Open(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Create leaks the file, knowingly.
func Create(path string) error {
	// leakfix:ignore go-missing-release -- kept open for the process
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_ = f.Name()
	return nil
}

// Ping leaks a response body, knowingly.
func Ping(url string) error {
	resp, err := http.Get(url) // leakfix:ignore
	if err != nil {
		return err
	}
	_ = resp.StatusCode

	return nil
}
"#;

#[test]
fn unused_ignores_are_reported_and_removed() {
    let Some(repo) = Repo::new(&[("go.mod", GO_MOD), ("svc/ignores.go", IGNORES)]) else {
        return;
    };
    let text = repo.run_ok(&["check"], 1);
    assert_eq!(
        found(&text),
        [
            "svc/ignores.go:10: unused-ignore",
            "svc/ignores.go:20: unused-ignore",
            "svc/ignores.go:37: unused-ignore"
        ],
        "{text}"
    );
    assert!(text.contains("no `go-missing-release` finding starts on this line or the next"));
    assert!(text.contains("`go-per-request-client` in this `leakfix:ignore` silences nothing"));
    assert!(text.contains("`rust-unwaited-child` is a rule for rust files"));

    // A run of other rules cannot tell whether a go-missing-release ignore is used.
    let text = repo.run_ok(
        &[
            "check",
            "--rule",
            "go-per-request-client",
            "--rule",
            "unused-ignore",
        ],
        1,
    );
    assert_eq!(
        found(&text),
        [
            "svc/ignores.go:20: unused-ignore",
            "svc/ignores.go:37: unused-ignore"
        ]
    );
    repo.run_ok(&["check", "--skip-rule", "unused-ignore"], 0);

    let diff = repo.run_ok(&["check", "--format", "diff"], 1);
    assert!(
        diff.contains("-\t// leakfix:ignore go-missing-release -- the caller closes it"),
        "{diff}"
    );
    repo.run_ok(&["fix"], 0);
    assert_eq!(repo.read("svc/ignores.go"), IGNORES_FIXED);
    if require_tool("gofmt") {
        let out = Command::new("gofmt")
            .arg("-l")
            .arg(repo.path().join("svc"))
            .output()
            .unwrap();
        assert!(
            out.stdout.is_empty(),
            "not gofmt-clean: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    repo.run_ok(&["fix"], 0);
    assert_eq!(repo.read("svc/ignores.go"), IGNORES_FIXED, "idempotent");
}

#[test]
fn an_ignore_that_names_no_rule_is_reported_without_a_fix() {
    let src = "package svc\n\nimport \"os\"\n\nfunc Open(path string) (*os.File, error) {\n\tf, err := os.Open(path) // leakfix:ignore long-lived handle\n\treturn f, err\n}\n";
    let Some(repo) = Repo::new(&[("go.mod", GO_MOD), ("svc/open.go", src)]) else {
        return;
    };
    let text = repo.run_ok(&["check"], 1);
    assert!(
        text.contains("`long-lived` is not a leakfix rule"),
        "{text}"
    );
    assert!(text.contains("put ` -- ` before the reason"), "{text}");
    repo.run_ok(&["fix"], 1);
    assert_eq!(repo.read("svc/open.go"), src);
}

#[test]
fn require_reason_reports_ignores_without_one() {
    let src = "package svc\n\nimport \"os\"\n\nfunc Size(path string) int64 {\n\t// leakfix:ignore go-missing-release\n\tf, _ := os.Open(path)\n\tst, _ := f.Stat()\n\treturn st.Size()\n}\n\nfunc Name(path string) string {\n\t// leakfix:ignore go-missing-release -- the GC closes it\n\tf, _ := os.Open(path)\n\treturn f.Name()\n}\n";
    let Some(repo) = Repo::new(&[("go.mod", GO_MOD), ("svc/size.go", src)]) else {
        return;
    };
    repo.run_ok(&["check"], 0);
    repo.write(&[("leakfix.toml", "require-reason = true\n")]);
    let text = repo.run_ok(&["check"], 1);
    assert_eq!(
        found(&text),
        ["svc/size.go:6: ignore-without-reason"],
        "{text}"
    );
}

const WATCH: &str = "package watch\n\nimport (\n\t\"context\"\n\t\"time\"\n)\n\n// Watch polls name every second.\nfunc Watch(name string) {\n\tctx := context.Background()\n\tgo func() {\n\t\tfor {\n\t\t\tpoll(ctx, name)\n\t\t\ttime.Sleep(time.Second)\n\t\t}\n\t}()\n}\n\nfunc poll(ctx context.Context, name string) {}\n";

const JOBS: &str = "package jobs\n\nimport (\n\t\"context\"\n\n\t\"example.com/shop/watch\"\n)\n\n// Run starts the watchers.\nfunc Run(ctx context.Context) {\n\twatch.Watch(\"a\")\n}\n";

const STORE: &str = "package store\n\nimport \"os\"\n\n// Load reads a whole file.\nfunc Load(path string) ([]byte, error) {\n\tf, err := os.Open(path)\n\tif err != nil {\n\t\treturn nil, err\n\t}\n\tst, err := f.Stat()\n\tif err != nil {\n\t\treturn nil, err\n\t}\n\tbuf := make([]byte, st.Size())\n\t_, err = f.Read(buf)\n\treturn buf, err\n}\n";

const CODEOWNERS: &str = "# Owners\n*                @acme/platform\n/svc/            @acme/api @Dana\nstore/           @carol\n/watch/          @erin\n/docs/\n";

fn owned_repo() -> Option<Repo> {
    Repo::new(&[
        ("go.mod", GO_MOD),
        (".github/CODEOWNERS", CODEOWNERS),
        ("svc/fetch.go", FETCH),
        ("store/store.go", STORE),
        ("watch/watch.go", WATCH),
        ("jobs/jobs.go", JOBS),
        (
            "main.go",
            "package main\n\nimport \"os\"\n\nfunc main() {\n\t_ = save()\n}\n\nfunc save() error {\n\tf, err := os.Create(\"x\")\n\tif err != nil {\n\t\treturn err\n\t}\n\t_, err = f.WriteString(\"x\")\n\treturn err\n}\n",
        ),
    ])
}

/// A unified diff as its per-file parts (each `--- a/` block), sorted.
fn file_blocks(diff: &str) -> Vec<String> {
    let mut blocks: Vec<String> = Vec::new();
    for line in diff.split_inclusive('\n') {
        if line.starts_with("--- a/") || blocks.is_empty() {
            blocks.push(String::new());
        }
        blocks.last_mut().unwrap().push_str(line);
    }
    blocks.retain(|b| !b.is_empty());
    blocks.sort();
    blocks
}

fn apply_all(repo: &Repo, out: &Path, patches: &[PathBuf]) -> tempfile::TempDir {
    let clone = repo.clone_clean();
    let dir = clone.path().join("c");
    for p in patches {
        let r = Command::new("git")
            .arg("apply")
            .arg(out.join(p))
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(
            r.status.success(),
            "git apply {} after {patches:?}: {}",
            p.display(),
            String::from_utf8_lossy(&r.stderr)
        );
    }
    clone
}

#[test]
fn split_patches_apply_alone_and_together_and_add_up_to_the_full_diff() {
    let Some(repo) = owned_repo() else {
        return;
    };
    let full = repo.run_ok(&["check", "--format", "diff", "--unsafe"], 1);
    let out = tempfile::tempdir().unwrap();
    let outdir = out.path().join("patches");
    let listing = repo.run_ok(
        &[
            "check",
            "--format",
            "diff",
            "--unsafe",
            "--split-by",
            "codeowners",
            "--output",
            outdir.to_str().unwrap(),
        ],
        1,
    );
    let mut names: Vec<PathBuf> = std::fs::read_dir(&outdir)
        .unwrap()
        .map(|e| PathBuf::from(e.unwrap().file_name()))
        .filter(|p| p.extension().is_some_and(|x| x == "patch"))
        .collect();
    names.sort();
    let shown: Vec<String> = names.iter().map(|n| n.display().to_string()).collect();
    assert_eq!(
        shown,
        [
            "acme-api+dana.patch",
            "acme-platform.patch",
            "carol.patch",
            "erin.patch"
        ],
        "{listing}"
    );
    let read = |n: &str| std::fs::read_to_string(outdir.join(n)).unwrap();
    assert!(read("acme-platform.patch").contains("+++ b/main.go"));
    // The goroutine fix edits watch/ (@erin) and its caller in jobs/
    // (@acme/platform): both go to the owner of the finding's file.
    let erin = read("erin.patch");
    assert!(
        erin.contains("+++ b/watch/watch.go") && erin.contains("+++ b/jobs/jobs.go"),
        "{erin}"
    );
    assert!(!read("acme-platform.patch").contains("jobs.go"));

    // Union == the full diff.
    let mut union = Vec::new();
    for n in &shown {
        union.extend(file_blocks(&read(n)));
    }
    union.sort();
    assert_eq!(union, file_blocks(&full));

    // Each alone, all in order and in reverse on a clean checkout.
    for n in &names {
        apply_all(&repo, &outdir, std::slice::from_ref(n));
    }
    let together = apply_all(&repo, &outdir, &names);
    let mut reversed = names.clone();
    reversed.reverse();
    let backwards = apply_all(&repo, &outdir, &reversed);
    for f in [
        "svc/fetch.go",
        "store/store.go",
        "watch/watch.go",
        "jobs/jobs.go",
        "main.go",
    ] {
        let a = std::fs::read_to_string(together.path().join("c").join(f)).unwrap();
        let b = std::fs::read_to_string(backwards.path().join("c").join(f)).unwrap();
        assert_eq!(a, b, "{f}");
    }
    // ... and gives what `fix --unsafe` writes.
    repo.run_ok(&["fix", "--unsafe"], 0);
    for f in [
        "svc/fetch.go",
        "store/store.go",
        "watch/watch.go",
        "jobs/jobs.go",
        "main.go",
    ] {
        let a = std::fs::read_to_string(together.path().join("c").join(f)).unwrap();
        assert_eq!(a, repo.read(f), "{f}");
    }

    let summary = read("summary.md");
    for want in [
        "| `acme-api+dana.patch` | @acme/api @Dana | 1 | 2 |",
        "## carol.patch: @carol",
        "### `store/store.go`",
        "- line 7, `go-missing-release` (safe): insert `defer f.Close()` after the error check.",
        "Apply with `git apply carol.patch`.",
        "Some fixes here also edit files with other owners, so that they stay whole:\n\n- `jobs/jobs.go` (@acme/platform)",
    ] {
        assert!(
            summary.contains(want),
            "summary.md lacks {want:?}:\n{summary}"
        );
    }
    // Run again into the same folder: replaced, not mixed.
    repo.git(&["checkout", "-q", "--", "."]);
    repo.run_ok(
        &[
            "check",
            "--format",
            "diff",
            "--split-by",
            "dir",
            "--output",
            outdir.to_str().unwrap(),
        ],
        1,
    );
    let mut names: Vec<String> = std::fs::read_dir(&outdir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["root-files.patch", "store.patch", "summary.md", "svc.patch"]
    );
}

#[test]
fn split_needs_its_options_and_a_codeowners() {
    let Some(repo) = Repo::new(&[("go.mod", GO_MOD), ("svc/fetch.go", FETCH)]) else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    for args in [
        vec!["check", "--format", "diff", "--split-by", "dir"],
        vec!["check", "--format", "diff", "--output", dir],
        vec!["check", "--split-by", "dir", "--output", dir],
        vec![
            "fix",
            "--format",
            "diff",
            "--split-by",
            "dir",
            "--output",
            dir,
        ],
    ] {
        assert_eq!(repo.run(&args).status.code(), Some(2), "{args:?}");
    }
    let out = repo.run(&[
        "check",
        "--format",
        "diff",
        "--split-by",
        "codeowners",
        "--output",
        dir,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no CODEOWNERS"));
    std::fs::write(Path::new(dir).join("notes.txt"), "mine").unwrap();
    let out = repo.run(&[
        "check",
        "--format",
        "diff",
        "--split-by",
        "dir",
        "--output",
        dir,
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a folder with other files is not overwritten"
    );
    assert!(Path::new(dir).join("notes.txt").exists());
}

/// README's section on adoption: its workflow is YAML, and every leakfix
/// command in its code blocks is a command line leakfix accepts.
#[test]
fn the_readme_adoption_commands_parse() {
    use clap::Parser;
    let readme = std::fs::read_to_string(crate::common::repo_root().join("README.md")).unwrap();
    let start = readme
        .find("### Adopting leakfix on a repository that already has leaks")
        .unwrap();
    let section = &readme[start..];
    let section = &section[..section[4..].find("\n### ").unwrap() + 4];
    let mut commands = 0;
    let mut workflows = 0;
    for block in section.split("```").skip(1).step_by(2) {
        let (lang, body) = block.split_once('\n').unwrap();
        if lang == "yaml" {
            let doc: serde_norway::Value = serde_norway::from_str(body).unwrap();
            assert!(doc["jobs"].is_mapping(), "{body}");
            workflows += 1;
        }
        for line in body.lines() {
            let line = line.trim().trim_start_matches("run: ");
            let line = line.split(" #").next().unwrap().trim();
            if !line.starts_with("leakfix ") {
                continue;
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            if let Err(e) = leakfix::cli::Cli::try_parse_from(&words) {
                panic!("README: `{line}` does not parse: {e}");
            }
            commands += 1;
        }
    }
    assert!(
        commands >= 3 && workflows == 1,
        "{commands} commands, {workflows} workflows"
    );
}

/// Rust: markers in test code are judged only with --include-tests (the
/// rules skip test code otherwise), and a stale one elsewhere is removed
/// rustfmt-clean.
#[test]
fn rust_ignores_in_test_code_wait_for_include_tests() {
    let src = r#"use std::process::Command;

pub fn start(input: &str) -> std::io::Result<u32> {
    let mut child = Command::new("convert").arg(input).spawn()?;
    child.wait()?;

    // leakfix:ignore rust-unwaited-child -- waited just above
    Ok(child.id())
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    #[test]
    fn spawns() {
        // leakfix:ignore rust-unwaited-child -- the test runner reaps it
        let child = Command::new("true").spawn().unwrap();
        println!("{}", child.id());
    }
}
"#;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lib.rs"), src).unwrap();
    let run = |args: &[&str]| {
        let out = leakfix().args(args).arg(dir.path()).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, text) = run(&["check"]);
    assert_eq!(code, Some(1), "{text}");
    assert_eq!(
        found(&text),
        [format!(
            "{}:7: unused-ignore",
            dir.path().join("lib.rs").display()
        )]
    );
    let (code, text) = run(&["check", "--include-tests"]);
    assert_eq!(
        (code, found(&text).len()),
        (Some(1), 1),
        "the test's ignore is used:\n{text}"
    );
    let (code, _) = run(&["fix"]);
    assert_eq!(code, Some(0));
    let fixed = std::fs::read_to_string(dir.path().join("lib.rs")).unwrap();
    assert_eq!(
        fixed,
        src.replace(
            "\n    // leakfix:ignore rust-unwaited-child -- waited just above\n",
            "\n"
        )
    );
    if require_tool("rustfmt") {
        let out = Command::new("rustfmt")
            .args(["--check", "--edition", "2021"])
            .arg(dir.path().join("lib.rs"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}
