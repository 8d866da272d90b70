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

/// Per request: `reqwest::get` builds a client for every call.
pub async fn profile(req: Request) -> Result<String, reqwest::Error> {
    let resp = reqwest::get(format!("http://users{}", req.path)).await?;
    resp.text().await
}

/// Per page: `reqwest::blocking::get` builds a client for every page.
pub fn mirror(pages: &[&str]) -> Result<usize, reqwest::Error> {
    let mut total = 0;
    for page in pages {
        total += reqwest::blocking::get(*page)?.text()?.len();
    }
    Ok(total)
}

/// Per request, a builder configured over several statements.
pub fn submit(req: &Request) -> Result<usize, reqwest::Error> {
    let mut builder = Client::builder();
    builder = builder.timeout(Duration::from_secs(3));
    builder = builder.user_agent("orders/1.0");
    let client = builder.build()?;
    Ok(client.get(&req.path).send()?.text()?.len())
}

struct Gateway {
    http: Client,
    base: &'static str,
}

impl Gateway {
    fn charge(&self, id: &str) -> Result<String, reqwest::Error> {
        self.http.get(format!("{}/{id}", self.base)).send()?.text()
    }
}

/// Per request, a client inside a struct literal.
pub fn pay(req: &Request) -> Result<String, reqwest::Error> {
    let gateway = Gateway {
        http: Client::new(),
        base: "http://payments",
    };
    gateway.charge(&req.path)
}

pub mod ping {
    use reqwest::blocking::Client;

    use crate::Request;

    static SHARED: once_cell::sync::OnceCell<Client> = once_cell::sync::OnceCell::new();

    /// The module's own shared client.
    pub fn shared() -> &'static Client {
        SHARED.get_or_init(Client::new)
    }

    /// Per request, a client built the way the shared one is.
    pub fn ping(req: &Request) -> u16 {
        let client = Client::new();
        client
            .get(&req.path)
            .send()
            .map(|r| r.status())
            .unwrap_or(0)
    }
}

/// Per request, hyper's legacy client.
pub async fn forward(req: Request) -> u16 {
    let client = hyper::Client::new();
    match client.get(&req.path).await {
        Ok(resp) => resp.status(),
        Err(_) => 0,
    }
}

pub mod api {
    use std::time::Duration;

    use crate::Request;

    #[derive(Debug)]
    pub enum Error {
        Http(reqwest::Error),
    }

    impl From<reqwest::Error> for Error {
        fn from(e: reqwest::Error) -> Error {
            Error::Http(e)
        }
    }

    /// The module's `Result`: generated signatures must not use it by accident.
    pub type Result<T> = std::result::Result<T, Error>;

    /// Per request, in a module where `Result` is an alias.
    pub fn fetch(req: &Request) -> Result<String> {
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(9))
            .build()?;
        Ok(client.get(&req.path).send()?.text()?)
    }

    pub mod v2 {
        use std::time::Duration;

        use super::Result;
        use crate::Request;

        /// Per request, where `Result` is imported from the parent.
        pub fn fetch(req: &Request) -> Result<String> {
            let client = reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(7))
                .build()?;
            Ok(client.get(&req.path).send()?.text()?)
        }
    }
}

/// A blocking wrapper that owns its own runtime.
pub struct BlockingApi {
    rt: tokio::runtime::Runtime,
    base: String,
}

impl BlockingApi {
    pub fn new(base: &str) -> io::Result<BlockingApi> {
        Ok(BlockingApi {
            rt: tokio::runtime::Runtime::new()?,
            base: base.to_string(),
        })
    }

    pub fn fetch(&self, path: &str) -> Result<String, reqwest::Error> {
        let url = format!("{}{path}", self.base);
        self.rt.block_on(async {
            let client = reqwest::Client::new();
            client.get(url).send().await?.text().await
        })
    }
}

#[derive(Debug)]
pub enum ExportError {
    Io(io::Error),
    Empty,
}

impl From<io::Error> for ExportError {
    fn from(e: io::Error) -> ExportError {
        ExportError::Io(e)
    }
}

/// Writes rows up to `stop`; the early return loses the last write's error.
pub fn export_until(path: &Path, rows: &[&str], stop: &str) -> Result<usize, ExportError> {
    if rows.is_empty() {
        return Err(ExportError::Empty);
    }
    let mut w = BufWriter::new(File::create(path)?);
    for (i, r) in rows.iter().enumerate() {
        if *r == stop {
            return Ok(i);
        }
        writeln!(w, "{r}")?;
    }
    Ok(rows.len())
}

/// Starts a hook; the child of a successful spawn is dropped.
pub fn start_hook(program: &str) {
    if let Err(e) = Command::new(program).spawn() {
        eprintln!("cannot start {program}: {e}");
    }
}

/// Starts a program and reports only whether it started.
pub fn launch(program: &str) -> io::Result<()> {
    Command::new(program).spawn().map(|_| ())
}

/// Either of two commands; the child is dropped.
pub fn run_either(program: &str, quiet: bool) -> io::Result<u32> {
    let child = if quiet {
        Command::new(program).arg("-q").spawn()?
    } else {
        Command::new(program).spawn()?
    };
    Ok(child.id())
}

/// Returns early without waiting.
pub fn deploy(program: &str, dry_run: bool) -> io::Result<()> {
    let child = Command::new(program).spawn()?;
    if dry_run {
        return Ok(());
    }
    println!("deploying with {}", child.id());
    Ok(())
}
