//! Is a value released on every path? Walks the statements after the one
//! that acquires it, in its block, and follows each path to the end of the
//! block: an early `return`, a `throw`, a `break` out of the block, an
//! `await` that may reject or a call that may throw while the value is
//! still held is a leak, unless a `finally` that releases it covers that
//! point or a `catch` takes the exception to a release.
//!
//! The walk gives up (`Outcome::Unknown`) where the release sits somewhere
//! it cannot follow: inside a loop, a `switch`, a labelled statement, or
//! inside an expression (`ok && client.release()`).

use tree_sitter::Node;

use super::scope::visit_in_function;
use crate::lang::js::strip_ts;
use crate::lang::text;

/// Why the value is still held when control leaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeakWhy {
    /// An `await` that may reject.
    Rejects,
    /// A call (or `new`) that may throw.
    Throws,
    /// A `throw` statement.
    Throw,
    /// A `return` statement.
    Return,
    /// A `break` or `continue` that leaves the block.
    Break,
    /// The end of the function or of the block that declares it.
    End,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leak {
    /// Byte offset of the statement or expression where control leaves.
    pub at: usize,
    pub why: LeakWhy,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Released on every path.
    Released,
    /// Still held where control leaves: the first such point.
    Leaks(Leak),
    /// A shape the walk does not follow.
    Unknown,
}

/// Recognises the statements that release the value.
pub trait Releases {
    /// Is `stmt` (a statement) a release of the value, as a whole?
    fn is_release(&self, stmt: Node) -> bool;
    /// Does `node` contain a release anywhere (outside nested functions)?
    fn contains_release(&self, node: Node) -> bool;
    /// A call that cannot throw in practice (beyond `console.*`): a
    /// synchronous method of the value itself (`client.escapeIdentifier`).
    fn is_harmless_call(&self, _call: Node) -> bool {
        false
    }
}

struct Walk<'a> {
    rel: &'a dyn Releases,
    src: &'a str,
    leaks: Vec<Leak>,
    unknown: bool,
}

#[derive(Clone, Copy)]
struct Ctx {
    /// A `finally` that releases covers every exit.
    covered: bool,
    /// Inside a `try` with a `catch`: exceptions go there.
    catching: bool,
    /// Inside a loop or `switch` that lies within the walked statements:
    /// `break`/`continue` stay inside.
    in_loop: bool,
}

/// State along the paths that reach a point: `Some(held)` where `held` says
/// some path still holds the value, `None` where no path reaches.
type State = Option<bool>;

/// Follows every path from after `acquisition` to the end of its block
/// (`block`); `function_body` says whether that block is the function's
/// own body (falling off it ends the function).
pub fn released_on_every_path(
    acquisition: Node,
    block: Node,
    rel: &dyn Releases,
    src: &str,
) -> Outcome {
    let mut w = Walk {
        rel,
        src,
        leaks: Vec::new(),
        unknown: false,
    };
    let stmts: Vec<Node> = statements(block)
        .into_iter()
        .filter(|s| s.start_byte() >= acquisition.end_byte())
        .collect();
    let ctx = Ctx {
        covered: false,
        catching: false,
        in_loop: false,
    };
    // Exceptions thrown in a catch-less region propagate: `catch_entry`
    // collects nothing at the top.
    let mut catch_entry = false;
    let end = w.list(&stmts, Some(true), ctx, &mut catch_entry);
    if w.unknown {
        return Outcome::Unknown;
    }
    if end == Some(true) {
        w.leaks.push(Leak {
            at: block.end_byte().saturating_sub(1),
            why: LeakWhy::End,
        });
    }
    match w.leaks.iter().min_by_key(|l| l.at) {
        Some(l) => Outcome::Leaks(*l),
        None => Outcome::Released,
    }
}

/// The statements of a block, without comments.
pub fn statements(block: Node) -> Vec<Node> {
    let mut c = block.walk();
    block
        .named_children(&mut c)
        .filter(|s| s.kind() != "comment")
        .collect()
}

