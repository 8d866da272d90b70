//! Adding a `use` the way the crate's rustfmt would keep it: into the
//! module's existing group of imports (the one with `std` imports, or the
//! only one), at the place rustfmt sorts it to, merged into a `use` of the
//! same module when the crate's `imports_granularity` asks for that. When
//! the layout is one leakfix does not reproduce (nested crate-level trees,
//! vertical lists it would have to re-wrap), the caller writes the full
//! path instead of importing it.

use std::cmp::Ordering;

use tree_sitter::Node;

use super::before_item;
use crate::analysis::rust::RustFile;
use crate::analysis::rust::rustfmt::{Granularity, Grouping, RustfmtStyle};
use crate::lang::text;

/// What it takes to use a path's last segment by its name in a module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UseEdit {
    /// The name already means that path there.
    InScope,
    /// Insert `text` at `at`.
    Insert { at: usize, text: String },
    /// Replace an existing `use` (at `range`) with `text`.
    Replace {
        range: std::ops::Range<usize>,
        text: String,
    },
    /// Write the full path instead: an import would need a layout leakfix
    /// does not write.
    Qualify,
}

/// How to make `path`'s last segment usable in `module`. `Err` when that
/// name already means something else there.
pub fn add_use(file: &RustFile, module: Node, path: &str) -> Result<UseEdit, String> {
    let source = &file.parsed.source;
    let src = source.text();
    let style = file.style();
    let nl = source.newline();
    let name = path.rsplit("::").next().unwrap_or(path);
    if let Some(b) = file
        .uses
        .iter()
        .find(|u| u.scope == module.byte_range() && u.alias == name)
    {
        return if b.path == path {
            Ok(UseEdit::InScope)
        } else {
            Err(format!("`{name}` means `{}` in this module", b.path))
        };
    }
    let mut c = module.walk();
    let children: Vec<Node> = module.named_children(&mut c).collect();
    if children.iter().any(|i| {
        !i.kind().ends_with("use_declaration")
            && i.child_by_field_name("name")
                .is_some_and(|n| text(n, src) == name)
    }) {
        return Err(format!("`{name}` is declared in this module"));
    }
    let uses: Vec<Node> = children
        .iter()
        .copied()
        .filter(|n| n.kind() == "use_declaration")
        .collect();
    let indent = children
        .iter()
        .find(|c| !matches!(c.kind(), "line_comment" | "block_comment"))
        .map(|c| source.indent_at(c.start_byte()).to_string())
        .unwrap_or_default();
    let line = |p: &str| format!("{indent}use {p};{nl}");

    if uses.is_empty() {
        let first = children.iter().find(|c| {
            let t = text(**c, src);
            !(c.kind() == "inner_attribute_item" || t.starts_with("//!") || t.starts_with("/*!"))
        });
        let Some(first) = first else {
            return Err("the module has no items".into());
        };
        let at = before_item(*first, source, src);
        return Ok(UseEdit::Insert {
            at,
            text: format!("{}{nl}", line(path)),
        });
    }

    // Groups: runs of `use` items separated by nothing but a line break
    // (attributes and comments in between end a run: leakfix keeps off them).
    let mut groups: Vec<Vec<Node>> = Vec::new();
    for u in &uses {
        let joins = groups.last().and_then(|g| g.last()).is_some_and(|prev| {
            prev.next_named_sibling().is_some_and(|n| n.id() == u.id())
                && src[prev.end_byte()..u.start_byte()].matches('\n').count() == 1
        });
        if joins {
            groups.last_mut().unwrap().push(*u);
        } else {
            groups.push(vec![*u]);
        }
    }
    let root = path.split("::").next().unwrap_or(path);
    let is_std = |r: &str| matches!(r, "std" | "core" | "alloc");
    let new_is_std = is_std(root);
    let roots = |g: &[Node]| -> Vec<String> {
        g.iter()
            .map(|u| flat(*u, src).split("::").next().unwrap_or("").to_string())
            .collect()
    };
    let target = match style.grouping {
        Grouping::One => Some(0),
        Grouping::StdExternalCrate if new_is_std => groups
            .iter()
            .position(|g| roots(g).iter().all(|r| is_std(r))),
        Grouping::StdExternalCrate => {
            // The group of external crates: neither std nor local.
            groups.iter().position(|g| {
                roots(g)
                    .iter()
                    .all(|r| !is_std(r) && !matches!(r.as_str(), "crate" | "self" | "super"))
            })
        }
        Grouping::Preserve => {
            let same_root = groups
                .iter()
                .position(|g| roots(g).iter().any(|r| r == root));
            let std_group = groups
                .iter()
                .position(|g| roots(g).iter().any(|r| is_std(r)));
            // A group of other crates' imports: neither std nor this crate's.
            let external = groups.iter().position(|g| {
                roots(g)
                    .iter()
                    .all(|r| !is_std(r) && !matches!(r.as_str(), "crate" | "self" | "super"))
            });
            match (same_root, new_is_std) {
                (Some(i), _) => Some(i),
                (None, true) => std_group.or(if groups.len() == 1 { Some(0) } else { None }),
                (None, false) if groups.len() == 1 => Some(0),
                (None, false) => external,
            }
        }
    };
    let Some(target) = target else {
        // A group of its own, where its kind of import goes: std first.
        if new_is_std {
            let at = before_item(groups[0][0], source, src);
            return Ok(UseEdit::Insert {
                at,
                text: format!("{}{nl}", line(path)),
            });
        }
        return Ok(UseEdit::Qualify);
    };
    let group = &groups[target];

    // Same module (Module granularity) or same crate (Crate) imported already.
    let (parent, _) = path.rsplit_once("::").unwrap_or(("", path));
    match style.granularity {
        Granularity::Crate => {
            if uses
                .iter()
                .any(|u| flat(*u, src).split("::").next() == Some(root))
            {
                return Ok(UseEdit::Qualify);
            }
        }
        Granularity::Module => {
            if let Some(u) = group.iter().find(|u| {
                let f = flat(**u, src);
                plain_use(**u, src)
                    && (f
                        .rsplit_once("::")
                        .is_some_and(|(p, l)| p == parent && !l.starts_with('{'))
                        || f.starts_with(&format!("{parent}::{{")))
            }) {
                return merge(*u, path, style, src, &indent)
                    .ok_or(())
                    .or(Ok(UseEdit::Qualify));
            }
        }
        Granularity::Preserve => {}
    }
    if !style.reorder_imports {
        let last = group.last().unwrap();
        let at = source
            .next_line_start(last.end_byte())
            .ok_or("the last `use` ends the file")?;
        return Ok(UseEdit::Insert {
            at,
            text: line(path),
        });
    }
    let key = segments(path);
    let after = group
        .iter()
        .find(|u| compare(&segments(&flat(**u, src)), &key, style.style_2024) == Ordering::Greater);
    match after {
        Some(u) => {
            // Before the `use` and any attributes or doc comments on it.
            let at = before_item(*u, source, src);
            Ok(UseEdit::Insert {
                at,
                text: line(path),
            })
        }
        None => {
            let last = group.last().unwrap();
            let at = source
                .next_line_start(last.end_byte())
                .ok_or("the last `use` ends the file")?;
            Ok(UseEdit::Insert {
                at,
                text: line(path),
            })
        }
    }
}

