//! Writing Rust the way rustfmt would: method chains on one line or one
//! call per line, items placed before the item that needs them, `use`
//! declarations added without disturbing the ones there. Each helper
//! returns `None` for layouts it cannot reproduce exactly; rules then offer
//! no fix rather than write code rustfmt would change.

use tree_sitter::Node;

use crate::lang::text;
use crate::source::SourceText;

/// rustfmt's defaults.
pub const MAX_WIDTH: usize = 100;
const CHAIN_WIDTH: usize = 60;
const FN_CALL_WIDTH: usize = 60;

/// A method chain split into its root and `.method(args)` links, each on one line.
pub struct Chain {
    pub root: String,
    pub links: Vec<String>,
}

impl Chain {
    /// Splits `expr` (a call, or calls chained on one) into one-line parts.
    pub fn of(expr: Node, src: &str) -> Option<Chain> {
        let mut links = Vec::new();
        let mut cur = expr;
        loop {
            let f = cur.child_by_field_name("function");
            match (cur.kind(), f) {
                ("call_expression", Some(f)) if f.kind() == "field_expression" => {
                    let name = text(f.child_by_field_name("field")?, src);
                    let args = one_line(text(cur.child_by_field_name("arguments")?, src))?;
                    links.push(format!(".{name}{args}"));
                    cur = f.child_by_field_name("value")?;
                }
                _ => break,
            }
        }
        links.reverse();
        let root = one_line(text(cur, src))?;
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
    pub fn format(&self, indent: usize, lead: usize, suffix: &str) -> Option<String> {
        let calls_ok = std::iter::once(&self.root).chain(&self.links).all(|p| {
            p.find('(')
                .is_none_or(|open| p.len() - open - 2 <= FN_CALL_WIDTH)
        });
        if !calls_ok {
            return None;
        }
        let try_extra = if suffix.starts_with('?') { 2 } else { 0 };
        let one = self.one_line();
        if (self.links.len() <= 1 || self.width() + try_extra <= CHAIN_WIDTH)
            && indent + lead + one.len() + suffix.len() <= MAX_WIDTH
        {
            return Some(format!("{one}{suffix}"));
        }
        if self.links.is_empty()
            || self.root.len() <= 4
            || indent + lead + self.root.len() > MAX_WIDTH
        {
            return None;
        }
        let pad = " ".repeat(indent + 4);
        let mut out = self.root.clone();
        for (i, l) in self.links.iter().enumerate() {
            let last = i + 1 == self.links.len();
            let line = if last {
                format!("{l}{suffix}")
            } else {
                l.clone()
            };
            if indent + 4 + line.len() > MAX_WIDTH {
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

/// The module an item belongs to: the file, or an inline `mod { ... }`'s body.
pub fn module_of(node: Node) -> Option<Node> {
    let mut cur = node.parent();
    while let Some(n) = cur {
        if n.kind() == "source_file"
            || (n.kind() == "declaration_list"
                && n.parent().is_some_and(|p| p.kind() == "mod_item"))
        {
            return Some(n);
        }
        cur = n.parent();
    }
    None
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

/// The `use` edits that make `name` (from `path`, e.g. `std::sync::LazyLock`)
/// usable in `module`: nothing when it already is; otherwise a new `use` in a
/// group of its own after the module's last `use` (rustfmt sorts within a
/// group, never across), or before its first item. Returns the insertion
/// point and text, or `Err` when `name` means something else there.
pub fn ensure_use(
    module: Node,
    source: &SourceText,
    path: &str,
    name: &str,
) -> Result<Option<(usize, String)>, String> {
    let src = source.text();
    let nl = source.newline();
    let mut c = module.walk();
    let children: Vec<Node> = module.named_children(&mut c).collect();
    let mut last_use = None;
    for ch in &children {
        if ch.kind() == "use_declaration" {
            let t: String = text(*ch, src)
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            let flat = t
                .trim_start_matches("pub")
                .trim_start_matches("use")
                .trim_end_matches(';')
                .to_string();
            let (parent, leaf) = path.rsplit_once("::").unwrap_or(("", path));
            if flat == path
                || (flat.starts_with(&format!("{parent}::{{"))
                    && flat[parent.len() + 3..]
                        .trim_end_matches('}')
                        .split(',')
                        .any(|x| x == leaf))
            {
                return Ok(None);
            }
            if flat.ends_with(&format!("::{name}")) || flat.contains(&format!("as{name}")) {
                return Err(format!("`{name}` means something else in this module"));
            }
            last_use = Some(*ch);
        }
    }
    let indent = children
        .iter()
        .find(|c| !matches!(c.kind(), "line_comment" | "block_comment"))
        .map(|c| source.indent_at(c.start_byte()).to_string())
        .unwrap_or_default();
    match last_use {
        Some(u) => {
            let at = source
                .next_line_start(u.end_byte())
                .ok_or("the last `use` ends the file")?;
            Ok(Some((at, format!("{nl}{indent}use {path};{nl}"))))
        }
        None => {
            let first = children.iter().find(|c| {
                let t = text(**c, src);
                !(c.kind() == "inner_attribute_item"
                    || t.starts_with("//!")
                    || t.starts_with("/*!"))
            });
            let Some(first) = first else {
                return Err("the module has no items".into());
            };
            let at = before_item(*first, source, src);
            Ok(Some((at, format!("{indent}use {path};{nl}{nl}"))))
        }
    }
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
) -> Option<(std::ops::Range<usize>, String)> {
    let src = source.text();
    let original = text(outer, src);
    if outer.id() == inner.id() || !original.contains('\n') {
        return Some((inner.byte_range(), replacement.to_string()));
    }
    let new_text = format!(
        "{}{replacement}{}",
        &src[outer.start_byte()..inner.start_byte()],
        &src[inner.end_byte()..outer.end_byte()]
    );
    let one = one_line(&new_text)?;
    let line = source.line_range(source.line_index(outer.start_byte()));
    let last = source.line_range(source.line_index(outer.end_byte()));
    let lead = outer.start_byte() - line.start;
    let tail = last.end - outer.end_byte();
    let links = top_level_links(&one);
    let try_extra = if one.ends_with('?') { 2 } else { 0 };
    let width = one.len();
    if (links <= 1 || width + try_extra <= CHAIN_WIDTH) && lead + width + tail <= MAX_WIDTH {
        return Some((outer.byte_range(), one));
    }
    // Still vertical: the first line changes only. rustfmt keeps a short
    // root on the line of its first link, which this layout does not.
    let first = new_text.lines().next().unwrap_or("");
    if first.len() <= 4 || lead + first.len() > MAX_WIDTH {
        return None;
    }
    Some((inner.byte_range(), replacement.to_string()))
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
            c.format(4, 8, "?;").unwrap(),
            "Client::builder().timeout(Duration::from_secs(xx)).build()?;"
        );
        let c = chain("Client::builder().timeout(Duration::from_secs(xxx)).build()");
        assert_eq!(
            c.format(4, 8, "?;").unwrap(),
            "Client::builder()\n        .timeout(Duration::from_secs(xxx))\n        .build()?;"
        );
        assert_eq!(
            c.format(4, 8, ";").unwrap(),
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
