use super::*;
use crate::fix::{Edit, Fix};
use std::collections::VecDeque;

struct Script(VecDeque<Key>);

impl Keys for Script {
    fn read_key(&mut self) -> io::Result<Key> {
        self.0
            .pop_front()
            .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "script ran out"))
    }
}

fn keys(s: &str) -> Script {
    Script(s.chars().map(Key::Char).collect())
}

struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new(files: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        Files { dir }
    }

    fn path(&self, name: &str) -> Arc<Path> {
        Arc::from(self.dir.path().join(name))
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap()
    }

    /// A finding at `at` (the first occurrence of that text) with a fix.
    fn finding(&self, name: &str, rule: &'static str, at: &str, fix: Fix) -> Finding {
        let path = self.path(name);
        let text = SourceText::new(self.read(name));
        let start = text.text().find(at).unwrap();
        Finding::new(
            rule,
            path,
            &text,
            start..start + at.len(),
            format!("{at} leaks"),
        )
        .with_fix(fix)
    }

    /// A safe fix inserting `line` after the line containing `after`.
    fn insert_after(&self, name: &str, after: &str, line: &str) -> Fix {
        let text = self.read(name);
        let at = text.find(after).unwrap();
        let at = at + text[at..].find('\n').unwrap() + 1;
        Fix::safe(
            format!("insert `{}`", line.trim()),
            vec![Edit::insertion(self.path(name), at, line)],
        )
    }
}

const A: &str = "package a\n\nfunc f() {\n\tx := open()\n\ty := open()\n\tuse(x, y)\n}\n";

fn no_recompute()
-> impl Fn(&HashMap<Arc<Path>, SourceText>, &Finding, Range<usize>) -> Option<Finding> {
    |_: &HashMap<Arc<Path>, SourceText>, _: &Finding, _: Range<usize>| None
}

fn run(files: &Files, findings: Vec<Finding>, script: &str) -> (End, String) {
    let recompute = no_recompute();
    let cwd = files.dir.path().to_path_buf();
    let mut session = Session::new(&cwd, findings, &recompute);
    let mut out = Vec::new();
    let end = session.run(&mut keys(script), &mut out).unwrap();
    session.summary(&mut out).unwrap();
    (end, String::from_utf8(out).unwrap())
}

fn two_fixes(files: &Files) -> Vec<Finding> {
    let fx = files.insert_after("a.go", "x := open()", "\tdefer x.Close()\n");
    let fy = files.insert_after("a.go", "y := open()", "\tdefer y.Close()\n");
    vec![
        files.finding("a.go", "r", "y := open()", fy),
        files.finding("a.go", "r", "x := open()", fx),
    ]
}

#[test]
fn y_then_n_writes_only_the_first_in_position_order() {
    let files = Files::new(&[("a.go", A)]);
    let (end, out) = run(&files, two_fixes(&files), "yn");
    assert_eq!(end, End::Finished);
    assert_eq!(
        files.read("a.go"),
        "package a\n\nfunc f() {\n\tx := open()\n\tdefer x.Close()\n\ty := open()\n\tuse(x, y)\n}\n"
    );
    assert!(out.contains("[1/2] a.go:4:2 r (safe)"), "{out}");
    assert!(out.contains("+ \tdefer x.Close()"), "{out}");
    // The second fix is shown on the text with the first applied.
    assert!(out.contains("[2/2] a.go:6:2 r (safe)"), "{out}");
    assert!(out.contains("a.go  1 applied, 1 skipped"), "{out}");
}

#[test]
fn the_second_fix_moves_past_the_first() {
    let files = Files::new(&[("a.go", A)]);
    run(&files, two_fixes(&files), "yy");
    assert_eq!(
        files.read("a.go"),
        "package a\n\nfunc f() {\n\tx := open()\n\tdefer x.Close()\n\ty := open()\n\tdefer y.Close()\n\tuse(x, y)\n}\n"
    );
}

