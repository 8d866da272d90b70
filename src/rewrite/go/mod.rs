//! Go edits that keep a file gofmt-clean.

mod comments;
mod imports;
mod lines;
mod statements;
mod syntax;
#[cfg(test)]
mod tests;

pub use comments::*;
pub use imports::*;
pub use lines::*;
pub use statements::*;
pub use syntax::*;
