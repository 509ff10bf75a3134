//! Splitting a CSV Stream Load body into rows and fields, as StarRocks' BE does
//! (`be/src/exec/csv_scanner.cpp`, `be/src/formats/csv/csv_reader.cpp`).
//!
//! - The body always ends with a row delimiter: one is added when it does not (the scanner's
//!   `_fill_buffer`). `skip_header` skips that many delimiter-terminated lines, empty ones and
//!   quotes included (`CSVReader::next_record(Record*)` in `_init_reader`).
//! - Without `enclose` and `escape` (the plain reader): rows end at `row_delimiter`, fields at
//!   `column_separator`; empty rows are skipped; `trim_space` trims spaces (only `' '`) on both
//!   sides of every field.
//! - With `enclose` or `escape` set (the state-machine reader, `CSVReader::more_rows`), the one
//!   not given is the byte 0, so a NUL byte then acts as that character. Its rules, which this
//!   follows step by step:
//!   - A field opened by `enclose` runs to the next lone `enclose`, across separators and
//!     delimiters; a doubled `enclose` inside stands for one. The closing `enclose` is removed by
//!     dropping the field's last byte, so text after it (`"ab"cd`) loses its own last byte.
//!   - In an unenclosed field an `enclose` byte is removed and the byte after it is kept as it is,
//!     even a separator or delimiter byte.
//!   - `escape` is removed and makes the next `enclose`, `escape`, separator or delimiter literal.
//!     Before any other byte the escape is just removed (`\b` -> `b`), and inside an enclosed field
//!     that also ends the enclosed part.
//!   - `trim_space` skips spaces before a field, and ends an enclosed field at the first space after
//!     its closing `enclose`; trailing spaces of unenclosed fields stay.
//! - A field is NULL when its text, after enclose/escape removal and trimming, is exactly `\N`
//!   (`NullableConverter::read_string`), so `"\N"` is NULL too; an empty field is the empty string.
//! - Each row records whether its bytes are valid UTF-8; StarRocks filters rows that are not
//!   (`Invalid UTF-8 row`).

use std::borrow::Cow;

/// How to split a CSV body.
#[derive(Debug, Clone)]
pub struct CsvOptions {
    pub column_separator: Vec<u8>,
    pub row_delimiter: Vec<u8>,
    pub enclose: Option<u8>,
    pub escape: Option<u8>,
    pub skip_header: usize,
    pub trim_space: bool,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self {
            column_separator: b"\t".to_vec(),
            row_delimiter: b"\n".to_vec(),
            enclose: None,
            escape: None,
            skip_header: 0,
            trim_space: false,
        }
    }
}

/// One CSV row, borrowed from the body where it can be: its raw bytes without the delimiter (for
/// the error log), its fields (`None` = NULL; owned only when enclose or escape bytes were
/// removed from the middle) and whether StarRocks sees it as valid UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRow<'a> {
    pub raw: &'a [u8],
    pub fields: Vec<Option<Cow<'a, [u8]>>>,
    pub valid_utf8: bool,
}

/// Parses a separator header value: `\xHH..` or `0xHH..` is hex, anything else is literal bytes.
/// The error is StarRocks' message.
pub fn parse_separator(value: &str) -> Result<Vec<u8>, String> {
    if value.is_empty() {
        return Err("Delimiter cannot be empty or null".to_string());
    }
    let upper = value.to_ascii_uppercase();
    let bytes = if upper.starts_with("\\X") || upper.starts_with("0X") {
        let hex = &value[2..];
        if hex.is_empty() {
            return Err(format!("Invalid delimiter '{value}': empty hex string"));
        }
        if hex.len() % 2 != 0 {
            return Err(format!(
                "Invalid delimiter '{value}': hex length must be a even number"
            ));
        }
        let mut out = Vec::with_capacity(hex.len() / 2);
        for pair in hex.as_bytes().chunks(2) {
            let text = std::str::from_utf8(pair).map_err(|_| invalid_hex(value))?;
            out.push(u8::from_str_radix(text, 16).map_err(|_| invalid_hex(value))?);
        }
        out
    } else {
        value.as_bytes().to_vec()
    };
    if bytes.len() > 50 {
        return Err(format!(
            "Invalid delimiter '{value}': the delimiter is limited to 50 bytes"
        ));
    }
    Ok(bytes)
}

