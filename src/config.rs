//! Resolves command-line arguments and the config file into one `Config`
//! that the rest of the run reads. Every user error surfaces here, before
//! any file is read.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use globset::{Glob, GlobSetBuilder};
use serde::Deserialize;

use crate::catalog::Origin;
use crate::catalog::go::{CatalogFile, GoCatalog};
use crate::cli::{ColorChoice, Format, RunArgs};
use crate::rules::{self, Rule};
use crate::walk::Excludes;

pub use crate::cli::Mode;

pub struct Config {
    pub mode: Mode,
    pub paths: Vec<PathBuf>,
    /// The working directory: report paths are relative to it.
    pub cwd: PathBuf,
    pub format: Format,
    pub rules: Vec<&'static dyn Rule>,
    pub include_tests: bool,
    /// Exclusions apply to files named on the command line too.
    pub force_exclude: bool,
    pub exit_zero: bool,
    pub unsafe_fixes: bool,
    pub excludes: Excludes,
    pub go_catalog: GoCatalog,
    /// The user's `[rust]` entries only; the engine layers them over the built-in catalog.
    pub rust_catalog: crate::catalog::RustCatalog,
    /// The user's `[js]` entries only, and whether a fix may add a package
    /// to package.json (`[js] add-dependencies`, default true).
    pub js_catalog: crate::catalog::JsCatalog,
    pub js_add_dependencies: bool,
    pub config_file: Option<PathBuf>,
    pub color: bool,
    pub progress: bool,
    pub jobs: Option<usize>,
    /// `--verify` (or `verify = true`): how to check fixes; None when off.
    pub verify: Option<crate::verify::Options>,
    /// Baseline, new code only, ignore checks, split patches.
    pub adopt: crate::adopt::AdoptOptions,
    /// Where the results cache lives; None with `--no-cache`.
    pub cache_dir: Option<PathBuf>,
    /// A fingerprint of every setting that changes what the analysis of a
    /// unit finds (part of every cache key).
    pub cache_fingerprint: crate::analysis::inputs::Fingerprint,
}

/// The config file format (`leakfix.toml`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FileConfig {
    /// Globs, relative to the config file's folder, that are never read.
    #[serde(default)]
    pub exclude: Vec<String>,
    pub include_tests: Option<bool>,
    /// Rules to run (default: all).
    #[serde(default)]
    pub select: Vec<String>,
    /// Rules not to run.
    #[serde(default)]
    pub skip: Vec<String>,
    /// User-declared Go resources, in the format of catalog/go.toml.
    #[serde(default)]
    pub go: CatalogFile,
    /// User-declared Rust clients, writers and process builders, in the format of catalog/rust.toml.
    #[serde(default)]
    pub rust: crate::catalog::rust::CatalogFile,
    /// Type-check fixes before writing them, as `--verify` does.
    pub verify: Option<bool>,
    /// Flags for the go command when verifying (`["-tags=integration"]`).
    #[serde(default)]
    pub verify_go_flags: Vec<String>,
    /// Arguments for `cargo check` when verifying (`["--all-features"]`).
    #[serde(default)]
    pub verify_cargo_flags: Vec<String>,
    /// User-declared JavaScript/TypeScript acquisitions, clients and
    /// streams, in the format of catalog/js.toml, plus `add-dependencies`.
    #[serde(default)]
    pub js: crate::catalog::js::CatalogFile,
    /// A baseline file (relative to this file) whose findings are hidden.
    pub baseline: Option<String>,
    /// Every `leakfix:ignore` must give a reason (`-- why`).
    pub require_reason: Option<bool>,
    /// The results cache folder, relative to this file (default: the
    /// `results` folder of leakfix's cache folder).
    pub cache_dir: Option<PathBuf>,
}

pub const CONFIG_NAMES: [&str; 2] = ["leakfix.toml", ".leakfix.toml"];

impl Config {
    pub fn resolve(mode: Mode, args: &RunArgs, color: ColorChoice) -> Result<Config> {
        let cwd = std::env::current_dir().context("cannot read the current directory")?;
        let paths = if args.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            args.paths.clone()
        };
        for p in &paths {
            if let Err(e) = std::fs::metadata(p) {
                bail!("cannot read {}: {e}", p.display());
            }
        }
        if let Some(j) = args.jobs
            && j == 0
        {
            bail!("--jobs must be at least 1");
        }

