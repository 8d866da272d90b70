//! Writing Rust the way rustfmt would: method chains on one line or one
//! call per line, items placed before the item that needs them, `use`
//! declarations added without disturbing the ones there. Each helper
//! returns `None` for layouts it cannot reproduce exactly; rules then offer
//! no fix rather than write code rustfmt would change.

pub mod imports;

use tree_sitter::Node;

use crate::analysis::rust::rustfmt::RustfmtStyle;
use crate::lang::text;
use crate::source::SourceText;

pub use crate::analysis::rust::items::module_of;
pub use imports::{UseEdit, add_use};

/// A method chain split into its root and `.method(args)` links, each on one line.
pub struct Chain {
    pub root: String,
    pub links: Vec<String>,
}

impl Chain {
    /// Splits `expr` (a call, or calls chained on one, with `.await` and
    /// `?` steps) into one-line parts; a `?` stays with the part before it.
    pub fn of(expr: Node, src: &str) -> Option<Chain> {
        Chain::down_to(expr, None, src)
    }

    /// As `of`, stopping at `root` (a node inside the chain) when given.
    fn down_to(expr: Node, root: Option<Node>, src: &str) -> Option<Chain> {
        let mut links: Vec<String> = Vec::new();
        let mut tries = 0;
        let mut cur = expr;
        loop {
            if root.is_some_and(|r| r.id() == cur.id()) {
                break;
            }
            let f = cur.child_by_field_name("function");
            // `.method::<T>(..)`: the method with its type arguments.
            let (f, turbofish) = match f {
                Some(g) if g.kind() == "generic_function" => (
                    g.child_by_field_name("function"),
                    g.child_by_field_name("type_arguments")
                        .map(|t| format!("::{}", text(t, src)))
                        .unwrap_or_default(),
                ),
                f => (f, String::new()),
            };
            match (cur.kind(), f) {
                ("call_expression", Some(f)) if f.kind() == "field_expression" => {
                    let name = text(f.child_by_field_name("field")?, src);
                    let args = one_line(text(cur.child_by_field_name("arguments")?, src))?;
                    links.push(format!(".{name}{turbofish}{args}{}", "?".repeat(tries)));
                    tries = 0;
                    cur = f.child_by_field_name("value")?;
                }
                ("await_expression", _) => {
                    links.push(format!(".await{}", "?".repeat(tries)));
                    tries = 0;
                    cur = cur.named_child(0)?;
                }
                ("try_expression", _) => {
                    tries += 1;
                    cur = cur.named_child(0)?;
                }
                _ => break,
            }
        }
        if root.is_some_and(|r| r.id() != cur.id()) {
            return None;
        }
        links.reverse();
        let root = format!("{}{}", one_line(text(cur, src))?, "?".repeat(tries));
        Some(Chain { root, links })
    }

    pub fn width(&self) -> usize {
        self.root.len() + self.links.iter().map(String::len).sum::<usize>()
    }

    pub fn one_line(&self) -> String {
        let mut s = self.root.clone();
        for l in &self.links {
            s.push_str(l);
        }
        s
    }

    /// The chain as rustfmt lays it out at `indent`, after `lead` columns of
    /// other code on its first line and followed by `suffix` (`?;`, `;`,
    /// `)`). `None` when the layout is not one this helper knows.
    pub fn format(
        &self,
        style: &RustfmtStyle,
        indent: usize,
        lead: usize,
        suffix: &str,
    ) -> Option<String> {
        // rustfmt breaks an argument list wider than fn_call_width, except
        // one string literal, which it cannot break.
        let calls_ok = std::iter::once(&self.root).chain(&self.links).all(|p| {
            let p = p.trim_end_matches('?');
            p.find('(').is_none_or(|open| {
                let args = &p[open + 1..p.len() - 1];
                args.len() <= style.fn_call_width
                    || (args.starts_with('"')
                        && args.ends_with('"')
                        && !args[1..args.len() - 1].contains('"'))
            })
        });
        if !calls_ok {
            return None;
        }
        let try_extra = if suffix.starts_with('?') { 2 } else { 0 };
        let one = self.one_line();
        if (self.links.len() <= 1 || self.width() + try_extra <= style.chain_width)
            && indent + lead + one.len() + suffix.len() <= style.max_width
        {
            return Some(format!("{one}{suffix}"));
        }
        if self.links.is_empty()
            || self.root.len() <= style.tab_spaces
            || indent + lead + self.root.len() > style.max_width
        {
            return None;
        }
        let step = style.tab_spaces;
        let pad = " ".repeat(indent + step);
        let mut out = self.root.clone();
        for (i, l) in self.links.iter().enumerate() {
            let last = i + 1 == self.links.len();
            let line = if last {
                format!("{l}{suffix}")
            } else {
                l.clone()
            };
            if indent + step + line.len() > style.max_width {
                return None;
            }
            out.push('\n');
            out.push_str(&pad);
            out.push_str(&line);
        }
        Some(out)
    }
}

