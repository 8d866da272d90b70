//! The subcommands: `check`/`fix` (scan), `rules`, `explain`, `dump-ast`.

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use crate::adopt::Adoption;
use crate::cli::{ColorChoice, Format, RunArgs};
use crate::config::{Config, Mode};
use crate::engine::{Engine, Overlay};
use crate::finding::{Finding, Problem};
use crate::fix_loop::{FindingKey, finding_key, fix_until_stable};
use crate::report::{self, FileChange, Report, Reported, Status, display_path};
use crate::source::SourceText;
use crate::verify::{Verdict, Verification};
use crate::walk::{WalkOptions, walk};
use crate::{Outcome, rules};

pub fn scan(mode: Mode, args: &RunArgs, color: ColorChoice) -> Result<Outcome> {
    let started = Instant::now();
    let config = Config::resolve(mode, args, color)?;
    if mode == Mode::Review {
        if !std::io::stdin().is_terminal() {
            bail!(
                "`fix --review` asks about each fix and needs a terminal on stdin; nothing was written. Run `leakfix fix` to apply safe fixes without asking, or `leakfix check --format diff` to see them"
            );
        }
        if !std::io::stdout().is_terminal() {
            bail!(
                "`fix --review` shows each fix and needs a terminal on stdout; nothing was written. Use `leakfix check --format diff` to save the fixes to a file"
            );
        }
        if config.format != Format::Text {
            bail!(
                "`fix --review` is interactive and prints text; `--format {}` goes with `check` or `fix`",
                clap::ValueEnum::to_possible_value(&config.format)
                    .map(|v| v.get_name().to_string())
                    .unwrap_or_default()
            );
        }
    }
    let timings = Timings::from_env();
    let (mut files, mut problems) = walk(
        &config.paths,
        &WalkOptions {
            include_tests: config.include_tests,
            excludes: &config.excludes,
            threads: config.jobs.unwrap_or(0),
        },
    );
    if config.force_exclude {
        files.retain(|f| {
            !crate::walk::excluded_by_walk(
                &f.path,
                &config.cwd,
                f.language,
                config.include_tests,
                &config.excludes,
            )
        });
    }
    timings.mark("walk");
    let (engine, index_problems) = Engine::new_cached(
        config.rules.clone(),
        &config.go_catalog,
        &files,
        config.jobs,
        open_cache(&config),
    )?;
    let adoption = Arc::new(Adoption::new(config.rules.clone(), &config.adopt));
    let engine = engine
        .with_rust_catalog(config.rust_catalog.clone())?
        .with_js(config.js_catalog.clone(), config.js_add_dependencies)?
        .with_include_tests(config.include_tests)
        .with_pass(Box::new(adoption.clone()));
    problems.extend(index_problems);

    let progress = Progress::new(&config, engine.units.len(), started);
    let tick = || progress.tick();
    timings.mark("index");
    let initial = engine.analyse(&engine.units, &Overlay::default(), Some(&tick));
    timings.mark("analyse");
    timings.rules(&engine.rule_times());
    if let Some(cache) = engine.cache() {
        timings.note(&format!(
            "cache: {} hits, {} misses",
            cache.hits.load(Ordering::Relaxed),
            cache.misses.load(Ordering::Relaxed)
        ));
    }
    progress.finish();
    problems.extend(initial.problems.iter().cloned());
    if let Some(path) = &config.adopt.write_baseline {
        let (findings, entries) = crate::adopt::write_baseline(path, &initial.findings)?;
        dedup_problems(&mut problems);
        let mut err = std::io::stderr().lock();
        for p in &problems {
            writeln!(
                err,
                "leakfix: {}: {}",
                display_path(&config.cwd, &p.path),
                p.message
            )?;
        }
        writeln!(
            err,
            "leakfix: wrote {findings} findings ({entries} entries) to {}",
            path.display()
        )?;
        return Ok(Outcome::Clean);
    }

    let min = config.required_applicability();
    let cwd = config.cwd.clone();
    // --verify: the fixes are checked with the compilers before anything
    // is written; the run to write (or show) leaves out what broke a build.
    let (mut verified, verification) = match &config.verify {
        Some(options) => {
            let (run, v) = verify_fixes(&config, options, &engine, &initial, min)?;
            timings.mark("verify");
            (Some(run), Some(v))
        }
        None => (None, None),
    };
    // The findings whose fixes `check --format diff` shows (for --split-by).
    let mut check_fixed = Vec::new();
    let (findings, changes, outcome) = match mode {
        Mode::Check => {
            let changes = if let Some(run) = verified.take() {
                problems.extend(run.problems);
                check_fixed = run.fixed;
                run.changes
            } else if matches!(config.format, Format::Diff | Format::Json | Format::Sarif) {
                let run = fix_until_stable(&engine, &initial, min);
                problems.extend(run.problems);
                check_fixed = run.fixed;
                run.changes
            } else {
                Vec::new()
            };
            let outcome = if initial.findings.is_empty() {
                Outcome::Clean
            } else {
                Outcome::Findings
            };
            (
                tag(&cwd, initial.findings.clone(), Status::Open),
                changes,
                outcome,
            )
        }
        Mode::Fix => {
            let run = match verified.take() {
                Some(run) => run,
                None => fix_until_stable(&engine, &initial, min),
            };
            problems.extend(run.problems);
            let mut fixed = run.fixed;
            let mut remaining = run.remaining;
            let mut written = Vec::new();
            for (path, old, new) in run.changes {
                match crate::write::write_atomic(&path, &old.to_bytes(), &new.to_bytes()) {
                    Ok(()) => written.push((path, old, new)),
                    Err(e) => {
                        problems.push(Problem {
                            path: path.clone(),
                            kind: crate::finding::ProblemKind::Io,
                            message: format!("not written: {e:#}"),
                        });
                        // Its fixes did not happen: they remain, as first found.
                        fixed.retain(|f| f.path != path);
                        remaining.retain(|f| f.path != path);
                        remaining
                            .extend(initial.findings.iter().filter(|f| f.path == path).cloned());
                    }
                }
            }
            let outcome = if remaining.is_empty() {
                Outcome::Clean
            } else {
                Outcome::Findings
            };
            let mut all = tag(&cwd, fixed, Status::Fixed);
            all.extend(tag(&cwd, remaining, Status::Remaining));
            (all, written, outcome)
        }
        Mode::Review => {
            let verdict_of = |f: &Finding| {
                verification
                    .as_ref()
                    .and_then(|v| v.verdicts.get(&finding_key(f)).cloned())
            };
            let result = crate::review::review(
                &engine,
                &initial,
                &cwd,
                &mut problems,
                verification.is_some().then_some(&verdict_of as _),
            )?;
            dedup_problems(&mut problems);
            let mut err = std::io::stderr().lock();
            for p in &problems {
                writeln!(
                    err,
                    "leakfix: {}: {}",
                    display_path(&cwd, &p.path),
                    p.message
                )?;
            }
            return Ok(match result.end {
                crate::review::End::Interrupted => Outcome::Interrupted,
                _ if result.remaining == 0 || config.exit_zero => Outcome::Clean,
                _ => Outcome::Findings,
            });
        }
    };

    let changes: Vec<FileChange> = changes
        .into_iter()
        .map(|(path, old, new)| FileChange {
            display: display_path(&cwd, &path),
            path,
            old,
            new,
        })
        .collect();
    dedup_problems(&mut problems);
    let edited: std::collections::HashMap<Arc<Path>, (SourceText, SourceText)> = changes
        .iter()
        .map(|c| (c.path.clone(), (c.old.clone(), c.new.clone())))
        .collect();
    let before = |p: &Path| -> Option<SourceText> {
        edited
            .get(p)
            .map(|(old, _)| old.clone())
            .or_else(|| crate::parse::read_source(&Arc::from(p)).ok())
    };
    let after = |p: &Path| -> Option<SourceText> {
        edited
            .get(p)
            .map(|(_, new)| new.clone())
            .or_else(|| crate::parse::read_source(&Arc::from(p)).ok())
    };
    let mut findings = findings;
    let verify_summary = verification
        .as_ref()
        .map(|v| annotate(&cwd, &mut findings, v));
    let report = Report {
        mode,
        cwd: &cwd,
        findings,
        verification: verify_summary,
        changes,
        problems,
        min_applicability: min,
        before: &before,
        after: &after,
        files_scanned: files.len(),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    timings.mark("fix and prepare the report");
    match &config.adopt.split {
        Some(split) => report::split::write(split, &report, &check_fixed, &mut out)?,
        None => report::emit(config.format, &report, &mut out)?,
    }
    timings.mark("report");
    if let Some(cache) = engine.cache() {
        cache.finish();
    }
    out.flush()?;
    report::emit_problems(&report, &mut std::io::stderr().lock())?;
    if config.format == Format::Text {
        adoption_note(&adoption, &mut std::io::stderr().lock())?;
    }
    Ok(if config.exit_zero {
        Outcome::Clean
    } else {
        outcome
    })
}

/// The results cache, or None (`--no-cache`, or a folder that cannot be
/// made: the run goes on without it, and says so).
fn open_cache(config: &Config) -> Option<crate::engine::cache::Cache> {
    let dir = config.cache_dir.as_ref()?;
    match crate::engine::cache::Cache::open(dir, config.cache_fingerprint) {
        Ok(c) => Some(c),
        Err(e) => {
            eprintln!("leakfix: warning: running without the results cache: {e:#}");
            None
        }
    }
}

/// What the baseline and new-code filters hid, so that nobody wonders.
fn adoption_note(adoption: &Adoption, err: &mut dyn Write) -> Result<()> {
    let baselined = adoption.hidden_by_baseline.load(Ordering::Relaxed);
    let old = adoption.hidden_as_old.load(Ordering::Relaxed);
    if baselined > 0 {
        writeln!(
            err,
            "leakfix: {baselined} finding{} listed in the baseline not shown (--include-baselined shows them)",
            if baselined == 1 { "" } else { "s" }
        )?;
    }
    if old > 0 {
        writeln!(
            err,
            "leakfix: {old} finding{} on lines not added or changed (new code only) not shown",
            if old == 1 { "" } else { "s" }
        )?;
    }
    Ok(())
}

fn tag(cwd: &Path, findings: Vec<Finding>, status: Status) -> Vec<Reported> {
    findings
        .into_iter()
        .map(|finding| Reported {
            path: display_path(cwd, &finding.path),
            finding,
            status,
            verdict: None,
        })
        .collect()
}

/// `--verify`: computes the fixes as `fix` would, checks them with the
/// compilers, and returns the run without the fixes that broke a build.
fn verify_fixes(
    config: &Config,
    options: &crate::verify::Options,
    engine: &Engine,
    initial: &crate::engine::Analysis,
    min: crate::fix::Applicability,
) -> Result<(crate::fix_loop::FixRun, Verification<FindingKey>)> {
    let checker = crate::verify::Toolchains::new(options)?;
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::hidden());
    if config.progress && std::io::stderr().is_terminal() {
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
    }
    let timings = std::env::var_os("LEAKFIX_TIMINGS").is_some_and(|v| !v.is_empty());
    let progress = |msg: &str| {
        if timings {
            eprintln!("leakfix: {msg}");
        }
        bar.set_message(msg.to_string());
    };
    let result = crate::fix_loop::fix_verified(engine, initial, min, &checker, &progress);
    bar.finish_and_clear();
    result
}

