//! The only place that turns MySQL values into [`Value`]s: binlog row images (`BinlogRow`,
//! decoded by `mysql_common` against the TABLE_MAP) and result-set rows (snapshot SELECTs, text
//! or binary protocol, session `time_zone = '+00:00'`).
//!
//! Invariant: for the same stored data both paths give the same `Value`. What each path gets and
//! how it is brought to the common form:
//! - integers: the binlog gives bits whose signedness is only known with FULL row metadata, so
//!   the column's `unsigned` (from information_schema) decides; result sets give text or typed.
//! - DECIMAL: exact text with exactly the column's scale, no exponent, no `-0`.
//! - CHAR/VARCHAR/TEXT: the binlog has bytes in the column's character set (converted here);
//!   result sets are already utf8mb4.
//! - BINARY(n): the binlog drops trailing 0x00 bytes; re-padded to n.
//! - DATE/DATETIME: a zero month or day (`0000-00-00`, `2024-00-10`) becomes `Value::Null` (the
//!   zero-date policy: StarRocks has no such dates).
//! - TIMESTAMP: the binlog has Unix seconds (+ fraction); result sets have UTC text. The zero
//!   timestamp becomes `Value::Null`.
//! - TIME: signed, hours may exceed 24 (`-838:59:59.000000`).
//! - YEAR: the binlog byte 0 is year 0 (not 1900).
//! - BIT(1) is `Bool`; BIT(n > 1) big-endian bytes (`ceil(n/8)` bytes).
//! - ENUM: the binlog has the 1-based index (0 is the empty "error" value); SET a bitmask: both
//!   become their labels (SET labels joined by `,` in definition order).
//! - JSON: canonical text (see `source::json`); partial updates are applied to the before image.
//! - GEOMETRY: the internal bytes (4-byte SRID + WKB) as `Bytes`; VECTOR: its bytes.

use compact_str::{format_compact, CompactString};
use mysql_async::binlog::row::BinlogRow;
use mysql_async::binlog::value::BinlogValue;
use mysql_async::Value as MyValue;

use crate::change::Row;
use crate::error::Error;
use crate::schema::{ColumnSchema, MySqlType, TableSchema};
use crate::source::{charset, json};
use crate::value::Value;

/// Decodes one row image of a binlog rows event against `schema`.
///
/// `before` is the before image of the same row change (for the after image of an UPDATE): a
/// partial JSON update is applied to the before image's value of that column.
/// The image must hold every column (`binlog_row_image=FULL`).
pub fn decode_binlog_row(
    mut image: BinlogRow,
    schema: &TableSchema,
    before: Option<&Row>,
) -> Result<Row, Error> {
    if image.len() != schema.columns.len() {
        return Err(Error::definite(format!(
            "{}: a row image holds {} of the table's {} columns",
            schema.id,
            image.len(),
            schema.columns.len()
        ))
        .with_hint("set binlog_row_image=FULL on the source (globally, and in every session)"));
    }
    let mut row = Vec::with_capacity(schema.columns.len());
    for (index, column) in schema.columns.iter().enumerate() {
        let value = image.take(index).ok_or_else(|| {
            Error::definite(format!(
                "{}.{}: missing in the row image",
                schema.id, column.name
            ))
        })?;
        let before_value = before.and_then(|b| b.get(index));
        let decoded = binlog_value(value, column, before_value).map_err(|reason| {
            Error::definite(format!("{}.{}: {reason}", schema.id, column.name))
        })?;
        row.push(decoded);
    }
    Ok(row)
}

/// Decodes one result-set row (columns in `schema.columns` order) of a SELECT run with session
/// `time_zone = '+00:00'`, text or binary protocol.
pub fn decode_result_row(row: mysql_async::Row, schema: &TableSchema) -> Result<Row, Error> {
    let values = row.unwrap();
    if values.len() != schema.columns.len() {
        return Err(Error::definite(format!(
            "{}: a result row has {} values for {} columns",
            schema.id,
            values.len(),
            schema.columns.len()
        )));
    }
    values
        .into_iter()
        .zip(&schema.columns)
        .map(|(value, column)| {
            result_value(value, column).map_err(|reason| {
                Error::definite(format!("{}.{}: {reason}", schema.id, column.name))
            })
        })
        .collect()
}

