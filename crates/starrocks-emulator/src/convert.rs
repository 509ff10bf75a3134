//! Conversion of one loaded field (CSV text or a JSON value) into a typed [`Value`] for a column,
//! following StarRocks' Stream Load rules.
//!
//! What StarRocks accepts (and so what this accepts):
//! - Integers: optional sign and decimal digits, surrounding ASCII spaces ignored, range-checked
//!   against the column type (TINYINT..LARGEINT). No fraction, no exponent.
//! - FLOAT/DOUBLE: decimal or exponent notation; `inf`/`nan` and out-of-range values are rejected.
//! - DECIMAL(p,s): plain decimal text, no exponent; extra fraction digits round half away from
//!   zero; more than `p - s` integer digits is out of range.
//! - BOOLEAN: `true`/`false` (any case) or an integer (non-zero is true).
//! - DATE: `YYYY-MM-DD` (one- or two-digit month/day), `YYYYMMDD`, or a datetime whose time part
//!   is dropped; calendar-checked, 0000-01-01..9999-12-31.
//! - DATETIME: a date, optionally followed by ` ` or `T` and `HH:MM:SS[.ffffff]`, or
//!   `YYYYMMDDHHMMSS`; stored as `YYYY-MM-DD HH:MM:SS` plus `.ffffff` when the fraction is not 0.
//! - CHAR/VARCHAR/STRING: UTF-8 text whose length in bytes fits the column (STRING = 65533).
//! - VARBINARY: a CSV field is base64-decoded the lenient way StarRocks' `base64_decode2` does
//!   (see [`starrocks_base64_decode`]); text that does not decode is kept as it is, a field of only
//!   whitespace is empty. A JSON value is taken as text (a string's bytes, a number's text, a
//!   boolean as `1`/`0`). The length is checked on the stored bytes when the column has one.
//! - JSON: CSV text must parse as JSON; a JSON-format field is taken as the JSON value itself (a
//!   JSON string stays a string). Stored as compact JSON text.
//!
//! Invariant: a returned `Value` is in the canonical form `catalog::Value` documents. NULL input is
//! handled by the caller (it never reaches [`convert`]).

use crate::catalog::{ColumnType, Value};

/// Maximum byte length of a `STRING` column (StarRocks: VARCHAR(65533)).
pub const STRING_MAX_BYTES: u32 = 65533;

/// One source field.
#[derive(Debug, Clone, Copy)]
pub enum Field<'a> {
    /// A CSV field's raw bytes.
    Text(&'a [u8]),
    /// A JSON-format field.
    Json(&'a serde_json::Value),
}

/// Why a field could not be converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConvertError {
    /// The text is not a value of the type, or is out of its range.
    Invalid,
    /// A string longer (in bytes) than the column allows.
    TooLong { len: usize, max: u32 },
}

/// Converts `field` to a value of type `ty`.
pub fn convert(field: Field<'_>, ty: &ColumnType) -> Result<Value, ConvertError> {
    match field {
        Field::Text(bytes) => convert_text(bytes, ty),
        Field::Json(json) => convert_json(json, ty),
    }
}

/// StarRocks' display name of a column type, as used in its error messages.
pub fn type_name(ty: &ColumnType) -> String {
    match ty {
        ColumnType::Boolean => "BOOLEAN".into(),
        ColumnType::TinyInt => "TINYINT".into(),
        ColumnType::SmallInt => "SMALLINT".into(),
        ColumnType::Int => "INT".into(),
        ColumnType::BigInt => "BIGINT".into(),
        ColumnType::LargeInt => "LARGEINT".into(),
        ColumnType::Float => "FLOAT".into(),
        ColumnType::Double => "DOUBLE".into(),
        ColumnType::Decimal { precision, scale } => {
            let width = match precision {
                0..=9 => 32,
                10..=18 => 64,
                _ => 128,
            };
            format!("DECIMAL{width}({precision}, {scale})")
        }
        ColumnType::Char(n) => format!("CHAR({n})"),
        ColumnType::Varchar(n) => format!("VARCHAR({n})"),
        ColumnType::String => format!("VARCHAR({STRING_MAX_BYTES})"),
        ColumnType::Varbinary(Some(n)) => format!("VARBINARY({n})"),
        ColumnType::Varbinary(None) => "VARBINARY".into(),
        ColumnType::Date => "DATE".into(),
        ColumnType::Datetime => "DATETIME".into(),
        ColumnType::Json => "JSON".into(),
    }
}

