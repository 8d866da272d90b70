//! Rust rules.

mod per_call_client;
mod unflushed_writer;
mod unwaited_child;

pub use per_call_client::RustPerCallClient;
pub use unflushed_writer::RustUnflushedWriter;
pub use unwaited_child::RustUnwaitedChild;