#[test]
fn help_and_unknown_keys_ask_again() {
    let files = Files::new(&[("a.go", A)]);
    let (_, out) = run(&files, two_fixes(&files), "?zn\u{1b}y");
    assert_eq!(out.matches(PROMPT).count(), 5, "{out}");
    assert!(out.contains("d - skip the remaining fixes in this file"));
    assert!(out.contains("press y, n, a, d or q"));
    assert_eq!(
        files.read("a.go"),
        "package a\n\nfunc f() {\n\tx := open()\n\ty := open()\n\tdefer y.Close()\n\tuse(x, y)\n}\n"
    );
}

#[test]
fn q_writes_what_was_accepted_and_ctrl_c_does_not() {
    let files = Files::new(&[("a.go", A)]);
    let (end, out) = run(&files, two_fixes(&files), "yq");
    assert_eq!(end, End::Quit);
    assert!(files.read("a.go").contains("defer x.Close()"));
    assert!(!files.read("a.go").contains("defer y.Close()"));
    assert!(
        out.contains("1 applied, 0 skipped, 1 not reviewed"),
        "{out}"
    );

    let files = Files::new(&[("a.go", A)]);
    let recompute = no_recompute();
    let cwd = files.dir.path().to_path_buf();
    let mut session = Session::new(&cwd, two_fixes(&files), &recompute);
    let mut out = Vec::new();
    let mut script = Script(VecDeque::from([Key::Char('y'), Key::CtrlC]));
    assert_eq!(
        session.run(&mut script, &mut out).unwrap(),
        End::Interrupted
    );
    assert_eq!(
        files.read("a.go"),
        A,
        "Ctrl-C writes nothing of the current file"
    );
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains("the 1 fix accepted in a.go was not written"),
        "{out}"
    );
}

#[test]
fn a_and_d() {
    let files = Files::new(&[("a.go", A), ("b.go", A)]);
    let mut findings = two_fixes(&files);
    let fb = files.insert_after("b.go", "x := open()", "\tdefer x.Close()\n");
    findings.push(files.finding("b.go", "r", "x := open()", fb));
    let (_, out) = run(&files, findings.clone(), "a");
    assert!(files.read("a.go").contains("defer y.Close()"));
    assert!(files.read("b.go").contains("defer x.Close()"));
    assert!(out.contains("applied a.go:6:2 r"), "{out}");

    let files2 = Files::new(&[("a.go", A), ("b.go", A)]);
    let mut findings = two_fixes(&files2);
    let fb = files2.insert_after("b.go", "x := open()", "\tdefer x.Close()\n");
    findings.push(files2.finding("b.go", "r", "x := open()", fb));
    let (_, out) = run(&files2, findings, "dy");
    assert_eq!(files2.read("a.go"), A);
    assert!(files2.read("b.go").contains("defer x.Close()"));
    assert!(out.contains("a.go  0 applied, 2 skipped"), "{out}");
    assert!(out.contains("b.go  1 applied, 0 skipped"), "{out}");
}

#[test]
fn a_file_changed_on_disk_is_not_written() {
    let files = Files::new(&[("a.go", A), ("b.go", A)]);
    let mut findings = two_fixes(&files);
    let fb = files.insert_after("b.go", "x := open()", "\tdefer x.Close()\n");
    findings.push(files.finding("b.go", "r", "x := open()", fb));
    let recompute = no_recompute();
    let cwd = files.dir.path().to_path_buf();
    let mut session = Session::new(&cwd, findings, &recompute);
    // Someone edits both files after leakfix read them.
    std::fs::write(files.path("a.go"), format!("{A}// edited\n")).unwrap();
    std::fs::write(files.path("b.go"), format!("{A}// edited\n")).unwrap();
    let mut out = Vec::new();
    session.run(&mut keys("yy"), &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    assert_eq!(files.read("a.go"), format!("{A}// edited\n"));
    assert_eq!(files.read("b.go"), format!("{A}// edited\n"));
    assert!(
        out.contains("a.go changed on disk since leakfix read it"),
        "{out}"
    );
    assert!(
        out.contains("b.go changed on disk since leakfix read it"),
        "{out}"
    );
    assert_eq!(out.matches(PROMPT).count(), 0, "{out}");
}

#[test]
fn a_file_changed_during_its_review_is_not_written() {
    let files = Files::new(&[("a.go", A)]);
    let recompute = no_recompute();
    let cwd = files.dir.path().to_path_buf();
    let mut session = Session::new(&cwd, two_fixes(&files), &recompute);
    struct EditThenYes<'f>(&'f Files, usize);
    impl Keys for EditThenYes<'_> {
        fn read_key(&mut self) -> io::Result<Key> {
            self.1 += 1;
            if self.1 == 2 {
                std::fs::write(self.0.path("a.go"), "package a\n").unwrap();
            }
            Ok(Key::Char('y'))
        }
    }
    let mut out = Vec::new();
    session.run(&mut EditThenYes(&files, 0), &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    assert_eq!(files.read("a.go"), "package a\n");
    assert!(out.contains("2 accepted fixes not written"), "{out}");
}