fn invalid_hex(value: &str) -> String {
    format!("Invalid delimiter '{value}': invalid hex format")
}

/// Splits `body` into rows, first adding the row delimiter at its end when it is missing.
pub fn parse<'a>(body: &'a mut Vec<u8>, options: &CsvOptions) -> Vec<CsvRow<'a>> {
    let delim = options.row_delimiter.as_slice();
    if body.is_empty() || delim.is_empty() {
        return Vec::new();
    }
    if !body.ends_with(delim) {
        body.extend_from_slice(delim);
    }
    let data: &'a [u8] = body;
    let mut pos = 0;
    for _ in 0..options.skip_header {
        match find(data, pos, delim) {
            Some(at) => pos = at + delim.len(),
            None => return Vec::new(),
        }
    }
    if options.enclose.is_none() && options.escape.is_none() {
        parse_plain(data, pos, options)
    } else {
        Quoted::new(data, options).parse(pos)
    }
}

fn find(data: &[u8], from: usize, pattern: &[u8]) -> Option<usize> {
    data.get(from..)?
        .windows(pattern.len())
        .position(|w| w == pattern)
        .map(|i| from + i)
}

fn null_or(value: Cow<'_, [u8]>) -> Option<Cow<'_, [u8]>> {
    if *value == *b"\\N" {
        None
    } else {
        Some(value)
    }
}

fn trim_spaces(value: &[u8]) -> &[u8] {
    let start = value.iter().position(|b| *b != b' ').unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| *b != b' ')
        .map_or(start, |i| i + 1);
    &value[start..end.max(start)]
}

/// The plain reader: no quoting at all.
fn parse_plain<'a>(data: &'a [u8], mut pos: usize, options: &CsvOptions) -> Vec<CsvRow<'a>> {
    let delim = &options.row_delimiter;
    let sep = &options.column_separator;
    let mut rows = Vec::new();
    while let Some(end) = find(data, pos, delim) {
        let record = &data[pos..end];
        pos = end + delim.len();
        if record.is_empty() {
            continue;
        }
        let mut fields = Vec::new();
        let mut start = 0;
        loop {
            let (value, next) = match find(record, start, sep) {
                Some(at) => (&record[start..at], Some(at + sep.len())),
                None => (&record[start..], None),
            };
            let value = if options.trim_space {
                trim_spaces(value)
            } else {
                value
            };
            fields.push(null_or(Cow::Borrowed(value)));
            match next {
                Some(next) => start = next,
                None => break,
            }
        }
        rows.push(CsvRow {
            raw: record,
            fields,
            valid_utf8: std::str::from_utf8(record).is_ok(),
        });
    }
    rows
}

/// States of the enclose/escape reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    Ordinary,
    Enclose,
    /// The byte after a removed `enclose` is taken as it is.
    EncloseEscape,
    Escape,
}

/// The enclose/escape reader over a body that ends with a row delimiter.
struct Quoted<'a, 'o> {
    data: &'a [u8],
    sep: &'o [u8],
    delim: &'o [u8],
    enclose: u8,
    escape: u8,
    trim_space: bool,
    /// The whole body and the row delimiter are valid UTF-8, so every row is (a delimiter that
    /// is whole characters only matches at character boundaries): no check per row.
    all_utf8: bool,
    rows: Vec<CsvRow<'a>>,
    fields: Vec<Option<Cow<'a, [u8]>>>,
    /// Where the current field's bytes begin (after an opening `enclose`).
    column_start: Option<usize>,
    /// Positions of removed bytes (escapes, doubled or stray `enclose`), in increasing order.
    removed: Vec<usize>,
    enclosed: bool,
    /// With `trim_space`: the first space after a closing `enclose`, where the field ends.
    space_after_enclose: Option<usize>,
}

impl<'a, 'o> Quoted<'a, 'o> {
    fn new(data: &'a [u8], options: &'o CsvOptions) -> Self {
        Self {
            data,
            sep: &options.column_separator,
            delim: &options.row_delimiter,
            enclose: options.enclose.unwrap_or(0),
            escape: options.escape.unwrap_or(0),
            trim_space: options.trim_space,
            all_utf8: std::str::from_utf8(data).is_ok()
                && std::str::from_utf8(&options.row_delimiter).is_ok(),
            rows: Vec::new(),
            fields: Vec::new(),
            column_start: None,
            removed: Vec::new(),
            enclosed: false,
            space_after_enclose: None,
        }
    }