impl Walk<'_> {
    fn list(&mut self, stmts: &[Node], mut st: State, ctx: Ctx, catch_entry: &mut bool) -> State {
        for s in stmts {
            if st.is_none() {
                break;
            }
            st = self.stmt(*s, st, ctx, catch_entry);
        }
        st
    }

    /// An exception may leave at `node` while `held`.
    fn may_throw(&mut self, node: Node, held: bool, ctx: Ctx, catch_entry: &mut bool) {
        if !held || ctx.covered {
            return;
        }
        if let Some((at, why)) = first_throwing(node, self.src, self.rel) {
            if ctx.catching {
                *catch_entry = true;
            } else {
                self.leaks.push(Leak { at, why });
            }
        }
    }

    fn leave(&mut self, at: usize, why: LeakWhy, held: bool, ctx: Ctx, catch_entry: &mut bool) {
        if !held || ctx.covered {
            return;
        }
        if why == LeakWhy::Throw && ctx.catching {
            *catch_entry = true;
            return;
        }
        self.leaks.push(Leak { at, why });
    }

    fn stmt(&mut self, s: Node, st: State, ctx: Ctx, catch_entry: &mut bool) -> State {
        let held = st?;
        if self.rel.is_release(s) {
            if !held {
                // Released again on a path that released it already: two
                // releases of one value (or of two values that share the
                // variable); not a shape to rewrite.
                self.unknown = true;
                return None;
            }
            // The release call itself may throw (`await fh.close()`); the
            // value is released either way.
            return Some(false);
        }
        match s.kind() {
            "return_statement" => {
                if self.rel.contains_release(s) {
                    self.unknown = true;
                    return None;
                }
                self.may_throw(s, held, ctx, catch_entry);
                self.leave(s.start_byte(), LeakWhy::Return, held, ctx, catch_entry);
                None
            }
            "throw_statement" => {
                if self.rel.contains_release(s) {
                    self.unknown = true;
                    return None;
                }
                self.leave(s.start_byte(), LeakWhy::Throw, held, ctx, catch_entry);
                None
            }
            "break_statement" | "continue_statement" => {
                if !ctx.in_loop || s.named_child_count() > 0 {
                    self.leave(s.start_byte(), LeakWhy::Break, held, ctx, catch_entry);
                }
                None
            }
            "statement_block" => {
                let stmts = statements(s);
                self.list(&stmts, st, ctx, catch_entry)
            }
            "if_statement" => {
                if let Some(c) = s.child_by_field_name("condition") {
                    if self.rel.contains_release(c) {
                        self.unknown = true;
                        return None;
                    }
                    self.may_throw(c, held, ctx, catch_entry);
                }
                let a = match s.child_by_field_name("consequence") {
                    Some(c) => self.stmt(c, st, ctx, catch_entry),
                    None => st,
                };
                let b = match s.child_by_field_name("alternative") {
                    // else_clause wraps the statement
                    Some(alt) => match alt.named_child(0) {
                        Some(inner) => self.stmt(inner, st, ctx, catch_entry),
                        None => st,
                    },
                    None => st,
                };
                merge(a, b)
            }
            "try_statement" => self.try_stmt(s, held, ctx, catch_entry),
            "for_statement" | "for_in_statement" | "while_statement" | "do_statement"
            | "switch_statement" => {
                if self.rel.contains_release(s) {
                    self.unknown = true;
                    return None;
                }
                let inner = Ctx {
                    in_loop: true,
                    ..ctx
                };
                // The header and every statement inside: exits and throws.
                self.scan_exits(s, held, inner, catch_entry);
                st
            }
            "labeled_statement" | "with_statement" => {
                if self.rel.contains_release(s) {
                    self.unknown = true;
                    return None;
                }
                self.scan_exits(s, held, ctx, catch_entry);
                st
            }
            "function_declaration"
            | "generator_function_declaration"
            | "class_declaration"
            | "empty_statement"
            | "comment" => st,
            _ => {
                if self.rel.contains_release(s) {
                    // A release inside an expression: conditional, or chained.
                    self.unknown = true;
                    return None;
                }
                self.may_throw(s, held, ctx, catch_entry);
                st
            }
        }
    }

    /// Inside a loop (no release there): every return, throw, break out
    /// and throwing call leaks while held.
    fn scan_exits(&mut self, s: Node, held: bool, ctx: Ctx, catch_entry: &mut bool) {
        if !held || ctx.covered {
            return;
        }
        let mut first: Option<(usize, LeakWhy)> = None;
        let src = self.src;
        let rel = self.rel;
        visit_in_function(s, &mut |n| {
            let hit = match n.kind() {
                "return_statement" => Some((n.start_byte(), LeakWhy::Return)),
                "throw_statement" => Some((n.start_byte(), LeakWhy::Throw)),
                // A labelled break may leave the block: conservative.
                "break_statement" | "continue_statement" if n.named_child_count() > 0 => {
                    Some((n.start_byte(), LeakWhy::Break))
                }
                "await_expression" => Some((n.start_byte(), LeakWhy::Rejects)),
                "call_expression" | "new_expression"
                    if !is_harmless_call(n, src) && !rel.is_harmless_call(n) =>
                {
                    Some((n.start_byte(), LeakWhy::Throws))
                }
                _ => None,
            };
            if let Some(h) = hit
                && first.is_none_or(|f| h.0 < f.0)
            {
                first = Some(h);
            }
        });
        if let Some((at, why)) = first {
            if ctx.catching && matches!(why, LeakWhy::Rejects | LeakWhy::Throws | LeakWhy::Throw) {
                *catch_entry = true;
            } else {
                self.leaks.push(Leak { at, why });
            }
        }
    }

    fn try_stmt(&mut self, s: Node, held: bool, ctx: Ctx, catch_entry: &mut bool) -> State {
        let body = s.child_by_field_name("body");
        let handler = s.child_by_field_name("handler");
        let finalizer = s.child_by_field_name("finalizer");
        let fin_block = finalizer.and_then(|f| f.child_by_field_name("body"));
        let fin_releases =
            fin_block.is_some_and(|b| statements(b).iter().any(|x| self.rel.is_release(*x)));
        if fin_releases {
            let inner = Ctx {
                covered: true,
                ..ctx
            };
            let mut ignored = false;
            if let Some(b) = body {
                self.stmt(b, Some(held), inner, &mut ignored);
            }
            if let Some(h) = handler
                && let Some(hb) = h.child_by_field_name("body")
            {
                self.stmt(hb, Some(held), inner, &mut ignored);
            }
            return Some(false);
        }
        if finalizer.is_some_and(|f| self.rel.contains_release(f)) {
            self.unknown = true;
            return None;
        }
        let mut entry = false;
        let body_ctx = Ctx {
            catching: handler.is_some() || ctx.catching,
            ..ctx
        };
        let after_body = match body {
            Some(b) => {
                if handler.is_some() {
                    self.stmt(b, Some(held), body_ctx, &mut entry)
                } else {
                    self.stmt(b, Some(held), ctx, catch_entry)
                }
            }
            None => Some(held),
        };
        let after_catch = match handler.and_then(|h| h.child_by_field_name("body")) {
            // The catch runs with the state at the throwing points; with
            // none, only if the value was held when the try began.
            Some(hb) => self.stmt(hb, Some(entry), ctx, catch_entry),
            None => None,
        };
        let merged = if handler.is_some() {
            merge(after_body, after_catch)
        } else {
            after_body
        };
        match fin_block {
            Some(fb) => {
                let stmts = statements(fb);
                let st = merged.or(Some(held));
                let out = self.list(&stmts, st, ctx, catch_entry);
                if merged.is_none() { None } else { out }
            }
            None => merged,
        }
    }
}

