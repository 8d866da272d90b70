//! Integration tests, grouped by area.

mod common;

mod adopt;
mod callers;
mod cli;
mod fixtures;
mod go_hoist;
mod go_toolchain;
mod reports;
mod review;
mod rust_crate;
mod verify;
