//! Integration tests, grouped by area.

mod common;

mod cli;
mod fixtures;
mod rust_crate;
