//! Ownership of one acquired value: does the function that made it release
//! it on every path, hand it on, or leak it — everywhere, or only on some
//! paths (an early return before the `defer`, an error return after the
//! value was built, a branch that forgets it)? The value's releases and
//! escapes (`flow`) are placed on the function's control-flow graph
//! (`cfg`); the error branch right after the call, where the value is nil,
//! and `x == nil` branches are ruled out.

use std::collections::HashSet;

use tree_sitter::Node;

use super::cfg::{self, Cfg, Exit, Kind};
use super::flow::{Escape, Fate, FlowCx, ReleaseSpec};
use super::scope::{Resolution, resolve};
use crate::lang::text;

/// The value an acquisition binds.
pub struct Acquired<'t> {
    /// The function holding it.
    pub func: Node<'t>,
    /// The statement that assigns it.
    pub stmt: Node<'t>,
    pub var: String,
    /// Where `var` is declared (its references live there).
    pub scope: Node<'t>,
    /// The error result's variable, if checked by name.
    pub err: Option<String>,
    /// Other results that live as long as it (the context a cancel func governs).
    pub companions: Vec<(String, Node<'t>)>,
}

#[derive(Debug)]
pub enum Verdict<'t> {
    /// Released (or handed on) on every path.
    Owned,
    /// It, or a companion, escapes in a way that cannot be placed on a path.
    Escapes {
        escape: Escape,
        /// The companion that escapes, if it is not the value itself.
        companion: Option<String>,
    },
    /// Never released and never handed on.
    LeaksEverywhere { last_use: usize },
    /// Released or handed on on some paths; these exits leak it.
    LeaksOn {
        exits: Vec<Exit<'t>>,
        last_use: usize,
    },
    /// Released by a `defer` inside the loop that makes it: one open value
    /// piles up per iteration until the function returns.
    DeferredInLoop { defer: Node<'t> },
}

pub struct Analysis<'t> {
    pub verdict: Verdict<'t>,
    pub fate: Fate<'t>,
}

/// `LEAKFIX_DEBUG_OWNERSHIP=1` prints every verdict with its sites.
static DEBUG: std::sync::LazyLock<bool> =
    std::sync::LazyLock::new(|| std::env::var_os("LEAKFIX_DEBUG_OWNERSHIP").is_some());

/// Decides the fate of an acquired value.
pub fn analyse<'a, 't>(
    flow: &FlowCx<'a, 't>,
    cfg: Option<&Cfg<'t>>,
    v: &Acquired<'t>,
    spec: &ReleaseSpec,
) -> Analysis<'t> {
    let a = analyse_inner(flow, cfg, v, spec);
    if *DEBUG {
        let line = |n: Node| {
            let t = &flow.src[n.byte_range()];
            let t: String = t.chars().take(40).collect::<String>().replace('\n', " ");
            format!("{}:{}", n.start_position().row + 1, t)
        };
        eprintln!(
            "ownership: {}:{} `{}`: {:?}\n  releases: {:?}\n  escapes: {:?}",
            flow.env.file.parsed.path.display(),
            line(v.stmt),
            v.var,
            a.verdict,
            a.fate
                .releases
                .iter()
                .map(|(n, b)| (line(*n), b))
                .collect::<Vec<_>>(),
            a.fate
                .escapes
                .iter()
                .map(|(e, n)| (e, line(*n)))
                .collect::<Vec<_>>(),
        );
    }
    a
}