/// Gives each finding whose fix was checked its verdict, and a note for
/// people when the fix was withheld or could not be checked.
fn annotate(
    cwd: &Path,
    findings: &mut [Reported],
    verification: &Verification<FindingKey>,
) -> report::VerifySummary {
    let show = |p: &Path| display_path(cwd, p);
    let mut summary = report::VerifySummary {
        units: verification.units_checked,
        tools: verification.tools.iter().copied().collect(),
        elapsed: verification.elapsed,
        ..Default::default()
    };
    for r in findings.iter_mut() {
        if r.finding.fix.is_none() {
            continue;
        }
        let Some(verdict) = verification.verdicts.get(&finding_key(&r.finding)) else {
            continue;
        };
        match verdict {
            Verdict::Verified => summary.verified += 1,
            Verdict::Withheld(diag) => {
                summary.withheld += 1;
                let what = if diag.tool == "go vet" {
                    "fails go vet"
                } else {
                    "does not compile"
                };
                r.finding.notes.push(format!(
                    "fix withheld: the fixed code {what}: {}",
                    diag.render(&show)
                ));
            }
            Verdict::Unverifiable(why) => {
                summary.unverifiable += 1;
                r.finding.notes.push(format!("fix not verified: {why}"));
            }
        }
        r.verdict = Some(verdict.clone());
    }
    summary
}