/// Two fixes for the same call: the unsafe rewrite comes first; after
/// it is accepted the safe close is skipped with the reason.
#[test]
fn unsafe_rewrite_first_then_the_close_for_the_same_call_is_skipped() {
    let make = |files: &Files| {
        let text = files.read("a.go");
        let call = text.find("open()").unwrap();
        let call = call..call + "open()".len();
        let close = files
            .insert_after("a.go", "x := open()", "\tdefer x.Close()\n")
            .with_claim(files.path("a.go"), call.clone());
        let hoist = Fix::unsafe_(
            "use the shared client",
            vec![Edit::replacement(files.path("a.go"), call, "shared")],
        );
        vec![
            files.finding("a.go", "go-missing-release", "open()", close),
            files.finding("a.go", "go-hoist", "open()", hoist),
        ]
    };
    let files = Files::new(&[("a.go", A)]);
    let (_, out) = run(&files, make(&files), "y");
    assert!(out.contains("[1/2] a.go:4:7 go-hoist (unsafe)"), "{out}");
    assert!(
        out.contains("the go-missing-release fix (safe) for line 4 changes the same code"),
        "{out}"
    );
    assert!(
        out.contains("skipped a.go:4:7 go-missing-release: the go-hoist fix you accepted for line 4 rewrote the code it is about"),
        "{out}"
    );
    assert_eq!(files.read("a.go"), A.replacen("open()", "shared", 1));

    // Answering n to the rewrite gets the close.
    let files = Files::new(&[("a.go", A)]);
    let (_, out) = run(&files, make(&files), "ny");
    assert!(
        out.contains("[2/2] a.go:4:7 go-missing-release (safe)"),
        "{out}"
    );
    assert_eq!(
        files.read("a.go"),
        A.replace("x := open()\n", "x := open()\n\tdefer x.Close()\n")
    );
}

/// The rewrite reported further down (say, at the handler) still comes
/// before the close for the same call.
#[test]
fn an_unsafe_fix_for_the_same_code_is_pulled_before_the_safe_one() {
    let files = Files::new(&[("a.go", A)]);
    let text = files.read("a.go");
    let call = text.find("open()").unwrap();
    let call = call..call + "open()".len();
    let close = files
        .insert_after("a.go", "x := open()", "\tdefer x.Close()\n")
        .with_claim(files.path("a.go"), call.clone());
    let hoist = Fix::unsafe_(
        "use the shared client",
        vec![Edit::replacement(files.path("a.go"), call, "shared")],
    );
    let other = files.insert_after("a.go", "y := open()", "\tdefer y.Close()\n");
    let findings = vec![
        files.finding("a.go", "go-missing-release", "x := open()", close),
        files.finding("a.go", "go-missing-release", "y := open()", other),
        files.finding("a.go", "go-hoist", "use(x, y)", hoist),
    ];
    let (_, out) = run(&files, findings, "nnn");
    let at = |s: &str| out.find(s).unwrap_or_else(|| panic!("{s:?} not in {out}"));
    assert!(at("[1/3] a.go:6:2 go-hoist (unsafe)") < at("[2/3] a.go:4:2 go-missing-release"));
    assert!(at("[2/3] a.go:4:2 go-missing-release") < at("[3/3] a.go:5:2 go-missing-release"));
}

