//! Function summaries: what a function does with each parameter (and its
//! receiver) — only uses it, releases it, stores it, hands it back through
//! a result — and whether each result is a fresh value the caller owns or
//! one kept elsewhere (a field, a package variable, a parameter). Computed
//! from the callee's body wherever the program can read it (this package,
//! the rest of the module, the standard library, dependencies on disk),
//! on first use, and kept for the analysis unit.
//!
//! Recursion and call cycles converge to a conservative answer: a call back
//! into a function whose summary is being computed is "unknown", and a
//! summary that saw such a cut is not kept, so every summary is a function
//! of the code alone, whatever order the analysis asked in.

use std::collections::HashMap;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tree_sitter::Node;

use super::flow::{Escape, FlowCx, ReleaseSpec};
use super::types::TypeEnv;
use super::{GoFile, GoPackage, GoType};
use crate::analysis::inputs::{self, Inputs};
use crate::catalog::go::Lookup;
use crate::lang::text;

/// What a function does with one of its parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamFate {
    /// Only uses it during the call.
    Borrowed,
    /// Releases it on every path.
    Released,
    /// Releases it on some paths only (a second release there would be wrong).
    ReleasedSometimes,
    /// Hands it back through a result, alone or inside another value.
    IntoResult,
    /// Stores it in (something reachable from) parameter `n`, 0 being the
    /// receiver of a method.
    IntoParam(usize),
    /// Keeps it beyond the call.
    Escapes(Escape),
    Unknown,
}

/// Whether a function's result is the caller's to release.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResultFate {
    /// Made by the call: the caller owns it.
    Fresh,
    /// Kept elsewhere too (a field, a package variable, a parameter, a registry).
    NotOwned,
    Unknown,
}

#[derive(Debug)]
pub struct Summary {
    /// The receiver first (methods), then the parameters in order.
    pub params: Vec<ParamFate>,
    pub method: bool,
    /// The last parameter is variadic.
    pub variadic: bool,
}

/// The summary of the function a call calls.
pub struct CallSummary {
    summary: Arc<Summary>,
}

impl CallSummary {
    pub fn receiver(&self) -> Option<ParamFate> {
        self.summary
            .method
            .then(|| self.summary.params.first().copied())
            .flatten()
    }

    /// The fate of the call's `i`-th argument.
    pub fn arg(&self, i: usize) -> Option<ParamFate> {
        let idx = i + self.summary.method as usize;
        match self.summary.params.get(idx) {
            Some(p) => Some(*p),
            None if self.summary.variadic => self.summary.params.last().copied(),
            None => None,
        }
    }
}

/// A function: its file, where it starts, and a hash of its text (so an
/// edited copy of the file gets summaries of its own).
type Key = (PathBuf, usize, u64);

/// Summaries kept for the whole run. A function's summary depends on the
/// code alone: functions of one call cycle (a strongly connected component
/// of the call graph, found as in Tarjan's algorithm while the summaries are
/// computed) all get the conservative answer, whichever of them was asked
/// first, so every function is summarised once and the answers do not depend
/// on the order the run asks in.
#[derive(Default)]
pub struct Memo {
    params: Mutex<HashMap<Key, Option<Arc<Summary>>>>,
    results: Mutex<HashMap<Key, Option<Arc<Vec<ResultFate>>>>>,
    /// Summaries (by kind) of functions found on a call cycle.
    cyclic: Mutex<std::collections::HashSet<Node_>>,
    /// What computing each kept summary (or each cycle) read, replayed into
    /// every analysis that reuses it (see `analysis::inputs`).
    inputs: Mutex<HashMap<Node_, Inputs>>,
}

/// A summary being computed: which function, and which summary of it.
type Node_ = (Key, Kind);

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Kind {
    Params,
    Results,
}

/// A summary on the stack of computations.
struct Frame {
    node: Node_,
    /// The lowest stack position this computation reached back to.
    low: usize,
    /// A computation above reached back to this one.
    on_cycle: bool,
}

/// The state of one analysis unit's summary computations (shared with the
/// packages it reads function bodies from).
#[derive(Default)]
pub struct SummaryCache {
    /// Summaries being computed, innermost last.
    stack: Mutex<Vec<Frame>>,
    /// Computed summaries of a cycle still open: the stack position of the
    /// cycle's first function.
    provisional: Mutex<HashMap<Node_, usize>>,
    /// Packages made to read other packages' function bodies.
    foreign: Mutex<HashMap<String, Arc<GoPackage>>>,
    /// Inside the summary of a library function: how many more calls deep
    /// library code may be read (its summaries are kept for the whole run,
    /// computed with a budget of their own, so they depend on the code alone).
    budget: Mutex<Option<usize>>,
}