/// A `use` without attributes or visibility, on one line.
fn plain_use(u: Node, src: &str) -> bool {
    let t = text(u, src);
    t.starts_with("use ")
        && !t.contains('\n')
        && u.prev_sibling()
            .is_none_or(|p| p.kind() != "attribute_item")
}

/// Merges `path` into the one-line `use parent::X;` or `use parent::{..};`.
fn merge(u: Node, path: &str, style: &RustfmtStyle, src: &str, indent: &str) -> Option<UseEdit> {
    let f = flat(u, src);
    let (parent, leaf) = path.rsplit_once("::")?;
    let items: Vec<String> = match f.strip_prefix(&format!("{parent}::")) {
        Some(rest) if rest.starts_with('{') => {
            split_list(rest.strip_prefix('{')?.strip_suffix('}')?)
        }
        Some(rest) => vec![rest.to_string()],
        None => return None,
    };
    if items.iter().any(|i| i == leaf) {
        return Some(UseEdit::InScope);
    }
    let mut items = items;
    items.push(leaf.to_string());
    items.sort_by(|a, b| compare(&segments(a), &segments(b), style.style_2024));
    let line = format!("use {parent}::{{{}}};", items.join(", "));
    if indent.len() + line.len() > style.max_width {
        return None;
    }
    Some(UseEdit::Replace {
        range: u.byte_range(),
        text: line,
    })
}

/// Splits a use list's inside at top-level commas.
fn split_list(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    for ch in s.chars() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                continue;
            }
            _ => {}
        }
        cur.push(ch);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// A `use` declaration's tree without `pub`, `use`, `;` and whitespace.
