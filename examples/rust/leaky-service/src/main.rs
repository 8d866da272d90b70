//! A small service with the lifecycle bugs leakfix finds. Try:
//!
//!     leakfix check examples/
//!     leakfix check --unsafe --format diff examples/

use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::Command;
use std::time::Duration;

use axum::extract::Path;
use axum::routing::get;
use axum::Router;
use serde_json::Value;

/// A new client, and so a new connection pool, for every request.
async fn profile(Path(user): Path<String>) -> Result<String, String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| e.to_string())?;
    let url = format!("http://users.internal/{user}");
    let body: Value = client
        .get(url)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    Ok(body.to_string())
}

/// A redis client per request.
async fn cached(Path(key): Path<String>) -> Result<String, String> {
    let cache = redis::Client::open("redis://cache.internal/").map_err(|e| e.to_string())?;
    let mut conn = cache.get_connection().map_err(|e| e.to_string())?;
    redis::cmd("GET")
        .arg(&key)
        .query(&mut conn)
        .map_err(|e| e.to_string())
}

/// Writes an export; a full disk at the last write goes unnoticed.
fn export(path: &str, rows: &[(u32, &str)]) -> std::io::Result<()> {
    let mut w = BufWriter::new(File::create(path)?);
    for (id, name) in rows {
        writeln!(w, "{id},{name}")?;
    }
    Ok(())
}

/// Starts a hook and never waits: every run leaves a zombie process.
fn run_hook(script: &str) -> std::io::Result<()> {
    let child = Command::new(script).spawn()?;
    println!("hook started as {}", child.id());
    Ok(())
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    export("/tmp/users.csv", &[(1, "ada")])?;
    run_hook("/usr/local/bin/on-start")?;
    let app = Router::new()
        .route("/profile/{user}", get(profile))
        .route("/cache/{key}", get(cached));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    axum::serve(listener, app).await
}
