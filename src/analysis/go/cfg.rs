//! A control-flow graph of one Go function body, one node per simple
//! statement or branch, built from the syntax tree: if/else, for (three
//! clauses, condition only, range, forever), switch and type switch with
//! fallthrough, select, labelled break/continue, goto, return, and calls
//! that never return (`panic`, `os.Exit`, `log.Fatal`, `t.Fatal`...), which
//! leave the function without reaching its exit. Func literals inside the
//! body are not part of it: they run when they are called.
//!
//! Path questions are asked by `reach`: from a node, which exits can be
//! reached without passing one of a set of nodes, with some branches
//! ruled out (the error branch right after a call, where its value is nil).

use std::collections::{HashMap, HashSet};

use tree_sitter::Node;

use super::syntax::is_noreturn_call;
use crate::lang::text;

pub const ENTRY: usize = 0;
pub const EXIT: usize = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Entry,
    Exit,
    /// A simple statement (or the initializer, post statement or range
    /// header of a compound one).
    Stmt,
    /// A two-way branch on `cond`: successor 0 when it holds, 1 when not.
    Branch,
    /// A switch or select header: one successor per case.
    Switch,
    Return,
    /// A call that never returns: no successors.
    Abort,
    /// A label or a join point with no code of its own.
    Nop,
}

#[derive(Clone, Copy, Debug)]
pub struct CfgNode<'t> {
    pub kind: Kind,
    /// The statement (Stmt, Return, Abort), the condition (Branch), the
    /// switch or select statement (Switch).
    pub syntax: Option<Node<'t>>,
}

pub struct Cfg<'t> {
    pub nodes: Vec<CfgNode<'t>>,
    pub succ: Vec<Vec<usize>>,
    /// Syntax node id -> CFG node that evaluates it.
    by_syntax: HashMap<usize, usize>,
    /// The function's body.
    body: Node<'t>,
}

/// An exit reached by `reach`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit<'t> {
    /// A `return` statement.
    Return(Node<'t>),
    /// Falling off the end of the body.
    End,
    /// One of the `stop_at` nodes (e.g. where the variable is assigned again).
    Stopped(usize),
}

struct Builder<'t, 's> {
    src: &'s str,
    nodes: Vec<CfgNode<'t>>,
    succ: Vec<Vec<usize>>,
    by_syntax: HashMap<usize, usize>,
    /// Enclosing breakable statements: (label, break target, continue target).
    targets: Vec<(Option<String>, usize, Option<usize>)>,
    labels: HashMap<String, usize>,
    /// `fallthrough` target: the next case's entry.
    fallthrough: Option<usize>,
}

