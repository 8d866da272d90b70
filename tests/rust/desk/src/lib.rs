//! A desktop app's background parts: a cache that refreshes itself, a poller,
//! and a launcher that opens files from the event loop.

use std::io;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub use winit::Event;

#[derive(Default)]
pub struct Stats {
  refreshes: AtomicU64,
}

/// Refreshes itself every few milliseconds, for as long as it lives.
pub struct Cache {
  stats: Arc<Stats>,
}

impl Cache {
  pub fn new() -> Self {
    let stats = Arc::new(Stats::default());
    let bg = stats.clone();
    tokio::spawn(async move {
      let mut tick = tokio::time::interval(Duration::from_millis(2));
      loop {
        tick.tick().await;
        bg.refreshes.fetch_add(1, Ordering::Relaxed);
      }
    });
    Self { stats }
  }

  pub fn refreshes(&self) -> u64 {
    self.stats.refreshes.load(Ordering::Relaxed)
  }
}

impl Default for Cache {
  fn default() -> Self {
    Cache::new()
  }
}

/// Polls a server for as long as it lives.
pub struct Poller {
  url: String,
  polls: Arc<AtomicU64>,
}

impl Poller {
  pub fn start(url: &str) -> Poller {
    let polls = Arc::new(AtomicU64::new(0));
    let _ = tokio::spawn(poll_forever(polls.clone()));
    Poller {
      url: url.to_string(),
      polls,
    }
  }

  pub fn url(&self) -> &str {
    &self.url
  }

  pub fn polls(&self) -> u64 {
    self.polls.load(Ordering::Relaxed)
  }
}

async fn poll_forever(polls: Arc<AtomicU64>) {
  loop {
    tokio::time::sleep(Duration::from_millis(2)).await;
    polls.fetch_add(1, Ordering::Relaxed);
  }
}

/// Opens files with another program, from the window's event handlers.
pub struct Launcher {
  pub program: String,
}

impl Launcher {
  pub fn open(&self, path: &str) -> io::Result<()> {
    let child = Command::new(&self.program).arg(path).spawn()?;
    eprintln!("opened {path} with {}", child.id());
    Ok(())
  }

  pub fn on_event(&self, event: Event) {
    let Event::KeyPressed(key) = event;
    if let Err(e) = Command::new(&self.program).arg(key.to_string()).spawn() {
      eprintln!("cannot open {key}: {e}");
    }
  }
}