/// Decodes one binlog cell.
pub fn binlog_value(
    value: BinlogValue<'_>,
    column: &ColumnSchema,
    before: Option<&Value>,
) -> Result<Value, String> {
    match value {
        BinlogValue::Value(MyValue::NULL) => Ok(Value::Null),
        BinlogValue::Jsonb(jsonb) => match column.ty {
            MySqlType::Json => json::from_binary(&jsonb).map(|text| Value::Json(text.into())),
            _ => Err(format!("binary JSON in a {:?} column", column.ty)),
        },
        BinlogValue::JsonDiff(diffs) => {
            let Some(Value::Json(before_text)) = before else {
                return Err("a partial JSON update without a JSON before image".into());
            };
            let document: serde_json::Value = serde_json::from_str(before_text)
                .map_err(|error| format!("before image is not JSON: {error}"))?;
            json::apply_diffs(document, &diffs)
                .map(|doc| Value::Json(json::canonical_text(doc).into()))
        }
        BinlogValue::Value(value) => binlog_scalar(value, column),
    }
}

fn binlog_scalar(value: MyValue, column: &ColumnSchema) -> Result<Value, String> {
    use MySqlType as T;
    // Text and binary bytes are moved into the value, not copied (one allocation per cell less
    // on the hot path).
    let value = match (&column.ty, value) {
        (T::Char { .. } | T::VarChar { .. } | T::Text, MyValue::Bytes(bytes)) => {
            let charset = column.charset.as_deref().unwrap_or("utf8mb4");
            return charset::into_utf8(bytes, charset).map(|text| Value::Text(text.into()));
        }
        (T::VarBinary { .. } | T::Blob | T::Geometry | T::Vector { .. }, MyValue::Bytes(bytes)) => {
            return Ok(Value::Bytes(bytes));
        }
        (_, value) => value,
    };
    let value = &value;
    match (&column.ty, value) {
        (T::TinyInt | T::SmallInt | T::MediumInt | T::Int | T::BigInt, _) => {
            let bits = match value {
                MyValue::Int(i) => *i as u64,
                MyValue::UInt(u) => *u,
                other => return Err(unexpected(other)),
            };
            Ok(int_from_bits(bits, int_width(&column.ty), column.unsigned))
        }
        (T::Float, MyValue::Float(f)) => Ok(Value::Float(*f)),
        (T::Float, MyValue::Double(d)) => Ok(Value::Float(*d as f32)),
        (T::Double, MyValue::Double(d)) => Ok(Value::Double(*d)),
        (T::Double, MyValue::Float(f)) => Ok(Value::Double(f64::from(*f))),
        (T::Decimal { scale, .. }, MyValue::Bytes(text)) => {
            let text = std::str::from_utf8(text).map_err(|_| bad_text("DECIMAL", "?"))?;
            decimal_text(text, *scale).map(Value::Decimal)
        }
        (T::Binary { length }, MyValue::Bytes(bytes)) => {
            let mut bytes = bytes.clone();
            let length = *length as usize;
            if bytes.len() < length {
                bytes.resize(length, 0);
            }
            Ok(Value::Bytes(bytes))
        }
        (T::Json, MyValue::Bytes(text)) => {
            json::from_text(&utf8(text)?).map(|text| Value::Json(text.into()))
        }
        (T::Date, MyValue::Date(year, month, day, ..)) => Ok(date(*year, *month, *day)),
        (T::DateTime { .. }, MyValue::Date(y, mo, d, h, mi, s, micro)) => {
            Ok(datetime(*y, *mo, *d, *h, *mi, *s, *micro))
        }
        (T::Timestamp { .. }, MyValue::Int(seconds)) => Ok(timestamp(*seconds, 0)),
        (T::Timestamp { .. }, MyValue::Bytes(text)) => {
            // "seconds" or "seconds.micros" (TIMESTAMP2); the seconds are an unsigned 32-bit
            // number that `mysql_common` reads as signed.
            let text = utf8(text)?;
            let (seconds, micros) = match text.split_once('.') {
                Some((s, f)) => (s, f),
                None => (text.as_str(), "0"),
            };
            let mut seconds: i64 = seconds.parse().map_err(|_| bad_text("TIMESTAMP", &text))?;
            if seconds < 0 {
                seconds += 1 << 32;
            }
            let micros: i64 = micros.parse().map_err(|_| bad_text("TIMESTAMP", &text))?;
            Ok(timestamp(seconds, micros))
        }
        (T::Time { .. }, MyValue::Time(negative, days, hours, minutes, seconds, micro)) => {
            Ok(time(
                *negative,
                days * 24 + u32::from(*hours),
                *minutes,
                *seconds,
                *micro,
            ))
        }
        (T::Year, MyValue::Bytes(text)) => {
            // `mysql_common` renders the stored byte b as 1900 + b; b = 0 is year 0.
            let year: u16 = utf8(text)?.parse().map_err(|_| bad_text("YEAR", "?"))?;
            Ok(Value::Year(if year == 1900 { 0 } else { year }))
        }
        (T::Year, MyValue::Int(year)) => Ok(Value::Year(u16::try_from(*year).unwrap_or(0))),
        (T::Bit { width }, MyValue::Bytes(bytes)) => Ok(bit(bytes, *width)),
        (T::Enum { labels }, MyValue::Int(index)) => enum_label(labels, *index as u64),
        (T::Enum { labels }, MyValue::UInt(index)) => enum_label(labels, *index),
        (T::Set { labels }, MyValue::Bytes(mask)) => {
            let mut bits = 0_u64;
            for (i, byte) in mask.iter().enumerate().take(8) {
                bits |= u64::from(*byte) << (8 * i);
            }
            set_labels(labels, bits)
        }
        (_, other) => Err(unexpected(other)),
    }
}