impl<'t> Cfg<'t> {
    /// The graph of a function (declaration, method or literal); None
    /// without a body.
    pub fn build(func: Node<'t>, src: &str) -> Option<Cfg<'t>> {
        let body = func.child_by_field_name("body")?;
        let mut b = Builder {
            src,
            nodes: vec![
                CfgNode {
                    kind: Kind::Entry,
                    syntax: None,
                },
                CfgNode {
                    kind: Kind::Exit,
                    syntax: None,
                },
            ],
            succ: vec![Vec::new(), Vec::new()],
            by_syntax: HashMap::new(),
            targets: Vec::new(),
            labels: HashMap::new(),
            fallthrough: None,
        };
        b.declare_labels(body);
        let first = b.block(body, EXIT);
        b.succ[ENTRY].push(first);
        Some(Cfg {
            nodes: b.nodes,
            succ: b.succ,
            by_syntax: b.by_syntax,
            body,
        })
    }

    /// The node that evaluates `n`: the innermost statement or condition of
    /// this function containing it (for code in a func literal, the
    /// statement holding the literal).
    pub fn node_of(&self, n: Node<'t>) -> Option<usize> {
        let mut cur = Some(n);
        while let Some(c) = cur {
            if let Some(&i) = self.by_syntax.get(&c.id()) {
                return Some(i);
            }
            // Code in a func literal is evaluated by the statement holding
            // the literal (a `defer`, a `go`, a call that runs it).
            if c.id() == self.body.id() {
                return None;
            }
            cur = c.parent();
        }
        None
    }

    /// The exits reachable from node `from` (not counting `from` itself)
    /// without entering a `blocked` node. `prune(branch, edge)` rules out
    /// successors of a branch; `stop_at` nodes end a path (reported as
    /// `Exit::Stopped`). Paths into `Abort` nodes end silently. `state`
    /// lets a caller carry one bit along each path (`step` computes it for
    /// a node; pruning sees it).
    pub fn reach(
        &self,
        from: usize,
        blocked: &HashSet<usize>,
        stop_at: &HashSet<usize>,
        step: impl Fn(usize, bool) -> bool,
        prune: impl Fn(usize, usize, bool) -> bool,
    ) -> Vec<Exit<'t>> {
        let mut out = Vec::new();
        let mut seen: HashSet<(usize, bool)> = HashSet::new();
        let start_state = step(from, true);
        let mut work: Vec<(usize, bool)> = Vec::new();
        for (k, &s) in self.succ[from].iter().enumerate() {
            if !prune(from, k, start_state) {
                work.push((s, start_state));
            }
        }
        while let Some((n, state)) = work.pop() {
            if !seen.insert((n, state)) {
                continue;
            }
            if blocked.contains(&n) {
                continue;
            }
            if stop_at.contains(&n) {
                if !out.contains(&Exit::Stopped(n)) {
                    out.push(Exit::Stopped(n));
                }
                continue;
            }
            let node = self.nodes[n];
            match node.kind {
                Kind::Exit => {
                    if !out.contains(&Exit::End) {
                        out.push(Exit::End);
                    }
                    continue;
                }
                Kind::Return => {
                    let r = Exit::Return(node.syntax.expect("return has syntax"));
                    if !out.contains(&r) {
                        out.push(r);
                    }
                    continue;
                }
                Kind::Abort => continue,
                _ => {}
            }
            let state = step(n, state);
            for (k, &s) in self.succ[n].iter().enumerate() {
                if !prune(n, k, state) {
                    work.push((s, state));
                }
            }
        }
        out
    }

    /// Is node `to` reachable from `from` (through any path)?
    pub fn reaches(&self, from: usize, to: usize) -> bool {
        let mut seen = HashSet::new();
        let mut work: Vec<usize> = self.succ[from].clone();
        while let Some(n) = work.pop() {
            if n == to {
                return true;
            }
            if seen.insert(n) {
                work.extend(&self.succ[n]);
            }
        }
        false
    }
}