fn dedup_problems(problems: &mut Vec<Problem>) {
    let mut seen = HashSet::new();
    problems.retain(|p| seen.insert((p.path.clone(), p.message.clone())));
    problems.sort_by(|a, b| a.path.cmp(&b.path));
}

/// A progress bar on stderr for long runs. Silent unless stderr is a
/// terminal (never in piped or redirected output, never with
/// `--no-progress`), and drawn only once the scan has taken `PROGRESS_DELAY`,
/// so a quick run prints nothing at all.
struct Progress {
    bar: indicatif::ProgressBar,
    enabled: bool,
    shown: AtomicBool,
    start: Instant,
    delay: Duration,
}

const PROGRESS_DELAY: Duration = Duration::from_millis(300);

impl Progress {
    fn new(config: &Config, units: usize, start: Instant) -> Progress {
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(units as u64),
            indicatif::ProgressDrawTarget::hidden(),
        );
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} scanning {pos}/{len} units {wide_bar} {elapsed}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        // Tests set the delay to 0 to see the bar without a slow run.
        let delay = std::env::var("LEAKFIX_PROGRESS_DELAY_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map(Duration::from_millis)
            .unwrap_or(PROGRESS_DELAY);
        Progress {
            bar,
            enabled: config.progress && units >= 2 && std::io::stderr().is_terminal(),
            shown: AtomicBool::new(false),
            start,
            delay,
        }
    }

    /// One unit done (called from the worker threads).
    fn tick(&self) {
        if self.enabled
            && !self.shown.load(Ordering::Relaxed)
            && self.start.elapsed() >= self.delay
            && !self.shown.swap(true, Ordering::Relaxed)
        {
            self.bar
                .set_draw_target(indicatif::ProgressDrawTarget::stderr());
            // Draw now, then keep the spinner and clock moving while a big
            // unit takes its time.
            self.bar.tick();
            self.bar.enable_steady_tick(Duration::from_millis(120));
        }
        self.bar.inc(1);
    }

    /// Erases the bar (if it was drawn) before any report is written.
    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

