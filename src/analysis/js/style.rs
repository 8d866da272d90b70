//! The style new code is written in: the project's prettier options where it
//! states them, else what the file itself does (quotes, semicolons,
//! indentation, parentheses around a lone arrow parameter).

use tree_sitter::Node;

use super::package::PackageInfo;
use super::scope::visit;
use crate::lang::text;
use crate::parse::ParsedFile;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Style {
    /// `'` or `"`.
    pub quote: char,
    /// Statements end with `;`.
    pub semi: bool,
    /// One level of indentation: two or four spaces, or a tab.
    pub indent: String,
    /// prettier's `printWidth` (80 unless configured).
    pub print_width: usize,
    /// The project uses prettier, or the file fits prettier's width as if
    /// it did: lines leakfix writes or moves must fit `print_width`, or the
    /// fix is not offered.
    pub enforce_width: bool,
    /// `(x) => ...` rather than `x => ...`.
    pub arrow_parens: bool,
}

impl Default for Style {
    fn default() -> Style {
        Style {
            quote: '\'',
            semi: true,
            indent: "  ".into(),
            print_width: 80,
            enforce_width: false,
            arrow_parens: true,
        }
    }
}

impl Style {
    pub fn of(parsed: &ParsedFile, package: Option<&PackageInfo>) -> Style {
        let src = parsed.text();
        let root = parsed.tree.root_node();
        let (mut single, mut double, mut with_semi, mut without_semi) = (0, 0, 0, 0);
        let (mut bare_param, mut paren_param) = (0, 0);
        visit(root, &mut |n| match n.kind() {
            "string" => {
                // JSX attribute values keep their own quotes in prettier.
                if n.parent().is_some_and(|p| p.kind() == "jsx_attribute") {
                    return;
                }
                let t = text(n, src);
                // A string that contains the other quote says nothing.
                if t.starts_with('\'') && !t.contains('"') {
                    single += 1;
                } else if t.starts_with('"') && !t.contains('\'') {
                    double += 1;
                }
            }
            "expression_statement"
            | "lexical_declaration"
            | "variable_declaration"
            | "return_statement"
            | "throw_statement"
            | "import_statement"
                if ends_statement_line(n, src) =>
            {
                if text(n, src).ends_with(';') {
                    with_semi += 1;
                } else {
                    without_semi += 1;
                }
            }
            "arrow_function" => {
                if n.child_by_field_name("parameter").is_some() {
                    bare_param += 1;
                } else if let Some(p) = n.child_by_field_name("parameters")
                    && p.named_child_count() == 1
                    && p.named_child(0).is_some_and(|x| {
                        x.kind() == "identifier"
                            || (x.kind() == "required_parameter"
                                && x.child_by_field_name("type").is_none()
                                && x.child_by_field_name("value").is_none())
                    })
                {
                    paren_param += 1;
                }
            }
            _ => {}
        });
        let mut style = Style {
            quote: if double > single { '"' } else { '\'' },
            semi: with_semi >= without_semi,
            indent: sniff_indent(src),
            print_width: 80,
            enforce_width: false,
            arrow_parens: bare_param <= paren_param,
        };
        // A file none of whose lines is longer than prettier's default
        // width may well be laid out by prettier: keep it that way.
        style.enforce_width = src.lines().all(|l| style.width(l) <= style.print_width);
        if let Some(pkg) = package
            && pkg.uses_prettier
        {
            let p = &pkg.prettier;
            style.enforce_width = true;
            if let Some(w) = p.print_width {
                style.print_width = w;
            }
            if let Some(q) = p.single_quote {
                style.quote = if q { '\'' } else { '"' };
            }
            if let Some(s) = p.semi {
                style.semi = s;
            }
            if let Some(a) = &p.arrow_parens {
                style.arrow_parens = a != "avoid";
            }
            match (p.use_tabs, p.tab_width) {
                (Some(true), _) => style.indent = "\t".into(),
                (_, Some(w)) => style.indent = " ".repeat(w),
                _ => {}
            }
        }
        style
    }

    /// A string literal in the file's quotes.
    pub fn string(&self, s: &str) -> String {
        format!("{q}{s}{q}", q = self.quote)
    }