/// Summaries computed inside one another at most this deep.
const MAX_DEPTH: usize = 48;

/// Where a called function is declared.
struct Callee {
    key: Key,
    file: Arc<GoFile>,
    range: Range<usize>,
    /// The package to read it in (None: the unit's own).
    pkg: Option<Arc<GoPackage>>,
    method: bool,
    /// Standard library or dependency code.
    library: bool,
}

/// 1 when the call passes a receiver (a method call on a value), else 0.
pub fn receiver_offset(env: &TypeEnv, call: Node) -> usize {
    match crate::lang::go::selector_call(call) {
        Some((operand, _)) if env.package_of(operand).is_none() => 1,
        _ => 0,
    }
}

/// The summary of the function `call` calls, when its body can be read.
pub fn of_call(env: &TypeEnv, call: Node) -> Option<CallSummary> {
    if *cache(env).budget.lock().unwrap() == Some(0) {
        return None;
    }
    let callee = resolve(env, call)?;
    let summary = params_summary(env, &callee)?;
    Some(CallSummary { summary })
}

/// Whether the `index`-th result of `call` is fresh, from the callee's body.
pub fn result_fate(env: &TypeEnv, call: Node, index: usize) -> ResultFate {
    if *cache(env).budget.lock().unwrap() == Some(0) {
        return ResultFate::Unknown;
    }
    let Some(callee) = resolve(env, call) else {
        // An interface method has no body to read: a factory by its name
        // and result type.
        return super::resources::interface_result_fate(env, call, index);
    };
    match results_summary(env, &callee) {
        Some(r) => r.get(index).copied().unwrap_or(ResultFate::Unknown),
        None => ResultFate::Unknown,
    }
}

fn cache(env: &TypeEnv) -> Arc<SummaryCache> {
    env.pkg.summaries.clone()
}

/// Finds the declaration of the called function or method.
fn resolve(env: &TypeEnv, call: Node) -> Option<Callee> {
    let src = env.file.text();
    let f = call.child_by_field_name("function")?;
    let program = &env.pkg.program;
    let (found, method) = match f.kind() {
        "identifier" => {
            let name = text(f, src);
            if env.is_local(name) {
                return None;
            }
            if let Some(c) = local_decl(env.pkg, name) {
                return Some(c);
            }
            (program.func(&env.pkg.import_path, name)?, false)
        }
        "selector_expression" => {
            let operand = f.child_by_field_name("operand")?;
            let name = text(f.child_by_field_name("field")?, src);
            if let Some(path) = env.package_of(operand) {
                (program.func(path, name)?, false)
            } else {
                let recv = env.type_of(operand)?;
                if recv.package == env.pkg.import_path
                    && let Some(c) = local_decl(env.pkg, &format!("{}.{name}", recv.name))
                {
                    return Some(c);
                }
                let m = program.method(&recv, name)?;
                (m.decl?, true)
            }
        }
        _ => return None,
    };
    let (info, decl) = found;
    // A file of the unit itself: read the unit's copy (it may be edited).
    if let Some(file) = env
        .pkg
        .files
        .iter()
        .find(|x| !env.pkg.partial && *x.parsed.path == *decl.file)
    {
        return Some(Callee {
            key: key_of(file, &decl.range),
            file: file.clone(),
            range: decl.range,
            pkg: None,
            method,
            library: false,
        });
    }
    let (file, range, hash) = program.function(&decl.file, &decl.range)?;
    let pkg = foreign_package(env, &info.import_path, &info.dir, &file);
    Some(Callee {
        key: (decl.file.to_path_buf(), decl.range.start, hash),
        file,
        range,
        pkg: Some(pkg),
        method,
        library: info.origin != super::decls::PackageOrigin::Workspace,
    })
}

fn key_of(file: &GoFile, range: &Range<usize>) -> Key {
    (
        file.parsed.path.to_path_buf(),
        range.start,
        hash_text(&file.text()[range.clone()]),
    )
}

pub fn hash_text(t: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    t.hash(&mut h);
    h.finish()
}

/// A function (`F`) or method (`T.M`) declared in the unit's own files.
fn local_decl(pkg: &GoPackage, key: &str) -> Option<Callee> {
    if pkg.partial {
        return None; // snippets of another package: found through the program
    }
    let (fi, range) = pkg.decl_index().get(key)?.clone();
    Some(Callee {
        key: key_of(&pkg.files[fi], &range),
        file: pkg.files[fi].clone(),
        range,
        pkg: None,
        method: key.contains('.'),
        library: false,
    })
}