    fn at(&self, pos: usize, pattern: &[u8]) -> bool {
        !pattern.is_empty() && self.data[pos..].starts_with(pattern)
    }

    /// Ends the current field; `end` is the position after its terminator of `terminator_len`
    /// bytes (at the end of the data, the row delimiter length is still subtracted, as StarRocks
    /// does).
    fn end_field(&mut self, end: usize, terminator_len: usize) {
        let start = self.column_start.unwrap_or(end);
        let stop = self.space_after_enclose.unwrap_or(end).max(start);
        let cut = match (self.enclosed, self.space_after_enclose.is_some()) {
            (true, true) => 1,
            (true, false) => terminator_len + 1,
            (false, _) => terminator_len,
        };
        let data: &'a [u8] = self.data;
        let kept = self.removed.iter().filter(|i| (start..stop).contains(*i));
        let value = if kept.clone().next().is_none() {
            // The usual case: nothing removed inside, so the field is a slice of the body.
            Cow::Borrowed(&data[start..stop.saturating_sub(cut).max(start)])
        } else {
            let mut value = Vec::with_capacity(stop - start);
            let mut from = start;
            for &removed in kept {
                value.extend_from_slice(&data[from..removed]);
                from = removed + 1;
            }
            value.extend_from_slice(&data[from..stop]);
            value.truncate(value.len().saturating_sub(cut));
            Cow::Owned(value)
        };
        self.fields.push(null_or(value));
        self.removed.clear();
        self.enclosed = false;
        self.space_after_enclose = None;
    }

    fn end_row(&mut self, row_start: usize, end: usize) {
        let start = self.column_start.unwrap_or(end);
        let empty = self.fields.is_empty() && end.checked_sub(self.delim.len()) == Some(start);
        if empty {
            self.removed.clear();
            self.enclosed = false;
            self.space_after_enclose = None;
        } else {
            self.end_field(end, self.delim.len());
            let data: &'a [u8] = self.data;
            let span = &data[row_start..end];
            let raw = span.strip_suffix(self.delim).unwrap_or(span);
            self.rows.push(CsvRow {
                raw,
                fields: std::mem::take(&mut self.fields),
                valid_utf8: self.all_utf8 || std::str::from_utf8(span).is_ok(),
            });
        }
        self.column_start = None;
    }