/// Joins a rustfmt-laid-out multi-line chain into one line; `None` when the
/// text is multi-line in another way (arguments or closures over several lines).
pub fn one_line(t: &str) -> Option<String> {
    let mut lines = t.lines();
    let mut out = lines.next()?.to_string();
    for l in lines {
        let l = l.trim();
        if !l.starts_with('.') && !l.starts_with('?') {
            return None;
        }
        out.push_str(l);
    }
    Some(out)
}

/// The item of `module` that contains `node`.
pub fn top_item<'t>(node: Node<'t>, module: Node<'t>) -> Option<Node<'t>> {
    let mut cur = node;
    loop {
        let p = cur.parent()?;
        if p.id() == module.id() {
            return Some(cur);
        }
        cur = p;
    }
}

/// Where text goes to land right before `item` and its doc comments and
/// attributes: the start of the first line they occupy.
pub fn before_item(item: Node, source: &SourceText, src: &str) -> usize {
    let mut start = item.start_byte();
    let mut prev = item.prev_sibling();
    while let Some(p) = prev {
        let t = text(p, src);
        let attached = p.kind() == "attribute_item"
            || (p.kind() == "line_comment"
                && (t.starts_with("///") || t.starts_with("//"))
                && !t.starts_with("//!"))
            || (p.kind() == "block_comment" && t.starts_with("/**"));
        // Only what sits on the lines right above.
        let gap = &src[p.end_byte()..start];
        if !attached || gap.matches('\n').count() > 1 {
            break;
        }
        start = p.start_byte();
        prev = p.prev_sibling();
    }
    source.line_range(source.line_index(start)).start
}

/// Names of the items declared directly in `module` and anywhere in the file
/// (functions, statics, consts, types), to keep new names unique.
pub fn declared_names(root: Node, src: &str) -> Vec<String> {
    let mut out = Vec::new();
    crate::analysis::rust::visit(root, &mut |n| {
        if matches!(
            n.kind(),
            "function_item"
                | "static_item"
                | "const_item"
                | "struct_item"
                | "enum_item"
                | "mod_item"
                | "type_item"
        ) && let Some(name) = n.child_by_field_name("name")
        {
            out.push(text(name, src).to_string());
        }
    });
    out
}

/// The byte range of the whole lines `node` occupies, when nothing else
/// shares them (a trailing comment may).
pub fn whole_lines(source: &SourceText, node: Node) -> Option<(usize, usize)> {
    let src = source.text();
    let first = source.line_range(source.line_index(node.start_byte()));
    let last = source.line_range(source.line_index(node.end_byte()));
    let rest = src[node.end_byte()..last.end].trim();
    if !src[first.start..node.start_byte()].trim().is_empty()
        || !(rest.is_empty() || rest.starts_with("//"))
    {
        return None;
    }
    let end = source.next_line_start(node.end_byte()).unwrap_or(src.len());
    Some((first.start, end))
}

/// Re-indents a statement's text from `from` to `to` columns. `None` when a
/// continuation line is indented less than the statement.
pub fn reindent(t: &str, from: usize, to: usize, nl: &str) -> Option<String> {
    let mut out = String::new();
    for (i, line) in t.split('\n').enumerate() {
        let line = line.trim_end_matches('\r');
        if i == 0 {
            out.push_str(line);
            continue;
        }
        out.push_str(nl);
        if line.trim().is_empty() {
            continue;
        }
        let ws = line.len() - line.trim_start_matches(' ').len();
        if ws < from {
            return None;
        }
        out.push_str(&" ".repeat(ws - from + to));
        out.push_str(line.trim_start_matches(' '));
    }
    Some(out)
}

