//! What the fixed service must do at run time. These tests fail on the
//! leaky code (before `leakfix fix --unsafe`) and pass after it.

use svc::*;

fn req(path: &str) -> Request {
    Request {
        path: path.into(),
        token: "tok".into(),
    }
}

// The counters are process-wide: one test function keeps the counts exact.
#[test]
fn clients_are_shared_and_caller_specific_ones_are_not() {
    let before = reqwest::constructed();
    for i in 0..200 {
        handle(&req(&format!("/users/{i}"))).unwrap();
    }
    assert_eq!(
        reqwest::constructed() - before,
        1,
        "one client for 200 handled requests"
    );

    let before = reqwest::constructed();
    for _ in 0..200 {
        assert_eq!(status(&req("/health")), 200);
    }
    assert!(
        reqwest::constructed() - before <= 1,
        "one client for 200 status requests"
    );

    let before = reqwest::constructed();
    for i in 0..200 {
        fetch(&format!("/page/{i}")).unwrap();
    }
    assert!(reqwest::constructed() - before <= 1, "one client for 200 fetches");

    let before = reqwest::constructed();
    crawl("bot", &["/a", "/b", "/c", "/d", "/e"]).unwrap();
    crawl("bot", &["/a", "/b", "/c"]).unwrap();
    assert_eq!(
        reqwest::constructed() - before,
        2,
        "one client per crawl, not per page"
    );

    // The caller-specific client is untouched: one per call, errors intact.
    let before = reqwest::constructed();
    for _ in 0..3 {
        handle_as(&req("/me")).unwrap();
    }
    assert_eq!(reqwest::constructed() - before, 3);
    let err = handle_as(&Request {
        path: "/me".into(),
        token: String::new(),
    })
    .unwrap_err();
    assert!(err.to_string().contains("empty user agent"), "{err}");
    let err = crawl("", &["/a"]).unwrap_err();
    assert!(err.to_string().contains("empty user agent"), "{err}");

    let before = redis::constructed();
    for _ in 0..200 {
        cached(&req("k")).unwrap();
    }
    assert_eq!(redis::constructed() - before, 1);

    let before = mongodb::constructed();
    for _ in 0..200 {
        tokio::runtime::block_on(lookup(req("db"))).unwrap();
    }
    assert_eq!(mongodb::constructed() - before, 1);
}

#[test]
fn write_errors_surface() {
    let err = export(std::path::Path::new("/dev/full"), &["a", "b"]);
    assert!(
        err.is_err(),
        "writing to /dev/full must fail, not look like success"
    );
    let dir = std::env::temp_dir().join(format!("svc-export-{}", std::process::id()));
    export(&dir, &["a", "b"]).unwrap();
    assert_eq!(std::fs::read_to_string(&dir).unwrap(), "a\nb\n");
    let _ = std::fs::remove_file(dir);
}

fn zombies() -> usize {
    let me = std::process::id().to_string();
    let mut n = 0;
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid ...: comm may contain spaces, so split after ')'.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.len() > 1 && fields[0] == "Z" && fields[1] == me {
            n += 1;
        }
    }
    n
}

#[test]
fn children_are_reaped() {
    for _ in 0..20 {
        run_hook("true").unwrap();
        tokio::runtime::block_on(run_hook_async("true")).unwrap();
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(zombies(), 0, "no zombie children");
}