/// A package holding one file of another package, for reading its bodies
/// (everything else about that package comes from the program).
fn foreign_package(
    env: &TypeEnv,
    import_path: &str,
    dir: &std::path::Path,
    file: &Arc<GoFile>,
) -> Arc<GoPackage> {
    let cache = cache(env);
    let key = format!("{import_path}\u{0}{}", file.parsed.path.display());
    if let Some(p) = cache.foreign.lock().unwrap().get(&key) {
        return p.clone();
    }
    let pkg = Arc::new(GoPackage::foreign(
        import_path.to_string(),
        dir.to_path_buf(),
        vec![file.clone()],
        env.pkg.program.clone(),
        cache.clone(),
    ));
    cache.foreign.lock().unwrap().insert(key, pkg.clone());
    pkg
}

fn function_node<'t>(file: &'t GoFile, range: &Range<usize>) -> Option<Node<'t>> {
    let mut n = file
        .root()
        .descendant_for_byte_range(range.start, range.end)?;
    loop {
        if matches!(n.kind(), "function_declaration" | "method_declaration")
            && n.byte_range() == *range
        {
            return Some(n);
        }
        n = n.parent()?;
    }
}

/// Runs `f` with `node` on the stack. None (the conservative answer) when
/// the call closes a cycle; otherwise the result and whether it is final
/// (a function on a cycle still open is final only once the cycle is).
fn guarded<T>(
    cache: &SummaryCache,
    memo: &Memo,
    node: &Node_,
    f: impl FnOnce() -> Option<T>,
) -> Option<(T, bool)> {
    {
        let mut stack = cache.stack.lock().unwrap();
        let back_to = stack
            .iter()
            .position(|fr| fr.node == *node)
            // A member of a cycle still open: its first function is on the
            // stack at that position (kept so by re-rooting, below).
            .or_else(|| {
                let root = cache.provisional.lock().unwrap().get(node).copied()?;
                debug_assert!(root < stack.len(), "stale provisional summary");
                Some(root.min(stack.len().checked_sub(1)?))
            })
            // Too deep to follow: as if the chain looped back to its start.
            .or_else(|| (stack.len() >= MAX_DEPTH).then_some(0));
        if let Some(p) = back_to {
            stack[p].on_cycle = true;
            if let Some(top) = stack.last_mut() {
                top.low = top.low.min(p);
            }
            return None;
        }
        let low = stack.len();
        stack.push(Frame {
            node: node.clone(),
            low,
            on_cycle: false,
        });
    }
    let r = f();
    let mut stack = cache.stack.lock().unwrap();
    let frame = stack.pop().expect("summary stack");
    let pos = stack.len();
    if frame.low < pos {
        // On a cycle through a computation below: provisional. The members
        // of its cycles rooted at or above it now belong to that bigger
        // cycle (their roots leave the stack with this frame).
        let mut provisional = cache.provisional.lock().unwrap();
        for root in provisional.values_mut() {
            if *root >= pos {
                *root = frame.low;
            }
        }
        provisional.insert(frame.node, frame.low);
        drop(provisional);
        if let Some(top) = stack.last_mut() {
            top.low = top.low.min(frame.low);
        }
        return r.map(|v| (v, false));
    }
    if frame.on_cycle {
        // The first function of a cycle: every member gets the
        // conservative answer, now and for the rest of the run.
        let mut provisional = cache.provisional.lock().unwrap();
        let members: Vec<Node_> = provisional
            .iter()
            .filter(|(_, root)| **root >= pos)
            .map(|(n, _)| n.clone())
            .collect();
        // What the cycle read so far is what its answer depends on; kept
        // before the members are, so that whoever finds one finds it.
        let read = inputs::snapshot();
        let mut kept = memo.inputs.lock().unwrap();
        for m in members.iter().chain([&frame.node]) {
            kept.insert(m.clone(), read.clone());
        }
        drop(kept);
        let mut cyclic = memo.cyclic.lock().unwrap();
        for m in members {
            provisional.remove(&m);
            cyclic.insert(m);
        }
        cyclic.insert(frame.node);
        return None;
    }
    r.map(|v| (v, true))
}

/// Computes a library function's summary one call deep, or takes it from
/// the run's cache.
/// How deep library code is read: a parameter summary one call deep, a
/// result summary (is what this function returns fresh?) three calls deep,
/// for wrappers of wrappers (`OpenFifo` -> `openFifo` -> `os.OpenFile`).
const LIBRARY_PARAMS_DEPTH: usize = 0;
const LIBRARY_RESULTS_DEPTH: usize = 3;

