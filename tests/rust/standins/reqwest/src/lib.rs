//! Stand-in for reqwest: clients count their constructions.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

static CONSTRUCTED: AtomicUsize = AtomicUsize::new(0);

/// How many clients were built so far (clones do not count).
pub fn constructed() -> usize {
    CONSTRUCTED.load(Ordering::SeqCst)
}

#[derive(Debug)]
pub struct Error(String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "builder error: {}", self.0)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

macro_rules! client_module {
    () => {
        #[derive(Clone, Debug)]
        pub struct Client {
            pool: Arc<String>,
        }

        impl Client {
            pub fn new() -> Client {
                CONSTRUCTED.fetch_add(1, Ordering::SeqCst);
                Client {
                    pool: Arc::new(String::from("default")),
                }
            }

            pub fn builder() -> ClientBuilder {
                ClientBuilder::new()
            }

            pub fn get(&self, url: impl Into<String>) -> RequestBuilder {
                RequestBuilder {
                    url: url.into(),
                    agent: self.pool.to_string(),
                }
            }
        }

        impl Default for Client {
            fn default() -> Self {
                Client::new()
            }
        }

        #[derive(Default)]
        pub struct ClientBuilder {
            agent: Option<String>,
        }

        impl ClientBuilder {
            pub fn new() -> ClientBuilder {
                ClientBuilder::default()
            }

            pub fn timeout(self, _d: Duration) -> ClientBuilder {
                self
            }

            pub fn user_agent(mut self, agent: impl Into<String>) -> ClientBuilder {
                self.agent = Some(agent.into());
                self
            }

            /// Fails for an empty user agent, so callers can see errors pass through.
            pub fn build(self) -> Result<Client> {
                if self.agent.as_deref() == Some("") {
                    return Err(Error("empty user agent".into()));
                }
                CONSTRUCTED.fetch_add(1, Ordering::SeqCst);
                Ok(Client {
                    pool: Arc::new(self.agent.unwrap_or_default()),
                })
            }
        }

        pub struct RequestBuilder {
            url: String,
            agent: String,
        }

        pub struct Response {
            body: String,
        }

        impl Response {
            pub fn status(&self) -> u16 {
                200
            }
        }

        impl RequestBuilder {
            pub fn header(self, _name: &str, _value: &str) -> RequestBuilder {
                self
            }
        }
    };
}

client_module!();

impl RequestBuilder {
    pub async fn send(self) -> Result<Response> {
        Ok(Response {
            body: format!("{} {}", self.agent, self.url),
        })
    }
}

impl Response {
    pub async fn text(self) -> Result<String> {
        Ok(self.body)
    }
}

pub mod blocking {
    use super::*;

    client_module!();

    impl RequestBuilder {
        pub fn send(self) -> Result<Response> {
            Ok(Response {
                body: format!("{} {}", self.agent, self.url),
            })
        }
    }

    impl Response {
        pub fn text(self) -> Result<String> {
            Ok(self.body)
        }
    }

    /// Builds a client for this one request, as reqwest's `blocking::get` does.
    pub fn get(url: impl Into<String>) -> Result<Response> {
        Client::builder().build()?.get(url).send()
    }
}

/// Builds a client for this one request, as reqwest's `get` does.
pub async fn get(url: impl Into<String>) -> Result<Response> {
    Client::builder().build()?.get(url).send().await
}

