//! read: source files as read from disk or memory, byte spans and line/column lookup.

use serde::Serialize;
use std::path::Path;

/// A file's text with a precomputed line index. Spans into it are byte offsets.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Display path (relative to the working directory when read from disk).
    pub path: String,
    /// Full text, with a leading UTF-8 byte order mark removed.
    pub text: String,
    line_starts: Vec<usize>,
}

/// A half-open byte range `start..end` in a [`SourceFile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LineColumn {
    /// 1-based line.
    pub line: usize,
    /// 1-based column in characters.
    pub column: usize,
}

impl Span {
    /// A span from `start` to `end`.
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start,
            end: end.max(start),
        }
    }

    /// Whether the span covers no byte.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The smallest span covering both.
    pub fn join(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

impl SourceFile {
    /// Wraps a text under a display path.
    pub fn new(path: impl Into<String>, text: impl Into<String>) -> Self {
        let mut text: String = text.into();
        if text.starts_with('\u{feff}') {
            text.drain(..'\u{feff}'.len_utf8());
        }
        let mut line_starts = vec![0];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        SourceFile {
            path: path.into(),
            text,
            line_starts,
        }
    }

    /// Line and column of a byte offset (clamped to the text).
    pub fn line_column(&self, offset: usize) -> LineColumn {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        LineColumn {
            line: line + 1,
            column: column + 1,
        }
    }

    /// Byte offset of a 1-based line and 0-based character column, clamped to the text.
    pub fn offset_of(&self, line: usize, char_col: usize) -> usize {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        let rest = self.text.get(start..).unwrap_or_default();
        let line = rest.split('\n').next().unwrap_or_default();
        let line_end = line.len();
        line.char_indices()
            .nth(char_col)
            .map_or(start + line_end, |(i, _)| start + i)
    }

    /// Span shrunk so that it does not end in whitespace (block scalars and collections
    /// otherwise run on to the next token).
    pub fn trim_span(&self, span: Span) -> Span {
        let end = span.end.min(self.text.len());
        let start = span.start.min(end);
        match self.text.get(start..end) {
            Some(s) => Span::new(start, start + s.trim_end().len()),
            None => Span::new(start, end),
        }
    }

    /// Number of lines.
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_chars_and_lines() {
        let f = SourceFile::new("a", "ab\nçd: x\n");
        assert_eq!(f.line_column(0), LineColumn { line: 1, column: 1 });
        assert_eq!(f.line_column(3), LineColumn { line: 2, column: 1 });
        // 'd' follows a two-byte character
        assert_eq!(f.line_column(5), LineColumn { line: 2, column: 2 });
        assert_eq!(f.offset_of(2, 1), 5);
    }

    #[test]
    fn bom_is_stripped() {
        let f = SourceFile::new("a", "\u{feff}x: 1");
        assert_eq!(f.text, "x: 1");
    }
}

/// A place in a file, 1-based lines and columns (end inclusive of its last character).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Location {
    /// Display path.
    pub path: String,
    /// Start line.
    pub line: usize,
    /// Start column.
    pub column: usize,
    /// End line.
    pub end_line: usize,
    /// End column.
    pub end_column: usize,
    /// Byte range in the file.
    #[serde(skip)]
    pub span: Span,
}

impl Location {
    /// Locates a span of a file.
    pub fn new(file: &SourceFile, span: Span) -> Location {
        let start = file.line_column(span.start);
        // the last character of the span, stepping back to its first byte
        let mut last = span.end.max(span.start + 1) - 1;
        while last > span.start && !file.text.is_char_boundary(last) {
            last -= 1;
        }
        let end = file.line_column(last);
        Location {
            path: file.path.clone(),
            line: start.line,
            column: start.column,
            end_line: end.line.max(start.line),
            end_column: if end.line > start.line {
                end.column
            } else {
                end.column.max(start.column)
            },
            span,
        }
    }
}

/// A path relative to the working directory when it lies below it, with `/` separators.
pub fn display_path(path: &Path) -> String {
    display_path_in(std::env::current_dir().ok().as_deref(), path)
}

/// [`display_path`] against a working directory already looked up.
pub(crate) fn display_path_in(cwd: Option<&Path>, path: &Path) -> String {
    let rel = cwd
        .and_then(|cwd| path.strip_prefix(cwd).ok())
        .unwrap_or(path);
    let s = rel.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}
