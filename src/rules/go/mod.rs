//! Go rules.

mod abandoned_result;
mod blocked_producer;
mod loop_exits;
mod missing_release;
mod per_request_client;
mod unstoppable_goroutine;
mod unstoppable_handler;

pub use abandoned_result::GoAbandonedResult;
pub use blocked_producer::GoBlockedProducer;
pub use missing_release::GoMissingRelease;
pub use per_request_client::GoPerRequestClient;
pub use unstoppable_goroutine::GoUnstoppableGoroutine;
pub use unstoppable_handler::GoUnstoppableHandler;
