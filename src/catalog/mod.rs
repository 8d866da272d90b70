//! What must be released and how: the built-in catalogs (data files under
//! `catalog/`, embedded in the binary) merged with a user's `leakfix.toml`.

pub mod go;
pub mod js;
pub mod pattern;
pub mod rust;

pub use go::GoCatalog;
pub use js::JsCatalog;
pub use rust::RustCatalog;

/// Where a catalog entry came from; shown by `leakfix explain` and in notes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    BuiltIn,
    Config(std::path::PathBuf),
    /// Learned from the code being scanned: a type declared in the module
    /// whose constructor returns it and which has a release method.
    Learned(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Client,
    Conn,
    Db,
    Pool,
    File,
    Listener,
    Response,
    Rows,
    Stmt,
    Reader,
    Writer,
    Iterator,
    Timer,
    Cancel,
    Subscription,
    Producer,
    Consumer,
    Resource,
}

impl Kind {
    /// How a person would name a value of this kind in a message.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Client => "client",
            Kind::Conn => "connection",
            Kind::Db => "database handle",
            Kind::Pool => "connection pool",
            Kind::File => "file",
            Kind::Listener => "listener",
            Kind::Response => "response body",
            Kind::Rows => "result set",
            Kind::Stmt => "prepared statement",
            Kind::Reader => "reader",
            Kind::Writer => "writer",
            Kind::Iterator => "iterator",
            Kind::Timer => "timer",
            Kind::Cancel => "context cancel function",
            Kind::Subscription => "subscription",
            Kind::Producer => "producer",
            Kind::Consumer => "consumer",
            Kind::Resource => "resource",
        }
    }
}