/// A CSV field (`VarBinaryConverter::read_string` for VARBINARY).
fn convert_text(bytes: &[u8], ty: &ColumnType) -> Result<Value, ConvertError> {
    match ty {
        ColumnType::Varbinary(max) => {
            let start = bytes
                .iter()
                .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
                .unwrap_or(bytes.len());
            if start == bytes.len() {
                return Ok(Value::Bytes(Vec::new()));
            }
            // Why: StarRocks decodes from the first non-space byte and falls back to the whole
            // field, leading spaces included, when that fails.
            let decoded =
                starrocks_base64_decode(&bytes[start..]).unwrap_or_else(|| bytes.to_vec());
            check_bytes(decoded, *max)
        }
        _ => convert_text_bytes(bytes, ty),
    }
}

/// Text taken as it is (JSON values, and what the CSV converters parse).
fn convert_text_bytes(bytes: &[u8], ty: &ColumnType) -> Result<Value, ConvertError> {
    match ty {
        ColumnType::Varbinary(max) => check_bytes(bytes.to_vec(), *max),
        _ => {
            let text = std::str::from_utf8(bytes).map_err(|_| ConvertError::Invalid)?;
            convert_str(text, ty)
        }
    }
}

fn check_bytes(bytes: Vec<u8>, max: Option<u32>) -> Result<Value, ConvertError> {
    match max {
        Some(max) if bytes.len() > max as usize => Err(ConvertError::TooLong {
            len: bytes.len(),
            max,
        }),
        _ => Ok(Value::Bytes(bytes)),
    }
}

/// StarRocks' `base64_decode2`, whose leniency decides what a CSV VARBINARY field stores:
/// - decoding stops at a NUL byte; `\t`, `\n`, `\r` and space are skipped; `=` is skipped
///   anywhere, except that one standing after a lone first character of a quantum and followed by
///   something other than `=` is an error; any other byte outside the alphabet (`A-Za-z0-9+/`),
///   bytes >= 0x80 included, is an error (`None`);
/// - padding is not required: trailing bits that do not make a whole byte are dropped, so
///   `QQ` is `A` and a single character decodes to nothing;
/// - quirk kept: the decoder remembers the last character as its *decoded* value, and 61 is
///   `'='`, so input whose last character is `=` or `9` while its final quantum holds a single
///   character decodes to nothing.
pub fn starrocks_base64_decode(input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 3);
    let mut count = 0usize;
    let mut pending = 0u8;
    let mut last_is_pad = false;
    for (index, &byte) in input.iter().enumerate() {
        if byte == 0 {
            last_is_pad = false;
            break;
        }
        if byte >= 0x80 {
            return None;
        }
        if byte == b'=' {
            let next = input.get(index + 1);
            if next.is_some_and(|n| *n != b'=') && count % 4 == 1 {
                return None;
            }
            last_is_pad = true;
            continue;
        }
        let sextet = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'\t' | b'\n' | b'\r' | b' ' => {
                last_is_pad = false;
                continue;
            }
            _ => return None,
        };
        last_is_pad = sextet == b'=';
        match count % 4 {
            0 => pending = sextet << 2,
            1 => {
                out.push(pending | (sextet >> 4));
                pending = (sextet & 0x0f) << 4;
            }
            2 => {
                out.push(pending | (sextet >> 2));
                pending = (sextet & 0x03) << 6;
            }
            _ => out.push(pending | sextet),
        }
        count += 1;
    }
    if last_is_pad && count % 4 == 1 {
        return Some(Vec::new());
    }
    Some(out)
}

