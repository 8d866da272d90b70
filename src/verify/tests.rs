//! The search with a fake compiler: units are folders, a file's text lists
//! the fixes applied to it, and the fake fails a unit for the fixes (or
//! combinations) it is told are bad.

use super::*;
use std::cell::RefCell;
use std::sync::Mutex;

/// Fix `k` edits the files `files[k]` (paths like `/m/a/x.go`).
struct World {
    files: BTreeMap<u32, Vec<&'static str>>,
    /// Fails the unit holding any of these fixes.
    bad: Vec<u32>,
    /// Fails the unit holding all of these together.
    bad_pairs: Vec<(u32, u32)>,
    /// Fails every unit in `.1` when fix `.0` is applied anywhere (an API
    /// change that breaks importers).
    breaks_others: Vec<(u32, &'static str)>,
    /// Units (folders) that do not build before any fix.
    broken: Vec<&'static str>,
    checks: Mutex<usize>,
}

impl World {
    fn new(files: &[(u32, &[&'static str])]) -> World {
        World {
            files: files.iter().map(|(k, f)| (*k, f.to_vec())).collect(),
            bad: Vec::new(),
            bad_pairs: Vec::new(),
            breaks_others: Vec::new(),
            broken: Vec::new(),
            checks: Mutex::new(0),
        }
    }

    fn attempt(&self, withheld: &BTreeSet<u32>) -> Attempt<u32> {
        let mut texts: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
        let mut fixes = Vec::new();
        for (k, files) in &self.files {
            if withheld.contains(k) {
                continue;
            }
            for f in files {
                texts.entry(f).or_default().push(*k);
            }
            fixes.push((*k, files.iter().map(|f| Arc::from(Path::new(*f))).collect()));
        }
        Attempt {
            texts: texts
                .into_iter()
                .map(|(f, ks)| {
                    let text = ks
                        .iter()
                        .map(|k| k.to_string())
                        .collect::<Vec<_>>()
                        .join(",");
                    (Arc::from(Path::new(f)), text.into_bytes())
                })
                .collect(),
            fixes,
        }
    }

    fn applied(texts: &HashMap<PathBuf, Vec<u8>>, dir: Option<&Path>) -> BTreeSet<u32> {
        texts
            .iter()
            .filter(|(p, _)| dir.is_none_or(|d| p.parent() == Some(d)))
            .flat_map(|(_, t)| {
                String::from_utf8(t.clone())
                    .unwrap()
                    .split(',')
                    .filter_map(|k| k.parse().ok())
                    .collect::<Vec<u32>>()
            })
            .collect()
    }
}

impl Checker for World {
    fn unit_of(&self, path: &Path) -> Result<Unit, String> {
        if path.starts_with("/nomod") {
            return Err("not in a module".into());
        }
        Ok(Unit::Go {
            module: PathBuf::from("/m"),
            dir: path.parent().unwrap().to_path_buf(),
        })
    }

    fn baseline(&self, units: &[Unit]) -> Result<HashMap<Unit, Baseline>> {
        Ok(units
            .iter()
            .map(|u| {
                let Unit::Go { dir, .. } = u else { panic!() };
                let b = if self.broken.iter().any(|b| dir == Path::new(b)) {
                    Baseline::Broken("did not build before".into())
                } else {
                    let checked = self
                        .files
                        .values()
                        .flatten()
                        .map(PathBuf::from)
                        .filter(|f| f.parent() == Some(dir))
                        .collect();
                    Baseline::Builds { checked }
                };
                (u.clone(), b)
            })
            .collect())
    }

    fn check(
        &self,
        units: &[Unit],
        texts: &HashMap<PathBuf, Vec<u8>>,
    ) -> Result<HashMap<Unit, Outcome>> {
        *self.checks.lock().unwrap() += 1;
        let everywhere = Self::applied(texts, None);
        Ok(units
            .iter()
            .map(|u| {
                let Unit::Go { dir, .. } = u else { panic!() };
                let here = Self::applied(texts, Some(dir));
                let mut diags = Vec::new();
                for b in &self.bad {
                    if here.contains(b) {
                        diags.push(diag(dir, &format!("fix {b} is bad")));
                    }
                }
                for (a, b) in &self.bad_pairs {
                    if here.contains(a) && here.contains(b) {
                        diags.push(diag(dir, &format!("fixes {a} and {b} clash")));
                    }
                }
                for (k, victim) in &self.breaks_others {
                    if everywhere.contains(k) && dir == Path::new(victim) {
                        diags.push(diag(dir, &format!("fix {k} changed an API")));
                    }
                }
                let o = if diags.is_empty() {
                    Outcome::Pass
                } else {
                    Outcome::Fail(diags)
                };
                (u.clone(), o)
            })
            .collect())
    }

    fn tools(&self, _: &[Unit]) -> Vec<&'static str> {
        vec!["fake"]
    }
}

fn diag(dir: &Path, msg: &str) -> Diag {
    Diag {
        path: Some(dir.join("x.go")),
        line: 1,
        column: 1,
        message: msg.into(),
        tool: "fake",
    }
}

struct Run {
    verification: Verification<u32>,
    fixer_calls: usize,
    checks: usize,
    last_withheld: BTreeSet<u32>,
}

fn run(world: &World) -> Run {
    let calls = RefCell::new(0);
    let last = RefCell::new(BTreeSet::new());
    let mut fixer = |w: &BTreeSet<u32>| {
        *calls.borrow_mut() += 1;
        *last.borrow_mut() = w.clone();
        world.attempt(w)
    };
    let verification = verify(&mut fixer, world, &|_| {}).unwrap();
    Run {
        verification,
        fixer_calls: calls.into_inner(),
        checks: *world.checks.lock().unwrap(),
        last_withheld: last.into_inner(),
    }
}

fn labels(r: &Run) -> BTreeMap<u32, &'static str> {
    r.verification
        .verdicts
        .iter()
        .map(|(k, v)| (*k, v.label()))
        .collect()
}

fn withheld(r: &Run) -> Vec<u32> {
    r.verification
        .verdicts
        .iter()
        .filter(|(_, v)| matches!(v, Verdict::Withheld(_)))
        .map(|(k, _)| *k)
        .collect()
}

#[test]
fn everything_builds_in_one_check() {
    let w = World::new(&[(1, &["/m/a/x.go"]), (2, &["/m/b/y.go"])]);
    let r = run(&w);
    assert_eq!(
        labels(&r),
        BTreeMap::from([(1, "verified"), (2, "verified")])
    );
    assert_eq!((r.fixer_calls, r.checks), (1, 1));
    assert_eq!(r.verification.units_checked, 2);
}

#[test]
fn one_bad_fix_among_many_in_a_package_is_the_only_one_withheld() {
    let files: Vec<(u32, &[&str])> = (1..=8).map(|k| (k, &["/m/a/x.go"][..])).collect();
    let mut w = World::new(&files);
    w.bad = vec![6];
    let r = run(&w);
    assert_eq!(withheld(&r), vec![6]);
    assert_eq!(r.verification.count("verified"), 7);
    assert_eq!(
        r.last_withheld,
        BTreeSet::from([6]),
        "the last attempt is the one written"
    );
    let Verdict::Withheld(d) = &r.verification.verdicts[&6] else {
        panic!()
    };
    assert_eq!(d.message, "fix 6 is bad");
    // log2(8) probes and one check of the remainder.
    assert!(r.checks <= 6, "{} checks", r.checks);
}

#[test]
fn two_bad_fixes_are_both_found() {
    let files: Vec<(u32, &[&str])> = (1..=6).map(|k| (k, &["/m/a/x.go"][..])).collect();
    let mut w = World::new(&files);
    w.bad = vec![2, 5];
    let r = run(&w);
    assert_eq!(withheld(&r), vec![2, 5]);
    assert_eq!(r.verification.count("verified"), 4);
}

#[test]
fn of_two_fixes_that_clash_the_later_is_withheld() {
    let files: Vec<(u32, &[&str])> = (1..=4).map(|k| (k, &["/m/a/x.go"][..])).collect();
    let mut w = World::new(&files);
    w.bad_pairs = vec![(1, 3)];
    let r = run(&w);
    assert_eq!(withheld(&r), vec![3]);
}

#[test]
fn a_fix_across_packages_is_judged_as_one() {
    let mut w = World::new(&[
        (1, &["/m/a/x.go", "/m/b/y.go"]),
        (2, &["/m/b/y.go"]),
        (3, &["/m/a/x.go"]),
    ]);
    // Fix 1 breaks package b only.
    w.breaks_others = vec![(1, "/m/b")];
    let r = run(&w);
    assert_eq!(withheld(&r), vec![1]);
    assert_eq!(r.verification.count("verified"), 2);
}

#[test]
fn failing_packages_are_searched_side_by_side() {
    let mut files: Vec<(u32, &[&str])> = Vec::new();
    for k in 1..=8 {
        files.push((k, &["/m/a/x.go"][..]));
    }
    for k in 11..=18 {
        files.push((k, &["/m/b/y.go"][..]));
    }
    let mut w = World::new(&files);
    w.bad = vec![3, 17];
    let r = run(&w);
    assert_eq!(withheld(&r), vec![3, 17]);
    // One build per step serves both searches.
    assert!(r.checks <= 7, "{} checks", r.checks);
}

#[test]
fn a_package_that_did_not_build_before_is_not_blamed() {
    let mut w = World::new(&[(1, &["/m/a/x.go"]), (2, &["/m/b/y.go"])]);
    w.broken = vec!["/m/a"];
    w.bad = vec![1];
    let r = run(&w);
    assert_eq!(
        r.verification.verdicts[&1],
        Verdict::Unverifiable("did not build before".into())
    );
    assert_eq!(r.verification.verdicts[&2], Verdict::Verified);
}

#[test]
fn a_file_outside_any_unit_is_unverifiable() {
    let w = World::new(&[(1, &["/nomod/x.go"]), (2, &["/m/b/y.go", "/nomod/z.go"])]);
    let r = run(&w);
    assert_eq!(
        r.verification.verdicts[&1],
        Verdict::Unverifiable("not in a module".into())
    );
    assert_eq!(r.verification.verdicts[&2].label(), "unverifiable");
}

#[test]
fn a_failure_its_own_fixes_do_not_explain_is_searched_over_all_fixes() {
    // Fix 1 (in a) breaks package b, which has fixes of its own.
    let mut w = World::new(&[
        (1, &["/m/a/x.go"]),
        (2, &["/m/b/y.go"]),
        (3, &["/m/b/y.go"]),
    ]);
    w.breaks_others = vec![(1, "/m/b")];
    let r = run(&w);
    assert_eq!(withheld(&r), vec![1]);
    assert_eq!(r.verification.count("verified"), 2);
}

#[test]
fn search_states() {
    // Suspects 0..5, 3 is bad: probes apply prefixes 2, 4 (fail), 3 (pass).
    let mut s = Search::new(vec![], (0..5).collect::<Vec<u32>>(), vec![]);
    let mut probes = Vec::new();
    while !s.done() {
        let applied: Vec<u32> = s
            .kept
            .iter()
            .chain(&s.rest[..s.probe_len()])
            .copied()
            .collect();
        probes.push(applied.clone());
        let fail = applied.contains(&3);
        let mut results = HashMap::new();
        let u = Unit::Go {
            module: "/m".into(),
            dir: "/m/a".into(),
        };
        s.units = vec![u.clone()];
        results.insert(
            u,
            if fail {
                Outcome::Fail(vec![Diag::general("fake", "3")])
            } else {
                Outcome::Pass
            },
        );
        s.record(&results);
    }
    assert_eq!(s.culprits.iter().map(|c| c.0).collect::<Vec<_>>(), vec![3]);
    assert_eq!(s.left_out(), vec![3]);
    assert_eq!(
        probes,
        vec![
            vec![0, 1],
            vec![0, 1, 2, 3],
            vec![0, 1, 2],
            vec![0, 1, 2, 4]
        ]
    );
}
