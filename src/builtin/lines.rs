//! Byte offsets to lines and columns, for findings: a forward-moving index
//! over one file's content, counting columns in characters.
//!
//! It only reads the bytes it is given; it never reads a file.

/// Turns byte offsets into lines and columns, moving forward.
pub(super) struct LineIndex<'c> {
    content: &'c [u8],
    /// Offset where the current line starts, and its number.
    line_start: usize,
    line: u32,
}

impl<'c> LineIndex<'c> {
    /// An index at the start of `content`.
    pub(super) fn new(content: &'c [u8]) -> Self {
        LineIndex {
            content,
            line_start: 0,
            line: 1,
        }
    }

    /// The content this index is over.
    pub(super) fn content(&self) -> &'c [u8] {
        self.content
    }

    /// Line, column (in characters) and the whole line of `offset`. Offsets
    /// must not go backwards by more than the current line.
    pub(super) fn locate(&mut self, offset: usize) -> (u32, u32, &'c [u8]) {
        if offset < self.line_start {
            self.line_start = 0;
            self.line = 1;
        }
        self.line +=
            memchr::memchr_iter(b'\n', &self.content[self.line_start..offset]).count() as u32;
        if let Some(last) = memchr::memrchr(b'\n', &self.content[self.line_start..offset]) {
            self.line_start += last + 1;
        }
        let column = 1 + self.content[self.line_start..offset]
            .iter()
            .filter(|&&b| b & 0xC0 != 0x80)
            .count() as u32;
        let end = memchr::memchr(b'\n', &self.content[offset..])
            .map_or(self.content.len(), |e| offset + e);
        (self.line, column, &self.content[self.line_start..end])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_count_characters() {
        let text = "ab\né x\n\nyz".as_bytes();
        let mut idx = LineIndex::new(text);
        assert_eq!(idx.locate(0).0, 1);
        let (line, col, whole) = idx.locate(6); // 'x'
        assert_eq!((line, col, whole), (2, 3, "é x".as_bytes()));
        let (line, col, _) = idx.locate(text.len() - 1);
        assert_eq!((line, col), (4, 2));
    }
}
