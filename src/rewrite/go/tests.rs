use std::path::Path;
use std::sync::Arc;

use super::*;
use crate::fix::Edit;
use crate::lang::Language;
use crate::lang::text;
use crate::source::SourceText;

fn add(src: &str, path: &str, name: &str) -> Option<String> {
    let source = SourceText::new(src.to_string());
    let (tree, _) = Language::Go.parse(src);
    let p: Arc<Path> = Arc::from(Path::new("a.go"));
    match ensure_import(&p, &source, tree.root_node(), path, name) {
        ImportEdit::Add { edit, .. } => Some(crate::apply::splice(src, vec![&edit])),
        ImportEdit::Present(n) => Some(format!("present as {n}")),
        ImportEdit::Unavailable => None,
    }
}

fn first(src: &str, kind: &str, nth: usize, item: &str) -> Option<String> {
    let source = SourceText::new(src.to_string());
    let (tree, _) = Language::Go.parse(src);
    let mut found = Vec::new();
    let mut stack = vec![tree.root_node()];
    while let Some(n) = stack.pop() {
        if n.kind() == kind {
            found.push(n);
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    found.sort_by_key(|n| n.start_byte());
    let p: Arc<Path> = Arc::from(Path::new("a.go"));
    let edit = insert_first(&p, &source, found[nth], item)?;
    Some(crate::apply::splice(src, vec![&edit]))
}

#[test]
fn first_parameters_and_arguments() {
    assert_eq!(
        first(
            "package a\n\nfunc f() {}\n",
            "parameter_list",
            0,
            "ctx context.Context"
        )
        .unwrap(),
        "package a\n\nfunc f(ctx context.Context) {}\n"
    );
    assert_eq!(
        first(
            "package a\n\nfunc f(a, b int) {}\n",
            "parameter_list",
            0,
            "ctx context.Context"
        )
        .unwrap(),
        "package a\n\nfunc f(ctx context.Context, a, b int) {}\n"
    );
    assert_eq!(
        first(
            "package a\n\nfunc f() {\n\tg(\n\t\t1,\n\t\t2,\n\t)\n}\n",
            "argument_list",
            0,
            "ctx"
        )
        .unwrap(),
        "package a\n\nfunc f() {\n\tg(\n\t\tctx,\n\t\t1,\n\t\t2,\n\t)\n}\n"
    );
    assert_eq!(
        first(
            "package a\n\nfunc f() {\n\tg()\n}\n",
            "argument_list",
            0,
            "ctx"
        )
        .unwrap(),
        "package a\n\nfunc f() {\n\tg(ctx)\n}\n"
    );
}

#[test]
fn statements_are_deleted_with_their_line() {
    let del = |src: &str| {
        let source = SourceText::new(src.to_string());
        let (tree, _) = Language::Go.parse(src);
        let mut stack = vec![tree.root_node()];
        let mut stmt = None;
        while let Some(n) = stack.pop() {
            if n.kind() == "short_var_declaration" {
                stmt = Some(n);
                break;
            }
            let mut c = n.walk();
            stack.extend(n.named_children(&mut c));
        }
        let p: Arc<Path> = Arc::from(Path::new("a.go"));
        let edit = delete_statement(&p, &source, stmt.unwrap())?;
        Some(crate::apply::splice(src, vec![&edit]))
    };
    assert_eq!(
        del("package a\n\nfunc f() {\n\tx := 1\n\tg()\n}\n").unwrap(),
        "package a\n\nfunc f() {\n\tg()\n}\n"
    );
    assert_eq!(
        del("package a\n\nfunc f() {\n\tx := 1\n\n\tg()\n}\n").unwrap(),
        "package a\n\nfunc f() {\n\tg()\n}\n"
    );
    assert_eq!(
        del("package a\n\nfunc f() {\n\tg()\n\n\tx := 1\n\n\th()\n}\n").unwrap(),
        "package a\n\nfunc f() {\n\tg()\n\n\th()\n}\n"
    );
    assert_eq!(del("package a\n\nfunc f() {\n\tx := 1; g()\n}\n"), None);
    assert_eq!(
        del("package a\n\nfunc f() {\n\tx := 1 // one\n\tg()\n}\n").unwrap(),
        "package a\n\nfunc f() {\n\tg()\n}\n"
    );
}

fn realigned(src: &str, edits: Vec<Edit>) -> String {
    let source = SourceText::new(src.to_string());
    let p: Arc<Path> = Arc::from(Path::new("a.go"));
    let mut all = edits.clone();
    all.extend(realign_trailing_comments(&p, &source, &edits));
    crate::apply::splice(src, all.iter().collect())
}

#[test]
fn trailing_comments_stay_aligned() {
    let p: Arc<Path> = Arc::from(Path::new("a.go"));
    // Deleting the widest line of a run.
    let src = "package a\n\nfunc f() {\n\tctx := context.Background() // shared\n\tgo g()                      // leak\n\tx := 1                      // x\n}\n";
    let at = src.find("\tctx").unwrap();
    let end = src.find("\tgo").unwrap();
    assert_eq!(
        realigned(src, vec![Edit::deletion(p.clone(), at..end)]),
        "package a\n\nfunc f() {\n\tgo g() // leak\n\tx := 1 // x\n}\n"
    );
    // Making one line longer.
    let src =
        "package a\n\nfunc f() {\n\twatch(a) // one\n\tx := 12 // two\n\ty := \"//\" // three\n}\n";
    let at = src.find("watch(").unwrap() + 6;
    assert_eq!(
        realigned(src, vec![Edit::insertion(p.clone(), at, "ctx, ")]),
        "package a\n\nfunc f() {\n\twatch(ctx, a) // one\n\tx := 12       // two\n\ty := \"//\"     // three\n}\n"
    );
    // A different indentation and a closing line are runs of their own.
    let src = "package a\n\nfunc f() {\n\tx := 1 // a\n\tif x > 0 { // b\n\t\tg(x) // c\n\t}\n}\n";
    let at = src.find("g(x)").unwrap() + 2;
    assert_eq!(
        realigned(src, vec![Edit::insertion(p.clone(), at, "ctx, ")]),
        "package a\n\nfunc f() {\n\tx := 1     // a\n\tif x > 0 { // b\n\t\tg(ctx, x) // c\n\t}\n}\n"
    );
}

/// What the realignment writes, gofmt leaves alone.
#[test]
fn realigned_comments_are_gofmt_clean() {
    let Ok(_) = std::process::Command::new("gofmt").arg("-h").output() else {
        if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
            panic!("gofmt is required in CI");
        }
        eprintln!("SKIPPED: gofmt not on PATH");
        return;
    };
    let p: Arc<Path> = Arc::from(Path::new("a.go"));
    let src = "package a\n\nfunc g(xs ...int) {}\n\nfunc f() {\n\tx := 1     // a\n\tif x > 0 { // b\n\t\tg(x)    // c\n\t\tg(1, 2) // d\n\t}\n\tw := 123456789 // wide\n\ty := \"//\"      // e\n\tz := 'x'       // f\n\t_, _ = y, z\n}\n";
    let line = |needle: &str| {
        let start = src.find(needle).unwrap();
        start..start + src[start..].find('\n').unwrap() + 1
    };
    for edit in [
        Edit::insertion(p.clone(), src.find("g(x)").unwrap() + 2, "3, "),
        Edit::insertion(p.clone(), src.find("g(1, 2)").unwrap() + 2, "4, 5, 6, "),
        Edit::deletion(p.clone(), line("\tw := ")),
        Edit::insertion(p.clone(), src.find("\ty := ").unwrap(), "\tg()\n"),
    ] {
        let new = realigned(src, vec![edit]);
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.go");
        std::fs::write(&f, &new).unwrap();
        let out = std::process::Command::new("gofmt")
            .arg("-d")
            .arg(&f)
            .output()
            .unwrap();
        assert!(
            out.stdout.is_empty(),
            "not gofmt-clean:\n{new}\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
fn into_the_std_group_sorted() {
    let src =
        "package a\n\nimport (\n\t\"context\"\n\t\"fmt\"\n\n\t\"cloud.google.com/go/storage\"\n)\n";
    assert_eq!(
        add(src, "sync", "sync").unwrap(),
        "package a\n\nimport (\n\t\"context\"\n\t\"fmt\"\n\t\"sync\"\n\n\t\"cloud.google.com/go/storage\"\n)\n"
    );
    assert_eq!(
        add(src, "errors", "errors").unwrap(),
        "package a\n\nimport (\n\t\"context\"\n\t\"errors\"\n\t\"fmt\"\n\n\t\"cloud.google.com/go/storage\"\n)\n"
    );
}

#[test]
fn present_and_clashing() {
    let src = "package a\n\nimport (\n\tctx \"context\"\n\t\"sync\"\n)\n";
    assert_eq!(add(src, "context", "context").unwrap(), "present as ctx");
    assert_eq!(add(src, "sync", "sync").unwrap(), "present as sync");
    let clash = "package a\n\nimport (\n\tsync \"example.com/mysync\"\n)\n";
    assert_eq!(add(clash, "sync", "sync"), None);
}

#[test]
fn single_import_becomes_a_block() {
    assert_eq!(
        add("package a\n\nimport \"fmt\"\n", "sync", "sync").unwrap(),
        "package a\n\nimport (\n\t\"fmt\"\n\t\"sync\"\n)\n"
    );
    assert_eq!(
        add(
            "package a\n\nimport \"cloud.google.com/go/storage\"\n",
            "sync",
            "sync"
        )
        .unwrap(),
        "package a\n\nimport (\n\t\"sync\"\n\n\t\"cloud.google.com/go/storage\"\n)\n"
    );
}

#[test]
fn no_imports_yet() {
    assert_eq!(
        add("package a\n\nfunc f() {}\n", "sync", "sync").unwrap(),
        "package a\n\nimport \"sync\"\n\nfunc f() {}\n"
    );
}

#[test]
fn no_std_group() {
    let src = "package a\n\nimport (\n\t\"cloud.google.com/go/storage\"\n)\n";
    assert_eq!(
        add(src, "sync", "sync").unwrap(),
        "package a\n\nimport (\n\t\"sync\"\n\n\t\"cloud.google.com/go/storage\"\n)\n"
    );
}

/// Whatever the helper writes, gofmt leaves alone.
#[test]
fn output_is_gofmt_clean() {
    let Ok(_) = std::process::Command::new("gofmt").arg("-h").output() else {
        if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
            panic!("gofmt is required in CI");
        }
        eprintln!("SKIPPED: gofmt not on PATH");
        return;
    };
    for (src, path) in [
        (
            "package a\n\nimport (\n\t\"context\"\n\t\"fmt\"\n\n\t\"cloud.google.com/go/storage\"\n)\n",
            "sync",
        ),
        ("package a\n\nimport \"fmt\"\n", "sync"),
        (
            "package a\n\nimport \"cloud.google.com/go/storage\"\n",
            "context",
        ),
        ("package a\n\nfunc f() {}\n", "sync"),
        (
            "package a\n\nimport (\n\t\"cloud.google.com/go/storage\"\n)\n",
            "sync",
        ),
    ] {
        let new = add(src, path, path).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.go");
        std::fs::write(&f, &new).unwrap();
        let out = std::process::Command::new("gofmt")
            .arg("-l")
            .arg(&f)
            .output()
            .unwrap();
        assert!(out.stdout.is_empty(), "not gofmt-clean:\n{new}");
    }
}

fn edit_imports(src: &str, add: &[(&str, &str)], remove: &[&str]) -> Option<String> {
    let source = SourceText::new(src.to_string());
    let p: Arc<Path> = Arc::from(Path::new("a.go"));
    let (edits, _) = import_edits(&p, &source, add, remove)?;
    Some(crate::apply::splice(src, edits.iter().collect()))
}

#[test]
fn imports_added_and_removed_together() {
    let src = "package a\n\nimport (\n\t\"context\"\n\t\"fmt\"\n\n\t\"cloud.google.com/go/firestore\"\n\t\"cloud.google.com/go/storage\"\n)\n";
    assert_eq!(
        edit_imports(
            src,
            &[("sync", "sync"), ("sync/atomic", "atomic")],
            &["cloud.google.com/go/storage"]
        )
        .unwrap(),
        "package a\n\nimport (\n\t\"context\"\n\t\"fmt\"\n\t\"sync\"\n\t\"sync/atomic\"\n\n\t\"cloud.google.com/go/firestore\"\n)\n"
    );
}

#[test]
fn a_group_left_empty_loses_its_blank_line() {
    let src =
        "package a\n\nimport (\n\t\"fmt\"\n\n\t\"cloud.google.com/go/firestore\"\n)\n\nvar x = 1\n";
    assert_eq!(
        edit_imports(src, &[], &["cloud.google.com/go/firestore"]).unwrap(),
        "package a\n\nimport (\n\t\"fmt\"\n)\n\nvar x = 1\n"
    );
    let first = "package a\n\nimport (\n\t\"context\"\n\n\t\"cloud.google.com/go/firestore\"\n)\n";
    assert_eq!(
        edit_imports(first, &[], &["context"]).unwrap(),
        "package a\n\nimport (\n\t\"cloud.google.com/go/firestore\"\n)\n"
    );
    let middle =
        "package a\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/x\"\n\n\t\"example.com/y\"\n)\n";
    assert_eq!(
        edit_imports(middle, &[], &["example.com/x"]).unwrap(),
        "package a\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/y\"\n)\n"
    );
}

#[test]
fn the_last_import_takes_its_declaration_along() {
    assert_eq!(
        edit_imports("package a\n\nimport \"fmt\"\n\nvar x = 1\n", &[], &["fmt"]).unwrap(),
        "package a\n\nvar x = 1\n"
    );
    assert_eq!(
        edit_imports(
            "package a\n\nimport (\n\t\"fmt\"\n)\n\nvar x = 1\n",
            &[],
            &["fmt"]
        )
        .unwrap(),
        "package a\n\nvar x = 1\n"
    );
    // `_` imports stay: they are there for their effects.
    assert!(edit_imports("package a\n\nimport _ \"embed\"\n", &[], &["embed"]).is_none());
}

#[test]
fn deleting_lines_keeps_one_blank_line() {
    let p: Arc<Path> = Arc::from(Path::new("a.go"));
    let src = "func f() {\n\ta()\n\n\tdefer c.Close()\n\n\tb()\n}\n";
    let source = SourceText::new(src.to_string());
    let at = src.find("defer").unwrap();
    let lines = full_lines(&source, at..at + 15).unwrap();
    let e = delete_lines(&p, &source, lines);
    assert_eq!(
        crate::apply::splice(src, vec![&e]),
        "func f() {\n\ta()\n\n\tb()\n}\n"
    );
    let tail = "func f() {\n\ta()\n\n\tdefer c.Close()\n}\n";
    let source = SourceText::new(tail.to_string());
    let at = tail.find("defer").unwrap();
    let e = delete_lines(&p, &source, full_lines(&source, at..at + 15).unwrap());
    assert_eq!(
        crate::apply::splice(tail, vec![&e]),
        "func f() {\n\ta()\n}\n"
    );
    // Code sharing the line: not whole lines.
    let shared = "func f() { defer c.Close() }\n";
    let source = SourceText::new(shared.to_string());
    assert!(full_lines(&source, 11..26).is_none());
}

#[test]
fn comments_above_go_with_their_statement() {
    let src = "func f() {\n\ta()\n\t// Close when done.\n\tdefer c.Close()\n}\n";
    let source = SourceText::new(src.to_string());
    let at = src.find("defer").unwrap();
    let lines = with_comments_above(&source, full_lines(&source, at..at + 15).unwrap());
    assert_eq!(&src[lines], "\t// Close when done.\n\tdefer c.Close()\n");
}

#[test]
fn reindenting() {
    assert_eq!(
        reindent("f(&O{\n\t\t\tA: 1,\n\n\t\t})", "\t\t", "\t").unwrap(),
        "f(&O{\n\t\tA: 1,\n\n\t})"
    );
    assert!(reindent("f(`\nraw`)", "\t", "").is_none());
}

#[test]
fn rendering_with_substitutions_and_tokens() {
    let src = "package a\n\nvar x = f(ctx,  a+b) // c\n";
    let (tree, _) = Language::Go.parse(src);
    let at = src.find("f(").unwrap();
    let call = tree
        .root_node()
        .descendant_for_byte_range(at, at + 1)
        .unwrap()
        .parent()
        .unwrap();
    assert_eq!(call.kind(), "call_expression");
    let out = render(call, src, &mut |n| {
        (text(n, src) == "ctx").then(|| "context.Background()".to_string())
    });
    assert_eq!(out, "f(context.Background(),  a+b)");
    assert_eq!(tokens(call, src, &mut |_| None), "f ( ctx , a + b )");
}

/// What the import helpers write, gofmt leaves alone.
#[test]
fn import_edits_are_gofmt_clean() {
    if std::process::Command::new("gofmt")
        .arg("-h")
        .output()
        .is_err()
    {
        if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
            panic!("gofmt is required in CI");
        }
        eprintln!("SKIPPED: gofmt not on PATH");
        return;
    }
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a [&'a str]);
    let cases: [Case; 4] = [
        (
            "package a\n\nimport (\n\t\"fmt\"\n\n\t\"cloud.google.com/go/firestore\"\n)\n\nvar _ = fmt.Sprint\n",
            &[("sync", "sync")],
            &["cloud.google.com/go/firestore"],
        ),
        (
            "package a\n\nimport \"cloud.google.com/go/firestore\"\n\nvar _ = firestore.X\n",
            &[("sync", "sync"), ("context", "context")],
            &[],
        ),
        (
            "package a\n\nimport (\n\t\"context\"\n\n\t\"example.com/x\"\n\n\t\"example.com/y\"\n)\n",
            &[],
            &["example.com/x", "context"],
        ),
        (
            "package a\n\nfunc f() {}\n",
            &[("sync", "sync"), ("sync/atomic", "atomic")],
            &[],
        ),
    ];
    for (src, add, remove) in cases {
        let new = edit_imports(src, add, remove).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.go");
        std::fs::write(&f, &new).unwrap();
        let out = std::process::Command::new("gofmt")
            .arg("-l")
            .arg(&f)
            .output()
            .unwrap();
        assert!(out.stdout.is_empty(), "not gofmt-clean:\n{new}");
    }
}
