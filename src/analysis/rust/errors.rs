//! Whether `?` can carry a `std::io::Error` out of a function or closure:
//! its return type accepts one (`io::Result`, `anyhow::Result`,
//! `Box<dyn Error>`), its error type converts one (`impl From<io::Error>`,
//! thiserror's `#[from] io::Error`, also behind a `type Result<T>` alias in
//! the file), or the body already applies `?` to an I/O call.

use tree_sitter::Node;

use super::syntax::returns_io_error;
use super::{RustFile, visit};
use crate::lang::text;

/// Methods that only I/O types have, whose `?` proves the conversion.
const IO_METHODS: [&str; 10] = [
    "write_all",
    "read_to_end",
    "read_to_string",
    "read_exact",
    "read_line",
    "sync_all",
    "sync_data",
    "flush",
    "write_fmt",
    "set_len",
];

/// Can `?` in `owner` (a function or closure) return a `std::io::Error`?
pub fn io_error_converts(file: &RustFile, owner: Node) -> bool {
    if owner.kind() == "function_item" && returns_io_error(file, owner) {
        return true;
    }
    if tries_io(file, owner) {
        return true;
    }
    owner.kind() == "function_item"
        && error_type(file, owner).is_some_and(|e| converts_io(file, &e))
}

/// Does the body apply `?` to an I/O call (not in nested closures or functions)?
fn tries_io(file: &RustFile, owner: Node) -> bool {
    let src = file.text();
    let Some(body) = owner.child_by_field_name("body") else {
        return false;
    };
    let mut found = false;
    walk(body, &mut |n| {
        if found || n.kind() != "try_expression" {
            return;
        }
        let mut v = n.named_child(0);
        if let Some(a) = v.filter(|a| a.kind() == "await_expression") {
            v = a.named_child(0);
        }
        let Some(call) = v.filter(|c| c.kind() == "call_expression") else {
            return;
        };
        let Some(f) = call.child_by_field_name("function") else {
            return;
        };
        found = match f.kind() {
            "scoped_identifier" => io_path(&file.resolve(text(f, src), f.start_byte())),
            "field_expression" => {
                let m = f.child_by_field_name("field").map(|x| text(x, src));
                let root = super::items::chain_root(call);
                IO_METHODS.contains(&m.unwrap_or(""))
                    || (m == Some("open")
                        && root.kind() == "call_expression"
                        && root.child_by_field_name("function").is_some_and(|rf| {
                            file.resolve(text(rf, src), rf.start_byte())
                                .ends_with("fs::OpenOptions::new")
                        }))
            }
            _ => false,
        };
    });
    found
}

fn io_path(p: &str) -> bool {
    p.starts_with("std::fs::") || p.starts_with("std::io::") || p.starts_with("tokio::fs::")
}

/// Visits `n` without entering closures, functions and async blocks.
fn walk<'t>(n: Node<'t>, f: &mut dyn FnMut(Node<'t>)) {
    f(n);
    let mut c = n.walk();
    let kids: Vec<Node> = n.named_children(&mut c).collect();
    for k in kids {
        if !matches!(
            k.kind(),
            "closure_expression" | "function_item" | "async_block"
        ) {
            walk(k, f);
        }
    }
}

/// The error type a function returns: `E` of `Result<T, E>`, or of the
/// file's `type Result<T> = ...Result<T, E>;` alias.
fn error_type(file: &RustFile, f: Node) -> Option<String> {
    let src = file.text();
    let ret = f.child_by_field_name("return_type")?;
    let t: String = text(ret, src)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let args = t
        .strip_prefix("Result<")
        .or_else(|| t.strip_prefix("std::result::Result<"))
        .or_else(|| t.strip_prefix("core::result::Result<"))?
        .strip_suffix('>')?;
    if let Some(e) = second_arg(args) {
        return Some(e);
    }
    // `Result<T>`: an alias in the file.
    let mut found = None;
    visit(file.root(), &mut |n| {
        if found.is_none()
            && n.kind() == "type_item"
            && n.child_by_field_name("name")
                .is_some_and(|x| text(x, src) == "Result")
            && let Some(ty) = n.child_by_field_name("type")
        {
            let t: String = text(ty, src)
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            found = t
                .split_once('<')
                .and_then(|(_, a)| a.strip_suffix('>'))
                .and_then(second_arg);
        }
    });
    found
}