    fn parse(mut self, mut pos: usize) -> Vec<CsvRow<'a>> {
        let data = self.data;
        let (sep_len, delim_len) = (self.sep.len(), self.delim.len());
        let mut state = State::Start;
        let mut before = State::Start;
        let mut row_start = pos;
        loop {
            if pos >= data.len() {
                // The data ended inside a field (the added delimiter was taken as data).
                if self.column_start.is_some() || !self.fields.is_empty() {
                    self.end_row(row_start, data.len());
                }
                return self.rows;
            }
            match state {
                State::Start => {
                    if self.trim_space {
                        while pos < data.len() && data[pos] == b' ' {
                            pos += 1;
                        }
                        if pos >= data.len() {
                            continue;
                        }
                    }
                    self.column_start = Some(pos);
                    if self.at(pos, self.delim) {
                        pos += delim_len;
                        self.end_row(row_start, pos);
                        row_start = pos;
                    } else if self.at(pos, self.sep) {
                        pos += sep_len;
                        self.end_field(pos, sep_len);
                    } else if data[pos] == self.escape {
                        before = State::Ordinary;
                        state = State::Escape;
                        self.removed.push(pos);
                        pos += 1;
                    } else if data[pos] == self.enclose {
                        pos += 1;
                        self.column_start = Some(pos);
                        if pos >= data.len() {
                            continue;
                        }
                        if data[pos] != self.enclose {
                            state = State::Enclose;
                            self.enclosed = true;
                            continue;
                        }
                        // `""`: an empty enclosed field, or a doubled enclose starting a value.
                        pos += 1;
                        if pos >= data.len() {
                            self.enclosed = true;
                        } else if self.at(pos, self.delim) {
                            self.enclosed = true;
                            pos += delim_len;
                            self.end_row(row_start, pos);
                            row_start = pos;
                        } else if self.at(pos, self.sep) {
                            self.enclosed = true;
                            pos += sep_len;
                            self.end_field(pos, sep_len);
                        } else {
                            state = State::Ordinary;
                        }
                    } else {
                        state = State::Ordinary;
                        pos += 1;
                    }
                }
                State::Enclose => {
                    if data[pos] == self.enclose {
                        pos += 1;
                        if pos >= data.len() {
                            continue;
                        }
                        before = State::Enclose;
                        if data[pos] == self.enclose {
                            state = State::EncloseEscape;
                            self.removed.push(pos - 1);
                        } else {
                            state = State::Ordinary;
                        }
                    } else if data[pos] == self.escape {
                        before = State::Enclose;
                        state = State::Escape;
                        self.removed.push(pos);
                        pos += 1;
                    } else {
                        // Inside an enclosed field only `enclose` and `escape` matter: skip to
                        // the next of them (or the end of the data) at once.
                        let rest = &data[pos + 1..];
                        pos = memchr::memchr2(self.enclose, self.escape, rest)
                            .map_or(data.len(), |i| pos + 1 + i);
                    }
                }
                State::EncloseEscape => {
                    state = before;
                    pos += 1;
                }
                State::Escape => {
                    if data[pos] == self.enclose || data[pos] == self.escape {
                        state = before;
                        pos += 1;
                    } else if self.at(pos, self.delim) {
                        state = before;
                        pos += delim_len;
                    } else if self.at(pos, self.sep) {
                        state = before;
                        pos += sep_len;
                    } else {
                        // Any other byte: the escape is dropped, the byte is ordinary.
                        if self.trim_space && before == State::Enclose {
                            if data[pos] == b' ' {
                                self.space_after_enclose = Some(pos);
                            }
                            before = State::Ordinary;
                        }
                        state = State::Ordinary;
                        pos += 1;
                    }
                }
                State::Ordinary => {
                    if self.trim_space && before == State::Enclose {
                        if data[pos] == b' ' {
                            self.space_after_enclose = Some(pos);
                        }
                        before = State::Ordinary;
                    }
                    if self.at(pos, self.delim) {
                        pos += delim_len;
                        self.end_row(row_start, pos);
                        row_start = pos;
                        state = State::Start;
                    } else if self.at(pos, self.sep) {
                        pos += sep_len;
                        self.end_field(pos, sep_len);
                        state = State::Start;
                    } else if data[pos] == self.escape {
                        before = State::Ordinary;
                        state = State::Escape;
                        self.removed.push(pos);
                        pos += 1;
                    } else if data[pos] == self.enclose {
                        before = State::Ordinary;
                        state = State::EncloseEscape;
                        self.removed.push(pos);
                        pos += 1;
                    } else {
                        pos += 1;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(body: &str, options: &CsvOptions) -> Vec<Vec<Option<String>>> {
        parse(&mut body.as_bytes().to_vec(), options)
            .into_iter()
            .map(|r| {
                r.fields
                    .into_iter()
                    .map(|f| f.map(|b| String::from_utf8(b.into_owned()).unwrap()))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn plain_rows_null_and_empty() {
        let rows = fields("1\ta\n2\t\\N\n3\t\n", &CsvOptions::default());
        assert_eq!(
            rows,
            vec![
                vec![Some("1".into()), Some("a".into())],
                vec![Some("2".into()), None],
                vec![Some("3".into()), Some(String::new())],
            ]
        );
    }

    #[test]
    fn multi_byte_separators_and_enclose() {
        let options = CsvOptions {
            column_separator: parse_separator("\\x01").unwrap(),
            row_delimiter: parse_separator("0x0D0A").unwrap(),
            ..CsvOptions::default()
        };
        assert_eq!(
            fields("1\u{1}a\r\n2\u{1}b", &options),
            vec![
                vec![Some("1".into()), Some("a".into())],
                vec![Some("2".into()), Some("b".into())],
            ]
        );
        let quoted = CsvOptions {
            column_separator: b",".to_vec(),
            enclose: Some(b'"'),
            ..CsvOptions::default()
        };
        assert_eq!(
            fields("1,\"a,\"\"b\"\"\nc\"\n", &quoted),
            vec![vec![Some("1".into()), Some("a,\"b\"\nc".into())]]
        );
    }

    fn quoted(escape: Option<u8>) -> CsvOptions {
        CsvOptions {
            column_separator: b",".to_vec(),
            enclose: Some(b'"'),
            escape,
            ..CsvOptions::default()
        }
    }

    #[test]
    fn quoted_rows_utf8_validity() {
        let check = |body: &[u8], delimiter: &[u8]| -> Vec<bool> {
            let options = CsvOptions {
                row_delimiter: delimiter.to_vec(),
                ..quoted(Some(b'\\'))
            };
            parse(&mut body.to_vec(), &options)
                .iter()
                .map(|r| r.valid_utf8)
                .collect()
        };
        assert_eq!(check("\"é\",1\n\"ü\",2\n".as_bytes(), b"\n"), [true, true]);
        assert_eq!(check(b"\"\xff\",1\n\"ok\",2\n", b"\n"), [false, true]);
        // A body valid as a whole whose delimiter (a lone continuation byte) splits `€`: each
        // row is checked on its own.
        assert_eq!(check(b"x\xe2\x82\xacy\xc2\x82", b"\x82"), [false, false]);
    }

    #[test]
    fn enclosed_null_marker_is_null() {
        assert_eq!(
            fields("1,\"\\N\",\\N,\"\"\n", &quoted(None)),
            vec![vec![Some("1".into()), None, None, Some(String::new())]]
        );
        // An escape before `N` is removed, so `\N` with escape `\` is the text `N`.
        assert_eq!(
            fields("\\N,\\\\N\n", &quoted(Some(b'\\'))),
            vec![vec![Some("N".into()), None]]
        );
    }

    #[test]
    fn stray_enclose_and_escape_rules() {
        // A stray enclose is removed and the next byte is literal, even a separator.
        assert_eq!(
            fields("a\"b,a\",b,a\"\"b\n", &quoted(None)),
            vec![vec![
                Some("ab".into()),
                Some("a,b".into()),
                Some("a\"b".into())
            ]]
        );
        // Text after a closing enclose loses its last byte (the "closing enclose" StarRocks cuts).
        assert_eq!(
            fields("\"ab\"cd,x\n", &quoted(None)),
            vec![vec![Some("ab\"c".into()), Some("x".into())]]
        );
        // Escape before an ordinary byte: dropped.
        assert_eq!(
            fields("a\\bc,\\\\\n", &quoted(Some(b'\\'))),
            vec![vec![Some("abc".into()), Some("\\".into())]]
        );
        // Without an escape header the escape is NUL.
        assert_eq!(
            fields("a\0,b,c\n", &quoted(None)),
            vec![vec![Some("a,b".into()), Some("c".into())]]
        );
        // Escape set without enclose: NUL is the enclose.
        let escape_only = CsvOptions {
            column_separator: b",".to_vec(),
            escape: Some(b'\\'),
            ..CsvOptions::default()
        };
        assert_eq!(
            fields("\0a,b\0,\"c\"\n", &escape_only),
            vec![vec![Some("a,b".into()), Some("\"c\"".into())]]
        );
    }

    #[test]
    fn trim_space_rules() {
        let plain = CsvOptions {
            column_separator: b",".to_vec(),
            trim_space: true,
            ..CsvOptions::default()
        };
        assert_eq!(
            fields(" a , \\N \n", &plain),
            vec![vec![Some("a".into()), None]]
        );
        let quoted = CsvOptions {
            trim_space: true,
            ..quoted(None)
        };
        assert_eq!(
            fields("  \" a \"  ,b  \n", &quoted),
            vec![vec![Some(" a ".into()), Some("b  ".into())]]
        );
    }

    #[test]
    fn utf8_validity_and_skip_header() {
        let mut body = b"h\"1\nh2\n\n1\t\xff\n2\tok".to_vec();
        let rows = parse(
            &mut body,
            &CsvOptions {
                skip_header: 3,
                ..CsvOptions::default()
            },
        );
        assert_eq!(rows.len(), 2);
        assert!(!rows[0].valid_utf8);
        assert!(rows[1].valid_utf8);
        assert_eq!(rows[1].raw, b"2\tok");
    }

    #[test]
    fn separator_errors() {
        assert!(parse_separator("\\x0").is_err());
        assert!(parse_separator("0xZZ").is_err());
        assert_eq!(parse_separator("|").unwrap(), b"|");
    }
}