/// Where a statement goes to run last in `block` on its normal path: before
/// the block's value (tail expression) or a final `return`, else before the
/// closing brace. Returns the insertion point (a line start) and the indent
/// of the block's statements. `None` for blocks laid out on one line.
pub fn end_of_block(block: Node, source: &SourceText) -> Option<(usize, String)> {
    let src = source.text();
    let items = crate::analysis::rust::syntax::block_items(block);
    let first = items.first()?;
    let indent = source.indent_at(first.start_byte()).to_string();
    let last = *items.last()?;
    let is_return = last.kind() == "expression_statement"
        && last
            .named_child(0)
            .is_some_and(|c| c.kind() == "return_expression")
        || last.kind() == "return_expression";
    let before = if crate::analysis::rust::syntax::block_tail(block).is_some() || is_return {
        last.start_byte()
    } else {
        block.end_byte() - 1 // the closing brace
    };
    let line = source.line_range(source.line_index(before));
    if !src[line.start..before].trim().is_empty() {
        return None;
    }
    if source.line_index(first.start_byte()) == source.line_index(block.start_byte()) {
        return None;
    }
    Some((line.start, indent))
}

/// Where a statement goes to run right before `exit` (a `return`,
/// `break` or `continue`): the start of the line of the statement that is
/// the exit, with that statement's indent. `None` when the exit is part of
/// a larger expression (`None => return x,` in a match arm, `let v = ...
/// else { return }` on one line) or shares its line with other code.
pub fn before_exit(exit: Node, source: &SourceText) -> Option<(usize, String)> {
    let src = source.text();
    let stmt = match exit.parent()? {
        p if p.kind() == "expression_statement" => p,
        p if p.kind() == "block" => exit,
        _ => return None,
    };
    let block = stmt.parent().filter(|b| b.kind() == "block")?;
    let line = source.line_range(source.line_index(stmt.start_byte()));
    if !src[line.start..stmt.start_byte()].trim().is_empty()
        || source.line_index(block.start_byte()) == source.line_index(stmt.start_byte())
    {
        return None;
    }
    Some((line.start, source.indent_at(stmt.start_byte()).to_string()))
}

/// The number of `.link` and `?` steps at the top level of one-line chain text.
fn top_level_links(s: &str) -> usize {
    let (mut depth, mut n, mut in_str) = (0i32, 0usize, false);
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if in_str {
            if c == b'\\' {
                i += 1;
            } else if c == b'"' {
                in_str = false;
            }
        } else {
            match c {
                b'"' => in_str = true,
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => depth -= 1,
                b'.' if depth == 0 => {
                    let next_dot = b.get(i + 1) == Some(&b'.');
                    let prev_digit = i > 0 && b[i - 1].is_ascii_digit();
                    if next_dot {
                        i += 1;
                    } else if !prev_digit {
                        n += 1;
                    }
                }
                _ => {}
            }
        }
        i += 1;
    }
    n
}

