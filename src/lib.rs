//! leakfix: finds resource-lifecycle bugs in Go and Rust code and fixes them.
//!
//! The flow, one module per step:
//! walk -> parse -> analysis -> rules -> fix (edits) -> apply -> diff / write -> report.
//! `run` wires them; `main.rs` maps the outcome to an exit code.

pub mod adopt;
pub mod analysis;
pub mod apply;
pub mod baseline;
pub mod catalog;
pub mod changed_lines;
pub mod cli;
pub mod codeowners;
pub mod config;
pub mod diff;
pub mod engine;
pub mod finding;
pub mod fix;
pub mod fix_loop;
pub mod lang;
pub mod parse;
pub mod report;
pub mod review;
pub mod rewrite;
pub mod rules;
pub mod source;
pub mod suppress;
pub mod verify;
pub mod walk;
pub mod write;

mod commands;

use std::process::ExitCode;

use cli::{Cli, Command};

/// How a run ended, for the exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// No findings remain.
    Clean,
    /// Findings remain.
    Findings,
    /// The user stopped an interactive review with Ctrl-C.
    Interrupted,
}

impl Outcome {
    pub fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Clean => ExitCode::SUCCESS,
            Outcome::Findings => ExitCode::from(1),
            // What a shell reports for a command stopped by SIGINT.
            Outcome::Interrupted => ExitCode::from(130),
        }
    }
}

/// Runs a parsed command line. An `Err` is a failed run (exit code 2).
pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Check(args) => commands::scan(config::Mode::Check, &args, cli.color),
        Command::Fix(args) => {
            let mode = if args.review {
                config::Mode::Review
            } else {
                config::Mode::Fix
            };
            commands::scan(mode, &args.run, cli.color)
        }
        Command::Rules(args) => commands::rules(args.format),
        Command::Explain { rule } => commands::explain(&rule),
        Command::DumpAst { file } => commands::dump_ast(&file),
    }
}