/// Computes a library function's summary with a budget of calls it may
/// look into, or takes it from the run's memo (keyed by that budget too).
fn library<T>(
    env: &TypeEnv,
    map: &Mutex<HashMap<Key, Option<Arc<T>>>>,
    (key, kind): Node_,
    fresh_budget: usize,
    compute: impl FnOnce() -> Option<T>,
) -> Option<Arc<T>> {
    let cache = cache(env);
    let outer = *cache.budget.lock().unwrap();
    let budget = match outer {
        Some(b) => b.saturating_sub(1).min(fresh_budget),
        None => fresh_budget,
    };
    let key = (key.0, key.1, key.2 ^ ((budget as u64 + 1) << 56));
    let memo = &env.pkg.program.summaries;
    if let Some(hit) = map.lock().unwrap().get(&key) {
        if let Some(read) = memo.inputs.lock().unwrap().get(&(key.clone(), kind)) {
            inputs::replay(read);
        }
        return hit.clone();
    }
    *cache.budget.lock().unwrap() = Some(budget);
    let (v, read) = inputs::collect(|| compute().map(Arc::new));
    *cache.budget.lock().unwrap() = outer;
    memo.inputs
        .lock()
        .unwrap()
        .insert((key.clone(), kind), read);
    map.lock().unwrap().insert(key, v.clone());
    v
}

fn params_summary(env: &TypeEnv, callee: &Callee) -> Option<Arc<Summary>> {
    let memo = &env.pkg.program.summaries.params;
    let pkg: &GoPackage = callee.pkg.as_deref().unwrap_or(env.pkg);
    let compute = || {
        let func = function_node(&callee.file, &callee.range)?;
        Some(compute_params(pkg, &callee.file, func, env, callee.method))
    };
    if callee.library {
        let node = (callee.key.clone(), Kind::Params);
        return library(env, memo, node, LIBRARY_PARAMS_DEPTH, compute);
    }
    memoized(env, memo, (callee.key.clone(), Kind::Params), compute)
}

fn results_summary(env: &TypeEnv, callee: &Callee) -> Option<Arc<Vec<ResultFate>>> {
    let memo = &env.pkg.program.summaries.results;
    let pkg: &GoPackage = callee.pkg.as_deref().unwrap_or(env.pkg);
    let compute = || {
        let func = function_node(&callee.file, &callee.range)?;
        Some(compute_results(pkg, &callee.file, func, env))
    };
    if callee.library {
        let node = (callee.key.clone(), Kind::Results);
        return library(env, memo, node, LIBRARY_RESULTS_DEPTH, compute);
    }
    memoized(env, memo, (callee.key.clone(), Kind::Results), compute)
}

/// A workspace function's summary: from the run's memo, or computed (with
/// the summaries of its callees) and kept if nothing was cut.
fn memoized<T>(
    env: &TypeEnv,
    map: &Mutex<HashMap<Key, Option<Arc<T>>>>,
    node: Node_,
    compute: impl FnOnce() -> Option<T>,
) -> Option<Arc<T>> {
    let memo = &env.pkg.program.summaries;
    let replay = || {
        if let Some(read) = memo.inputs.lock().unwrap().get(&node) {
            inputs::replay(read);
        }
    };
    if let Some(hit) = map.lock().unwrap().get(&node.0) {
        replay();
        return hit.clone();
    }
    if memo.cyclic.lock().unwrap().contains(&node) {
        replay();
        return None;
    }
    let cache = cache(env);
    let (found, read) = inputs::collect(|| guarded(&cache, memo, &node, compute));
    let (v, keep) = found?;
    let v = Arc::new(v);
    if keep {
        memo.inputs.lock().unwrap().insert(node.clone(), read);
        map.lock().unwrap().insert(node.0, Some(v.clone()));
    }
    Some(v)
}

/// A parameter's name (None: unnamed or `_`) and type node.
type ParamNode<'t> = (Option<String>, Option<Node<'t>>);

/// The parameters (receiver first) of a function: (name, type node).
fn params_of<'t>(func: Node<'t>, src: &str) -> (Vec<ParamNode<'t>>, bool) {
    let mut out = Vec::new();
    let mut variadic = false;
    for field in ["receiver", "parameters"] {
        let Some(list) = func.child_by_field_name(field) else {
            continue;
        };
        let mut c = list.walk();
        for d in list.named_children(&mut c) {
            if !matches!(
                d.kind(),
                "parameter_declaration" | "variadic_parameter_declaration"
            ) {
                continue;
            }
            variadic = d.kind() == "variadic_parameter_declaration";
            let ty = d.child_by_field_name("type");
            let mut c2 = d.walk();
            let names: Vec<String> = d
                .children_by_field_name("name", &mut c2)
                .map(|n| text(n, src).to_string())
                .collect();
            if names.is_empty() {
                out.push((None, ty));
            }
            for n in names {
                out.push(((n != "_").then_some(n), ty));
            }
        }
    }
    (out, variadic)
}

