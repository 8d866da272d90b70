//! A crate with its own one-parameter `Result`: the accessor leakfix writes
//! for a per-call client returns `Result<Client, reqwest::Error>`, which
//! names this alias, not `std::result::Result`, and does not compile. The
//! writer's flush compiles.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use reqwest::blocking::Client;

#[derive(Debug)]
pub enum Error {
    Http(reqwest::Error),
    Io(std::io::Error),
}

impl From<reqwest::Error> for Error {
    fn from(e: reqwest::Error) -> Self {
        Error::Http(e)
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}

pub type Result<T> = std::result::Result<T, Error>;

pub struct Request {
    pub path: String,
}

/// Runs per request: builds a client (and its pool) every time.
pub fn handle(req: &Request) -> Result<usize> {
    let client = Client::builder().build()?;
    let body = client.get(&req.path).send()?.text()?;
    Ok(body.len())
}

/// Writes the rows; the last write error is lost when the writer is dropped.
pub fn export(path: &Path, rows: &[&str]) -> Result<()> {
    let mut w = BufWriter::new(File::create(path)?);
    for r in rows {
        writeln!(w, "{r}")?;
    }
    Ok(())
}
