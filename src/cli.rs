//! Command-line definitions only. `config.rs` resolves them into a `Config`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "leakfix",
    version,
    about = "Find and fix resource-lifecycle bugs (unreleased clients, files, bodies, goroutines) in Go and Rust",
    long_about = None,
    after_help = "Exit codes: 0 no findings remain, 1 findings remain, 2 the run failed.\nSee `leakfix rules` and `leakfix explain RULE`."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// When to use colours (NO_COLOR is honoured by `auto`).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Dry run: report findings and the fix each would get; never writes.
    Check(RunArgs),
    /// Apply fixes in place (safe ones; with --unsafe also unsafe ones; with --review ask about each).
    Fix(FixArgs),
    /// List every rule: id, language, what it fixes, applicability.
    Rules(RulesArgs),
    /// Show a rule's documentation: what, why, example before/after.
    Explain {
        /// A rule id, as listed by `leakfix rules`.
        rule: String,
    },
    /// Print a file's syntax tree (for people writing queries).
    #[command(hide = true)]
    DumpAst { file: PathBuf },
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Files or folders to scan (default: the current folder).
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Only run this rule (repeatable).
    #[arg(long = "rule", value_name = "ID")]
    pub rules: Vec<String>,

    /// Do not run this rule (repeatable).
    #[arg(long = "skip-rule", value_name = "ID")]
    pub skip_rules: Vec<String>,

    /// Also scan test code (`_test.go` files, Rust test modules and tests/ folders).
    #[arg(long)]
    pub include_tests: bool,

    /// Apply the walk's exclusions (config `exclude`, test code without
    /// --include-tests, vendor/, testdata/, target/, node_modules/, hidden
    /// folders) to files named on the command line too: for pre-commit hooks
    /// and editors, which pass every changed file.
    #[arg(long)]
    pub force_exclude: bool,

    /// Configuration file (default: leakfix.toml or .leakfix.toml found upwards from the first path).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Exit 0 even when findings remain.
    #[arg(long)]
    pub exit_zero: bool,

    /// Also apply (fix) or show (check --format diff) unsafe fixes.
    #[arg(long = "unsafe")]
    pub unsafe_fixes: bool,

    /// Type-check every fix before anything is written (Go: `go build` and
    /// `go vet` with `-overlay`; Rust: `cargo check` of a scratch copy); a fix
    /// that does not compile is withheld and reported with the compiler's
    /// error. Exits 2 if the toolchain is missing. `verify = true` in
    /// leakfix.toml turns it on.
    #[arg(long, overrides_with = "no_verify")]
    pub verify: bool,

    /// Do not verify fixes, even when the configuration says `verify = true`.
    #[arg(long, overrides_with = "verify")]
    pub no_verify: bool,

    /// Number of worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,

    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,

    /// Neither read nor write the results cache (kept in `cache-dir` from
    /// leakfix.toml, else in $LEAKFIX_CACHE_DIR/results or
    /// ~/.cache/leakfix/results).
    #[arg(long)]
    pub no_cache: bool,

    #[command(flatten)]
    pub adopt: AdoptArgs,
}

/// For a repository that already has findings: baselines, new code only,
/// one patch per owner (`crate::adopt`).
#[derive(Debug, Default, Args)]
pub struct AdoptArgs {
    /// check: write the current findings to FILE, a baseline to commit (exit 0).
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// Hide the findings FILE lists, matched by rule, path, function and
    /// statement text, not line numbers (default: `baseline` in leakfix.toml).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Report and fix the findings the baseline lists too.
    #[arg(long)]
    pub include_baselined: bool,

    /// Report only findings on lines added or changed since the git revision REV.
    #[arg(long, value_name = "REV", conflicts_with = "new_from_patch")]
    pub new_from_rev: Option<String>,

    /// Report only findings on lines a unified diff (git diff output) adds or changes.
    #[arg(long, value_name = "FILE")]
    pub new_from_patch: Option<PathBuf>,

    /// check --format diff: one patch per owner in CODEOWNERS or per
    /// top-level folder, written to --output DIR with a summary.md.
    #[arg(long, value_enum, value_name = "BY")]
    pub split_by: Option<SplitBy>,

    /// The folder --split-by writes its patches and summary.md to.
    #[arg(long, value_name = "DIR")]
    pub output: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SplitBy {
    /// One patch per owner list in CODEOWNERS (GitHub or GitLab); unowned files get their own.
    Codeowners,
    /// One patch per top-level folder.
    Dir,
}

#[derive(Debug, Args)]
pub struct FixArgs {
    #[command(flatten)]
    pub run: RunArgs,

    /// Ask about each fix, safe and unsafe, one key each (needs a terminal).
    #[arg(
        long,
        long_help = "Ask about each fix, safe and unsafe, in a terminal. Fixes come in path order, \
then by position, each with its rule, the reason and a diff; answer with one key:
  y  apply this fix
  n  skip it
  a  apply this fix and all the remaining ones
  d  skip the remaining fixes in this file
  q  quit: write what was accepted, nothing else
  ?  help
A file is written when the review moves past it, and only if it did not change on disk \
meanwhile. Ctrl-C stops at once: the fixes accepted in the file under review are not \
written (exit code 130). Without a terminal on stdin it refuses (exit code 2)."
    )]
    pub review: bool,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output format (`text` or `json`).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// What the run does with fixes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Check,
    Fix,
    Review,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// A unified diff that `git apply` accepts.
    Diff,
    /// One JSON document (schema: docs/json-output.md).
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// GitHub Actions workflow-command annotations.
    Github,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}