fn compute_params(
    pkg: &GoPackage,
    file: &GoFile,
    func: Node,
    caller: &TypeEnv,
    method: bool,
) -> Summary {
    let src = file.text();
    let (params, variadic) = params_of(func, src);
    let env = TypeEnv::for_function(pkg, file, caller.catalog, func);
    let body = func.child_by_field_name("body");
    let cfg = super::cfg::Cfg::build(func, src);
    let mut fates = Vec::with_capacity(params.len());
    for (i, (name, ty)) in params.iter().enumerate() {
        let (Some(name), Some(ty), Some(body)) = (name, ty, body) else {
            fates.push(ParamFate::Borrowed);
            continue;
        };
        let gt = super::types::type_of_type_node(*ty, file, &pkg.import_path);
        if env.is_plain(&gt) {
            fates.push(ParamFate::Borrowed);
            continue;
        }
        let spec = release_spec(&env, &gt);
        let flow = FlowCx {
            env: &env,
            src,
            func,
        };
        let fate = flow.fate(name, body, &spec);
        let mut pf = param_fate(&fate, i);
        if pf == ParamFate::Released && !released_on_every_path(cfg.as_ref(), &fate) {
            pf = ParamFate::ReleasedSometimes;
        }
        fates.push(pf);
    }
    Summary {
        params: fates,
        method,
        variadic,
    }
}

/// Does every path from the function's entry pass a release?
fn released_on_every_path(cfg: Option<&super::cfg::Cfg>, fate: &super::flow::Fate) -> bool {
    let Some(cfg) = cfg else { return false };
    let blocked: std::collections::HashSet<usize> = fate
        .releases
        .iter()
        .filter_map(|(n, _)| cfg.node_of(*n))
        .collect();
    cfg.reach(
        super::cfg::ENTRY,
        &blocked,
        &Default::default(),
        |_, s| s,
        |_, _, _| false,
    )
    .is_empty()
}

fn param_fate(fate: &super::flow::Fate, own_index: usize) -> ParamFate {
    if !fate.escapes.is_empty() {
        let all = |p: &dyn Fn(Escape) -> bool| fate.escapes.iter().all(|(e, _)| p(*e));
        if all(&|e| e == Escape::Returned) {
            // Returned on success, released on failure (`return nil,
            // errors.CombineErrors(err, r.Close())`): after the call the
            // caller cannot tell, so a release of its own could be a second.
            if fate
                .releases
                .iter()
                .any(|(_, by)| *by != super::flow::ReleasedBy::Wrapper)
            {
                return ParamFate::ReleasedSometimes;
            }
            return ParamFate::IntoResult;
        }
        if let Some((Escape::IntoParam(k), _)) = fate.escapes.first()
            && *k != own_index
            && all(&|e| e == Escape::IntoParam(*k))
        {
            return ParamFate::IntoParam(*k);
        }
        let e = fate
            .imprecise_escape()
            .unwrap_or_else(|| fate.escape().expect("non-empty"));
        return ParamFate::Escapes(e);
    }
    if fate.released() {
        ParamFate::Released
    } else {
        ParamFate::Borrowed
    }
}

