//! The bisection that finds which of a failing group's fixes break it.

use std::collections::HashMap;
use std::fmt::Debug;

use super::{Diag, Outcome, Unit};

/// A probe whose unit could not be built because a dependency failed is
/// retried this many times (another group is still being searched).
const MAX_BLOCKED: usize = 4;

/// Finds the fixes that make a group of units fail: the smallest prefix of
/// the suspects (in a fixed order) that fails ends with a culprit; it is
/// taken out, the prefix before it is kept, and the search goes on with the
/// rest until kept + rest builds.
#[derive(Debug)]
pub(super) struct Search<K> {
    pub(super) units: Vec<Unit>,
    /// Known to build together (with the culprits left out).
    pub(super) kept: Vec<K>,
    /// Not decided yet.
    pub(super) rest: Vec<K>,
    pub(super) culprits: Vec<(K, Vec<Diag>)>,
    state: State,
    /// The errors of the failing prefix `hi`.
    hi_diags: Vec<Diag>,
    pub(super) first_diags: Vec<Diag>,
    blocked: usize,
    /// Not even the first prefix (nothing of this group) builds.
    pub(super) no_culprit: bool,
    pub(super) escalated: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Smallest failing prefix of `rest` lies in `lo..=hi` (`hi` fails).
    Bisect {
        lo: usize,
        hi: usize,
    },
    /// Does kept + all of rest build?
    Confirm,
    Done,
}

impl<K: Clone + Ord + Debug> Search<K> {
    pub(super) fn new(units: Vec<Unit>, suspects: Vec<K>, diags: Vec<Diag>) -> Search<K> {
        let n = suspects.len();
        let mut s = Search {
            units,
            kept: Vec::new(),
            rest: suspects,
            culprits: Vec::new(),
            state: State::Bisect { lo: 0, hi: n },
            hi_diags: diags.clone(),
            first_diags: diags,
            blocked: 0,
            no_culprit: false,
            escalated: false,
        };
        s.settle();
        s
    }

    pub(super) fn done(&self) -> bool {
        self.state == State::Done
    }

    /// How much of `rest` the next probe applies.
    pub(super) fn probe_len(&self) -> usize {
        match self.state {
            State::Bisect { lo, hi } => (lo + hi) / 2,
            State::Confirm => self.rest.len(),
            State::Done => 0,
        }
    }

    /// The suspects the next probe leaves out (when done: the culprits, and
    /// everything when no culprit was found).
    pub(super) fn left_out(&self) -> Vec<K> {
        let mut out: Vec<K> = self.culprits.iter().map(|(k, _)| k.clone()).collect();
        if self.state == State::Done {
            if self.no_culprit {
                out.extend(self.rest.iter().cloned());
            }
            return out;
        }
        out.extend(self.rest[self.probe_len()..].iter().cloned());
        out
    }

    pub(super) fn record(&mut self, results: &HashMap<Unit, Outcome>) {
        let mut diags = Vec::new();
        let mut blocked = false;
        for u in &self.units {
            match results.get(u) {
                Some(Outcome::Fail(d)) => diags.extend(d.iter().cloned()),
                Some(Outcome::Blocked) => blocked = true,
                _ => {}
            }
        }
        if diags.is_empty() && blocked {
            self.blocked += 1;
            if self.blocked < MAX_BLOCKED {
                return; // the same probe again
            }
            diags.push(Diag::general(
                "build",
                "a package it depends on does not build with the fixes",
            ));
        }
        self.blocked = 0;
        let failed = !diags.is_empty();
        match self.state {
            State::Bisect { lo, hi } => {
                let mid = (lo + hi) / 2;
                self.state = if failed {
                    self.hi_diags = diags;
                    State::Bisect { lo, hi: mid }
                } else {
                    State::Bisect { lo: mid + 1, hi }
                };
            }
            State::Confirm => {
                if failed {
                    self.hi_diags = diags;
                    self.state = State::Bisect {
                        lo: 0,
                        hi: self.rest.len(),
                    };
                } else {
                    self.state = State::Done;
                }
            }
            State::Done => {}
        }
        self.settle();
    }

    /// Resolves a bisection that has narrowed down to one prefix.
    fn settle(&mut self) {
        if let State::Bisect { lo, hi } = self.state
            && lo >= hi
        {
            if hi == 0 {
                // What is kept fails without any of the rest: not this group's doing.
                self.no_culprit = true;
                self.state = State::Done;
                return;
            }
            let culprit = self.rest[hi - 1].clone();
            self.culprits
                .push((culprit, std::mem::take(&mut self.hi_diags)));
            let after = self.rest.split_off(hi);
            self.rest.truncate(hi - 1);
            self.kept.append(&mut self.rest);
            self.rest = after;
            self.state = if self.rest.is_empty() {
                State::Done
            } else {
                State::Confirm
            };
        }
    }
}