fn flat(u: Node, src: &str) -> String {
    let arg = u
        .child_by_field_name("argument")
        .map(|a| text(a, src))
        .unwrap_or("");
    let words: Vec<&str> = arg.split_whitespace().collect();
    let mut out = String::new();
    for (i, w) in words.iter().enumerate() {
        if *w == "as" || (i > 0 && words[i - 1] == "as") {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

#[derive(Debug, PartialEq, Eq)]
enum Seg {
    SelfKw,
    Super,
    Crate,
    Ident(String),
    Glob,
    List,
}

impl Seg {
    fn rank(&self) -> u8 {
        match self {
            Seg::SelfKw => 0,
            Seg::Super => 1,
            Seg::Crate => 2,
            Seg::Ident(_) => 3,
            Seg::Glob => 4,
            Seg::List => 5,
        }
    }
}

fn segments(flat: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    for part in flat.trim_start_matches("::").split("::") {
        if part.starts_with('{') {
            out.push(Seg::List);
            break;
        }
        out.push(match part {
            "self" => Seg::SelfKw,
            "super" => Seg::Super,
            "crate" => Seg::Crate,
            "*" => Seg::Glob,
            p => Seg::Ident(p.to_string()),
        });
    }
    out
}

/// rustfmt's order of use paths: segment by segment, `self` < `super` <
/// `crate` < names < `*` < `{..}`, a prefix before what extends it.
fn compare(a: &[Seg], b: &[Seg], style_2024: bool) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = match (x, y) {
            (Seg::Ident(p), Seg::Ident(q)) => {
                if style_2024 {
                    version_cmp(p, q)
                } else {
                    ident_cmp_2015(p, q)
                }
            }
            _ => x.rank().cmp(&y.rank()),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

/// Before the 2024 style: snake_case < CamelCase < UPPER_SNAKE_CASE, then bytes.
fn ident_cmp_2015(a: &str, b: &str) -> Ordering {
    let class = |s: &str| {
        let upper_snake = s
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if s.starts_with(|c: char| c.is_lowercase() || c == '_') {
            0
        } else if upper_snake {
            2
        } else {
            1
        }
    };
    class(a).cmp(&class(b)).then_with(|| a.cmp(b))
}

/// The 2024 style's version sort: `_` first, digit runs by value, other
/// characters by code point.
fn version_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.chars().peekable(), b.chars().peekable());
    loop {
        match (x.peek().copied(), y.peek().copied()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(p), Some(q)) if p.is_ascii_digit() && q.is_ascii_digit() => {
                let mut n = String::new();
                while let Some(d) = x.peek().copied().filter(char::is_ascii_digit) {
                    n.push(d);
                    x.next();
                }
                let mut m = String::new();
                while let Some(d) = y.peek().copied().filter(char::is_ascii_digit) {
                    m.push(d);
                    y.next();
                }
                let (tn, tm) = (n.trim_start_matches('0'), m.trim_start_matches('0'));
                let o = tn.len().cmp(&tm.len()).then_with(|| tn.cmp(tm));
                if o != Ordering::Equal {
                    return o;
                }
            }
            (Some(p), Some(q)) => {
                let key = |c: char| if c == '_' { 0 } else { c as u32 + 1 };
                let o = key(p).cmp(&key(q));
                if o != Ordering::Equal {
                    return o;
                }
                x.next();
                y.next();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(mut v: Vec<&str>, style_2024: bool) -> Vec<&str> {
        v.sort_by(|a, b| compare(&segments(a), &segments(b), style_2024));
        v
    }

    #[test]
    fn orders_like_rustfmt() {
        let input = vec![
            "std::sync::{Arc,OnceLock}",
            "std::sync::*",
            "std::sync::Abc10",
            "std::sync::ABC",
            "std::sync::a_b",
            "std::sync::Abc2",
            "std::sync::aB",
            "std::sync::A_B",
            "std::io",
            "crate::z",
            "self::y",
            "std::io::Write",
        ];
        assert_eq!(
            sorted(input.clone(), false),
            vec![
                "self::y",
                "crate::z",
                "std::io",
                "std::io::Write",
                "std::sync::aB",
                "std::sync::a_b",
                "std::sync::Abc10",
                "std::sync::Abc2",
                "std::sync::ABC",
                "std::sync::A_B",
                "std::sync::*",
                "std::sync::{Arc,OnceLock}",
            ]
        );
        assert_eq!(
            sorted(input, true),
            vec![
                "self::y",
                "crate::z",
                "std::io",
                "std::io::Write",
                "std::sync::A_B",
                "std::sync::ABC",
                "std::sync::Abc2",
                "std::sync::Abc10",
                "std::sync::a_b",
                "std::sync::aB",
                "std::sync::*",
                "std::sync::{Arc,OnceLock}",
            ]
        );
    }
}
