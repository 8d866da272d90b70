//! What the fixed service must do at run time. These tests fail on the
//! leaky code (before `leakfix fix --unsafe`) and pass after it. Counters
//! (clients built, zombie children) are process-wide, so the tests take
//! turns (`serial`) and measure differences.

use std::sync::{Mutex, MutexGuard};

use svc::*;

fn req(path: &str) -> Request {
    Request {
        path: path.into(),
        token: "tok".into(),
    }
}

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn handlers_share_one_client() {
    let _s = serial();
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
        fetch("/page").unwrap();
    }
    assert!(
        reqwest::constructed() - before <= 1,
        "one client for status and fetch"
    );

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
fn loops_build_their_client_once() {
    let _s = serial();
    let before = reqwest::constructed();
    crawl("bot", &["/a", "/b", "/c", "/d", "/e"]).unwrap();
    crawl("bot", &["/a", "/b", "/c"]).unwrap();
    assert_eq!(
        reqwest::constructed() - before,
        2,
        "one client per crawl, not per page"
    );
}

#[test]
fn caller_specific_clients_are_untouched() {
    let _s = serial();
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
}

#[test]
fn convenience_functions_share_one_client() {
    let _s = serial();
    let before = reqwest::constructed();
    for i in 0..200 {
        tokio::runtime::block_on(profile(req(&format!("/{i}")))).unwrap();
    }
    assert!(
        reqwest::constructed() - before <= 1,
        "one client for 200 profiles"
    );
    let before = reqwest::constructed();
    for _ in 0..20 {
        mirror(&["/a", "/b", "/c"]).unwrap();
    }
    assert!(
        reqwest::constructed() - before <= 1,
        "one client for 60 pages"
    );
}

#[test]
fn split_builders_and_struct_literals_share_one_client() {
    let _s = serial();
    let before = reqwest::constructed();
    for _ in 0..200 {
        submit(&req("/order")).unwrap();
    }
    assert!(
        reqwest::constructed() - before <= 1,
        "one client for submit"
    );
    let before = reqwest::constructed();
    for _ in 0..200 {
        pay(&req("/order")).unwrap();
    }
    assert!(reqwest::constructed() - before <= 1, "one client for pay");
}

#[test]
fn the_existing_shared_client_is_reused() {
    let _s = serial();
    ping::shared();
    let before = reqwest::constructed();
    for _ in 0..200 {
        assert_eq!(ping::ping(&req("/health")), 200);
    }
    assert_eq!(
        reqwest::constructed() - before,
        0,
        "ping reuses the shared client"
    );
}

#[test]
fn hyper_clients_are_shared() {
    let _s = serial();
    let before = hyper::constructed();
    for _ in 0..200 {
        assert_eq!(tokio::runtime::block_on(forward(req("/x"))), 200);
    }
    assert!(hyper::constructed() - before <= 1, "one hyper client");
}

#[test]
fn modules_with_a_result_alias_share_too() {
    let _s = serial();
    let before = reqwest::constructed();
    for _ in 0..100 {
        api::fetch(&req("/a")).unwrap();
        api::v2::fetch(&req("/b")).unwrap();
    }
    assert!(reqwest::constructed() - before <= 2);
}

#[test]
fn a_type_owning_its_runtime_keeps_one_client_per_instance() {
    let _s = serial();
    let before = reqwest::constructed();
    let a = BlockingApi::new("http://a").unwrap();
    let b = BlockingApi::new("http://b").unwrap();
    for _ in 0..100 {
        a.fetch("/x").unwrap();
        b.fetch("/y").unwrap();
    }
    assert_eq!(
        reqwest::constructed() - before,
        2,
        "one client per BlockingApi"
    );
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

#[test]
fn write_errors_surface_on_early_returns() {
    let err = export_until(
        std::path::Path::new("/dev/full"),
        &["a", "b", "stop"],
        "stop",
    );
    assert!(
        err.is_err(),
        "the rows written before the early return must fail on /dev/full"
    );
    let dir = std::env::temp_dir().join(format!("svc-until-{}", std::process::id()));
    assert_eq!(export_until(&dir, &["a", "stop", "c"], "stop").unwrap(), 1);
    assert_eq!(std::fs::read_to_string(&dir).unwrap(), "a\n");
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

/// Runs `spawn` 20 times and counts the zombies it leaves.
fn zombies_after(spawn: impl Fn(usize)) -> usize {
    let _s = serial();
    let before = zombies();
    for i in 0..20 {
        spawn(i);
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    zombies().saturating_sub(before)
}

#[test]
fn children_are_reaped() {
    let left = zombies_after(|_| {
        run_hook("true").unwrap();
        tokio::runtime::block_on(run_hook_async("true")).unwrap();
    });
    assert_eq!(left, 0, "no zombie children");
}

#[test]
fn children_of_a_successful_spawn_are_reaped() {
    assert_eq!(
        zombies_after(|_| start_hook("true")),
        0,
        "if let Err(e) = spawn()"
    );
    assert_eq!(
        zombies_after(|_| launch("true").unwrap()),
        0,
        "spawn().map(|_| ())"
    );
}

#[test]
fn children_from_branches_and_early_returns_are_reaped() {
    let left = zombies_after(|i| {
        run_either("true", i % 2 == 0).unwrap();
    });
    assert_eq!(left, 0, "a child from an if/else");
    let left = zombies_after(|i| deploy("true", i % 2 == 0).unwrap());
    assert_eq!(left, 0, "a child before an early return");
}
