//! A crate with its own one-parameter `Result`, whose error converts from
//! `std::io::Error` only with the `io-errors` feature (off by default).
//! The accessor leakfix writes for the per-call client names
//! `std::result::Result` and compiles; the writer's `w.flush()?` needs the
//! conversion and does not, unless the feature is on.

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

#[cfg(feature = "io-errors")]
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
    let mut w = BufWriter::new(File::create(path).map_err(Error::Io)?);
    for r in rows {
        writeln!(w, "{r}").map_err(Error::Io)?;
    }
    Ok(())
}
