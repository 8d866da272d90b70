//! Stand-in for mongodb: an async constructor that counts.

use std::sync::atomic::{AtomicUsize, Ordering};

static CONSTRUCTED: AtomicUsize = AtomicUsize::new(0);

pub fn constructed() -> usize {
    CONSTRUCTED.load(Ordering::SeqCst)
}

pub mod error {
    #[derive(Debug)]
    pub struct Error(pub String);

    impl std::fmt::Display for Error {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(&self.0)
        }
    }

    impl std::error::Error for Error {}
}

#[derive(Clone, Debug)]
pub struct Client {
    uri: String,
}

impl Client {
    pub async fn with_uri_str(uri: impl AsRef<str>) -> Result<Client, error::Error> {
        let uri = uri.as_ref();
        if !uri.starts_with("mongodb://") {
            return Err(error::Error(format!("bad uri {uri}")));
        }
        CONSTRUCTED.fetch_add(1, Ordering::SeqCst);
        Ok(Client {
            uri: uri.to_string(),
        })
    }

    pub fn database(&self, name: &str) -> String {
        format!("{}/{name}", self.uri)
    }
}