fn analyse_inner<'a, 't>(
    flow: &FlowCx<'a, 't>,
    cfg: Option<&Cfg<'t>>,
    v: &Acquired<'t>,
    spec: &ReleaseSpec,
) -> Analysis<'t> {
    let src = flow.src;
    let mut fate = flow.fate(&v.var, v.scope, spec);
    // Companions: only their uses and escapes matter, not their release.
    let mut companion_escape = None;
    for (name, scope) in &v.companions {
        let f = flow.fate(name, *scope, &ReleaseSpec::loose());
        fate.last_use = fate.last_use.max(f.last_use);
        // A goroutine or callback the function waits for, or one that
        // watches the context: cancelling when the function returns stops
        // only what it no longer waits for.
        if let Some(e) = f
            .escapes
            .iter()
            .find(|(e, site)| {
                !(matches!(e, Escape::Goroutine | Escape::Closure)
                    && super::joins::bounded_by_function(*site, v.func, name, src))
            })
            .map(|(e, _)| *e)
        {
            companion_escape = Some((name.clone(), e));
        }
    }
    let done = |verdict| Analysis {
        verdict,
        fate: fate.clone(),
    };
    if let Some(e) = fate.imprecise_escape() {
        return done(Verdict::Escapes {
            escape: e,
            companion: None,
        });
    }
    if let Some((name, e)) = companion_escape {
        return done(Verdict::Escapes {
            escape: e,
            companion: Some(name),
        });
    }
    let last_use = fate.last_use;
    let Some(cfg) = cfg else {
        // No graph (no body?): only the simple answers.
        return done(if fate.released() || fate.escape().is_some() {
            Verdict::Owned
        } else {
            Verdict::LeaksEverywhere { last_use }
        });
    };
    let Some(start) = cfg.node_of(v.stmt) else {
        return done(Verdict::Escapes {
            escape: Escape::Unknown,
            companion: None,
        });
    };
    let in_loop = super::scope::enclosing_loop(v.stmt, v.func).is_some();
    // A deferred release inside the loop that makes the value.
    if in_loop
        && let Some(defer) = fate.releases.iter().find_map(|(site, _)| {
            let stmt = enclosing_defer(*site, v.func)?;
            let lp = super::scope::enclosing_loop(stmt, v.func)?;
            super::scope::contains(lp, v.stmt).then_some(stmt)
        })
    {
        return done(Verdict::DeferredInLoop { defer });
    }
    // A deferred release registered before the value is made, in a block
    // around it (`defer p.StopAndClear()` of the holder it is added to
    // later): it runs on every exit after the value exists.
    if fate.releases.iter().any(|(site, _)| {
        enclosing_defer(*site, v.func).is_some_and(|d| {
            d.end_byte() <= v.stmt.start_byte()
                && d.parent()
                    .is_some_and(|block| super::scope::contains(block, v.stmt))
                && super::scope::enclosing_loop(d, v.func)
                    .is_none_or(|lp| super::scope::contains(lp, v.stmt))
        })
    }) {
        return done(Verdict::Owned);
    }
    let mut blocked = HashSet::new();
    for (site, _) in &fate.releases {
        if let Some(n) = cfg.node_of(*site)
            && n != start
        {
            blocked.insert(n);
        }
    }
    for (_, site) in &fate.escapes {
        if let Some(n) = cfg.node_of(*site)
            && n != start
        {
            blocked.insert(n);
        }
    }
    // In a loop, a value moved into a local that outlives the iteration
    // (`files = append(files, f)`) is that local's to release.
    if let Some(lp) = super::scope::enclosing_loop(v.stmt, v.func) {
        for (site, holder_scope) in &fate.transfers {
            if !super::scope::contains(lp, *holder_scope)
                && let Some(n) = cfg.node_of(*site)
                && n != start
            {
                blocked.insert(n);
            }
        }
    }
    let stop_at: HashSet<usize> = if in_loop {
        [start].into()
    } else {
        HashSet::new()
    };
    let err = v.err.as_deref();
    let handoffs: HashSet<usize> = fate
        .handoffs
        .iter()
        .filter_map(|c| cfg.node_of(*c))
        .collect();
    // The state bit: does `err` hold an error after which the value is not
    // ours to release (this call's, or that of a call that took it and may
    // have released it on failure)?
    let step = |n: usize, ours: bool| {
        if n == start {
            return err.is_some();
        }
        match err {
            Some(e) if assigns(cfg.nodes[n].syntax, e, src) => handoffs.contains(&n),
            _ => ours,
        }
    };
    let prune = |n: usize, k: usize, ours: bool| {
        let node = cfg.nodes[n];
        if node.kind != Kind::Branch {
            return false;
        }
        let Some(cond) = node.syntax else {
            return false;
        };
        (ours && err.is_some_and(|e| cfg::implies_nil(cond, e, k, false, src)))
            || cfg::implies_nil(cond, &v.var, k, true, src)
    };
    let exits = cfg.reach(start, &blocked, &stop_at, step, prune);
    if exits.is_empty() {
        return done(Verdict::Owned);
    }
    if !fate.released() && fate.escapes.is_empty() {
        return done(Verdict::LeaksEverywhere { last_use });
    }
    done(Verdict::LeaksOn { exits, last_use })
}

/// The `defer` statement of the function that a release site is in.
fn enclosing_defer<'t>(site: Node<'t>, func: Node<'t>) -> Option<Node<'t>> {
    let mut cur = Some(site);
    while let Some(n) = cur {
        if n.id() == func.id() {
            return None;
        }
        if n.kind() == "defer_statement" {
            return Some(n);
        }
        cur = n.parent();
    }
    None
}

/// Does this statement assign to variable `name`?
fn assigns(stmt: Option<Node>, name: &str, src: &str) -> bool {
    let Some(stmt) = stmt else { return false };
    let left = match stmt.kind() {
        "short_var_declaration" | "assignment_statement" => stmt.child_by_field_name("left"),
        "var_declaration" => {
            return crate::lang::go::identifiers_named(stmt, name, src)
                .iter()
                .any(|i| i.parent().is_some_and(|p| p.kind() == "var_spec"));
        }
        _ => None,
    };
    left.is_some_and(|l| {
        let mut c = l.walk();
        l.named_children(&mut c)
            .any(|i| i.kind() == "identifier" && text(i, src) == name)
    })
}

/// Resolves the declaration scope of a local name seen at `at` in `func`.
pub fn local_scope<'t>(func: Node<'t>, name: &str, at: Node<'t>, src: &str) -> Option<Node<'t>> {
    match resolve(func, name, at, src) {
        Resolution::Local { scope, .. } => Some(scope),
        _ => None,
    }
}