fn merge(a: State, b: State) -> State {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(x), Some(y)) => Some(x || y),
    }
}

/// `console.log(...)` and friends never throw in practice.
fn is_harmless_call(call: Node, src: &str) -> bool {
    let Some(f) = call.child_by_field_name("function").map(strip_ts) else {
        return false;
    };
    let t = text(f, src);
    t.starts_with("console.")
}

/// The first await, call or `new` in `node` (outside nested functions):
/// where an exception could leave.
pub fn first_throwing(node: Node, src: &str, rel: &dyn Releases) -> Option<(usize, LeakWhy)> {
    let mut first: Option<(usize, LeakWhy)> = None;
    visit_in_function(node, &mut |n| {
        let hit = match n.kind() {
            "await_expression" => Some((n.start_byte(), LeakWhy::Rejects)),
            "call_expression" | "new_expression"
                if !is_harmless_call(n, src) && !rel.is_harmless_call(n) =>
            {
                Some((n.start_byte(), LeakWhy::Throws))
            }
            _ => None,
        };
        if let Some(h) = hit {
            // An await of a call: report the await.
            if first.is_none_or(|f| h.0 < f.0 || (h.0 == f.0 && h.1 == LeakWhy::Rejects)) {
                first = Some(h);
            }
        }
    });
    first
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::js::scope::visit;
    use crate::analysis::js::test_support::file;

    struct Rel<'s>(&'s str);

    impl Releases for Rel<'_> {
        fn is_release(&self, stmt: Node) -> bool {
            stmt.kind() == "expression_statement"
                && self.0[stmt.byte_range()].trim_end_matches(';') == "c.release()"
        }
        fn contains_release(&self, node: Node) -> bool {
            let mut found = false;
            visit(node, &mut |n| {
                if n.kind() == "call_expression" && &self.0[n.byte_range()] == "c.release()" {
                    found = true;
                }
            });
            found
        }
    }

    fn outcome(body: &str) -> Outcome {
        let src =
            format!("async function f(pool) {{\n  const c = await pool.connect();\n{body}}}\n");
        let f = file("a.js", &src);
        let func = f.root().named_child(0).unwrap();
        let block = func.child_by_field_name("body").unwrap();
        let decl = block.named_child(0).unwrap();
        released_on_every_path(decl, block, &Rel(f.text()), f.text())
    }

    fn why(body: &str) -> Option<LeakWhy> {
        match outcome(body) {
            Outcome::Leaks(l) => Some(l.why),
            Outcome::Released => None,
            Outcome::Unknown => panic!("unknown"),
        }
    }

    #[test]
    fn paths() {
        assert_eq!(why("  c.release();\n"), None);
        assert_eq!(
            why("  await c.query('x');\n  c.release();\n"),
            Some(LeakWhy::Rejects)
        );
        assert_eq!(
            why("  if (x) return;\n  c.release();\n"),
            Some(LeakWhy::Return)
        );
        assert_eq!(
            why("  try {\n    await c.query('x');\n  } finally {\n    c.release();\n  }\n"),
            None
        );
        assert_eq!(
            why(
                "  try {\n    await c.query('x');\n  } catch (e) {\n    console.error(e);\n  }\n  c.release();\n"
            ),
            None
        );
        assert_eq!(
            why(
                "  try {\n    await c.query('x');\n    c.release();\n  } catch (e) {\n    c.release();\n    throw e;\n  }\n"
            ),
            None
        );
        assert_eq!(
            why(
                "  try {\n    await c.query('x');\n    c.release();\n  } catch (e) {\n    await c.query('ROLLBACK');\n    c.release();\n    throw e;\n  }\n"
            ),
            Some(LeakWhy::Rejects)
        );
        assert_eq!(why("  await c.query('x');\n"), Some(LeakWhy::Rejects));
        assert_eq!(why("  const n = 1;\n"), Some(LeakWhy::End));
        assert_eq!(
            why("  if (bad) {\n    c.release();\n    return;\n  }\n  c.release();\n"),
            None
        );
        assert_eq!(
            why("  for (const x of xs) {\n    if (x) return;\n  }\n  c.release();\n"),
            Some(LeakWhy::Return)
        );
        assert_eq!(outcome("  ok && c.release();\n"), Outcome::Unknown);
        assert_eq!(
            outcome("  c.release();\n  await x();\n  c.release();\n"),
            Outcome::Unknown
        );
        assert_eq!(outcome("  for (;;) { c.release(); }\n"), Outcome::Unknown);
    }
}