impl<'t> Builder<'t, '_> {
    fn add(&mut self, kind: Kind, syntax: Option<Node<'t>>, succ: Vec<usize>) -> usize {
        self.nodes.push(CfgNode { kind, syntax });
        self.succ.push(succ);
        let i = self.nodes.len() - 1;
        if let Some(s) = syntax {
            self.by_syntax.entry(s.id()).or_insert(i);
        }
        i
    }

    /// Labels get their nodes first, so `goto` can jump forward.
    fn declare_labels(&mut self, body: Node<'t>) {
        let mut stack = vec![body];
        while let Some(n) = stack.pop() {
            if n.kind() == "func_literal" {
                continue;
            }
            if n.kind() == "labeled_statement"
                && let Some(l) = n.child_by_field_name("label")
            {
                let i = self.add(Kind::Nop, None, Vec::new());
                self.labels.insert(text(l, self.src).to_string(), i);
            }
            let mut c = n.walk();
            stack.extend(n.named_children(&mut c));
        }
    }

    /// A block or statement list, entered before its first statement.
    fn block(&mut self, block: Node<'t>, next: usize) -> usize {
        let stmts = crate::lang::go::block_statements(block);
        let mut entry = next;
        for s in stmts.into_iter().rev() {
            entry = self.stmt(s, entry);
        }
        entry
    }

    fn stmt(&mut self, s: Node<'t>, next: usize) -> usize {
        match s.kind() {
            "block" | "statement_list" => self.block(s, next),
            "return_statement" => self.add(Kind::Return, Some(s), vec![EXIT]),
            "expression_statement" => {
                let noreturn = s
                    .named_child(0)
                    .is_some_and(|e| is_noreturn_call(e, self.src));
                if noreturn {
                    self.add(Kind::Abort, Some(s), Vec::new())
                } else {
                    self.add(Kind::Stmt, Some(s), vec![next])
                }
            }
            "if_statement" => self.if_stmt(s, next),
            "for_statement" => self.for_stmt(s, next, None),
            "expression_switch_statement" | "type_switch_statement" => {
                self.switch_stmt(s, next, None)
            }
            "select_statement" => self.select_stmt(s, next, None),
            "labeled_statement" => {
                let label = s
                    .child_by_field_name("label")
                    .map(|l| text(l, self.src).to_string());
                let inner = s.named_children(&mut s.walk()).find(|c| {
                    c.kind() != "label_name"
                        && Some(c.id()) != s.child_by_field_name("label").map(|l| l.id())
                });
                let entry = match inner {
                    Some(i) => match i.kind() {
                        "for_statement" => self.for_stmt(i, next, label.clone()),
                        "expression_switch_statement" | "type_switch_statement" => {
                            self.switch_stmt(i, next, label.clone())
                        }
                        "select_statement" => self.select_stmt(i, next, label.clone()),
                        _ => self.stmt(i, next),
                    },
                    None => next,
                };
                if let Some(l) = label.and_then(|l| self.labels.get(&l).copied()) {
                    self.succ[l] = vec![entry];
                    l
                } else {
                    entry
                }
            }
            "break_statement" => {
                let label = s.named_child(0).map(|l| text(l, self.src).to_string());
                let target = self
                    .targets
                    .iter()
                    .rev()
                    .find(|(l, _, _)| label.is_none() || *l == label)
                    .map(|(_, b, _)| *b)
                    .unwrap_or(next);
                self.add(Kind::Nop, Some(s), vec![target])
            }
            "continue_statement" => {
                let label = s.named_child(0).map(|l| text(l, self.src).to_string());
                let target = self
                    .targets
                    .iter()
                    .rev()
                    .filter(|(_, _, c)| c.is_some())
                    .find(|(l, _, _)| label.is_none() || *l == label)
                    .and_then(|(_, _, c)| *c)
                    .unwrap_or(next);
                self.add(Kind::Nop, Some(s), vec![target])
            }
            "goto_statement" => {
                let target = s
                    .named_child(0)
                    .and_then(|l| self.labels.get(text(l, self.src)).copied())
                    .unwrap_or(EXIT);
                self.add(Kind::Nop, Some(s), vec![target])
            }
            "fallthrough_statement" => {
                let target = self.fallthrough.unwrap_or(next);
                self.add(Kind::Nop, Some(s), vec![target])
            }
            "empty_statement" => next,
            _ => self.add(Kind::Stmt, Some(s), vec![next]),
        }
    }

    fn if_stmt(&mut self, s: Node<'t>, next: usize) -> usize {
        let then = match s.child_by_field_name("consequence") {
            Some(c) => self.block(c, next),
            None => next,
        };
        let otherwise = match s.child_by_field_name("alternative") {
            Some(a) => self.stmt(a, next),
            None => next,
        };
        let cond = s.child_by_field_name("condition");
        let branch = self.add(Kind::Branch, cond, vec![then, otherwise]);
        match s.child_by_field_name("initializer") {
            Some(init) => self.add(Kind::Stmt, Some(init), vec![branch]),
            None => branch,
        }
    }

    fn for_stmt(&mut self, s: Node<'t>, next: usize, label: Option<String>) -> usize {
        let body = s.child_by_field_name("body");
        let mut c = s.walk();
        let clause = s
            .named_children(&mut c)
            .find(|n| matches!(n.kind(), "for_clause" | "range_clause"));
        let bare_cond = s.named_children(&mut s.walk()).find(|n| {
            !matches!(
                n.kind(),
                "for_clause" | "range_clause" | "block" | "comment"
            )
        });
        // The loop header: a branch (condition or range) or a join point.
        let header = self.add(Kind::Nop, None, Vec::new());
        let (post, init) = match clause {
            Some(cl) if cl.kind() == "for_clause" => (
                cl.child_by_field_name("update"),
                cl.child_by_field_name("initializer"),
            ),
            _ => (None, None),
        };
        let continue_to = match post {
            Some(p) => self.add(Kind::Stmt, Some(p), vec![header]),
            None => header,
        };
        self.targets.push((label, next, Some(continue_to)));
        let body_entry = match body {
            Some(b) => self.block(b, continue_to),
            None => continue_to,
        };
        self.targets.pop();
        match clause {
            Some(cl) if cl.kind() == "range_clause" => {
                self.nodes[header] = CfgNode {
                    kind: Kind::Branch,
                    syntax: Some(cl),
                };
                self.by_syntax.entry(cl.id()).or_insert(header);
                self.succ[header] = vec![body_entry, next];
            }
            Some(cl) => match cl.child_by_field_name("condition") {
                Some(cond) => {
                    self.nodes[header] = CfgNode {
                        kind: Kind::Branch,
                        syntax: Some(cond),
                    };
                    self.by_syntax.entry(cond.id()).or_insert(header);
                    self.succ[header] = vec![body_entry, next];
                }
                None => self.succ[header] = vec![body_entry],
            },
            None => match bare_cond {
                Some(cond) => {
                    self.nodes[header] = CfgNode {
                        kind: Kind::Branch,
                        syntax: Some(cond),
                    };
                    self.by_syntax.entry(cond.id()).or_insert(header);
                    self.succ[header] = vec![body_entry, next];
                }
                None => self.succ[header] = vec![body_entry],
            },
        }
        match init {
            Some(i) => self.add(Kind::Stmt, Some(i), vec![header]),
            None => header,
        }
    }

    fn switch_stmt(&mut self, s: Node<'t>, next: usize, label: Option<String>) -> usize {
        let mut c = s.walk();
        let cases: Vec<Node<'t>> = s
            .named_children(&mut c)
            .filter(|n| matches!(n.kind(), "expression_case" | "default_case" | "type_case"))
            .collect();
        let header = self.add(Kind::Switch, Some(s), Vec::new());
        self.targets.push((label, next, None));
        let mut entries = vec![0; cases.len()];
        // Build last case first: `fallthrough` goes to the next case's body.
        let mut following: Option<usize> = None;
        for (i, case) in cases.iter().enumerate().rev() {
            let saved = self.fallthrough;
            self.fallthrough = following;
            let entry = self.block(*case, next);
            self.fallthrough = saved;
            entries[i] = entry;
            following = Some(entry);
        }
        self.targets.pop();
        let has_default = cases.iter().any(|c| c.kind() == "default_case");
        let mut succ = entries;
        if !has_default {
            succ.push(next);
        }
        self.succ[header] = succ;
        // The switch header evaluates its initializer and value.
        for field in ["initializer", "value"] {
            if let Some(n) = s.child_by_field_name(field) {
                self.by_syntax.entry(n.id()).or_insert(header);
            }
        }
        header
    }

    fn select_stmt(&mut self, s: Node<'t>, next: usize, label: Option<String>) -> usize {
        let mut c = s.walk();
        let cases: Vec<Node<'t>> = s
            .named_children(&mut c)
            .filter(|n| matches!(n.kind(), "communication_case" | "default_case"))
            .collect();
        let header = self.add(Kind::Switch, Some(s), Vec::new());
        self.targets.push((label, next, None));
        let mut succ = Vec::new();
        for case in cases {
            let body = self.block(case, next);
            let entry = match case.child_by_field_name("communication") {
                Some(comm) => self.add(Kind::Stmt, Some(comm), vec![body]),
                None => body,
            };
            succ.push(entry);
        }
        self.targets.pop();
        self.succ[header] = succ;
        header
    }
}