/// What releases a value of type `t`: its release method if the program
/// or the catalog knows one, else any release-like method.
pub fn release_spec(env: &TypeEnv, t: &GoType) -> ReleaseSpec {
    if let GoType::Named(tn) = t
        && let Some(r) = super::resources::release_of_type(env, tn)
    {
        return ReleaseSpec::exact(r.release, &[]);
    }
    ReleaseSpec::loose()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Value {
    Fresh,
    NotOwned,
    Neutral,
    Unknown,
}

fn compute_results(
    pkg: &GoPackage,
    file: &GoFile,
    func: Node,
    caller: &TypeEnv,
) -> Vec<ResultFate> {
    let src = file.text();
    let env = TypeEnv::for_function(pkg, file, caller.catalog, func);
    let results = super::types::result_types(func, file, &pkg.import_path);
    let n = results.len();
    let mut acc: Vec<Option<Value>> = vec![None; n];
    let Some(body) = func.child_by_field_name("body") else {
        return vec![ResultFate::Unknown; n];
    };
    let named = super::types::named_results(func, src);
    let mut stack = vec![body];
    let mut returns = Vec::new();
    while let Some(x) = stack.pop() {
        match x.kind() {
            "func_literal" => continue,
            "return_statement" => returns.push(x),
            _ => {}
        }
        let mut c = x.walk();
        stack.extend(x.named_children(&mut c));
    }
    for ret in returns {
        let values: Vec<Node> = ret
            .named_child(0)
            .map(|l| {
                let mut c = l.walk();
                l.named_children(&mut c).collect()
            })
            .unwrap_or_default();
        for (j, slot) in acc.iter_mut().enumerate() {
            let v = if values.len() == n {
                classify(&env, func, values[j], 0, src)
            } else if values.len() == 1 && n > 1 && values[0].kind() == "call_expression" {
                call_value(&env, values[0], j)
            } else if values.is_empty() && named.len() == n {
                // A naked return: what the named result holds.
                named_value(&env, func, named[j], ret, src)
            } else {
                Value::Unknown
            };
            *slot = Some(match (*slot, v) {
                (None, v) | (Some(Value::Neutral), v) => v,
                (Some(s), Value::Neutral) => s,
                (Some(Value::NotOwned), _) | (_, Value::NotOwned) => Value::NotOwned,
                (Some(Value::Unknown), _) | (_, Value::Unknown) => Value::Unknown,
                (Some(Value::Fresh), Value::Fresh) => Value::Fresh,
            });
        }
    }
    acc.into_iter()
        .map(|v| match v {
            Some(Value::Fresh) => ResultFate::Fresh,
            Some(Value::NotOwned) => ResultFate::NotOwned,
            _ => ResultFate::Unknown,
        })
        .collect()
}

/// Is the `j`-th result of `call` fresh?
fn call_value(env: &TypeEnv, call: Node, j: usize) -> Value {
    // What a `sync.Pool` hands out is the taker's until it is put back.
    if j == 0
        && let Some((operand, field)) = crate::lang::go::selector_call(call)
        && text(field, env.file.text()) == "Get"
        && env
            .type_of(operand)
            .is_some_and(|t| t.package == "sync" && t.name == "Pool")
    {
        return Value::Fresh;
    }
    if let Some(r) = catalog_resource(env, call)
        && r.result == j
    {
        return Value::Fresh;
    }
    match result_fate(env, call, j) {
        ResultFate::Fresh => Value::Fresh,
        ResultFate::NotOwned => Value::NotOwned,
        ResultFate::Unknown => Value::Unknown,
    }
}

fn catalog_resource<'c>(env: &TypeEnv<'c>, call: Node) -> Option<&'c crate::catalog::go::Resource> {
    let src = env.file.text();
    let f = call.child_by_field_name("function")?;
    let lookup = match f.kind() {
        "selector_expression" => {
            let operand = f.child_by_field_name("operand")?;
            let name = text(f.child_by_field_name("field")?, src);
            match env.package_of(operand) {
                Some(path) => env.catalog.lookup_func(path, name),
                None => env
                    .catalog
                    .lookup_method(env.type_of(operand).as_ref(), name),
            }
        }
        "identifier" => env.catalog.lookup_func(&env.pkg.import_path, text(f, src)),
        _ => return None,
    };
    match lookup {
        Lookup::Resource(r) => Some(r),
        _ => None,
    }
}

/// What a returned expression is.
fn classify(env: &TypeEnv, func: Node, e: Node, depth: usize, src: &str) -> Value {
    if depth > 4 {
        return Value::Unknown;
    }
    match e.kind() {
        "nil" => Value::Neutral,
        "parenthesized_expression" => match e.named_child(0) {
            Some(c) => classify(env, func, c, depth + 1, src),
            None => Value::Unknown,
        },
        "composite_literal" => Value::Fresh,
        "unary_expression" => {
            let op = e.child_by_field_name("operator").map(|o| text(o, src));
            match (op, e.child_by_field_name("operand")) {
                (Some("&"), Some(o)) if o.kind() == "composite_literal" => Value::Fresh,
                _ => Value::Unknown,
            }
        }
        "call_expression" => {
            let f = e.child_by_field_name("function");
            if f.is_some_and(|f| matches!(text(f, src), "new" | "make")) {
                return Value::Fresh;
            }
            call_value(env, e, 0)
        }
        // A field of a value made here (`return resp.Body, nil`) is the
        // caller's as much as the value is; of anything else, it is shared.
        "selector_expression" | "index_expression" => {
            let mut root = e;
            while let Some(o) = root
                .child_by_field_name("operand")
                .filter(|_| matches!(root.kind(), "selector_expression" | "index_expression"))
            {
                root = o;
            }
            if root.kind() == "identifier"
                && matches!(
                    super::scope::resolve(func, text(root, src), root, src),
                    super::scope::Resolution::Local { .. }
                )
            {
                local_value(env, func, root, depth, src)
            } else {
                Value::NotOwned
            }
        }
        "identifier" => {
            let name = text(e, src);
            match super::scope::resolve(func, name, e, src) {
                super::scope::Resolution::Local { .. } => local_value(env, func, e, depth, src),
                super::scope::Resolution::Param
                | super::scope::Resolution::Outer
                | super::scope::Resolution::Package => Value::NotOwned,
                super::scope::Resolution::NamedResult => named_value(env, func, name, e, src),
            }
        }
        // `x.(T)` is the value `x` holds.
        "type_assertion_expression" => match e.child_by_field_name("operand") {
            Some(o) => classify(env, func, o, depth + 1, src),
            None => Value::Unknown,
        },
        _ => Value::Unknown,
    }
}