fn convert_json(json: &serde_json::Value, ty: &ColumnType) -> Result<Value, ConvertError> {
    use serde_json::Value as J;
    match (ty, json) {
        (ColumnType::Json, value) => Ok(Value::Json(value.to_string())),
        (_, J::String(s)) => convert_text_bytes(s.as_bytes(), ty),
        (ColumnType::Boolean, J::Bool(b)) => Ok(Value::Bool(*b)),
        // Why: StarRocks reads a JSON boolean into a string or binary column as `1`/`0`
        // (`add_column_with_boolean_value`).
        (
            ColumnType::Char(_)
            | ColumnType::Varchar(_)
            | ColumnType::String
            | ColumnType::Varbinary(_),
            J::Bool(b),
        ) => convert_text_bytes(if *b { b"1" } else { b"0" }, ty),
        (_, J::Bool(_)) if is_integer(ty) => Err(ConvertError::Invalid),
        (_, J::Bool(b)) => convert_str(if *b { "true" } else { "false" }, ty),
        (_, J::Number(n)) => convert_str(&n.to_string(), ty),
        (ColumnType::Char(_) | ColumnType::Varchar(_) | ColumnType::String, value) => {
            convert_str(&value.to_string(), ty)
        }
        (ColumnType::Varbinary(_), value) => convert_text_bytes(value.to_string().as_bytes(), ty),
        _ => Err(ConvertError::Invalid),
    }
}

fn is_integer(ty: &ColumnType) -> bool {
    matches!(
        ty,
        ColumnType::TinyInt
            | ColumnType::SmallInt
            | ColumnType::Int
            | ColumnType::BigInt
            | ColumnType::LargeInt
    )
}

fn convert_str(text: &str, ty: &ColumnType) -> Result<Value, ConvertError> {
    match ty {
        ColumnType::Boolean => parse_bool(text.trim()).map(Value::Bool),
        ColumnType::TinyInt => parse_int(text, i8::MIN.into(), i8::MAX.into()),
        ColumnType::SmallInt => parse_int(text, i16::MIN.into(), i16::MAX.into()),
        ColumnType::Int => parse_int(text, i32::MIN.into(), i32::MAX.into()),
        ColumnType::BigInt => parse_int(text, i64::MIN.into(), i64::MAX.into()),
        ColumnType::LargeInt => parse_int(text, i128::MIN, i128::MAX),
        ColumnType::Float => {
            let v = parse_float(text)?;
            if v.abs() > f64::from(f32::MAX) {
                return Err(ConvertError::Invalid);
            }
            #[allow(clippy::cast_possible_truncation)]
            let narrowed = v as f32;
            Ok(Value::Float(f64::from(narrowed)))
        }
        ColumnType::Double => parse_float(text).map(Value::Float),
        ColumnType::Decimal { precision, scale } => {
            parse_decimal(text.trim(), *precision, *scale).map(Value::Decimal)
        }
        ColumnType::Char(max) | ColumnType::Varchar(max) => check_len(text, *max),
        ColumnType::String => check_len(text, STRING_MAX_BYTES),
        ColumnType::Varbinary(_) => convert_text_bytes(text.as_bytes(), ty),
        ColumnType::Date => {
            let dt = parse_datetime(text.trim()).ok_or(ConvertError::Invalid)?;
            Ok(Value::Date(dt.date_string()))
        }
        ColumnType::Datetime => {
            let dt = parse_datetime(text.trim()).ok_or(ConvertError::Invalid)?;
            Ok(Value::Datetime(dt.datetime_string()))
        }
        ColumnType::Json => {
            let value: serde_json::Value =
                serde_json::from_str(text).map_err(|_| ConvertError::Invalid)?;
            Ok(Value::Json(value.to_string()))
        }
    }
}

fn check_len(text: &str, max: u32) -> Result<Value, ConvertError> {
    if text.len() > max as usize {
        Err(ConvertError::TooLong {
            len: text.len(),
            max,
        })
    } else {
        Ok(Value::Text(text.to_string()))
    }
}

fn parse_bool(text: &str) -> Result<bool, ConvertError> {
    if text.eq_ignore_ascii_case("true") {
        return Ok(true);
    }
    if text.eq_ignore_ascii_case("false") {
        return Ok(false);
    }
    match parse_int(text, i128::MIN, i128::MAX)? {
        Value::Int(v) => Ok(v != 0),
        _ => Err(ConvertError::Invalid),
    }
}

