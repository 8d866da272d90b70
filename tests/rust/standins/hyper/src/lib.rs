//! Stand-in for hyper 0.14's client: `Client::new()` counts its
//! constructions (each real one owns a connection pool).

use std::marker::PhantomData;
use std::sync::atomic::{AtomicUsize, Ordering};

static CONSTRUCTED: AtomicUsize = AtomicUsize::new(0);

pub fn constructed() -> usize {
    CONSTRUCTED.load(Ordering::SeqCst)
}

#[derive(Debug, Default)]
pub struct Body;

#[derive(Debug)]
pub struct Error;

pub struct Response {
    status: u16,
}

impl Response {
    pub fn status(&self) -> u16 {
        self.status
    }
}

pub mod client {
    #[derive(Clone, Debug, Default)]
    pub struct HttpConnector;

    pub use super::Client;
}

pub struct Client<C = client::HttpConnector, B = Body> {
    _types: PhantomData<fn() -> (C, B)>,
}

impl<C, B> Clone for Client<C, B> {
    fn clone(&self) -> Self {
        Client {
            _types: PhantomData,
        }
    }
}

impl Client<client::HttpConnector, Body> {
    pub fn new() -> Client<client::HttpConnector, Body> {
        CONSTRUCTED.fetch_add(1, Ordering::SeqCst);
        Client {
            _types: PhantomData,
        }
    }
}

impl Default for Client<client::HttpConnector, Body> {
    fn default() -> Self {
        Client::new()
    }
}

impl<C, B> Client<C, B> {
    pub async fn get(&self, uri: &str) -> Result<Response, Error> {
        if uri.is_empty() {
            return Err(Error);
        }
        Ok(Response { status: 200 })
    }
}
