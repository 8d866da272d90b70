//! File text and the facts about it that edits must preserve: a UTF-8 BOM,
//! the line-ending style, and a line index for byte offset <-> line/column.

use std::ops::Range;

/// 1-based line and column. Columns count Unicode scalar values, which is
/// what SARIF calls `unicodeCodePoints` and what editors show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// The text of one source file, without its BOM.
#[derive(Clone, Debug)]
pub struct SourceText {
    text: String,
    bom: bool,
    crlf: bool,
    line_starts: Vec<usize>,
}

#[derive(Debug, thiserror::Error)]
#[error("not valid UTF-8 (byte {valid_up_to})")]
pub struct NotUtf8 {
    pub valid_up_to: usize,
}

const BOM: &str = "\u{feff}";

impl SourceText {
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, NotUtf8> {
        let text = String::from_utf8(bytes).map_err(|e| NotUtf8 {
            valid_up_to: e.utf8_error().valid_up_to(),
        })?;
        Ok(Self::new(text))
    }

    pub fn new(mut text: String) -> Self {
        let bom = text.starts_with(BOM);
        if bom {
            text.drain(..BOM.len());
        }
        // The file's style is CRLF when most of its line breaks are CRLF.
        let lf = text.matches('\n').count();
        let crlf_count = text.matches("\r\n").count();
        let crlf = crlf_count > 0 && crlf_count * 2 >= lf;
        let line_starts = line_starts(&text);
        SourceText {
            text,
            bom,
            crlf,
            line_starts,
        }
    }

    /// A copy with other text but this file's BOM and line-ending facts.
    pub fn with_text(&self, text: String) -> Self {
        let line_starts = line_starts(&text);
        SourceText {
            text,
            bom: self.bom,
            crlf: self.crlf,
            line_starts,
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn has_bom(&self) -> bool {
        self.bom
    }

    /// The line break that inserted lines must use.
    pub fn newline(&self) -> &'static str {
        if self.crlf { "\r\n" } else { "\n" }
    }

    /// The bytes to write back: BOM (if the file had one) plus the text.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.text.len() + 3);
        if self.bom {
            out.extend_from_slice(BOM.as_bytes());
        }
        out.extend_from_slice(self.text.as_bytes());
        out
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// 0-based line index of a byte offset.
    pub fn line_index(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = offset.min(self.text.len());
        let line = self.line_index(offset);
        let start = self.line_starts[line];
        let column = self.text[start..offset].chars().count() + 1;
        LineCol {
            line: line + 1,
            column,
        }
    }

    /// Byte range of a 0-based line, without its line break.
    pub fn line_range(&self, line: usize) -> Range<usize> {
        let start = self.line_starts[line];
        let mut end = self
            .line_starts
            .get(line + 1)
            .copied()
            .unwrap_or(self.text.len());
        let bytes = self.text.as_bytes();
        if end > start && bytes[end - 1] == b'\n' {
            end -= 1;
            if end > start && bytes[end - 1] == b'\r' {
                end -= 1;
            }
        }
        start..end
    }

    pub fn line_text(&self, line: usize) -> &str {
        &self.text[self.line_range(line)]
    }

    /// Start offset of the line after the one containing `offset`, or the end
    /// of the text when that line is the last one.
    pub fn next_line_start(&self, offset: usize) -> Option<usize> {
        self.line_starts.get(self.line_index(offset) + 1).copied()
    }

    /// The leading whitespace of the line containing `offset`.
    pub fn indent_at(&self, offset: usize) -> &str {
        let line = self.line_text(self.line_index(offset));
        let trimmed = line.trim_start_matches([' ', '\t']);
        &line[..line.len() - trimmed.len()]
    }
}

fn line_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(memchr_newlines(text.as_bytes()).map(|i| i + 1));
    starts
}

fn memchr_newlines(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter_map(|(i, b)| (*b == b'\n').then_some(i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_is_kept_out_of_the_text_and_written_back() {
        let s = SourceText::from_bytes(b"\xef\xbb\xbfpackage a\n".to_vec()).unwrap();
        assert!(s.has_bom());
        assert_eq!(s.text(), "package a\n");
        assert_eq!(s.to_bytes(), b"\xef\xbb\xbfpackage a\n");
    }

    #[test]
    fn crlf_style_is_detected() {
        let s = SourceText::new("a\r\nb\r\nc".into());
        assert_eq!(s.newline(), "\r\n");
        assert_eq!(s.line_text(0), "a");
        assert_eq!(s.line_text(2), "c");
        assert_eq!(SourceText::new("a\nb\n".into()).newline(), "\n");
    }

    #[test]
    fn line_col_counts_characters() {
        let s = SourceText::new("ab\n\tçx\n".into());
        assert_eq!(s.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(s.line_col(3), LineCol { line: 2, column: 1 });
        // 'ç' is two bytes: x is at byte 6, column 3.
        assert_eq!(s.line_col(6), LineCol { line: 2, column: 3 });
        assert_eq!(s.line_col(8), LineCol { line: 3, column: 1 });
    }

    #[test]
    fn indent_and_next_line() {
        let s = SourceText::new("func f() {\n\tx := 1\n}".into());
        assert_eq!(s.indent_at(13), "\t");
        assert_eq!(s.next_line_start(3), Some(11));
        assert_eq!(s.next_line_start(20), None);
    }
}