fn parse_int(text: &str, min: i128, max: i128) -> Result<Value, ConvertError> {
    let text = text.trim_matches(' ');
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ConvertError::Invalid);
    }
    // Up to 18 digits fit an i64 with room: summed directly, without the generic i128 parser.
    let value: i128 = if digits.len() <= 18 {
        let magnitude = digits
            .bytes()
            .fold(0i64, |v, b| v * 10 + i64::from(b - b'0'));
        i128::from(if text.starts_with('-') {
            -magnitude
        } else {
            magnitude
        })
    } else {
        text.parse().map_err(|_| ConvertError::Invalid)?
    };
    if value < min || value > max {
        return Err(ConvertError::Invalid);
    }
    Ok(Value::Int(value))
}

fn parse_float(text: &str) -> Result<f64, ConvertError> {
    let text = text.trim_matches(' ');
    // Why: Rust also parses "inf"/"NaN"; StarRocks' loader does not load them.
    if !text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
    {
        return Err(ConvertError::Invalid);
    }
    let value: f64 = text.parse().map_err(|_| ConvertError::Invalid)?;
    if value.is_finite() {
        Ok(value)
    } else {
        Err(ConvertError::Invalid)
    }
}

/// Parses plain decimal text into the canonical form with exactly `scale` fraction digits.
fn parse_decimal(text: &str, precision: u8, scale: u8) -> Result<String, ConvertError> {
    if is_canonical_decimal(text, precision, scale) {
        return Ok(text.to_string());
    }
    round_decimal(text, precision, scale)
}

