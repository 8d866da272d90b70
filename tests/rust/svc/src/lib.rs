//! A small service with the lifecycle bugs leakfix fixes.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use reqwest::blocking::Client;

pub struct Request {
    pub path: String,
    pub token: String,
}

/// Runs per request: builds a client (and its pool) every time.
pub fn handle(req: &Request) -> Result<usize, reqwest::Error> {
    let client = Client::builder().timeout(Duration::from_secs(5)).build()?;
    let body = client
        .get(format!("http://backend{}", req.path))
        .send()?
        .text()?;
    Ok(body.len())
}

/// Not a handler, but called once per page fetched.
pub fn fetch(url: &str) -> Result<String, reqwest::Error> {
    let client = Client::new();
    client.get(url).send()?.text()
}

/// Runs per request, with an infallible constructor.
pub fn status(req: &Request) -> u16 {
    let client = Client::new();
    client
        .get(&req.path)
        .send()
        .map(|r| r.status())
        .unwrap_or(0)
}

/// A client for this caller only: its user agent is the caller's token.
pub fn handle_as(req: &Request) -> Result<usize, reqwest::Error> {
    let client = Client::builder().user_agent(req.token.clone()).build()?;
    let body = client.get(&req.path).send()?.text()?;
    Ok(body.len())
}

/// One client per page instead of one per crawl.
pub fn crawl(agent: &str, paths: &[&str]) -> Result<usize, reqwest::Error> {
    let mut total = 0;
    for p in paths {
        let client = Client::builder().user_agent(agent).build()?;
        total += client.get(*p).send()?.text()?.len();
    }
    Ok(total)
}

/// Per request, a fallible redis client.
pub fn cached(req: &Request) -> Result<String, redis::RedisError> {
    let cache = redis::Client::open("redis://cache.internal/")?;
    cache.get(&req.path)
}

/// Per request, an async constructor.
pub async fn lookup(req: Request) -> Result<String, mongodb::error::Error> {
    let db = mongodb::Client::with_uri_str("mongodb://db.internal/").await?;
    Ok(db.database(&req.path))
}

/// Writes a report; the last write error is lost when the writer is dropped.
pub fn export(path: &Path, rows: &[&str]) -> io::Result<()> {
    let mut w = BufWriter::new(File::create(path)?);
    for r in rows {
        writeln!(w, "{r}")?;
    }
    Ok(())
}

/// Starts a hook and forgets it: the exited child stays a zombie.
pub fn run_hook(program: &str) -> io::Result<u32> {
    let child = Command::new(program).spawn()?;
    Ok(child.id())
}

/// The same with tokio.
pub async fn run_hook_async(program: &str) -> io::Result<Option<u32>> {
    let child = tokio::process::Command::new(program).spawn()?;
    Ok(child.id())
}
