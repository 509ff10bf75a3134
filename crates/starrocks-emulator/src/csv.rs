//! Splitting a CSV Stream Load body into rows and fields, StarRocks-style.
//!
//! - Rows end at `row_delimiter`, fields at `column_separator` (both byte strings of 1..=50
//!   bytes). A trailing delimiter does not make an extra row; empty rows are skipped.
//! - Without `enclose` there is no quoting: a separator inside a value makes an extra field.
//! - With `enclose` (RFC 4180 style), an enclosed field may hold separators and delimiters, and a
//!   doubled enclose byte stands for itself; `escape` makes the next byte literal.
//! - `\N` (unenclosed) is NULL; an empty field is the empty string.

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

/// One CSV row: its raw bytes (for the error log) and its fields (`None` = `\N`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRow {
    pub raw: Vec<u8>,
    pub fields: Vec<Option<Vec<u8>>>,
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

/// Splits `body` into rows.
pub fn parse(body: &[u8], options: &CsvOptions) -> Vec<CsvRow> {
    let mut rows = Vec::new();
    let mut pos = 0;
    while pos < body.len() {
        let (row, next) = read_row(body, pos, options);
        pos = next;
        if row.raw.is_empty() {
            continue;
        }
        rows.push(row);
    }
    rows.into_iter().skip(options.skip_header).collect()
}

fn starts_with_at(body: &[u8], pos: usize, pattern: &[u8]) -> bool {
    !pattern.is_empty()
        && body.len() >= pos + pattern.len()
        && &body[pos..pos + pattern.len()] == pattern
}

/// Reads one row starting at `start`; returns it and the position after its delimiter.
fn read_row(body: &[u8], start: usize, options: &CsvOptions) -> (CsvRow, usize) {
    let sep = &options.column_separator;
    let delim = &options.row_delimiter;
    let mut fields = Vec::new();
    let mut field: Vec<u8> = Vec::new();
    let mut enclosed = false;
    let mut was_enclosed = false;
    let mut pos = start;
    let finish = |field: &mut Vec<u8>, was_enclosed: bool, fields: &mut Vec<Option<Vec<u8>>>| {
        let mut value = std::mem::take(field);
        if options.trim_space && !was_enclosed {
            let trimmed = value.trim_ascii().to_vec();
            value = trimmed;
        }
        if !was_enclosed && value == b"\\N" {
            fields.push(None);
        } else {
            fields.push(Some(value));
        }
    };
    let end;
    loop {
        if pos >= body.len() {
            end = pos;
            break;
        }
        let byte = body[pos];
        if enclosed {
            if Some(byte) == options.escape && pos + 1 < body.len() {
                field.push(body[pos + 1]);
                pos += 2;
            } else if Some(byte) == options.enclose {
                if pos + 1 < body.len() && Some(body[pos + 1]) == options.enclose {
                    field.push(byte);
                    pos += 2;
                } else {
                    enclosed = false;
                    pos += 1;
                }
            } else {
                field.push(byte);
                pos += 1;
            }
            continue;
        }
        if starts_with_at(body, pos, delim) {
            end = pos;
            pos += delim.len();
            break;
        }
        if starts_with_at(body, pos, sep) {
            finish(&mut field, was_enclosed, &mut fields);
            was_enclosed = false;
            pos += sep.len();
            continue;
        }
        if field.is_empty() && !was_enclosed && Some(byte) == options.enclose {
            enclosed = true;
            was_enclosed = true;
            pos += 1;
            continue;
        }
        if Some(byte) == options.escape && pos + 1 < body.len() {
            field.push(body[pos + 1]);
            pos += 2;
            continue;
        }
        field.push(byte);
        pos += 1;
    }
    let raw = body[start..end].to_vec();
    if !raw.is_empty() {
        finish(&mut field, was_enclosed, &mut fields);
    }
    (CsvRow { raw, fields }, pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(body: &str, options: &CsvOptions) -> Vec<Vec<Option<String>>> {
        parse(body.as_bytes(), options)
            .into_iter()
            .map(|r| {
                r.fields
                    .into_iter()
                    .map(|f| f.map(|b| String::from_utf8(b).unwrap()))
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

    #[test]
    fn separator_errors() {
        assert!(parse_separator("\\x0").is_err());
        assert!(parse_separator("0xZZ").is_err());
        assert_eq!(parse_separator("|").unwrap(), b"|");
    }
}