/// What a condition says about a variable on each edge: does the edge
/// (0: the condition holds, 1: it does not) imply `name != nil`, or
/// `name == nil`?
pub fn implies_nil(cond: Node, name: &str, edge: usize, want_nil: bool, src: &str) -> bool {
    let holds = edge == 0;
    implies(cond, name, holds, want_nil, src)
}

fn implies(cond: Node, name: &str, holds: bool, want_nil: bool, src: &str) -> bool {
    match cond.kind() {
        "parenthesized_expression" => cond
            .named_child(0)
            .is_some_and(|c| implies(c, name, holds, want_nil, src)),
        "unary_expression" => {
            let op = cond.child_by_field_name("operator").map(|o| text(o, src));
            op == Some("!")
                && cond
                    .child_by_field_name("operand")
                    .is_some_and(|o| implies(o, name, !holds, want_nil, src))
        }
        "binary_expression" => {
            let op = cond.child_by_field_name("operator").map(|o| text(o, src));
            let (Some(l), Some(r)) = (
                cond.child_by_field_name("left"),
                cond.child_by_field_name("right"),
            ) else {
                return false;
            };
            match op {
                Some("&&") if holds => {
                    implies(l, name, true, want_nil, src) || implies(r, name, true, want_nil, src)
                }
                Some("&&") => {
                    implies(l, name, false, want_nil, src) && implies(r, name, false, want_nil, src)
                }
                Some("||") if holds => {
                    implies(l, name, true, want_nil, src) && implies(r, name, true, want_nil, src)
                }
                Some("||") => {
                    implies(l, name, false, want_nil, src) || implies(r, name, false, want_nil, src)
                }
                Some(op @ ("==" | "!=")) => {
                    let (l, r) = (text(l, src).trim(), text(r, src).trim());
                    let compares = (l == name && r == "nil") || (l == "nil" && r == name);
                    if !compares {
                        return false;
                    }
                    // `name == nil` holds -> nil; `name != nil` fails -> nil.
                    let is_nil = (op == "==") == holds;
                    is_nil == want_nil
                }
                _ => false,
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Language;

    fn func_of(src: &str) -> (tree_sitter::Tree, String) {
        let (t, e) = Language::Go.parse(src);
        assert!(e.is_none());
        (t, src.to_string())
    }

    fn find<'t>(n: Node<'t>, src: &str, kind: &str, starts: &str) -> Node<'t> {
        let mut stack = vec![n];
        while let Some(x) = stack.pop() {
            if x.kind() == kind && text(x, src).starts_with(starts) {
                return x;
            }
            let mut c = x.walk();
            let mut ch: Vec<_> = x.named_children(&mut c).collect();
            ch.reverse();
            stack.extend(ch);
        }
        panic!("no {kind} {starts:?}")
    }

    fn exits(src: &str, from: &str, blocked: &[&str]) -> Vec<String> {
        let (tree, src) = func_of(src);
        let root = tree.root_node();
        let func = find(root, &src, "function_declaration", "func");
        let cfg = Cfg::build(func, &src).unwrap();
        let start = cfg
            .node_of(find(root, &src, "short_var_declaration", from))
            .unwrap();
        let blocked: HashSet<usize> = blocked
            .iter()
            .map(|b| {
                let stmt = find(root, &src, "expression_statement", b);
                cfg.node_of(stmt).unwrap()
            })
            .collect();
        let err_cond = |n: usize, k: usize, _: bool| {
            cfg.nodes[n].kind == Kind::Branch
                && cfg.nodes[n]
                    .syntax
                    .is_some_and(|c| implies_nil(c, "err", k, false, &src))
        };
        let mut out: Vec<String> = cfg
            .reach(start, &blocked, &HashSet::new(), |_, s| s, err_cond)
            .into_iter()
            .map(|e| match e {
                Exit::Return(r) => format!("return@{}", r.start_position().row + 1),
                Exit::End => "end".into(),
                Exit::Stopped(_) => "stopped".into(),
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn error_branches_are_pruned_and_releases_block() {
        let src = "package a\nfunc f() error {\n\tx, err := open()\n\tif err != nil {\n\t\treturn err\n\t}\n\tif bad() {\n\t\treturn nil\n\t}\n\tx.Close()\n\treturn nil\n}\n";
        assert_eq!(exits(src, "x, err", &["x.Close"]), vec!["return@8"]);
        assert_eq!(exits(src, "x, err", &[]), vec!["return@11", "return@8"]);
    }

    #[test]
    fn loops_switches_and_aborts() {
        let src = "package a\nfunc f() {\n\tx, err := open()\n\tif err == nil {\n\t\tfor i := 0; i < 3; i++ {\n\t\t\tif i == 1 {\n\t\t\t\tcontinue\n\t\t\t}\n\t\t\tswitch i {\n\t\t\tcase 2:\n\t\t\t\tlog.Fatal(\"x\")\n\t\t\tdefault:\n\t\t\t\tbreak\n\t\t\t}\n\t\t}\n\t\tx.Close()\n\t}\n}\n";
        assert_eq!(exits(src, "x, err", &["x.Close"]), Vec::<String>::new());
        assert_eq!(exits(src, "x, err", &[]), vec!["end"]);
    }

    #[test]
    fn goto_and_labels() {
        let src = "package a\nfunc f() {\nretry:\n\tx, err := open()\n\tif err != nil {\n\t\tgoto retry\n\t}\n\tif again() {\n\t\tgoto retry\n\t}\n\tx.Close()\n}\n";
        let (tree, s) = func_of(src);
        let root = tree.root_node();
        let func = find(root, &s, "function_declaration", "func");
        let cfg = Cfg::build(func, &s).unwrap();
        let acq = cfg
            .node_of(find(root, &s, "short_var_declaration", "x, err"))
            .unwrap();
        let stop: HashSet<usize> = [acq].into();
        let blocked: HashSet<usize> = [cfg
            .node_of(find(root, &s, "expression_statement", "x.Close"))
            .unwrap()]
        .into();
        let r = cfg.reach(
            acq,
            &blocked,
            &stop,
            |_, s| s,
            |n, k, _| {
                cfg.nodes[n].kind == Kind::Branch
                    && cfg.nodes[n]
                        .syntax
                        .is_some_and(|c| implies_nil(c, "err", k, false, &s))
            },
        );
        assert_eq!(r, vec![Exit::Stopped(acq)]);
    }

    #[test]
    fn conditions_imply_nil() {
        let (tree, src) = func_of("package a\nvar _ = err != nil && !os.IsNotExist(err)\n");
        let cond = find(
            tree.root_node(),
            &src,
            "binary_expression",
            "err != nil && ",
        );
        assert!(implies_nil(cond, "err", 0, false, &src));
        assert!(!implies_nil(cond, "err", 1, false, &src));
        let (tree, src) = func_of("package a\nvar _ = err == nil\n");
        let cond = find(tree.root_node(), &src, "binary_expression", "err");
        assert!(implies_nil(cond, "err", 1, false, &src));
        assert!(implies_nil(cond, "err", 0, true, &src));
    }
}