    /// `;` or nothing.
    pub fn semi(&self) -> &'static str {
        if self.semi { ";" } else { "" }
    }

    /// `(err) =>` or `err =>`.
    pub fn arrow_param(&self, name: &str) -> String {
        if self.arrow_parens {
            format!("({name}) =>")
        } else {
            format!("{name} =>")
        }
    }

    /// The width of a line as prettier counts it: a tab is `tabWidth`, and
    /// a trailing `//` comment does not count (prettier prints it after
    /// deciding the layout).
    pub fn width(&self, line: &str) -> usize {
        let tab = if self.indent == "\t" {
            2
        } else {
            self.indent.len()
        };
        let code = without_trailing_comment(line);
        code.trim_end()
            .chars()
            .map(|c| if c == '\t' { tab } else { 1 })
            .sum()
    }

    /// Do all these lines fit the print width (when the project uses prettier)?
    pub fn fits(&self, text: &str) -> bool {
        !self.enforce_width || text.lines().all(|l| self.width(l) <= self.print_width)
    }
}

/// A line without its trailing `// ...` comment (outside strings and
/// template literals, as far as one line tells).
fn without_trailing_comment(line: &str) -> &str {
    let b = line.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(q) => {
                if c == b'\\' {
                    i += 1;
                } else if c == q {
                    quote = None;
                }
            }
            None => {
                if c == b'"' || c == b'\'' || c == b'`' {
                    quote = Some(c);
                } else if c == b'/' && b.get(i + 1) == Some(&b'/') {
                    return &line[..i];
                }
            }
        }
        i += 1;
    }
    line
}

/// Is the node the last thing on its line (so a `;` would be at its end)?
fn ends_statement_line(n: Node, src: &str) -> bool {
    let rest = &src[n.end_byte()..];
    let line_rest = rest.split('\n').next().unwrap_or("");
    let t = line_rest.trim();
    t.is_empty() || t.starts_with("//")
}

/// The most common step between a line ending in `{`, `(` or `[` and the
/// next line's indentation.
fn sniff_indent(src: &str) -> String {
    let mut counts = [0usize; 9];
    let mut tabs = 0usize;
    let mut prev: Option<&str> = None;
    for line in src.lines() {
        if line.trim().is_empty() {
            continue;
        }
        if let Some(p) = prev {
            let pt = p.trim_end();
            if pt.ends_with('{') || pt.ends_with('(') || pt.ends_with('[') {
                let indent_of = |l: &str| l.len() - l.trim_start_matches(' ').len();
                if line.starts_with('\t') {
                    tabs += 1;
                } else {
                    let (a, b) = (indent_of(p), indent_of(line));
                    if b > a && b - a < counts.len() {
                        counts[b - a] += 1;
                    }
                }
            }
        }
        prev = Some(line);
    }
    let (best, n) = counts
        .iter()
        .enumerate()
        .max_by_key(|(i, n)| (**n, usize::MAX - i))
        .unwrap();
    if tabs > *n {
        "\t".into()
    } else if *n == 0 {
        "  ".into()
    } else {
        " ".repeat(best)
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::js::test_support::file;

    #[test]
    fn trailing_comments_do_not_count() {
        let s = super::Style::default();
        assert_eq!(s.width("  a(); // a long comment"), 6);
        assert_eq!(s.width("  a('//x');"), 11);
    }

    #[test]
    fn sniffs_the_file() {
        let f = file(
            "a.js",
            "const a = require(\"a\")\nfunction f(x) {\n    if (x) {\n        return x\n    }\n    return [1].map(y => y)\n}\n",
        );
        assert_eq!(f.style.quote, '"');
        assert!(!f.style.semi);
        assert_eq!(f.style.indent, "    ");
        assert!(!f.style.arrow_parens);
        let g = file(
            "b.ts",
            "import x from 'x';\nfunction f() {\n  return x((y) => y);\n}\n",
        );
        assert_eq!(g.style.quote, '\'');
        assert!(g.style.semi);
        assert_eq!(g.style.indent, "  ");
        assert!(g.style.arrow_parens);
    }
}
