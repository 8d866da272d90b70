//! JavaScript and TypeScript rules (one language to the registry, `js-`
//! ids; TypeScript and TSX files are parsed with their own grammars).

mod missing_release;
mod per_request_client;
mod release_on_finish;
mod unhandled_pipe;

pub use missing_release::JsMissingRelease;
pub use per_request_client::JsPerRequestClient;
pub use release_on_finish::JsReleaseOnFinish;
pub use unhandled_pipe::JsUnhandledPipe;
