//! Tokenizer for the StarRocks SQL subset.
//!
//! Produces identifiers (bare words keep their spelling; keywords are matched
//! case-insensitively by the parser), back-quoted identifiers, string literals (`'...'` and
//! `"..."`, with doubled quotes and backslash escapes), numbers and punctuation. Whitespace and
//! comments (`-- ...`, `# ...`, `/* ... */`) are dropped. Every token remembers its byte offset
//! so errors can name a line and column.

use super::error::SqlError;

/// One token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token {
    /// A bare word: keyword or identifier.
    Word(String),
    /// A back-quoted identifier, quotes removed.
    Quoted(String),
    /// A string literal, quotes and escapes resolved.
    Str(String),
    /// A numeric literal as written (`12`, `-` is a separate token, `1.5`, `1e3`).
    Number(String),
    /// Punctuation or an operator: `( ) , ; . = * < > <= >= <> != @ + - /`.
    Symbol(&'static str),
}

/// A token and the byte offset where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Spanned {
    pub token: Token,
    pub offset: usize,
}

/// Line (1-based) and column (0-based) of a byte offset.
pub(crate) fn line_column(sql: &str, offset: usize) -> (usize, usize) {
    let before = sql.get(..offset).unwrap_or(sql);
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(before.chars().count(), |nl| {
        before[nl + 1..].chars().count()
    });
    (line, column)
}

const SYMBOLS: [&str; 17] = [
    "<=", ">=", "<>", "!=", "(", ")", ",", ";", ".", "=", "*", "<", ">", "@", "+", "-", "/",
];

/// Splits `sql` into tokens.
pub(crate) fn tokenize(sql: &str) -> Result<Vec<Spanned>, SqlError> {
    let bytes = sql.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    let error_at = |offset: usize, detail: &str| {
        let (line, column) = line_column(sql, offset);
        SqlError::syntax(line, column, detail)
    };
    while i < bytes.len() {
        let c = bytes[i];
        // Whitespace.
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        // Comments.
        if c == b'#' || (c == b'-' && bytes.get(i + 1) == Some(&b'-')) {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if c == b'/' && bytes.get(i + 1) == Some(&b'*') {
            match sql[i + 2..].find("*/") {
                Some(end) => {
                    i = i + 2 + end + 2;
                    continue;
                }
                None => return Err(error_at(i, "Unterminated comment")),
            }
        }
        let start = i;
        // Strings.
        if c == b'\'' || c == b'"' {
            let (text, next) = read_quoted(sql, i, c, true)
                .ok_or_else(|| error_at(start, "Unterminated string literal"))?;
            tokens.push(Spanned {
                token: Token::Str(text),
                offset: start,
            });
            i = next;
            continue;
        }
        if c == b'`' {
            let (text, next) = read_quoted(sql, i, c, false)
                .ok_or_else(|| error_at(start, "Unterminated quoted identifier"))?;
            tokens.push(Spanned {
                token: Token::Quoted(text),
                offset: start,
            });
            i = next;
            continue;
        }
        // Numbers (a leading `.5` is a number too).
        if c.is_ascii_digit() || (c == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            i = scan_number(bytes, i);
            // `1abc` is a word in MySQL (identifiers may start with digits).
            if i < bytes.len() && is_word_byte(bytes[i]) {
                while i < bytes.len() && is_word_byte(bytes[i]) {
                    i += 1;
                }
                tokens.push(Spanned {
                    token: Token::Word(sql[start..i].to_string()),
                    offset: start,
                });
            } else {
                tokens.push(Spanned {
                    token: Token::Number(sql[start..i].to_string()),
                    offset: start,
                });
            }
            continue;
        }
        if is_word_byte(c) {
            while i < bytes.len() && is_word_byte(bytes[i]) {
                i += 1;
            }
            tokens.push(Spanned {
                token: Token::Word(sql[start..i].to_string()),
                offset: start,
            });
            continue;
        }
        match SYMBOLS.iter().find(|s| sql[i..].starts_with(**s)) {
            Some(symbol) => {
                tokens.push(Spanned {
                    token: Token::Symbol(symbol),
                    offset: start,
                });
                i += symbol.len();
            }
            None => {
                let ch = sql[i..].chars().next().unwrap_or('?');
                return Err(error_at(start, &format!("Unexpected input '{ch}'")));
            }
        }
    }
    Ok(tokens)
}

/// Bytes that may appear in a bare word: ASCII letters, digits, `_`, `$` and any non-ASCII byte
/// (so UTF-8 identifiers stay whole).
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

fn scan_number(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
    }
    if i < bytes.len() && bytes[i] == b'.' {
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
    }
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        let mut j = i + 1;
        if j < bytes.len() && (bytes[j] == b'+' || bytes[j] == b'-') {
            j += 1;
        }
        if j < bytes.len() && bytes[j].is_ascii_digit() {
            while j < bytes.len() && bytes[j].is_ascii_digit() {
                j += 1;
            }
            i = j;
        }
    }
    i
}

