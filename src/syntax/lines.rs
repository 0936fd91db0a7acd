//! Byte offsets to 1-based line and column, computed once per file.

/// A 1-based line and column. Columns count Unicode scalar values, which is
/// what SARIF calls `unicodeCodePoints` and what editors show for most text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

/// The byte offset at which each line starts.
#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    starts: Vec<u32>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(
            memchr_newlines(text.as_bytes()).map(|i| u32::try_from(i + 1).unwrap_or(u32::MAX)),
        );
        LineIndex { starts }
    }

    /// Number of lines (a trailing newline does not start a new visible line
    /// for editors, but it does here; callers only ask for offsets they hold).
    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// The position of byte `offset` in `text` (clamped to the text, and moved
    /// back to a character boundary).
    pub fn position(&self, text: &str, offset: u32) -> Position {
        let mut offset = (offset as usize).min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self
            .starts
            .partition_point(|&s| s as usize <= offset)
            .saturating_sub(1);
        let start = self.starts.get(line).map_or(0, |&s| s as usize).min(offset);
        let column = text[start..offset].chars().count() + 1;
        Position {
            line: u32::try_from(line + 1).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }

    /// The byte offset of the start of 1-based `line`, if the text has it.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.starts.get(line.checked_sub(1)?).map(|&s| s as usize)
    }

    /// The byte offset of 1-based `line` and 0-based character column `col`.
    pub fn offset_of(&self, text: &str, line: usize, col: usize) -> usize {
        let Some(start) = self.line_start(line) else {
            return text.len();
        };
        let rest = &text[start.min(text.len())..];
        let within = rest.char_indices().nth(col).map_or(rest.len(), |(i, _)| i);
        start + within
    }

    /// The text of 1-based `line`, without its line ending.
    pub fn line_text<'t>(&self, text: &'t str, line: usize) -> &'t str {
        let Some(start) = self.line_start(line) else {
            return "";
        };
        let end = self.line_start(line + 1).unwrap_or(text.len());
        text.get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }
}

fn memchr_newlines(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    memchr::memchr_iter(b'\n', bytes)
}
