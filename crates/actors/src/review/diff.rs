//! Reading GitHub's unified-diff `patch` text: hunk headers (`@@ -a,b +c,d @@`), and
//! the added, removed and context lines of each hunk with their line numbers in the
//! new file. Malformed input never panics: a line that cannot be read as part of a
//! hunk is skipped, and a bad hunk header ends the current hunk until the next good one.

/// What a line of a hunk does to the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchLineKind {
    /// `+` — present in the new file only.
    Added,
    /// ` ` — present in both files (unchanged context).
    Context,
    /// `-` — present in the old file only.
    Removed,
}

/// One line of a hunk. `new_line_number` is the line's number in the new file for
/// added and context lines, and the number of the next new-file line for removed ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatchLine<'patch> {
    pub kind: PatchLineKind,
    pub new_line_number: u32,
    pub text: &'patch str,
}

/// The start and length of a hunk's new-file range, from `@@ -a,b +c,d @@`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HunkHeader {
    pub old_start: u32,
    pub old_length: u32,
    pub new_start: u32,
    pub new_length: u32,
}

/// Reads a hunk header line; `None` when the line is not a well-formed header.
pub fn parse_hunk_header(line: &str) -> Option<HunkHeader> {
    let rest = line.strip_prefix("@@ -")?;
    let (ranges, _section_heading) = rest.split_once(" @@")?;
    let (old_range, new_range) = ranges.split_once(" +")?;
    let (old_start, old_length) = parse_range(old_range)?;
    let (new_start, new_length) = parse_range(new_range)?;
    Some(HunkHeader {
        old_start,
        old_length,
        new_start,
        new_length,
    })
}

/// Every well-formed hunk header of `patch` with its section heading (the text git puts
/// after the second `@@`: usually the enclosing function, class or module).
pub fn hunk_headings(patch: &str) -> impl Iterator<Item = (HunkHeader, &str)> {
    patch.split('\n').filter_map(|line| {
        let header = parse_hunk_header(line.strip_suffix('\r').unwrap_or(line))?;
        let heading = line
            .strip_prefix("@@ -")
            .and_then(|rest| rest.split_once(" @@"))
            .map_or("", |(_, heading)| heading.trim());
        Some((header, heading))
    })
}

/// `start,length` or `start` (length 1).
fn parse_range(range: &str) -> Option<(u32, u32)> {
    match range.split_once(',') {
        Some((start, length)) => Some((start.parse().ok()?, length.parse().ok()?)),
        None => Some((range.parse().ok()?, 1)),
    }
}

/// Every line of every hunk of `patch`, in order, with new-file line numbers.
pub fn patch_lines(patch: &str) -> PatchLines<'_> {
    PatchLines {
        remaining_input: patch.split('\n'),
        next_new_line_number: 0,
        old_lines_left: 0,
        new_lines_left: 0,
    }
}

/// The added lines of `patch`: (line number in the new file, text without the `+`).
pub fn added_lines(patch: &str) -> impl Iterator<Item = (u32, &str)> {
    patch_lines(patch)
        .filter(|line| line.kind == PatchLineKind::Added)
        .map(|line| (line.new_line_number, line.text))
}

/// Iterator behind [`patch_lines`]. A hunk ends when its header's counts are used up,
/// so `diff --git` / `+++ b/file` headers between hunks are never taken for lines.
pub struct PatchLines<'patch> {
    remaining_input: std::str::Split<'patch, char>,
    next_new_line_number: u32,
    old_lines_left: u32,
    new_lines_left: u32,
}

impl<'patch> Iterator for PatchLines<'patch> {
    type Item = PatchLine<'patch>;

