//! What the fixed app must do at run time. These tests fail on the leaky
//! code (before `leakfix fix --unsafe`) and pass after it. Counters (live
//! tasks, zombie children) are process-wide, so the tests take turns.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use desk::*;

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
  SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn tasks_stop_when_their_owners_are_dropped() {
  let _s = serial();
  let before = tokio::runtime::live_tasks();
  for _ in 0..20 {
    let cache = Cache::new();
    let poller = Poller::start("http://status");
    let deadline = Instant::now() + Duration::from_secs(5);
    while (cache.refreshes() == 0 || poller.polls() == 0) && Instant::now() < deadline {
      std::thread::sleep(Duration::from_millis(1));
    }
    assert!(cache.refreshes() > 0, "the cache refreshes while it lives");
    assert!(poller.polls() > 0, "the poller polls while it lives");
    assert_eq!(poller.url(), "http://status");
  }
  // Aborted tasks stop at their next poll.
  let deadline = Instant::now() + Duration::from_secs(2);
  while tokio::runtime::live_tasks() > before && Instant::now() < deadline {
    std::thread::sleep(Duration::from_millis(5));
  }
  assert_eq!(
    tokio::runtime::live_tasks() - before,
    0,
    "no task outlives the Cache or Poller that started it"
  );
}

fn zombies() -> usize {
  let me = std::process::id().to_string();
  let mut n = 0;
  for e in std::fs::read_dir("/proc").unwrap().flatten() {
    let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
      continue;
    };
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
fn the_launcher_reaps_in_the_background() {
  let _s = serial();
  let before = zombies();
  let launcher = Launcher {
    program: "sleep".into(),
  };
  let started = Instant::now();
  for _ in 0..10 {
    launcher.open("0.3").unwrap();
    launcher.on_event(Event::KeyPressed('0'));
  }
  // Waiting for each child would take 3 s.
  assert!(
    started.elapsed() < Duration::from_millis(2000),
    "opening must not wait for the program: {:?}",
    started.elapsed()
  );
  // The children end after 0.3 s; reaped, they leave no zombies.
  std::thread::sleep(Duration::from_millis(400));
  let deadline = Instant::now() + Duration::from_secs(3);
  while zombies() > before && Instant::now() < deadline {
    std::thread::sleep(Duration::from_millis(20));
  }
  assert_eq!(zombies().saturating_sub(before), 0, "no zombie children");
}
