//! Integration tests, grouped by area.

mod common;

mod adopt;
mod architecture;
mod cache;
mod callers;
mod cli;
mod fixtures;
mod go_hoist;
mod go_toolchain;
mod js;
mod js_runtime;
mod reports;
mod review;
mod rust_crate;
mod verify;