fn result_value(value: MyValue, column: &ColumnSchema) -> Result<Value, String> {
    use MySqlType as T;
    if value == MyValue::NULL {
        return Ok(Value::Null);
    }
    match (&column.ty, value) {
        (T::TinyInt | T::SmallInt | T::MediumInt | T::Int | T::BigInt, value) => {
            let bits = match value {
                MyValue::Int(i) => i as u64,
                MyValue::UInt(u) => u,
                MyValue::Bytes(text) => {
                    let text = utf8(&text)?;
                    if column.unsigned {
                        text.parse::<u64>()
                            .map_err(|_| bad_text("integer", &text))?
                    } else {
                        text.parse::<i64>()
                            .map_err(|_| bad_text("integer", &text))? as u64
                    }
                }
                other => return Err(unexpected(&other)),
            };
            Ok(int_from_bits(bits, int_width(&column.ty), column.unsigned))
        }
        (T::Float, MyValue::Float(f)) => Ok(Value::Float(f)),
        (T::Float, MyValue::Double(d)) => Ok(Value::Float(d as f32)),
        (T::Float, MyValue::Bytes(text)) => {
            let text = utf8(&text)?;
            text.parse::<f32>()
                .map(Value::Float)
                .map_err(|_| bad_text("FLOAT", &text))
        }
        (T::Double, MyValue::Double(d)) => Ok(Value::Double(d)),
        (T::Double, MyValue::Float(f)) => Ok(Value::Double(f64::from(f))),
        (T::Double, MyValue::Bytes(text)) => {
            let text = utf8(&text)?;
            text.parse::<f64>()
                .map(Value::Double)
                .map_err(|_| bad_text("DOUBLE", &text))
        }
        (T::Decimal { scale, .. }, MyValue::Bytes(text)) => {
            decimal_text(&utf8(&text)?, *scale).map(Value::Decimal)
        }
        (
            T::Char { .. } | T::VarChar { .. } | T::Text | T::Enum { .. } | T::Set { .. },
            MyValue::Bytes(bytes),
        ) => String::from_utf8(bytes)
            .map(|text| Value::Text(text.into()))
            .map_err(|error| format!("invalid utf8mb4 text: {error}")),
        (T::Binary { length }, MyValue::Bytes(mut bytes)) => {
            let length = *length as usize;
            if bytes.len() < length {
                bytes.resize(length, 0);
            }
            Ok(Value::Bytes(bytes))
        }
        (T::VarBinary { .. } | T::Blob | T::Geometry | T::Vector { .. }, MyValue::Bytes(bytes)) => {
            Ok(Value::Bytes(bytes))
        }
        (T::Json, MyValue::Bytes(text)) => {
            json::from_text(&utf8(&text)?).map(|text| Value::Json(text.into()))
        }
        (T::Date, MyValue::Date(y, mo, d, ..)) => Ok(date(y, mo, d)),
        (T::Date, MyValue::Bytes(text)) => {
            let text = utf8(&text)?;
            let (y, mo, d) = parse_date(&text).ok_or_else(|| bad_text("DATE", &text))?;
            Ok(date(y, mo, d))
        }
        (T::DateTime { .. }, MyValue::Date(y, mo, d, h, mi, s, micro)) => {
            Ok(datetime(y, mo, d, h, mi, s, micro))
        }
        (T::DateTime { .. }, MyValue::Bytes(text)) => {
            let text = utf8(&text)?;
            let (y, mo, d, h, mi, s, micro) =
                parse_datetime(&text).ok_or_else(|| bad_text("DATETIME", &text))?;
            Ok(datetime(y, mo, d, h, mi, s, micro))
        }
        (T::Timestamp { .. }, value) => {
            let (y, mo, d, h, mi, s, micro) = match value {
                MyValue::Date(y, mo, d, h, mi, s, micro) => (y, mo, d, h, mi, s, micro),
                MyValue::Bytes(text) => {
                    let text = utf8(&text)?;
                    parse_datetime(&text).ok_or_else(|| bad_text("TIMESTAMP", &text))?
                }
                other => return Err(unexpected(&other)),
            };
            if mo == 0 || d == 0 {
                return Ok(Value::Null);
            }
            let days = days_from_civil(i64::from(y), u32::from(mo), u32::from(d));
            let seconds = days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s);
            Ok(timestamp(seconds, i64::from(micro)))
        }
        (T::Time { .. }, MyValue::Time(negative, days, h, m, s, micro)) => {
            Ok(time(negative, days * 24 + u32::from(h), m, s, micro))
        }
        (T::Time { .. }, MyValue::Bytes(text)) => {
            let text = utf8(&text)?;
            parse_time(&text).ok_or_else(|| bad_text("TIME", &text))
        }
        (T::Year, MyValue::Int(year)) => Ok(Value::Year(u16::try_from(year).unwrap_or(0))),
        (T::Year, MyValue::UInt(year)) => Ok(Value::Year(u16::try_from(year).unwrap_or(0))),
        (T::Year, MyValue::Bytes(text)) => {
            let text = utf8(&text)?;
            text.parse::<u16>()
                .map(Value::Year)
                .map_err(|_| bad_text("YEAR", &text))
        }
        (T::Bit { width }, MyValue::Bytes(bytes)) => Ok(bit(&bytes, *width)),
        (_, other) => Err(unexpected(&other)),
    }
}