/// The second of two top-level generic arguments.
fn second_arg(args: &str) -> Option<String> {
    let mut depth = 0;
    for (i, c) in args.char_indices() {
        match c {
            '<' | '(' => depth += 1,
            '>' | ')' => depth -= 1,
            ',' if depth == 0 => return Some(args[i + 1..].to_string()),
            _ => {}
        }
    }
    None
}

/// Does the file give `err` a conversion from `std::io::Error`?
fn converts_io(file: &RustFile, err: &str) -> bool {
    let src = file.text();
    let name = err.rsplit("::").next().unwrap_or(err);
    let is_io = |t: &str, at: usize| {
        let t: String = t.chars().filter(|c| !c.is_whitespace()).collect();
        file.resolve(&t, at) == "std::io::Error"
    };
    let mut yes = false;
    visit(file.root(), &mut |n| {
        if yes {
            return;
        }
        match n.kind() {
            "impl_item" => {
                let (Some(tr), Some(ty)) = (
                    n.child_by_field_name("trait"),
                    n.child_by_field_name("type"),
                ) else {
                    return;
                };
                let ty_t = text(ty, src);
                let ty_name = ty_t.split('<').next().unwrap_or(ty_t);
                let ty_name = ty_name.rsplit("::").next().unwrap_or(ty_name);
                let tr_t: String = text(tr, src)
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect();
                if ty_name == name
                    && let Some(arg) = tr_t.strip_prefix("From<").and_then(|a| a.strip_suffix('>'))
                {
                    yes = is_io(arg, tr.start_byte());
                }
            }
            "enum_item" | "struct_item"
                if n.child_by_field_name("name")
                    .is_some_and(|x| text(x, src) == name) =>
            {
                // thiserror: `Io(#[from] std::io::Error)`, `#[from] source: io::Error`.
                visit(n, &mut |a| {
                    if a.kind() != "attribute_item" || text(a, src).replace(' ', "") != "#[from]" {
                        return;
                    }
                    let Some(next) = a.next_named_sibling() else {
                        return;
                    };
                    let ty = if next.kind() == "field_declaration" {
                        next.child_by_field_name("type")
                    } else {
                        Some(next)
                    };
                    if let Some(ty) = ty {
                        yes |= is_io(text(ty, src), ty.start_byte());
                    }
                });
            }
            _ => {}
        }
    });
    yes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::rust::test_support::{file, function_named as f_named};

    #[test]
    fn conversions() {
        let f = file(
            "use std::io;\nenum AppError { Io(io::Error) }\nimpl From<io::Error> for AppError { fn from(e: io::Error) -> Self { AppError::Io(e) } }\nenum E2 { #[error(transparent)] Io(#[from] std::io::Error) }\nenum E3 { Other }\ntype Result<T> = std::result::Result<T, E2>;\nfn a() -> std::result::Result<(), AppError> {}\nfn b() -> Result<()> {}\nfn c() -> std::result::Result<(), E3> {}\nfn d() -> std::result::Result<(), E3> { let f = std::fs::File::create(p)?; }\nfn e() -> std::result::Result<(), E3> { w.write_all(b)?; }\n",
        );
        assert!(io_error_converts(&f, f_named(&f, "a")));
        assert!(io_error_converts(&f, f_named(&f, "b")));
        assert!(!io_error_converts(&f, f_named(&f, "c")));
        assert!(io_error_converts(&f, f_named(&f, "d")));
        assert!(io_error_converts(&f, f_named(&f, "e")));
    }
}