pub fn rules(format: Format) -> Result<Outcome> {
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            #[derive(serde::Serialize)]
            struct JsonRule {
                id: &'static str,
                language: &'static str,
                summary: &'static str,
                fix: &'static str,
                fix_availability: rules::FixAvailability,
                applicability: &'static str,
            }
            let list: Vec<JsonRule> = rules::all()
                .iter()
                .map(|r| {
                    let m = r.meta();
                    JsonRule {
                        id: m.id,
                        language: m.language_name(),
                        summary: m.summary,
                        fix: m.fix_summary,
                        fix_availability: m.fix_availability,
                        applicability: m.applicability.as_str(),
                    }
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &list)?;
            writeln!(out)?;
        }
        Format::Text => {
            let width = rules::all()
                .iter()
                .map(|r| r.meta().id.len())
                .max()
                .unwrap_or(0);
            let fix_of = |m: &rules::RuleMeta| match m.fix_availability {
                rules::FixAvailability::Never => "none".to_string(),
                rules::FixAvailability::Always => m.applicability.as_str().to_string(),
                rules::FixAvailability::Sometimes => {
                    format!("{} (often)", m.applicability.as_str())
                }
            };
            let fix_width = rules::all()
                .iter()
                .map(|r| fix_of(r.meta()).len())
                .max()
                .unwrap_or(0)
                .max(3);
            writeln!(
                out,
                "{:width$}  {:4}  {:fix_width$}  WHAT IT FIXES",
                "RULE", "LANG", "FIX"
            )?;
            for r in rules::all() {
                let m = r.meta();
                writeln!(
                    out,
                    "{:width$}  {:4}  {:fix_width$}  {}",
                    m.id,
                    m.language_name(),
                    fix_of(m),
                    m.summary
                )?;
                writeln!(
                    out,
                    "{:width$}  {:4}  {:fix_width$}  fix: {}",
                    "", "", "", m.fix_summary
                )?;
            }
        }
        other => bail!("`leakfix rules` prints text or json, not {other:?}"),
    }
    Ok(Outcome::Clean)
}