/// Bit width of an integer type.
pub fn int_width(ty: &MySqlType) -> u32 {
    match ty {
        MySqlType::TinyInt => 8,
        MySqlType::SmallInt => 16,
        MySqlType::MediumInt => 24,
        MySqlType::Int => 32,
        _ => 64,
    }
}

/// Interprets the low `width` bits of `bits` as a signed or unsigned integer.
pub fn int_from_bits(bits: u64, width: u32, unsigned: bool) -> Value {
    if width >= 64 {
        return if unsigned {
            Value::UInt(bits)
        } else {
            Value::Int(bits as i64)
        };
    }
    let masked = bits & ((1_u64 << width) - 1);
    if unsigned {
        Value::UInt(masked)
    } else {
        let shift = 64 - width;
        Value::Int(((masked << shift) as i64) >> shift)
    }
}

/// A DECIMAL column's value from the canonical `text` of a cell written with `cell_scale`
/// fraction digits ([`crate::source::binary_decimal`]); rescaled when the column's scale differs
/// (a cell written before an ALTER).
pub fn decimal_value(
    text: CompactString,
    cell_scale: u8,
    column: &ColumnSchema,
) -> Result<Value, String> {
    match column.ty {
        MySqlType::Decimal { scale, .. } if scale == cell_scale => Ok(Value::Decimal(text)),
        MySqlType::Decimal { scale, .. } => decimal_text(&text, scale).map(Value::Decimal),
        _ => Err(format!("a DECIMAL cell in a {:?} column", column.ty)),
    }
}