        let config_file = match &args.config {
            Some(f) => Some(f.clone()),
            None => find_config(&paths[0]),
        };
        let config_text = match &config_file {
            Some(f) => Some(
                std::fs::read_to_string(f)
                    .with_context(|| format!("cannot read config {}", f.display()))?,
            ),
            None => None,
        };
        let file = match (&config_file, &config_text) {
            (Some(f), Some(text)) => toml::from_str::<FileConfig>(text)
                .with_context(|| format!("bad config {}", f.display()))?,
            _ => FileConfig::default(),
        };
        let config_dir = config_file
            .as_ref()
            .and_then(|f| f.parent())
            .map(|d| {
                if d.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    d
                }
            })
            .unwrap_or(Path::new("."))
            .to_path_buf();

        let select: Vec<String> = if args.rules.is_empty() {
            file.select.clone()
        } else {
            args.rules.clone()
        };
        let mut skip = file.skip.clone();
        skip.extend(args.skip_rules.iter().cloned());
        let rules = select_rules(&select, &skip)?;

        let mut excludes = GlobSetBuilder::new();
        for g in &file.exclude {
            let g = g.trim_end_matches('/');
            excludes.add(Glob::new(g).with_context(|| format!("bad exclude glob {g:?}"))?);
        }
        let excludes = Excludes::new(
            config_dir,
            if file.exclude.is_empty() {
                None
            } else {
                Some(excludes.build()?)
            },
        );

        let adopt = crate::adopt::AdoptOptions::resolve(
            mode,
            args.format,
            &args.adopt,
            &crate::adopt::FileOptions {
                baseline: file.baseline.as_deref(),
                require_reason: file.require_reason.unwrap_or(false),
                dir: excludes.root(),
            },
            &paths,
            &cwd,
        )?;

        let builtin = GoCatalog::built_in()?;
        let rust_catalog = match &config_file {
            Some(f) => {
                crate::catalog::RustCatalog::from_file(&file.rust, &Origin::Config(f.clone()))
                    .with_context(|| format!("bad [rust] tables in {}", f.display()))?
            }
            None => Default::default(),
        };
        let js_catalog = match &config_file {
            Some(f) => crate::catalog::JsCatalog::from_file(&file.js, &Origin::Config(f.clone()))
                .with_context(|| format!("bad [js] tables in {}", f.display()))?,
            None => Default::default(),
        };
        let js_add_dependencies = file.js.add_dependencies.unwrap_or(true);
        let include_tests = args.include_tests || file.include_tests.unwrap_or(false);
        // `cache-dir` from the config file (relative to it), else the
        // `results` folder of leakfix's cache folder ($LEAKFIX_CACHE_DIR,
        // $XDG_CACHE_HOME/leakfix, ~/.cache/leakfix).
        let cache_dir = (!args.no_cache).then(|| match &file.cache_dir {
            Some(d) => excludes.root().join(d),
            None => crate::engine::cache::root_dir().join("results"),
        });
        let cache_fingerprint = {
            let mut h = crate::analysis::inputs::Hasher::default();
            h.part(cwd.as_os_str().as_encoded_bytes())
                .part(format!("{config_file:?}").as_bytes())
                .part(config_text.as_deref().unwrap_or("").as_bytes())
                .part(&[u8::from(include_tests), u8::from(js_add_dependencies)]);
            for r in &rules {
                h.part(r.meta().id.as_bytes());
            }
            h.finish()
        };
        let go_catalog = match &config_file {
            Some(f) if !is_empty_catalog(&file.go) => {
                let mut user = GoCatalog::default();
                user.extend(file.go, &Origin::Config(f.clone()))
                    .with_context(|| format!("bad [go] tables in {}", f.display()))?;
                GoCatalog::layered(user, &builtin)
            }
            _ => builtin,
        };

        let color = match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && console::colors_enabled()
            }
        };
        console::set_colors_enabled(color);
        console::set_colors_enabled_stderr(color && console::colors_enabled_stderr());

        Ok(Config {
            mode,
            paths,
            cwd,
            format: args.format,
            rules,
            include_tests,
            force_exclude: args.force_exclude,
            exit_zero: args.exit_zero,
            unsafe_fixes: args.unsafe_fixes,
            excludes,
            go_catalog,
            rust_catalog,
            js_catalog,
            js_add_dependencies,
            config_file,
            color,
            progress: !args.no_progress,
            jobs: args.jobs,
            verify: (!args.no_verify && (args.verify || file.verify.unwrap_or(false))).then(|| {
                crate::verify::Options {
                    go_flags: file.verify_go_flags.clone(),
                    cargo_flags: file.verify_cargo_flags.clone(),
                    jobs: args.jobs.unwrap_or_else(|| {
                        std::thread::available_parallelism().map_or(1, |n| n.get())
                    }),
                }
            }),
            adopt,
            cache_dir,
            cache_fingerprint,
        })
    }

    /// The applicability a fix needs to be applied (fix) or shown in a diff (check).
    pub fn required_applicability(&self) -> crate::fix::Applicability {
        if self.unsafe_fixes || self.mode == Mode::Review {
            crate::fix::Applicability::Unsafe
        } else {
            crate::fix::Applicability::Safe
        }
    }
}

fn is_empty_catalog(c: &CatalogFile) -> bool {
    c.resource.is_empty()
        && c.ignore.is_empty()
        && c.returns.is_empty()
        && c.callback.is_empty()
        && c.consume.is_empty()
        && c.plain.is_empty()
}

/// `leakfix.toml` or `.leakfix.toml` in the folder of `start` or above.
pub fn find_config(start: &Path) -> Option<PathBuf> {
    let start = std::fs::canonicalize(start).ok()?;
    let mut dir = if start.is_dir() {
        Some(start.as_path())
    } else {
        start.parent()
    };
    while let Some(d) = dir {
        for name in CONFIG_NAMES {
            let f = d.join(name);
            if f.is_file() {
                return Some(f);
            }
        }
        dir = d.parent();
    }
    None
}

fn select_rules(select: &[String], skip: &[String]) -> Result<Vec<&'static dyn Rule>> {
    for id in select.iter().chain(skip) {
        if rules::by_id(id).is_none() {
            let known: Vec<_> = rules::all().iter().map(|r| r.meta().id).collect();
            bail!("unknown rule {id:?}; known rules: {}", known.join(", "));
        }
    }
    Ok(rules::all()
        .iter()
        .copied()
        .filter(|r| select.is_empty() || select.iter().any(|s| s == r.meta().id))
        .filter(|r| !skip.iter().any(|s| s == r.meta().id))
        .collect())
}