pub fn explain(id: &str) -> Result<Outcome> {
    let Some(rule) = rules::by_id(id) else {
        let known: Vec<_> = rules::all().iter().map(|r| r.meta().id).collect();
        bail!("unknown rule {id:?}; known rules: {}", known.join(", "));
    };
    let m = rule.meta();
    let fix = match m.fix_availability {
        rules::FixAvailability::Never => "no automatic fix".to_string(),
        rules::FixAvailability::Always => format!("{} fix", m.applicability.as_str()),
        rules::FixAvailability::Sometimes => format!(
            "{} fix when it can be applied without guessing",
            m.applicability.as_str()
        ),
    };
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "# {}\n\n{}.\n\nLanguage: {} · Fix: {}\n",
        m.id,
        m.summary,
        m.language_name(),
        fix
    )?;
    writeln!(out, "{}", m.docs.trim_end())?;
    Ok(Outcome::Clean)
}

pub fn dump_ast(file: &Path) -> Result<Outcome> {
    let Some(lang) = crate::lang::Language::from_path(file) else {
        bail!(
            "{}: not a Go, Rust, JavaScript or TypeScript file",
            file.display()
        );
    };
    let text = std::fs::read_to_string(file)?;
    print!("{}", crate::lang::dump(lang, &text));
    Ok(Outcome::Clean)
}

/// `LEAKFIX_TIMINGS=1`: wall time of each phase on stderr, for people
/// working on leakfix's speed (scripts/bench.py measures whole runs).
struct Timings {
    last: std::cell::Cell<Option<Instant>>,
}

impl Timings {
    fn from_env() -> Timings {
        let on = std::env::var_os("LEAKFIX_TIMINGS").is_some_and(|v| !v.is_empty());
        Timings {
            last: std::cell::Cell::new(on.then(Instant::now)),
        }
    }

    /// Each rule's share of the analysis, summed over threads.
    fn rules(&self, times: &[(&str, Duration)]) {
        if self.last.get().is_some() {
            for (id, t) in times.iter().filter(|(_, t)| !t.is_zero()) {
                eprintln!("leakfix: timing:   rule {id}: {:.3}s", t.as_secs_f64());
            }
        }
    }

    fn note(&self, what: &str) {
        if self.last.get().is_some() {
            eprintln!("leakfix: timing: {what}");
        }
    }

    fn mark(&self, phase: &str) {
        if let Some(t) = self.last.get() {
            eprintln!(
                "leakfix: timing: {phase}: {:.3}s",
                t.elapsed().as_secs_f64()
            );
            self.last.set(Some(Instant::now()));
        }
    }
}
