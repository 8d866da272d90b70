//! Rust rules.

mod detached_task;
mod per_call_client;
mod unflushed_writer;
mod unwaited_child;

pub use detached_task::RustDetachedTask;
pub use per_call_client::RustPerCallClient;
pub use unflushed_writer::RustUnflushedWriter;
pub use unwaited_child::RustUnwaitedChild;