/// [`parse_decimal`] for any text: rounds half up to `scale` digits and checks the precision.
fn round_decimal(text: &str, precision: u8, scale: u8) -> Result<String, ConvertError> {
    let (negative, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (int_part, frac_part) = body.split_once('.').unwrap_or((body, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(ConvertError::Invalid);
    }
    if !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(ConvertError::Invalid);
    }
    let scale = usize::from(scale);
    // Digits of the scaled integer value, most significant first.
    let mut digits: Vec<u8> = int_part.bytes().map(|b| b - b'0').collect();
    let frac: Vec<u8> = frac_part.bytes().map(|b| b - b'0').collect();
    for i in 0..scale {
        digits.push(frac.get(i).copied().unwrap_or(0));
    }
    let round_up = frac.get(scale).is_some_and(|d| *d >= 5);
    if round_up {
        let mut i = digits.len();
        loop {
            if i == 0 {
                digits.insert(0, 1);
                break;
            }
            i -= 1;
            if digits[i] == 9 {
                digits[i] = 0;
            } else {
                digits[i] += 1;
                break;
            }
        }
    }
    let first_nonzero = digits.iter().position(|d| *d != 0).unwrap_or(digits.len());
    let significant = &digits[first_nonzero..];
    let int_digits = significant.len().saturating_sub(scale);
    if int_digits > usize::from(precision).saturating_sub(scale) {
        return Err(ConvertError::Invalid);
    }
    let is_zero = significant.is_empty();
    let mut padded: Vec<u8> = significant.to_vec();
    while padded.len() < scale + 1 {
        padded.insert(0, 0);
    }
    let split = padded.len() - scale;
    let mut out = String::new();
    if negative && !is_zero {
        out.push('-');
    }
    out.extend(padded[..split].iter().map(|d| char::from(b'0' + d)));
    if scale > 0 {
        out.push('.');
        out.extend(padded[split..].iter().map(|d| char::from(b'0' + d)));
    }
    Ok(out)
}

/// Whether `text` is already what [`parse_decimal`] would make of it (what writers of exact
/// decimals send): an optional `-` not before zero, no superfluous leading zero, exactly `scale`
/// fraction digits after a `.` (none without), and at most `precision - scale` integer digits.
fn is_canonical_decimal(text: &str, precision: u8, scale: u8) -> bool {
    let body = text.strip_prefix('-').unwrap_or(text);
    let (int_part, frac_part) = match body.split_once('.') {
        Some((int_part, frac_part)) if scale > 0 => (int_part, frac_part),
        None if scale == 0 => (body, ""),
        _ => return false,
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let canonical_int = int_part == "0" || (!int_part.is_empty() && !int_part.starts_with('0'));
    let is_zero = int_part == "0" && frac_part.bytes().all(|b| b == b'0');
    canonical_int
        && all_digits(int_part)
        && all_digits(frac_part)
        && frac_part.len() == usize::from(scale)
        && (int_part == "0" || int_part.len() <= usize::from(precision.saturating_sub(scale)))
        && !(is_zero && body.len() != text.len())
}

/// A parsed, calendar-checked date and time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DateTime {
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    micros: u32,
}

impl DateTime {
    /// `YYYY-MM-DD`.
    fn date_string(&self) -> String {
        let mut out = String::with_capacity(10);
        self.push_date(&mut out);
        out
    }

    /// `YYYY-MM-DD HH:MM:SS`, with `.ffffff` when there are microseconds.
    fn datetime_string(&self) -> String {
        let mut out = String::with_capacity(26);
        self.push_date(&mut out);
        out.push(' ');
        push_digits(&mut out, self.hour, 2);
        out.push(':');
        push_digits(&mut out, self.minute, 2);
        out.push(':');
        push_digits(&mut out, self.second, 2);
        if self.micros != 0 {
            out.push('.');
            push_digits(&mut out, self.micros, 6);
        }
        out
    }

    fn push_date(&self, out: &mut String) {
        push_digits(out, self.year, 4);
        out.push('-');
        push_digits(out, self.month, 2);
        out.push('-');
        push_digits(out, self.day, 2);
    }
}

/// Appends `value` zero-padded to `width` digits (`format!("{value:0width$}")` without the
/// formatter, which this hot path felt); wider values keep all their digits.
fn push_digits(out: &mut String, value: u32, width: usize) {
    let mut digits = [0u8; 10];
    let mut rest = value;
    let mut len = 0;
    while len == 0 || rest > 0 || len < width {
        digits[len] = b'0' + (rest % 10) as u8;
        rest /= 10;
        len += 1;
    }
    out.extend(digits[..len].iter().rev().map(|&d| char::from(d)));
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

fn number(text: &str, min_len: usize, max_len: usize) -> Option<u32> {
    if text.len() < min_len || text.len() > max_len || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn parse_datetime(text: &str) -> Option<DateTime> {
    let all_digits = text.bytes().all(|b| b.is_ascii_digit());
    let (date, time) = if all_digits && (text.len() == 8 || text.len() == 14) {
        let date = (
            number(&text[0..4], 4, 4)?,
            number(&text[4..6], 2, 2)?,
            number(&text[6..8], 2, 2)?,
        );
        let time = if text.len() == 14 {
            Some((
                number(&text[8..10], 2, 2)?,
                number(&text[10..12], 2, 2)?,
                number(&text[12..14], 2, 2)?,
                0,
            ))
        } else {
            None
        };
        (date, time)
    } else {
        let (date_text, time_text) = match text.find([' ', 'T']) {
            Some(i) => (&text[..i], Some(&text[i + 1..])),
            None => (text, None),
        };
        let mut parts = date_text.split('-');
        let date = (
            number(parts.next()?, 4, 4)?,
            number(parts.next()?, 1, 2)?,
            number(parts.next()?, 1, 2)?,
        );
        if parts.next().is_some() {
            return None;
        }
        let time = match time_text {
            None => None,
            Some(t) => Some(parse_time(t)?),
        };
        (date, time)
    };
    let (year, month, day) = date;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let (hour, minute, second, micros) = time.unwrap_or((0, 0, 0, 0));
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    Some(DateTime {
        year,
        month,
        day,
        hour,
        minute,
        second,
        micros,
    })
}

fn parse_time(text: &str) -> Option<(u32, u32, u32, u32)> {
    let (hms, frac) = match text.split_once('.') {
        Some((hms, frac)) => (hms, Some(frac)),
        None => (text, None),
    };
    let mut parts = hms.split(':');
    let hour = number(parts.next()?, 1, 2)?;
    let minute = number(parts.next()?, 1, 2)?;
    let second = number(parts.next()?, 1, 2)?;
    if parts.next().is_some() {
        return None;
    }
    let micros = match frac {
        None => 0,
        Some(frac) => {
            if frac.is_empty() || frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let mut six: String = frac.chars().take(6).collect();
            while six.len() < 6 {
                six.push('0');
            }
            six.parse().ok()?
        }
    };
    Some((hour, minute, second, micros))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str, ty: ColumnType) -> Result<Value, ConvertError> {
        convert(Field::Text(s.as_bytes()), &ty)
    }

    #[test]
    fn integers_are_range_checked() {
        assert_eq!(text("127", ColumnType::TinyInt), Ok(Value::Int(127)));
        assert_eq!(text("128", ColumnType::TinyInt), Err(ConvertError::Invalid));
        assert_eq!(text("-32768", ColumnType::SmallInt), Ok(Value::Int(-32768)));
        assert_eq!(
            text("2147483648", ColumnType::Int),
            Err(ConvertError::Invalid)
        );
        assert_eq!(text("1.5", ColumnType::Int), Err(ConvertError::Invalid));
        assert_eq!(text("abc", ColumnType::BigInt), Err(ConvertError::Invalid));
        assert_eq!(
            text("18446744073709551615", ColumnType::LargeInt),
            Ok(Value::Int(18_446_744_073_709_551_615))
        );
        assert_eq!(
            text("1e3", ColumnType::LargeInt),
            Err(ConvertError::Invalid)
        );
        // Around the short-number path (up to 18 digits) and the generic one.
        for (input, expected) in [
            ("+5", 5i128),
            ("-0", 0),
            ("000123", 123),
            (" 42 ", 42),
            ("999999999999999999", 999_999_999_999_999_999),
            ("-999999999999999999", -999_999_999_999_999_999),
            ("9223372036854775807", i128::from(i64::MAX)),
            ("-9223372036854775808", i128::from(i64::MIN)),
        ] {
            assert_eq!(
                text(input, ColumnType::BigInt),
                Ok(Value::Int(expected)),
                "{input}"
            );
        }
        assert_eq!(
            text("9223372036854775808", ColumnType::BigInt),
            Err(ConvertError::Invalid)
        );
        assert_eq!(text("+", ColumnType::BigInt), Err(ConvertError::Invalid));
        assert_eq!(text("--1", ColumnType::BigInt), Err(ConvertError::Invalid));
    }

    #[test]
    fn decimals_round_and_check_precision() {
        let ty = ColumnType::Decimal {
            precision: 5,
            scale: 2,
        };
        assert_eq!(text("1.5", ty.clone()), Ok(Value::Decimal("1.50".into())));
        assert_eq!(
            text("-1.005", ty.clone()),
            Ok(Value::Decimal("-1.01".into()))
        );
        assert_eq!(
            text("999.99", ty.clone()),
            Ok(Value::Decimal("999.99".into()))
        );
        assert_eq!(text("999.995", ty.clone()), Err(ConvertError::Invalid));
        assert_eq!(text("1000", ty.clone()), Err(ConvertError::Invalid));
        assert_eq!(text("1e2", ty.clone()), Err(ConvertError::Invalid));
        assert_eq!(
            text("-0.001", ty.clone()),
            Ok(Value::Decimal("0.00".into()))
        );
        assert_eq!(text(".5", ty), Ok(Value::Decimal("0.50".into())));
    }

    #[test]
    fn canonical_decimal_shortcut_agrees_with_rounding() {
        let inputs = [
            "0", "0.0", "0.00", "-0.00", "00.00", "1.50", "1.5", "-1.50", "999.99", "-999.99",
            "1000.00", "0.12345", "1.23450", "12345", "-12345", "012.34", "+1.50", "1.500", ".50",
            "-0", "0.1", "5", "123456", "9.99", "-.50", "1.", "",
        ];
        for (precision, scale) in [(5, 2), (5, 5), (5, 0), (6, 1), (1, 0)] {
            for input in inputs {
                let general = round_decimal(input, precision, scale);
                assert_eq!(
                    parse_decimal(input, precision, scale),
                    general,
                    "{input} as DECIMAL({precision},{scale})"
                );
                if is_canonical_decimal(input, precision, scale) {
                    assert_eq!(general.as_deref(), Ok(input), "{input}");
                }
            }
        }
    }

    #[test]
    fn date_text_is_zero_padded() {
        let dt = DateTime {
            year: 7,
            month: 3,
            day: 9,
            hour: 4,
            minute: 0,
            second: 5,
            micros: 42,
        };
        assert_eq!(dt.date_string(), "0007-03-09");
        assert_eq!(dt.datetime_string(), "0007-03-09 04:00:05.000042");
        let whole = DateTime { micros: 0, ..dt };
        assert_eq!(whole.datetime_string(), "0007-03-09 04:00:05");
    }

    #[test]
    fn dates_and_datetimes() {
        assert_eq!(
            text("2024-02-29", ColumnType::Date),
            Ok(Value::Date("2024-02-29".into()))
        );
        assert_eq!(
            text("2023-02-29", ColumnType::Date),
            Err(ConvertError::Invalid)
        );
        assert_eq!(
            text("0000-00-00", ColumnType::Date),
            Err(ConvertError::Invalid)
        );
        assert_eq!(
            text("2024-01-02T03:04:05.123", ColumnType::Datetime),
            Ok(Value::Datetime("2024-01-02 03:04:05.123000".into()))
        );
        assert_eq!(
            text("2024-01-02", ColumnType::Datetime),
            Ok(Value::Datetime("2024-01-02 00:00:00".into()))
        );
        assert_eq!(
            text("2024-01-02 24:00:00", ColumnType::Datetime),
            Err(ConvertError::Invalid)
        );
    }

    #[test]
    fn varbinary_csv_is_base64_with_raw_fallback() {
        let ty = ColumnType::Varbinary(Some(3));
        assert_eq!(text("eHk=", ty.clone()), Ok(Value::Bytes(b"xy".to_vec())));
        assert_eq!(text(" eHk", ty.clone()), Ok(Value::Bytes(b"xy".to_vec())));
        assert_eq!(text("QQ", ty.clone()), Ok(Value::Bytes(b"A".to_vec())));
        assert_eq!(text("Q", ty.clone()), Ok(Value::Bytes(Vec::new())));
        assert_eq!(text("   ", ty.clone()), Ok(Value::Bytes(Vec::new())));
        // Not base64: kept as it is.
        assert_eq!(text("a-b", ty.clone()), Ok(Value::Bytes(b"a-b".to_vec())));
        assert_eq!(
            text("a-bc", ty.clone()),
            Err(ConvertError::TooLong { len: 4, max: 3 })
        );
        assert_eq!(
            starrocks_base64_decode(b"QUJD\nREVG"),
            Some(b"ABCDEF".to_vec())
        );
        assert_eq!(starrocks_base64_decode(b"Q=Q"), None);
        assert_eq!(starrocks_base64_decode(b"AAAA9"), Some(Vec::new()));
        assert_eq!(starrocks_base64_decode(b"QUJD\0!!"), Some(b"ABC".to_vec()));
        let json = serde_json::json!("eHk=");
        assert_eq!(
            convert(Field::Json(&json), &ty),
            Err(ConvertError::TooLong { len: 4, max: 3 })
        );
        let json = serde_json::json!(true);
        assert_eq!(
            convert(Field::Json(&json), &ty),
            Ok(Value::Bytes(b"1".to_vec()))
        );
    }

    #[test]
    fn strings_booleans_json() {
        assert_eq!(
            text("abcd", ColumnType::Varchar(3)),
            Err(ConvertError::TooLong { len: 4, max: 3 })
        );
        assert_eq!(text("TRUE", ColumnType::Boolean), Ok(Value::Bool(true)));
        assert_eq!(text("0", ColumnType::Boolean), Ok(Value::Bool(false)));
        assert_eq!(text("yes", ColumnType::Boolean), Err(ConvertError::Invalid));
        assert_eq!(
            text("{\"a\":1", ColumnType::Json),
            Err(ConvertError::Invalid)
        );
        assert_eq!(
            text("{\"a\": 1}", ColumnType::Json),
            Ok(Value::Json("{\"a\":1}".into()))
        );
        assert_eq!(text("nan", ColumnType::Double), Err(ConvertError::Invalid));
        assert_eq!(text("1e39", ColumnType::Float), Err(ConvertError::Invalid));
    }
}