/// Brings DECIMAL text to its exact form: optional `-`, integer digits without leading zeros
/// (at least one), and exactly `scale` fraction digits; `-0.00` is `0.00`.
pub fn decimal_text(text: &str, scale: u8) -> Result<CompactString, String> {
    if is_exact_decimal(text, scale) {
        return Ok(text.into());
    }
    let trimmed = text.trim();
    let (negative, digits) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int_part.is_empty() && frac_part.is_empty())
        || !all_digits(int_part)
        || !all_digits(frac_part)
    {
        return Err(bad_text("DECIMAL", text));
    }
    let int_part = int_part.trim_start_matches('0');
    let int_part = if int_part.is_empty() { "0" } else { int_part };
    let scale = usize::from(scale);
    let mut frac = frac_part.to_owned();
    if frac.len() > scale {
        if frac[scale..].bytes().any(|b| b != b'0') {
            return Err(format!(
                "DECIMAL {text:?} has more than {scale} fraction digits"
            ));
        }
        frac.truncate(scale);
    }
    while frac.len() < scale {
        frac.push('0');
    }
    let is_zero = int_part == "0" && frac.bytes().all(|b| b == b'0');
    let sign = if negative && !is_zero { "-" } else { "" };
    Ok(if scale == 0 {
        format_compact!("{sign}{int_part}")
    } else {
        format_compact!("{sign}{int_part}.{frac}")
    })
}

/// Whether `text` is already in the exact form [`decimal_text`] gives (the usual case for
/// binlog values): then it is kept as it is, without re-building it.
fn is_exact_decimal(text: &str, scale: u8) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (int_part, frac_part) = match (scale, digits.split_once('.')) {
        (0, None) => (digits, ""),
        (0, Some(_)) | (_, None) => return false,
        (_, Some(parts)) => parts,
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let canonical_int = !int_part.is_empty()
        && all_digits(int_part)
        && (int_part == "0" || !int_part.starts_with('0'));
    let canonical_frac = frac_part.len() == usize::from(scale) && all_digits(frac_part);
    let negative_zero =
        text.starts_with('-') && int_part == "0" && frac_part.bytes().all(|b| b == b'0');
    canonical_int && canonical_frac && !negative_zero
}

fn date(year: u16, month: u8, day: u8) -> Value {
    if month == 0 || day == 0 {
        Value::Null
    } else {
        Value::Date { year, month, day }
    }
}

/// A DATETIME value (a zero month or day, MySQL's zero dates, is NULL).
#[allow(clippy::too_many_arguments)]
pub fn datetime(
    year: u16,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
    micro: u32,
) -> Value {
    if month == 0 || day == 0 {
        Value::Null
    } else {
        Value::DateTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
            micro,
        }
    }
}

/// A TIMESTAMP value from seconds since the epoch and microseconds (the zero timestamp is NULL).
pub fn timestamp(seconds: i64, micros: i64) -> Value {
    if seconds == 0 && micros == 0 {
        Value::Null
    } else {
        Value::Timestamp {
            micros_since_epoch: seconds * 1_000_000 + micros,
        }
    }
}

fn time(negative: bool, hours: u32, minutes: u8, seconds: u8, micro: u32) -> Value {
    let is_zero = hours == 0 && minutes == 0 && seconds == 0 && micro == 0;
    Value::Time {
        negative: negative && !is_zero,
        hours,
        minutes,
        seconds,
        micro,
    }
}

