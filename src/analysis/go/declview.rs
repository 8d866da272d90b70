//! A declaration view of a Go file: the same text with the bodies of its
//! top-level functions blanked (spaces; line breaks kept, so every byte
//! offset and line still points into the real file). Parsing the view costs
//! a fraction of parsing the file, and it still has every type, signature
//! and package-level variable: what the program index needs from packages
//! whose code is not being analysed.
//!
//! A small Go lexer finds the bodies: it skips comments, strings, raw
//! strings and runes, tells a body's `{` from a `struct{`/`interface{` in the
//! signature, and knows that a signature without a body ends at a line
//! break (Go's semicolon insertion).

/// The view, or None when the file has no function body to blank.
pub fn declaration_view(src: &str) -> Option<String> {
    let bodies = function_bodies(src);
    if bodies.is_empty() {
        return None;
    }
    let mut out = src.as_bytes().to_vec();
    for (start, end) in bodies {
        // Every byte of a multi-byte character becomes a space too: the view
        // stays valid UTF-8 (ASCII inside bodies) and keeps every offset.
        for b in &mut out[start..end] {
            if *b != b'\n' && *b != b'\r' {
                *b = b' ';
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Byte ranges strictly inside the braces of each top-level function body.
pub fn function_bodies(src: &str) -> Vec<(usize, usize)> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut lx = Lexer { b, i: 0 };
    let mut depth = 0usize; // braces at top level
    // Inside a top-level `func` signature: the depth of ( and [.
    let mut in_sig: Option<usize> = None;
    // The last significant token, for the `struct {` check and semicolon insertion.
    let mut last = Tok::Other;
    while let Some(tok) = lx.next() {
        match tok {
            Tok::Newline => {
                if in_sig == Some(0) && last.ends_statement() {
                    in_sig = None; // a declaration without a body
                }
                continue;
            }
            Tok::Word(s, e) => {
                if depth == 0 && in_sig.is_none() && &src[s..e] == "func" {
                    in_sig = Some(0);
                }
                last = Tok::Word(s, e);
                continue;
            }
            Tok::Open(c) => {
                match (c, in_sig) {
                    (b'(' | b'[', Some(p)) => in_sig = Some(p + 1),
                    (b'{', Some(p)) => {
                        let type_literal = matches!(last, Tok::Word(s, e)
                            if matches!(&src[s..e], "struct" | "interface"));
                        if type_literal || p > 0 {
                            // A type literal in the signature: skip it whole.
                            lx.skip_braces();
                            last = Tok::Close(b'}');
                            continue;
                        }
                        let start = lx.i;
                        lx.skip_braces();
                        let end = lx.i - 1; // before the closing brace
                        if end > start {
                            out.push((start, end));
                        }
                        in_sig = None;
                        last = Tok::Close(b'}');
                        continue;
                    }
                    (b'{', None) => depth += 1,
                    _ => {}
                }
                last = Tok::Open(c);
            }
            Tok::Close(c) => {
                match (c, in_sig) {
                    (b')' | b']', Some(p)) => in_sig = Some(p.saturating_sub(1)),
                    (b'}', None) => depth = depth.saturating_sub(1),
                    _ => {}
                }
                last = Tok::Close(c);
            }
            Tok::Literal => last = Tok::Literal,
            Tok::Other => last = Tok::Other,
        }
    }
    out
}

#[derive(Clone, Copy, Debug)]
enum Tok {
    Word(usize, usize),
    Open(u8),
    Close(u8),
    /// A string, rune or number.
    Literal,
    Newline,
    Other,
}

impl Tok {
    /// Would Go insert a semicolon after this token at a line break?
    fn ends_statement(&self) -> bool {
        matches!(
            self,
            Tok::Word(..) | Tok::Literal | Tok::Close(b')' | b']' | b'}')
        )
    }
}

struct Lexer<'a> {
    b: &'a [u8],
    i: usize,
}

impl Lexer<'_> {
    fn next(&mut self) -> Option<Tok> {
        let b = self.b;
        while self.i < b.len() {
            let c = b[self.i];
            match c {
                b'\n' => {
                    self.i += 1;
                    return Some(Tok::Newline);
                }
                b' ' | b'\t' | b'\r' => self.i += 1,
                b'/' if b.get(self.i + 1) == Some(&b'/') => {
                    while self.i < b.len() && b[self.i] != b'\n' {
                        self.i += 1;
                    }
                }
                b'/' if b.get(self.i + 1) == Some(&b'*') => {
                    self.i += 2;
                    let mut newline = false;
                    while self.i < b.len()
                        && !(b[self.i] == b'*' && b.get(self.i + 1) == Some(&b'/'))
                    {
                        newline |= b[self.i] == b'\n';
                        self.i += 1;
                    }
                    self.i = (self.i + 2).min(b.len());
                    if newline {
                        return Some(Tok::Newline);
                    }
                }
                b'"' | b'\'' => {
                    self.skip_quoted(c);
                    return Some(Tok::Literal);
                }
                b'`' => {
                    self.i += 1;
                    while self.i < b.len() && b[self.i] != b'`' {
                        self.i += 1;
                    }
                    self.i = (self.i + 1).min(b.len());
                    return Some(Tok::Literal);
                }
                b'(' | b'[' | b'{' => {
                    self.i += 1;
                    return Some(Tok::Open(c));
                }
                b')' | b']' | b'}' => {
                    self.i += 1;
                    return Some(Tok::Close(c));
                }
                c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                    let s = self.i;
                    while self.i < b.len()
                        && (b[self.i].is_ascii_alphanumeric()
                            || b[self.i] == b'_'
                            || b[self.i] >= 0x80)
                    {
                        self.i += 1;
                    }
                    return Some(Tok::Word(s, self.i));
                }
                c if c.is_ascii_digit() => {
                    while self.i < b.len()
                        && (b[self.i].is_ascii_alphanumeric()
                            || b[self.i] == b'.'
                            || b[self.i] == b'_')
                    {
                        self.i += 1;
                    }
                    return Some(Tok::Literal);
                }
                _ => {
                    self.i += 1;
                    return Some(Tok::Other);
                }
            }
        }
        None
    }

    fn skip_quoted(&mut self, q: u8) {
        let b = self.b;
        self.i += 1;
        while self.i < b.len() {
            match b[self.i] {
                b'\\' => self.i += 2,
                b'\n' => return, // unterminated: stop at the line's end
                c if c == q => {
                    self.i += 1;
                    return;
                }
                _ => self.i += 1,
            }
        }
        self.i = self.i.min(b.len());
    }

    /// Called just after an opening `{`: moves past its matching `}`.
    fn skip_braces(&mut self) {
        let mut depth = 1usize;
        while let Some(t) = self.next() {
            match t {
                Tok::Open(b'{') => depth += 1,
                Tok::Close(b'}') => {
                    depth -= 1;
                    if depth == 0 {
                        return;
                    }
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blanked(src: &str) -> String {
        declaration_view(src).unwrap_or_else(|| src.to_string())
    }

    #[test]
    fn bodies_are_blanked_and_offsets_kept() {
        let src = "package a\n\nimport \"os\"\n\nfunc f(x interface{ Close() error }) (struct{ A int }, error) {\n\ty := \"}\" + `{`\n\t_ = '}'\n\treturn struct{ A int }{}, nil // }\n}\n\nfunc (s *S) M() map[string]struct{} { return nil }\n\nfunc asm(x int) int\n\ntype S struct {\n\tf func() error\n}\n\nvar v = func() int {\n\treturn 1\n}()\n\nfunc é() { _ = \"é\" }\n";
        let view = blanked(src);
        assert_eq!(view.len(), src.len());
        assert_eq!(view.lines().count(), src.lines().count());
        assert!(view.contains("func f(x interface{ Close() error }) (struct{ A int }, error) {"));
        assert!(!view.contains("return struct"));
        assert!(view.contains("func (s *S) M() map[string]struct{} {"));
        assert!(!view.contains("return nil"));
        assert!(view.contains("func asm(x int) int\n"));
        assert!(view.contains("type S struct {\n\tf func() error\n}"));
        assert!(view.contains("var v = func() int {"));
        assert!(!view.contains("return 1"));
        let (tree, err) = crate::lang::Language::Go.parse(&view);
        assert!(err.is_none(), "{view}");
        assert!(!tree.root_node().has_error());
    }

    #[test]
    fn a_signature_without_body_does_not_swallow_the_next_declaration() {
        let src = "package a\n\nfunc now() (sec int64, nsec int32)\n\ntype T struct{ A int }\n\nfunc g() {\n\tx := 1\n\t_ = x\n}\n";
        let view = blanked(src);
        assert!(view.contains("type T struct{ A int }"));
        assert!(!view.contains("x := 1"));
    }

    #[test]
    fn multi_line_signatures() {
        let src = "package a\n\nfunc h(\n\ta int,\n\tb string,\n) (\n\tint,\n\terror,\n) {\n\treturn 0, nil\n}\n";
        let view = blanked(src);
        assert!(!view.contains("return 0"));
        assert!(crate::lang::Language::Go.parse(&view).1.is_none());
    }
}