/// After `inner` (part of a chain) is replaced by `replacement`, the text
/// that replaces the whole chain `outer` so that the layout stays the one
/// rustfmt would choose: a vertical chain that now fits on one line is
/// joined. Returns the range to replace and its new text; `None` when the
/// chain's layout cannot be decided here.
pub fn replace_in_chain(
    outer: Node,
    inner: Node,
    replacement: &str,
    source: &SourceText,
    style: &RustfmtStyle,
) -> Option<(std::ops::Range<usize>, String)> {
    let src = source.text();
    let new_text = format!(
        "{}{replacement}{}",
        &src[outer.start_byte()..inner.start_byte()],
        &src[inner.end_byte()..outer.end_byte()]
    );
    let last = source.line_range(source.line_index(outer.end_byte()));
    let tail = last.end - outer.end_byte();
    // A comment inside the chain keeps it vertical; otherwise its one-line form.
    let one = (!has_line_comment(&new_text))
        .then(|| one_line(&new_text))
        .flatten();
    let fits_chain = |one: &str| {
        let links = top_level_links(one);
        let try_extra = if one.ends_with('?') { 2 } else { 0 };
        links <= 1 || one.len() + try_extra <= style.chain_width
    };
    // `let x: T =\n    value;`: rustfmt breaks after `=` only when the
    // value does not fit on the `let`'s line; a shorter one may now.
    if let Some(one) = &one
        && let Some(decl) = outer.parent().filter(|p| p.kind() == "let_declaration")
        && decl
            .child_by_field_name("value")
            .is_some_and(|v| v.id() == outer.id())
        && let Some(eq) = {
            let mut c = decl.walk();
            decl.children(&mut c).find(|n| n.kind() == "=")
        }
        && source.line_index(eq.end_byte()) != source.line_index(outer.start_byte())
    {
        let line = source.line_range(source.line_index(decl.start_byte()));
        let head = eq.end_byte() - line.start;
        if fits_chain(one) && head + 1 + one.len() + tail <= style.max_width {
            return Some((eq.end_byte()..outer.end_byte(), format!(" {one}")));
        }
    }
    let original = text(outer, src);
    if outer.id() == inner.id() || !original.contains('\n') {
        return Some((inner.byte_range(), replacement.to_string()));
    }
    let line = source.line_range(source.line_index(outer.start_byte()));
    let lead = outer.start_byte() - line.start;
    if let Some(one) = &one
        && fits_chain(one)
        && lead + one.len() + tail <= style.max_width
    {
        return Some((outer.byte_range(), one.clone()));
    }
    // Still vertical: the first line changes only. rustfmt keeps a short
    // root on the line of its first link, and puts a replacement's own
    // links on lines of their own, which this layout does not.
    let first = new_text.lines().next().unwrap_or("");
    if first.len() <= style.tab_spaces
        || lead + first.len() > style.max_width
        || top_level_links(replacement) > 0
    {
        return None;
    }
    Some((inner.byte_range(), replacement.to_string()))
}

/// Replaces `node` with a value: `receiver` where a method is called on
/// it (`HTTP_CLIENT.get(url)`, laid out again as one chain), else `value`
/// (`HTTP_CLIENT.clone()`).
pub fn replace_value(
    node: Node,
    value: &str,
    receiver: Option<&str>,
    source: &SourceText,
    style: &RustfmtStyle,
) -> Option<(std::ops::Range<usize>, String)> {
    let method_called = node.parent().is_some_and(|p| {
        p.kind() == "field_expression"
            && p.child_by_field_name("value")
                .is_some_and(|v| v.id() == node.id())
    });
    if let Some(r) = receiver.filter(|_| method_called) {
        let chain = Chain {
            root: r.to_string(),
            links: Vec::new(),
        };
        if let Some(edit) = replace_chain_root(chain_top(node), node, &chain, source, style) {
            return Some(edit);
        }
    }
    replace_in_chain(chain_top(node), node, value, source, style)
}

/// Does the code have a `//` comment (outside string literals)?
fn has_line_comment(t: &str) -> bool {
    let mut in_str = false;
    let b = t.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if in_str => i += 1,
            b'"' => in_str = !in_str,
            b'/' if !in_str && b.get(i + 1) == Some(&b'/') => return true,
            _ => {}
        }
        i += 1;
    }
    false
}

/// Replaces `inner`, the root of the chain `outer`, with the chain
/// `replacement` and lays the whole chain out as rustfmt would: on one line
/// when it fits, else one step per line. `None` when the chain is not a
/// statement's value or has parts that span lines.
pub fn replace_chain_root(
    outer: Node,
    inner: Node,
    replacement: &Chain,
    source: &SourceText,
    style: &RustfmtStyle,
) -> Option<(std::ops::Range<usize>, String)> {
    let src = source.text();
    if has_line_comment(text(outer, src)) {
        return None;
    }
    let old = Chain::down_to(outer, Some(inner), src)?;
    let mut links = replacement.links.clone();
    // A `?` right after the root moves to the end of the replacement.
    let root_tries = old.root.len() - old.root.trim_end_matches('?').len();
    if root_tries > 0 {
        match links.last_mut() {
            Some(l) => l.push_str(&"?".repeat(root_tries)),
            None => return None,
        }
    }
    links.extend(old.links);
    let chain = Chain {
        root: replacement.root.clone(),
        links,
    };
    relayout(outer, &chain, source, style)
}

