//! `fix --review` end to end, in a real pseudo-terminal: leakfix reads single
//! keys in raw mode, so these tests drive it like a person would, wait for
//! the prompt before each key, and byte-compare the files afterwards.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use expectrl::process::unix::WaitStatus;
use expectrl::{ControlCode, Eof, Expect};

use crate::common::{leakfix, require_tool};

const PROMPT: &str = "Apply this fix [y,n,a,d,q,?]? ";

/// One Go file with one leak: an `os.Open` without a close.
fn leaky(name: &str) -> String {
    format!(
        "package store\n\nimport \"os\"\n\n// {name} reads the start of a file.\nfunc {name}(path string) ([]byte, error) {{\n\tf, err := os.Open(path)\n\tif err != nil {{\n\t\treturn nil, err\n\t}}\n\tbuf := make([]byte, 10)\n\t_, err = f.Read(buf)\n\treturn buf, err\n}}\n"
    )
}

/// `leaky(name)` as the fix writes it.
fn fixed(name: &str) -> String {
    leaky(name).replace(
        "\t\treturn nil, err\n\t}\n",
        "\t\treturn nil, err\n\t}\n\tdefer f.Close()\n",
    )
}

/// A temporary folder of files, and a snapshot to compare them with.
struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    fn new(files: &[(&str, &str)]) -> Tree {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        Tree { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path().join(name)).unwrap()
    }

    /// Every file (relative name -> bytes), temporary files included.
    fn snapshot(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.ends_with(".leakfix-cache") {
                    // The cache folder the command is given (see `Review::start`).
                    continue;
                } else if p.is_dir() {
                    walk(root, &p, out);
                } else {
                    out.insert(
                        p.strip_prefix(root).unwrap().to_path_buf(),
                        std::fs::read(&p).unwrap(),
                    );
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(self.path(), self.path(), &mut out);
        out
    }

    fn assert_gofmt_clean(&self) {
        if !require_tool("gofmt") {
            return;
        }
        let out = Command::new("gofmt")
            .arg("-l")
            .arg(self.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stdout.is_empty(),
            "not gofmt-clean: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

/// `leakfix fix --review` running in a pseudo-terminal.
struct Review {
    session: expectrl::session::OsSession,
    /// Everything it printed so far.
    output: String,
}

#[derive(Debug, PartialEq, Eq)]
enum Exit {
    Code(i32),
    Signal,
}

impl Review {
    fn start(dir: &Path, args: &[&str]) -> Review {
        Review::start_with(dir, args, false)
    }

    fn start_with(dir: &Path, args: &[&str], color: bool) -> Review {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_leakfix"));
        cmd.args(["fix", "--review"])
            .args(args)
            .arg(".")
            .current_dir(dir);
        cmd.env("TERM", "xterm-256color")
            .env_remove("CLICOLOR")
            .env_remove("CLICOLOR_FORCE")
            // For --verify: the Go fixtures build offline, and leakfix keeps
            // its cache in a hidden folder of the tree (the walk skips it).
            .env("GOPROXY", "off")
            .env("GOTOOLCHAIN", "local")
            .env("GOWORK", "off")
            .env("LEAKFIX_CACHE_DIR", dir.join(".leakfix-cache"));
        if color {
            cmd.env_remove("NO_COLOR");
        } else {
            cmd.env("NO_COLOR", "1");
        }
        let mut session = expectrl::Session::spawn(cmd).expect("spawn leakfix in a pty");
        // Generous: the binary is a debug build on a shared machine. A hang
        // fails the test instead of blocking it.
        session.set_expect_timeout(Some(Duration::from_secs(120)));
        Review {
            session,
            output: String::new(),
        }
    }

    /// Waits for `text`; panics with everything printed so far if it never comes.
    fn expect(&mut self, text: &str) {
        match self.session.expect(text) {
            Ok(found) => self
                .output
                .push_str(&String::from_utf8_lossy(found.as_bytes())),
            Err(e) => panic!(
                "waiting for {text:?}: {e}\n--- output so far ---\n{}",
                self.output
            ),
        }
    }

    /// Waits for the prompt, then presses `key` (no Enter).
    fn answer(&mut self, key: &str) {
        self.expect(PROMPT);
        self.session.send(key).unwrap();
    }

    /// Reads to the end and returns how the process ended.
    fn finish(mut self) -> (Exit, String) {
        match self.session.expect(Eof) {
            Ok(rest) => self
                .output
                .push_str(&String::from_utf8_lossy(rest.as_bytes())),
            Err(e) => panic!(
                "waiting for the end: {e}\n--- output so far ---\n{}",
                self.output
            ),
        }
        let status = self.session.get_process().wait().unwrap();
        let exit = match status {
            WaitStatus::Exited(_, code) => Exit::Code(code),
            WaitStatus::Signaled(..) => Exit::Signal,
            other => panic!("unexpected status {other:?}"),
        };
        (exit, self.output.replace("\r\n", "\n"))
    }
}

/// The acceptance scenario: three files with one leak each; y, n, y writes
/// exactly the first and third fixes and leaves the second byte-identical.
#[test]
fn y_n_y_over_three_files_writes_the_first_and_third() {
    let tree = Tree::new(&[
        ("a.go", &leaky("readA")),
        ("b.go", &leaky("readB")),
        ("c.go", &leaky("readC")),
    ]);
    let before = tree.snapshot();
    let mut r = Review::start(tree.path(), &[]);
    r.expect("3 fixes to review in 3 files");
    r.answer("y");
    r.expect("wrote a.go (1 fix)");
    r.answer("n");
    r.answer("y");
    let (exit, out) = r.finish();
    assert_eq!(exit, Exit::Code(1), "one leak remains\n{out}");
    assert_eq!(tree.read("a.go"), fixed("readA"));
    assert_eq!(tree.read("c.go"), fixed("readC"));
    let after = tree.snapshot();
    assert_eq!(
        after[Path::new("b.go")],
        before[Path::new("b.go")],
        "b.go untouched"
    );
    assert_eq!(
        after.len(),
        3,
        "no temporary files left: {:?}",
        after.keys()
    );
    assert!(out.contains("a.go  1 applied, 0 skipped"), "{out}");
    assert!(out.contains("b.go  0 applied, 1 skipped"), "{out}");
    assert!(out.contains("c.go  1 applied, 0 skipped"), "{out}");
    assert!(
        out.contains("Fixed 2 leaks in 2 files. 1 leak remains."),
        "{out}"
    );
    tree.assert_gofmt_clean();
}

/// The same command without a terminal on stdin refuses and writes nothing.
#[test]
fn without_a_terminal_it_refuses_with_exit_2_and_writes_nothing() {
    let tree = Tree::new(&[
        ("a.go", &leaky("readA")),
        ("b.go", &leaky("readB")),
        ("c.go", &leaky("readC")),
    ]);
    let before = tree.snapshot();
    let out = leakfix()
        .args(["fix", "--review", "."])
        .current_dir(tree.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs a terminal on stdin"), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert_eq!(tree.snapshot(), before);

    // Even with answers piped in.
    let mut child = leakfix()
        .args(["fix", "--review", "."])
        .current_dir(tree.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let _ = child.stdin.take().unwrap().write_all(b"yyy");
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(tree.snapshot(), before);
}

#[test]
fn a_applies_this_and_every_remaining_fix() {
    let tree = Tree::new(&[
        ("a.go", &leaky("readA")),
        ("b.go", &leaky("readB")),
        ("c.go", &leaky("readC")),
    ]);
    let mut r = Review::start(tree.path(), &[]);
    r.answer("n");
    r.answer("a");
    let (exit, out) = r.finish();
    assert_eq!(exit, Exit::Code(1), "{out}");
    assert_eq!(tree.read("a.go"), leaky("readA"));
    assert_eq!(tree.read("b.go"), fixed("readB"));
    assert_eq!(tree.read("c.go"), fixed("readC"));
    assert!(
        out.contains("applied c.go:7:12 go-missing-release"),
        "{out}"
    );
    assert_eq!(out.matches(PROMPT).count(), 2, "{out}");
}

#[test]
fn all_accepted_exits_0() {
    let tree = Tree::new(&[("a.go", &leaky("readA")), ("b.go", &leaky("readB"))]);
    let mut r = Review::start(tree.path(), &[]);
    r.answer("y");
    r.answer("y");
    let (exit, out) = r.finish();
    assert_eq!(exit, Exit::Code(0), "{out}");
    assert!(
        out.contains("Fixed 2 leaks in 2 files. No leaks remain."),
        "{out}"
    );
}

/// Two leaks in one file, one in another.
fn two_and_one() -> Tree {
    let two = format!(
        "{}\n// readB reads the start of another file.\nfunc readB(path string) ([]byte, error) {{\n\tg, err := os.Open(path)\n\tif err != nil {{\n\t\treturn nil, err\n\t}}\n\tbuf := make([]byte, 10)\n\t_, err = g.Read(buf)\n\treturn buf, err\n}}\n",
        leaky("readA")
    );
    Tree::new(&[("a.go", &two), ("b.go", &leaky("readC"))])
}

#[test]
fn d_skips_the_rest_of_the_file() {
    let tree = two_and_one();
    let before = tree.snapshot();
    let mut r = Review::start(tree.path(), &[]);
    r.answer("d");
    r.expect("skipping the remaining fixes in a.go");
    r.answer("y");
    let (exit, out) = r.finish();
    assert_eq!(exit, Exit::Code(1), "{out}");
    assert_eq!(
        tree.snapshot()[Path::new("a.go")],
        before[Path::new("a.go")]
    );
    assert_eq!(tree.read("b.go"), fixed("readC"));
    assert!(out.contains("a.go  0 applied, 2 skipped"), "{out}");
    assert_eq!(out.matches(PROMPT).count(), 2, "{out}");
}

#[test]
fn q_writes_what_was_accepted_and_nothing_else() {
    let tree = two_and_one();
    let before = tree.snapshot();
    let mut r = Review::start(tree.path(), &[]);
    r.answer("y");
    r.answer("q");
    let (exit, out) = r.finish();
    assert_eq!(exit, Exit::Code(1), "{out}");
    let a = tree.read("a.go");
    assert!(
        a.contains("defer f.Close()") && !a.contains("defer g.Close()"),
        "{a}"
    );
    assert_eq!(
        tree.snapshot()[Path::new("b.go")],
        before[Path::new("b.go")]
    );
    assert!(
        out.contains("a.go  1 applied, 0 skipped, 1 not reviewed"),
        "{out}"
    );
    assert!(
        out.contains("b.go  0 applied, 0 skipped, 1 not reviewed"),
        "{out}"
    );
    tree.assert_gofmt_clean();
}

#[test]
fn help_and_unknown_keys_ask_again() {
    let tree = Tree::new(&[("a.go", &leaky("readA"))]);
    let mut r = Review::start(tree.path(), &[]);
    r.answer("?");
    r.expect("d - skip the remaining fixes in this file");
    r.answer("x");
    r.expect("press y, n, a, d or q (? for help)");
    r.answer("\r");
    r.expect("press y, n, a, d or q (? for help)");
    r.answer("y");
    let (exit, out) = r.finish();
    assert_eq!(exit, Exit::Code(0), "{out}");
    assert_eq!(tree.read("a.go"), fixed("readA"));
}

/// Ctrl-C: files already finished keep their fixes; the fixes accepted in
/// the file under review are not written; no partial or temporary file.
#[test]
fn ctrl_c_writes_nothing_of_the_current_file() {
    let tree = Tree::new(&[
        ("a.go", &leaky("readA")),
        ("b.go", &two_and_one().read("a.go")),
    ]);
    let before = tree.snapshot();
    let mut r = Review::start(tree.path(), &[]);
    r.answer("y");
    r.expect("wrote a.go");
    r.answer("y");
    r.expect(PROMPT);
    r.session.send(ControlCode::EndOfText).unwrap();
    let (exit, out) = r.finish();
    // 130 when leakfix read the key; a SIGINT death if it came before the
    // terminal was in raw mode. Either way nothing more is written.
    assert!(
        matches!(exit, Exit::Code(130) | Exit::Signal),
        "{exit:?}\n{out}"
    );
    if exit == Exit::Code(130) {
        assert!(
            out.contains("the 1 fix accepted in b.go was not written"),
            "{out}"
        );
    }
    assert_eq!(tree.read("a.go"), fixed("readA"));
    let after = tree.snapshot();
    assert_eq!(after[Path::new("b.go")], before[Path::new("b.go")]);
    assert_eq!(
        after.len(),
        2,
        "no temporary files left: {:?}",
        after.keys()
    );
}

/// Two tickers in one loop: both fixes insert after the last use of the
/// tickers, at the same point. After the first is accepted, the second is
/// re-computed on the new text (it lands right after that last use, so
/// before the first release), never spliced blindly.
const TICKERS: &str = "package poll\n\nimport (\n\t\"fmt\"\n\t\"time\"\n)\n\nfunc poll(names []string) {\n\tfor _, n := range names {\n\t\tt := time.NewTicker(time.Second)\n\t\tu := time.NewTicker(time.Minute)\n\t\tfmt.Println(n, t, u)\n\t}\n}\n";

#[test]
fn overlapping_fixes_are_recomputed_after_the_first_is_accepted() {
    let tree = Tree::new(&[("poll.go", TICKERS)]);
    let mut r = Review::start(tree.path(), &[]);
    r.answer("y");
    r.expect("re-computed over the fixes you accepted in this file");
    r.answer("y");
    let (exit, out) = r.finish();
    assert_eq!(exit, Exit::Code(0), "{out}");
    assert_eq!(
        tree.read("poll.go"),
        TICKERS.replace("u)\n", "u)\n\t\tu.Stop()\n\t\tt.Stop()\n")
    );
    tree.assert_gofmt_clean();
}

#[test]
fn overlapping_fixes_each_alone() {
    for (keys, expected) in [
        (["y", "n"], TICKERS.replace("u)\n", "u)\n\t\tt.Stop()\n")),
        (["n", "y"], TICKERS.replace("u)\n", "u)\n\t\tu.Stop()\n")),
    ] {
        let tree = Tree::new(&[("poll.go", TICKERS)]);
        let mut r = Review::start(tree.path(), &[]);
        r.answer(keys[0]);
        r.answer(keys[1]);
        let (exit, out) = r.finish();
        assert_eq!(exit, Exit::Code(1), "{out}");
        assert_eq!(tree.read("poll.go"), expected, "{keys:?}\n{out}");
        tree.assert_gofmt_clean();
    }
}

/// A file edited by someone else during the review is left alone.
#[test]
fn a_file_changed_on_disk_during_the_review_is_not_written() {
    let tree = Tree::new(&[("a.go", &leaky("readA")), ("b.go", &leaky("readB"))]);
    let mut r = Review::start(tree.path(), &[]);
    r.expect(PROMPT);
    let edited = format!("{}// edited by hand\n", leaky("readB"));
    std::fs::write(tree.path().join("b.go"), &edited).unwrap();
    r.session.send("y").unwrap();
    r.expect("b.go changed on disk since leakfix read it");
    let (exit, out) = r.finish();
    assert_eq!(exit, Exit::Code(1), "{out}");
    assert_eq!(tree.read("a.go"), fixed("readA"));
    assert_eq!(tree.read("b.go"), edited);
    assert_eq!(out.matches(PROMPT).count(), 1, "{out}");
}

#[test]
fn colours_only_without_no_color() {
    for color in [true, false] {
        let tree = Tree::new(&[("a.go", &leaky("readA"))]);
        let mut r = Review::start_with(tree.path(), &[], color);
        r.answer("n");
        let (_, out) = r.finish();
        assert_eq!(out.contains("\x1b["), color, "colour {color}:\n{out}");
        assert!(out.contains("+ \tdefer f.Close()"), "{out}");
    }
}

#[test]
fn the_diff_shows_the_reported_line_with_numbers() {
    let tree = Tree::new(&[("a.go", &leaky("readA"))]);
    let mut r = Review::start(tree.path(), &[]);
    r.answer("n");
    let (_, out) = r.finish();
    for line in [
        "[1/1] a.go:7:12 go-missing-release (safe)",
        "File `f` from `os.Open` is never closed",
        "fix: insert `defer f.Close()` after the error check",
        " 7  7 |  \tf, err := os.Open(path)",
        "   11 |+ \tdefer f.Close()",
        "11 12 |  \tbuf := make([]byte, 10)",
    ] {
        assert!(out.contains(line), "missing {line:?} in\n{out}");
    }
}

#[test]
fn nothing_to_review() {
    let tree = Tree::new(&[("a.go", "package a\n\nfunc f() {}\n")]);
    let r = Review::start(tree.path(), &[]);
    let (exit, out) = r.finish();
    assert_eq!(exit, Exit::Code(0), "{out}");
    assert!(out.contains("No fixes to review."), "{out}");
}

#[test]
fn other_formats_are_refused() {
    let tree = Tree::new(&[("a.go", &leaky("readA"))]);
    let r = Review::start(tree.path(), &["--format", "json"]);
    let (exit, out) = r.finish();
    assert_eq!(exit, Exit::Code(2), "{out}");
    assert!(
        out.contains("`--format json` goes with `check` or `fix`"),
        "{out}"
    );
    assert_eq!(tree.read("a.go"), leaky("readA"));
}

/// `a` at the first fix writes the same files as `leakfix fix --unsafe`
/// (every fix moved past the ones before it, overlapping ones re-computed).
#[test]
fn a_over_the_fixtures_and_the_example_matches_fix() {
    for folder in [
        "tests/fixtures/go-missing-release",
        "examples/go/leaky-service",
    ] {
        let source = crate::common::repo_root().join(folder);
        let by_fix = tempfile::tempdir().unwrap();
        crate::common::copy_dir(&source, by_fix.path());
        let by_review = Tree {
            dir: tempfile::tempdir().unwrap(),
        };
        crate::common::copy_dir(&source, by_review.path());

        let out = leakfix()
            .args(["fix", "--unsafe", "."])
            .current_dir(by_fix.path())
            .output()
            .unwrap();
        let fix_exit = out.status.code().unwrap();
        let mut r = Review::start(by_review.path(), &[]);
        r.answer("a");
        let (exit, out) = r.finish();
        assert_eq!(exit, Exit::Code(fix_exit), "{folder}\n{out}");
        assert_ne!(
            by_review.snapshot(),
            Tree {
                dir: {
                    let d = tempfile::tempdir().unwrap();
                    crate::common::copy_dir(&source, d.path());
                    d
                }
            }
            .snapshot(),
            "{folder}: nothing was fixed"
        );
        assert_eq!(
            by_review.snapshot(),
            Tree { dir: by_fix }.snapshot(),
            "{folder}\n{out}"
        );
        by_review.assert_gofmt_clean();
    }
}

/// `--verify`: each fix says whether it was verified; a fix that does not
/// compile is not offered, and is listed at the end with its error.
#[test]
fn verify_shows_each_verdict_and_does_not_offer_withheld_fixes() {
    if !require_tool("go") {
        return;
    }
    let ws = crate::common::go_workspace();
    let dir = ws.path().join("fixtures/verify");
    let mut r = Review::start(&dir, &["--verify"]);
    r.expect("6 fixes to review in 5 files");
    r.expect("broken/report.go");
    r.expect("not verified: its package did not build before the fix");
    r.answer("n");
    r.expect("cache/cache.go");
    r.expect("verified: the packages it touches build (and vet) with it");
    r.answer("a");
    let (exit, out) = r.finish();
    assert_eq!(exit, Exit::Code(1), "{out}");
    let withheld = out
        .split("Withheld by --verify")
        .nth(1)
        .unwrap_or_else(|| panic!("no withheld section:\n{out}"));
    for error in [
        "not enough arguments in call to rdb.Close",
        "atomic already declared through import of package atomic",
        "dev.Close undefined",
    ] {
        assert!(withheld.contains(error), "{error}:\n{out}");
    }
    let cache = std::fs::read_to_string(dir.join("cache/cache.go")).unwrap();
    assert!(cache.contains("defer client.Close()") && !cache.contains("rdb.Close"));
    let out = crate::common::go_command(
        &dir,
        &[
            "vet", "./cache", "./fine", "./jobs", "./shadow", "./tagged", "./worker",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A JavaScript file with one leak: a pool client released on the happy
/// path only.
const LEAKY_JS: &str = "const { Pool } = require(\"pg\");\n\nconst pool = new Pool();\n\nasync function user(id) {\n  const client = await pool.connect();\n  const { rows } = await client.query(\"SELECT $1\", [id]);\n  client.release();\n  return rows[0];\n}\n\nmodule.exports = { user };\n";

/// JavaScript fixes are offered like the others: y writes the first file's,
/// n leaves the second untouched.
#[test]
fn javascript_fixes_are_offered_one_by_one() {
    let tree = Tree::new(&[("a.js", LEAKY_JS), ("b.mjs", LEAKY_JS)]);
    let before = tree.snapshot();
    let mut r = Review::start(tree.path(), &[]);
    r.expect("2 fixes to review in 2 files");
    r.expect("js-missing-release");
    r.answer("y");
    r.expect("wrote a.js (1 fix)");
    r.answer("n");
    let (exit, out) = r.finish();
    assert_eq!(exit, Exit::Code(1), "one leak remains\n{out}");
    assert!(
        tree.read("a.js").contains("  try {\n    const { rows }"),
        "{}",
        tree.read("a.js")
    );
    assert_eq!(
        tree.snapshot()[Path::new("b.mjs")],
        before[Path::new("b.mjs")]
    );
}