/// A named result returned (by name or by a naked `return`): what every
/// assignment to it in the body holds, as for a local.
fn named_value(env: &TypeEnv, func: Node, name: &str, at: Node, src: &str) -> Value {
    match func.child_by_field_name("body") {
        Some(body) => assigned_value(env, func, name, body, at, 0, src),
        None => Value::Unknown,
    }
}

/// A release in a deferred func literal under a condition on a named result
/// (`defer func() { if retErr != nil { f.Close() } }()`): it happens only
/// when the function fails, never to a value it returns.
fn closes_on_failure_only(site: Node, named: &[&str], src: &str) -> bool {
    let mut cur = site;
    let mut guarded = false;
    while let Some(p) = cur.parent() {
        if p.kind() == "if_statement"
            && p.child_by_field_name("condition")
                .is_some_and(|c| named.iter().any(|n| super::syntax::mentions(c, n, src)))
        {
            guarded = true;
        }
        if p.kind() == "func_literal" {
            return guarded
                && p.parent()
                    .and_then(|c| c.parent())
                    .is_some_and(|d| d.kind() == "defer_statement");
        }
        cur = p;
    }
    false
}

/// Does a func literal in `scope` that is kept (not deferred right here)
/// call `name`'s release (`name.Close()`; any of `Close`, `Stop` when the
/// release is not known)?
fn closure_releases(scope: Node, func: Node, name: &str, method: Option<&str>, src: &str) -> bool {
    let mut stack = vec![scope];
    while let Some(n) = stack.pop() {
        if n.kind() == "call_expression"
            && let Some((operand, field)) = crate::lang::go::selector_call(n)
            && operand.kind() == "identifier"
            && text(operand, src) == name
            && match method {
                Some(m) => text(field, src) == m,
                None => matches!(text(field, src), "Close" | "Stop"),
            }
            && released_in_kept_closure(n, func)
            && is_same_variable(func, scope, name, operand, src)
        {
            return true;
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    false
}

/// Does `name` at `at` name the variable declared in `scope` (a local of
/// it, or a named result when `scope` is the body), not one shadowing it?
fn is_same_variable(func: Node, scope: Node, name: &str, at: Node, src: &str) -> bool {
    match super::scope::resolve(func, name, at, src) {
        super::scope::Resolution::Local { scope: s, .. } => s.id() == scope.id(),
        super::scope::Resolution::NamedResult => func
            .child_by_field_name("body")
            .is_some_and(|b| b.id() == scope.id()),
        _ => false,
    }
}

/// Is `site` inside a func literal (within `func`) other than one called
/// by a `defer` statement right there?
fn released_in_kept_closure(site: Node, func: Node) -> bool {
    let mut cur = site;
    while let Some(p) = cur.parent() {
        if p.id() == func.id() {
            return false;
        }
        if p.kind() == "func_literal" {
            let deferred = p
                .parent()
                .filter(|c| c.kind() == "call_expression")
                .and_then(|c| c.parent())
                .is_some_and(|d| d.kind() == "defer_statement");
            if !deferred {
                return true;
            }
        }
        cur = p;
    }
    false
}

/// A returned local: fresh if every value assigned to it is, and it is not
/// also kept elsewhere.
fn local_value(env: &TypeEnv, func: Node, ident: Node, depth: usize, src: &str) -> Value {
    let name = text(ident, src);
    let super::scope::Resolution::Local { scope, .. } =
        super::scope::resolve(func, name, ident, src)
    else {
        return Value::Unknown;
    };
    assigned_value(env, func, name, scope, ident, depth, src)
}

/// What the variable `name` declared in `scope` holds when `at` uses it:
/// fresh if every value assigned to it is, and it is not also kept elsewhere.
fn assigned_value(
    env: &TypeEnv,
    func: Node,
    name: &str,
    scope: Node,
    at: Node,
    depth: usize,
    src: &str,
) -> Value {
    let mut acc: Option<Value> = None;
    for r in super::scope::references(scope, name, src) {
        let Some(list) = r.parent().filter(|p| p.kind() == "expression_list") else {
            continue;
        };
        let Some(stmt) = list.parent() else { continue };
        if !matches!(
            stmt.kind(),
            "short_var_declaration" | "assignment_statement"
        ) || stmt
            .child_by_field_name("left")
            .is_none_or(|l| l.id() != list.id())
        {
            continue;
        }
        let mut c = list.walk();
        let targets: Vec<Node> = list.named_children(&mut c).collect();
        let Some(i) = targets.iter().position(|t| t.id() == r.id()) else {
            continue;
        };
        let Some(right) = stmt.child_by_field_name("right") else {
            continue;
        };
        let mut c = right.walk();
        let values: Vec<Node> = right.named_children(&mut c).collect();
        let v = if values.len() == targets.len() {
            classify(env, func, values[i], depth + 1, src)
        } else if values.len() == 1 && values[0].kind() == "call_expression" {
            call_value(env, values[0], i)
        } else if values.len() == 1 && i == 0 && values[0].kind() == "type_assertion_expression" {
            // `v, ok := x.(T)`
            classify(env, func, values[0], depth + 1, src)
        } else {
            Value::Unknown
        };
        acc = Some(match (acc, v) {
            (None, v) => v,
            (Some(a), Value::Neutral) => a,
            (Some(Value::Neutral), v) => v,
            (Some(Value::Fresh), Value::Fresh) => Value::Fresh,
            (Some(Value::NotOwned), _) | (_, Value::NotOwned) => Value::NotOwned,
            _ => Value::Unknown,
        });
    }
    let v = acc.unwrap_or(Value::Unknown);
    if v != Value::Fresh {
        return v;
    }
    // Kept somewhere besides being returned (a field, a package variable, a
    // registry, a channel): not the caller's alone. Goroutines and closures
    // of its own implementation (a reader loop started by the constructor)
    // do not change who must close it.
    let flow = FlowCx { env, src, func };
    // Its type's own release (`resp.Body.Close()` for a response), else
    // any release-like method.
    let spec = match env.type_of(at).filter(|_| at.kind() == "identifier") {
        Some(t) => release_spec(env, &GoType::Named(t)),
        None => ReleaseSpec::loose(),
    };
    let fate = flow.fate(name, scope, &spec);
    if fate.escapes.iter().any(|(e, _)| {
        matches!(
            e,
            Escape::Stored | Escape::IntoParam(_) | Escape::Sent | Escape::HandedOn
        )
    }) {
        return Value::NotOwned;
    }
    // Released by a func literal that is not deferred here (a cleanup
    // registered with `t.Cleanup`, a close func handed back beside it):
    // someone else releases it.
    let method = match env.type_of(at).filter(|_| at.kind() == "identifier") {
        Some(t) => super::resources::release_of_type(env, &t)
            .and_then(|r| r.release.method().map(str::to_string)),
        None => None,
    };
    if fate
        .releases
        .iter()
        .any(|(n, _)| released_in_kept_closure(*n, func))
        || closure_releases(scope, func, name, method.as_deref(), src)
    {
        return Value::NotOwned;
    }
    if fate.released() {
        // Closed on a path that then returns it: not a usable resource.
        let Some(cfg) = super::cfg::Cfg::build(func, src) else {
            return Value::Unknown;
        };
        let returns: Vec<usize> = fate
            .escapes
            .iter()
            .filter_map(|(_, n)| cfg.node_of(*n))
            .collect();
        let named = super::types::named_results(func, src);
        let closed_then_returned = fate.releases.iter().any(|(n, _)| {
            !closes_on_failure_only(*n, &named, src)
                && cfg
                    .node_of(*n)
                    .is_some_and(|r| returns.iter().any(|&ret| cfg.reaches(r, ret)))
        });
        if closed_then_returned {
            // Released before it is handed out (`defer resp.Body.Close()`
            // in a helper that returns `resp` for its headers): the caller
            // has nothing to release.
            return Value::NotOwned;
        }
    }
    Value::Fresh
}