fn bit(bytes: &[u8], width: u8) -> Value {
    if width == 1 {
        Value::Bool(bytes.iter().any(|&b| b != 0))
    } else {
        let length = usize::from(width).div_ceil(8);
        let mut bytes = bytes.to_vec();
        if bytes.len() < length {
            // Left-pad: BIT is a big-endian number.
            let mut padded = vec![0; length - bytes.len()];
            padded.extend_from_slice(&bytes);
            bytes = padded;
        }
        Value::Bytes(bytes)
    }
}

fn enum_label(labels: &[String], index: u64) -> Result<Value, String> {
    if index == 0 {
        return Ok(Value::Text(CompactString::default()));
    }
    usize::try_from(index - 1)
        .ok()
        .and_then(|i| labels.get(i))
        .map(|label| Value::Text(label.as_str().into()))
        .ok_or_else(|| {
            format!(
                "ENUM index {index} but the column has {} labels",
                labels.len()
            )
        })
}

fn set_labels(labels: &[String], bits: u64) -> Result<Value, String> {
    if labels.len() < 64 && bits >> labels.len() != 0 {
        return Err(format!(
            "SET bitmask {bits:#x} but the column has {} labels",
            labels.len()
        ));
    }
    let chosen: Vec<&str> = labels
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .map(|(_, label)| label.as_str())
        .collect();
    Ok(Value::Text(chosen.join(",").into()))
}

fn utf8(bytes: &[u8]) -> Result<String, String> {
    String::from_utf8(bytes.to_vec()).map_err(|_| "unexpected non-UTF-8 text".to_owned())
}

fn bad_text(what: &str, text: &str) -> String {
    format!("cannot read {what} from {text:?}")
}

fn unexpected(value: &MyValue) -> String {
    let kind = match value {
        MyValue::NULL => "NULL",
        MyValue::Bytes(_) => "bytes",
        MyValue::Int(_) => "a signed integer",
        MyValue::UInt(_) => "an unsigned integer",
        MyValue::Float(_) => "a FLOAT",
        MyValue::Double(_) => "a DOUBLE",
        MyValue::Date(..) => "a date",
        MyValue::Time(..) => "a time",
    };
    format!("unexpected {kind} for this column type (has the table changed?)")
}

/// `YYYY-MM-DD`.
fn parse_date(text: &str) -> Option<(u16, u8, u8)> {
    let mut parts = text.trim().splitn(3, '-');
    let year = parts.next()?.parse().ok()?;
    let month = parts.next()?.parse().ok()?;
    let day = parts.next()?.parse().ok()?;
    Some((year, month, day))
}

/// `YYYY-MM-DD HH:MM:SS[.ffffff]`.
fn parse_datetime(text: &str) -> Option<(u16, u8, u8, u8, u8, u8, u32)> {
    let (date_text, time_text) = text
        .trim()
        .split_once(' ')
        .unwrap_or((text.trim(), "00:00:00"));
    let (year, month, day) = parse_date(date_text)?;
    let (clock, fraction) = time_text.split_once('.').unwrap_or((time_text, ""));
    let mut parts = clock.splitn(3, ':');
    let hour = parts.next()?.parse().ok()?;
    let minute = parts.next()?.parse().ok()?;
    let second = parts.next()?.parse().ok()?;
    Some((
        year,
        month,
        day,
        hour,
        minute,
        second,
        fraction_micros(fraction)?,
    ))
}

/// `[-]H+:MM:SS[.ffffff]`.
fn parse_time(text: &str) -> Option<Value> {
    let text = text.trim();
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (clock, fraction) = rest.split_once('.').unwrap_or((rest, ""));
    let mut parts = clock.splitn(3, ':');
    let hours = parts.next()?.parse().ok()?;
    let minutes = parts.next()?.parse().ok()?;
    let seconds = parts.next()?.parse().ok()?;
    Some(time(
        negative,
        hours,
        minutes,
        seconds,
        fraction_micros(fraction)?,
    ))
}