    fn next(&mut self) -> Option<PatchLine<'patch>> {
        loop {
            let raw_line = self.remaining_input.next()?;
            let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
            let inside_hunk = self.old_lines_left > 0 || self.new_lines_left > 0;
            if !inside_hunk {
                if let Some(header) = parse_hunk_header(line) {
                    self.next_new_line_number = header.new_start;
                    self.old_lines_left = header.old_length;
                    self.new_lines_left = header.new_length;
                }
                continue;
            }
            let (kind, text) = match line.as_bytes().first() {
                Some(b'+') => (PatchLineKind::Added, &line[1..]),
                Some(b'-') => (PatchLineKind::Removed, &line[1..]),
                Some(b' ') => (PatchLineKind::Context, &line[1..]),
                // "\ No newline at end of file" belongs to the line before it.
                Some(b'\\') => continue,
                Some(b'@') => {
                    // A header before the counts ran out: the previous hunk was short.
                    self.old_lines_left = 0;
                    self.new_lines_left = 0;
                    if let Some(header) = parse_hunk_header(line) {
                        self.next_new_line_number = header.new_start;
                        self.old_lines_left = header.old_length;
                        self.new_lines_left = header.new_length;
                    }
                    continue;
                }
                // Some tools strip the single space of an empty context line.
                None => (PatchLineKind::Context, ""),
                Some(_) => {
                    // Not a hunk line: the hunk is malformed, stop reading it.
                    self.old_lines_left = 0;
                    self.new_lines_left = 0;
                    continue;
                }
            };
            let fits_the_counts = match kind {
                PatchLineKind::Added => self.new_lines_left > 0,
                PatchLineKind::Removed => self.old_lines_left > 0,
                PatchLineKind::Context => self.old_lines_left > 0 && self.new_lines_left > 0,
            };
            if !fits_the_counts {
                // More lines than the header announced: the hunk is over.
                self.old_lines_left = 0;
                self.new_lines_left = 0;
                continue;
            }
            let new_line_number = self.next_new_line_number;
            match kind {
                PatchLineKind::Added => {
                    self.new_lines_left -= 1;
                    self.next_new_line_number = self.next_new_line_number.saturating_add(1);
                }
                PatchLineKind::Removed => {
                    self.old_lines_left -= 1;
                }
                PatchLineKind::Context => {
                    self.old_lines_left -= 1;
                    self.new_lines_left -= 1;
                    self.next_new_line_number = self.next_new_line_number.saturating_add(1);
                }
            }
            return Some(PatchLine {
                kind,
                new_line_number,
                text,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunk_headers_are_read_with_and_without_lengths() {
        let cases = [
            (
                "@@ -1,3 +1,4 @@",
                Some(HunkHeader {
                    old_start: 1,
                    old_length: 3,
                    new_start: 1,
                    new_length: 4,
                }),
            ),
            (
                "@@ -0,0 +1 @@",
                Some(HunkHeader {
                    old_start: 0,
                    old_length: 0,
                    new_start: 1,
                    new_length: 1,
                }),
            ),
            (
                "@@ -10,6 +12,8 @@ fn main() {",
                Some(HunkHeader {
                    old_start: 10,
                    old_length: 6,
                    new_start: 12,
                    new_length: 8,
                }),
            ),
            ("@@ -a,b +c,d @@", None),
            ("@@ -1,2 @@", None),
            ("not a header", None),
            ("", None),
        ];
        for (line, expected) in cases {
            assert_eq!(parse_hunk_header(line), expected, "{line}");
        }
    }

    #[test]
    fn added_lines_carry_new_file_line_numbers_across_hunks() {
        let patch = "@@ -1,4 +1,5 @@\n use std::fmt;\n-use std::io;\n+use std::io::Read;\n+use std::io::Write;\n \n fn main() {\n@@ -20,3 +21,4 @@ fn helper() {\n     let a = 1;\n+    let b = 2;\n     a\n }";
        let lines: Vec<(u32, &str)> = added_lines(patch).collect();
        assert_eq!(
            lines,
            vec![
                (2, "use std::io::Read;"),
                (3, "use std::io::Write;"),
                (22, "    let b = 2;"),
            ]
        );
    }

    #[test]
    fn a_new_file_counts_from_one_and_ignores_the_no_newline_marker() {
        let patch = "@@ -0,0 +1,3 @@\n+first\n+second\n+third\n\\ No newline at end of file";
        let lines: Vec<(u32, &str)> = added_lines(patch).collect();
        assert_eq!(lines, vec![(1, "first"), (2, "second"), (3, "third")]);
    }

    #[test]
    fn file_headers_between_hunks_are_not_taken_for_added_lines() {
        let patch = "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,1 +1,1 @@\n-old\n+new\ndiff --git a/y b/y\n--- a/y\n+++ b/y\n@@ -0,0 +1,1 @@\n+other";
        let lines: Vec<(u32, &str)> = added_lines(patch).collect();
        assert_eq!(lines, vec![(1, "new"), (1, "other")]);
    }

    #[test]
    fn malformed_patches_yield_what_they_can_without_panicking() {
        let cases = [
            ("", 0),
            ("+no header", 0),
            ("@@ -x +y @@\n+ignored", 0),
            ("@@ -1 +1 @@\n+kept\n+beyond the count", 1),
            ("@@ -1,5 +1,5 @@\n+kept\nGARBAGE\n+after garbage", 1),
            ("@@ -1,1 +4294967295,3 @@\n+a\n+b", 2),
            ("@@ -1,1 +1,1 @@\r\n+windows\r\n", 1),
        ];
        for (patch, expected_count) in cases {
            assert_eq!(added_lines(patch).count(), expected_count, "{patch:?}");
        }
        let windows: Vec<(u32, &str)> = added_lines("@@ -1,1 +1,1 @@\r\n+windows\r\n").collect();
        assert_eq!(windows, vec![(1, "windows")]);
    }

    #[test]
    fn hunk_headings_carry_the_enclosing_section() {
        let patch = "@@ -1,1 +1,1 @@\n-a\n+b\n@@ -40,2 +40,3 @@ mod tests {\n x\n+y\n z";
        let headings: Vec<(u32, &str)> = hunk_headings(patch)
            .map(|(header, heading)| (header.new_start, heading))
            .collect();
        assert_eq!(headings, vec![(1, ""), (40, "mod tests {")]);
    }

    #[test]
    fn context_and_removed_lines_are_reported_with_their_kinds() {
        let patch = "@@ -5,2 +5,2 @@\n keep\n-gone\n+here\n";
        let kinds: Vec<(PatchLineKind, u32)> = patch_lines(patch)
            .map(|line| (line.kind, line.new_line_number))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (PatchLineKind::Context, 5),
                (PatchLineKind::Removed, 6),
                (PatchLineKind::Added, 6),
            ]
        );
    }
}