/// Reads a quoted run starting at `start` (the opening quote). A doubled quote stands for one
/// quote; with `escapes`, backslash escapes (`\n`, `\t`, `\\`, `\'`, ...) are resolved as MySQL
/// does. Returns the text and the offset after the closing quote, or `None` if unterminated.
fn read_quoted(sql: &str, start: usize, quote: u8, escapes: bool) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut chars = sql[start + 1..].char_indices().peekable();
    while let Some((rel, ch)) = chars.next() {
        let at = start + 1 + rel;
        if ch as u32 == u32::from(quote) {
            if chars.peek().map(|(_, c)| *c as u32) == Some(u32::from(quote)) {
                chars.next();
                out.push(ch);
                continue;
            }
            return Some((out, at + 1));
        }
        if escapes && ch == '\\' {
            let (_, next) = chars.next()?;
            out.push(match next {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                '0' => '\0',
                'b' => '\u{8}',
                'Z' => '\u{1a}',
                other => other,
            });
            continue;
        }
        out.push(ch);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(sql: &str) -> Vec<Token> {
        tokenize(sql)
            .expect("tokenizes")
            .into_iter()
            .map(|t| t.token)
            .collect()
    }

    #[test]
    fn tokenizes_words_strings_numbers_and_symbols() {
        assert_eq!(
            kinds("SELECT `a b`, 'it''s', \"x\\ty\", 1.5, -2 FROM d.t WHERE c <= 3;"),
            vec![
                Token::Word("SELECT".into()),
                Token::Quoted("a b".into()),
                Token::Symbol(","),
                Token::Str("it's".into()),
                Token::Symbol(","),
                Token::Str("x\ty".into()),
                Token::Symbol(","),
                Token::Number("1.5".into()),
                Token::Symbol(","),
                Token::Symbol("-"),
                Token::Number("2".into()),
                Token::Word("FROM".into()),
                Token::Word("d".into()),
                Token::Symbol("."),
                Token::Word("t".into()),
                Token::Word("WHERE".into()),
                Token::Word("c".into()),
                Token::Symbol("<="),
                Token::Number("3".into()),
                Token::Symbol(";"),
            ]
        );
    }

    #[test]
    fn drops_comments() {
        assert_eq!(
            kinds("-- hello\nSHOW /* inline */ DATABASES # trailing"),
            vec![Token::Word("SHOW".into()), Token::Word("DATABASES".into())]
        );
    }

    #[test]
    fn reports_unterminated_input() {
        assert!(tokenize("select 'abc").is_err());
        assert!(tokenize("select `abc").is_err());
        assert!(tokenize("select /* abc").is_err());
        assert!(tokenize("select 'abc\\").is_err());
        assert!(tokenize("select ~").is_err());
    }

    #[test]
    fn positions_are_line_and_column() {
        let sql = "SELECT\n  x ~";
        let err = tokenize(sql).expect_err("rejects ~");
        assert!(err.message.contains("line 2, column 4"), "{}", err.message);
    }
}