fn fraction_micros(fraction: &str) -> Option<u32> {
    if fraction.is_empty() {
        return Some(0);
    }
    if fraction.len() > 6 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut padded = fraction.to_owned();
    while padded.len() < 6 {
        padded.push('0');
    }
    padded.parse().ok()
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(ty: MySqlType, unsigned: bool) -> ColumnSchema {
        ColumnSchema {
            name: "c".into(),
            ty,
            unsigned,
            nullable: true,
            charset: None,
        }
    }

    #[test]
    fn integers_take_signedness_from_the_schema() {
        assert_eq!(int_from_bits(-1_i64 as u64, 8, true), Value::UInt(255));
        assert_eq!(int_from_bits(255, 8, false), Value::Int(-1));
        assert_eq!(int_from_bits(0x80_0000, 24, false), Value::Int(-8_388_608));
        assert_eq!(int_from_bits(u64::MAX, 64, true), Value::UInt(u64::MAX));
        assert_eq!(
            int_from_bits(i64::MIN as u64, 64, false),
            Value::Int(i64::MIN)
        );
        let tiny = column(MySqlType::TinyInt, true);
        assert_eq!(
            binlog_scalar(MyValue::Int(-1), &tiny).unwrap(),
            Value::UInt(255)
        );
        assert_eq!(
            result_value(MyValue::Bytes(b"255".to_vec()), &tiny).unwrap(),
            Value::UInt(255)
        );
    }

    #[test]
    fn decimals_are_exact_text_with_scale() {
        assert_eq!(decimal_text("-12.5", 3).unwrap(), "-12.500");
        assert_eq!(decimal_text("007.10", 2).unwrap(), "7.10");
        assert_eq!(decimal_text("-0.000", 3).unwrap(), "0.000");
        assert_eq!(decimal_text(".5", 1).unwrap(), "0.5");
        assert_eq!(decimal_text("42", 0).unwrap(), "42");
        assert_eq!(decimal_text("-12.50", 2).unwrap(), "-12.50");
        assert_eq!(decimal_text("-0", 0).unwrap(), "0");
        assert_eq!(decimal_text("-0.00", 2).unwrap(), "0.00");
        assert_eq!(decimal_text("0.05", 2).unwrap(), "0.05");
        assert!(decimal_text("1.5", 0).is_err());
        assert!(decimal_text("1e5", 0).is_err());
        assert!(decimal_text("1.25", 1).is_err());
        let big = format!("{}.{}", "9".repeat(35), "9".repeat(30));
        assert_eq!(decimal_text(&big, 30).unwrap(), big);
    }

    #[test]
    fn dates_times_and_zero_dates() {
        let dt = column(MySqlType::DateTime { fsp: 6 }, false);
        assert_eq!(
            result_value(MyValue::Bytes(b"2024-02-29 23:59:58.000123".to_vec()), &dt).unwrap(),
            Value::DateTime {
                year: 2024,
                month: 2,
                day: 29,
                hour: 23,
                minute: 59,
                second: 58,
                micro: 123
            }
        );
        assert_eq!(
            result_value(MyValue::Bytes(b"0000-00-00 00:00:00".to_vec()), &dt).unwrap(),
            Value::Null
        );
        assert_eq!(
            binlog_scalar(MyValue::Date(0, 0, 0, 0, 0, 0, 0), &dt).unwrap(),
            Value::Null
        );
        let t = column(MySqlType::Time { fsp: 6 }, false);
        let expected = Value::Time {
            negative: true,
            hours: 838,
            minutes: 59,
            seconds: 59,
            micro: 500_000,
        };
        assert_eq!(
            result_value(MyValue::Bytes(b"-838:59:59.5".to_vec()), &t).unwrap(),
            expected
        );
        assert_eq!(
            binlog_scalar(MyValue::Time(true, 34, 22, 59, 59, 500_000), &t).unwrap(),
            expected
        );
        let ts = column(MySqlType::Timestamp { fsp: 6 }, false);
        let from_text =
            result_value(MyValue::Bytes(b"2038-01-19 03:14:07.999999".to_vec()), &ts).unwrap();
        let from_binlog =
            binlog_scalar(MyValue::Bytes(b"2147483647.999999".to_vec()), &ts).unwrap();
        assert_eq!(from_text, from_binlog);
        assert_eq!(
            from_text,
            Value::Timestamp {
                micros_since_epoch: 2_147_483_647_999_999
            }
        );
        assert_eq!(
            binlog_scalar(MyValue::Bytes(b"0".to_vec()), &ts).unwrap(),
            Value::Null
        );
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn year_bit_enum_set_binary() {
        let year = column(MySqlType::Year, false);
        assert_eq!(
            binlog_scalar(MyValue::Bytes(b"1900".to_vec()), &year).unwrap(),
            Value::Year(0)
        );
        assert_eq!(
            result_value(MyValue::Bytes(b"0000".to_vec()), &year).unwrap(),
            Value::Year(0)
        );
        assert_eq!(
            binlog_scalar(MyValue::Bytes(b"2155".to_vec()), &year).unwrap(),
            Value::Year(2155)
        );
        let bit1 = column(MySqlType::Bit { width: 1 }, false);
        assert_eq!(
            binlog_scalar(MyValue::Bytes(vec![1]), &bit1).unwrap(),
            Value::Bool(true)
        );
        let bit12 = column(MySqlType::Bit { width: 12 }, false);
        assert_eq!(
            binlog_scalar(MyValue::Bytes(vec![0x0f, 0xff]), &bit12).unwrap(),
            Value::Bytes(vec![0x0f, 0xff])
        );
        let labels = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        let en = column(
            MySqlType::Enum {
                labels: labels.clone(),
            },
            false,
        );
        assert_eq!(
            binlog_scalar(MyValue::Int(2), &en).unwrap(),
            Value::Text("b".into())
        );
        assert_eq!(
            binlog_scalar(MyValue::Int(0), &en).unwrap(),
            Value::Text("".into())
        );
        assert!(binlog_scalar(MyValue::Int(4), &en).is_err());
        let set = column(MySqlType::Set { labels }, false);
        assert_eq!(
            binlog_scalar(MyValue::Bytes(vec![0b101]), &set).unwrap(),
            Value::Text("a,c".into())
        );
        assert!(binlog_scalar(MyValue::Bytes(vec![0b1000]), &set).is_err());
        let binary = column(MySqlType::Binary { length: 4 }, false);
        assert_eq!(
            binlog_scalar(MyValue::Bytes(vec![1, 0]), &binary).unwrap(),
            Value::Bytes(vec![1, 0, 0, 0])
        );
    }

    #[test]
    fn text_uses_the_column_charset() {
        let mut latin = column(MySqlType::VarChar { length: 10 }, false);
        latin.charset = Some("latin1".into());
        assert_eq!(
            binlog_scalar(MyValue::Bytes(b"\xe9\x80".to_vec()), &latin).unwrap(),
            Value::Text("é€".into())
        );
        assert_eq!(
            result_value(MyValue::Bytes("é€".as_bytes().to_vec()), &latin).unwrap(),
            Value::Text("é€".into())
        );
    }

    #[test]
    fn text_and_binary_cells_are_moved_into_values() {
        let mut latin = column(MySqlType::VarChar { length: 10 }, false);
        latin.charset = Some("latin1".into());
        let utf8 = column(MySqlType::VarChar { length: 10 }, false);
        let blob = column(MySqlType::Blob, false);
        let cell = |bytes: &[u8]| BinlogValue::Value(MyValue::Bytes(bytes.to_vec()));
        assert_eq!(
            binlog_value(cell(b"\xe9\x80"), &latin, None),
            Ok(Value::Text("é€".into()))
        );
        assert_eq!(
            binlog_value(cell("é€".as_bytes()), &utf8, None),
            Ok(Value::Text("é€".into()))
        );
        assert_eq!(
            binlog_value(cell(b""), &utf8, None),
            Ok(Value::Text("".into()))
        );
        assert_eq!(
            binlog_value(cell(b"\x00\xff"), &blob, None),
            Ok(Value::Bytes(vec![0, 0xff]))
        );
        assert!(binlog_value(cell(b"\xff\xfe"), &utf8, None)
            .unwrap_err()
            .contains("invalid utf8mb4 text"));
    }
}