/// `chain` laid out in place of `outer` as rustfmt would: on one line when
/// it fits, else one step per line. `None` when `outer` is not a
/// statement's value (or a block's tail) and the chain does not fit on one
/// line, or when a part spans lines.
pub fn relayout(
    outer: Node,
    chain: &Chain,
    source: &SourceText,
    style: &RustfmtStyle,
) -> Option<(std::ops::Range<usize>, String)> {
    let src = source.text();
    let line = source.line_range(source.line_index(outer.start_byte()));
    let last = source.line_range(source.line_index(outer.end_byte()));
    let indent = source.indent_at(outer.start_byte()).len();
    let lead = outer.start_byte() - line.start - indent;
    let suffix = &src[outer.end_byte()..last.end];
    let one = chain.one_line();
    let at_statement = outer.parent().is_some_and(|p| {
        matches!(
            p.kind(),
            "let_declaration" | "expression_statement" | "return_expression"
        ) || (p.kind() == "assignment_expression"
            && p.parent()
                .is_some_and(|g| g.kind() == "expression_statement"))
            || (p.kind() == "block"
                && crate::analysis::rust::syntax::block_tail(p)
                    .is_some_and(|t| t.id() == outer.id()))
    });
    if !at_statement {
        // Inside another expression: only a layout that stays on one line.
        let fits = (chain.links.len() <= 1 || chain.width() <= style.chain_width)
            && indent + lead + one.len() + suffix.len() <= style.max_width;
        return fits.then(|| (outer.byte_range(), one));
    }
    let laid = chain.format(style, indent, lead, suffix.trim_end())?;
    let laid = laid.strip_suffix(suffix.trim_end())?.to_string();
    Some((outer.byte_range(), laid.replace('\n', source.newline())))
}

/// The outermost expression of the method chain (with `?` and `.await`)
/// that `node` starts.
pub fn chain_top(node: Node) -> Node {
    let mut cur = node;
    while let Some(p) = cur.parent() {
        let continues = match p.kind() {
            "field_expression" => p
                .child_by_field_name("value")
                .is_some_and(|v| v.id() == cur.id()),
            "call_expression" => p
                .child_by_field_name("function")
                .is_some_and(|f| f.id() == cur.id()),
            "generic_function" => p
                .child_by_field_name("function")
                .is_some_and(|f| f.id() == cur.id()),
            "try_expression" | "await_expression" => true,
            _ => false,
        };
        if !continues {
            break;
        }
        cur = p;
    }
    cur
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Language;

    fn chain(expr: &str) -> Chain {
        let src = format!("fn f() {{ {expr}; }}");
        let (tree, _) = Language::Rust.parse(&src);
        let at = src.find(expr).unwrap();
        let mut n = tree
            .root_node()
            .descendant_for_byte_range(at, at + expr.len())
            .unwrap();
        while n.byte_range() != (at..at + expr.len()) {
            n = n.parent().unwrap();
        }
        Chain::of(n, &src).unwrap()
    }

    #[test]
    fn chains_break_like_rustfmt() {
        let c = chain("Client::builder().timeout(Duration::from_secs(xx)).build()");
        assert_eq!(
            c.format(&RustfmtStyle::default(), 4, 8, "?;").unwrap(),
            "Client::builder().timeout(Duration::from_secs(xx)).build()?;"
        );
        let c = chain("Client::builder().timeout(Duration::from_secs(xxx)).build()");
        assert_eq!(
            c.format(&RustfmtStyle::default(), 4, 8, "?;").unwrap(),
            "Client::builder()\n        .timeout(Duration::from_secs(xxx))\n        .build()?;"
        );
        assert_eq!(
            c.format(&RustfmtStyle::default(), 4, 8, ";").unwrap(),
            "Client::builder().timeout(Duration::from_secs(xxx)).build();"
        );
        let c = chain(
            "reqwest::Client::builder()\n        .timeout(Duration::from_secs(5))\n        .build()",
        );
        assert_eq!(c.links.len(), 2);
    }

    #[test]
    fn reindenting() {
        assert_eq!(
            reindent("let a = b\n        .c();", 8, 4, "\n").unwrap(),
            "let a = b\n    .c();"
        );
        assert!(reindent("let a = b\n  .c();", 8, 4, "\n").is_none());
    }
}