/// Two insertions at one point: the second is re-computed on the text
/// with the first, never spliced blindly.
#[test]
fn overlapping_fixes_are_recomputed() {
    let files = Files::new(&[("a.go", A)]);
    let f1 = files.insert_after("a.go", "use(x, y)", "\tx.Close()\n");
    let f2 = files.insert_after("a.go", "use(x, y)", "\ty.Close()\n");
    let findings = vec![
        files.finding("a.go", "r", "x := open()", f1),
        files.finding("a.go", "r", "y := open()", f2),
    ];
    let path = files.path("a.go");
    let recompute = move |texts: &HashMap<Arc<Path>, SourceText>,
                          f: &Finding,
                          range: Range<usize>|
          -> Option<Finding> {
        let text = texts[&path].text();
        assert_eq!(&text[range.clone()], "y := open()");
        let at = text.find("\tx.Close()\n").unwrap() + "\tx.Close()\n".len();
        let mut again = f.clone();
        again.range = range;
        again.fix = Some(Fix::safe(
            "insert `y.Close()`",
            vec![Edit::insertion(path.clone(), at, "\ty.Close()\n")],
        ));
        Some(again)
    };
    let cwd = files.dir.path().to_path_buf();
    let mut session = Session::new(&cwd, findings, &recompute);
    let mut out = Vec::new();
    session.run(&mut keys("yy"), &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains("re-computed over the fixes you accepted"),
        "{out}"
    );
    assert_eq!(
        files.read("a.go"),
        "package a\n\nfunc f() {\n\tx := open()\n\ty := open()\n\tuse(x, y)\n\tx.Close()\n\ty.Close()\n}\n"
    );
}

#[test]
fn a_fix_that_no_longer_applies_is_skipped_with_the_reason() {
    let files = Files::new(&[("a.go", A)]);
    let f1 = files.insert_after("a.go", "use(x, y)", "\tx.Close()\n");
    let f2 = files.insert_after("a.go", "use(x, y)", "\ty.Close()\n");
    let findings = vec![
        files.finding("a.go", "r", "x := open()", f1),
        files.finding("a.go", "r", "y := open()", f2),
    ];
    let (_, out) = run(&files, findings, "y");
    assert!(
        out.contains(
            "skipped a.go:5:2 r: no longer reported after the r fix you accepted for line 4"
        ),
        "{out}"
    );
    assert!(!files.read("a.go").contains("y.Close()"));
}

#[test]
fn a_fix_that_breaks_the_parse_is_never_offered() {
    let files = Files::new(&[("a.go", A)]);
    let bad = Fix::safe(
        "break it",
        vec![Edit::insertion(files.path("a.go"), 0, "}}}")],
    );
    let (_, out) = run(
        &files,
        vec![files.finding("a.go", "r", "x := open()", bad)],
        "",
    );
    assert!(out.contains("would not parse"), "{out}");
    assert_eq!(files.read("a.go"), A);
}

#[test]
fn crlf_and_bom_survive() {
    let crlf = format!("\u{feff}{}", A.replace('\n', "\r\n"));
    let files = Files::new(&[("a.go", &crlf)]);
    let text = SourceText::new(crlf.clone());
    let at = text.text().find("\tuse").unwrap();
    let fix = Fix::safe(
        "close",
        vec![Edit::insertion(
            files.path("a.go"),
            at,
            "\tdefer x.Close()\r\n",
        )],
    );
    let start = text.text().find("x := open()").unwrap();
    let f = Finding::new("r", files.path("a.go"), &text, start..start + 11, "leaks").with_fix(fix);
    run(&files, vec![f], "y");
    let bytes = std::fs::read(files.path("a.go")).unwrap();
    assert!(bytes.starts_with("\u{feff}".as_bytes()));
    assert_eq!(
        String::from_utf8(bytes).unwrap(),
        crlf.replace("\tuse", "\tdefer x.Close()\r\n\tuse")
    );
}
