//! Stand-in for redis: clients count their constructions.

use std::sync::atomic::{AtomicUsize, Ordering};

static CONSTRUCTED: AtomicUsize = AtomicUsize::new(0);

pub fn constructed() -> usize {
    CONSTRUCTED.load(Ordering::SeqCst)
}

#[derive(Debug)]
pub struct RedisError(String);

impl std::fmt::Display for RedisError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RedisError {}

pub type RedisResult<T> = Result<T, RedisError>;

#[derive(Clone, Debug)]
pub struct Client {
    url: String,
}

impl Client {
    pub fn open(url: &str) -> RedisResult<Client> {
        if !url.starts_with("redis://") {
            return Err(RedisError(format!("bad url {url}")));
        }
        CONSTRUCTED.fetch_add(1, Ordering::SeqCst);
        Ok(Client {
            url: url.to_string(),
        })
    }

    pub fn get(&self, key: &str) -> RedisResult<String> {
        Ok(format!("{}/{key}", self.url))
    }
}
