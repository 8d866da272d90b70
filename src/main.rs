use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = leakfix::cli::Cli::parse();
    match leakfix::run(cli) {
        Ok(outcome) => outcome.exit_code(),
        Err(e) => {
            eprintln!("leakfix: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
