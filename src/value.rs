//! The internal value of one column of one row, as decoded from MySQL.
//!
//! `source::decode` is the only producer (from binlog cells and from snapshot result cells) and
//! must give the same `Value` for the same stored data on both paths. `sink::encode` is the only
//! consumer that renders values as StarRocks load text (ARCHITECTURE §2, the value contract).
//!
//! Values keep MySQL's meaning, not a rendering: a TIMESTAMP is an instant, rendered in the
//! configured time zone only by the encoder.

use compact_str::CompactString;

/// One column value. Text and decimals of up to 24 bytes are held inline (`CompactString`), not
/// allocated: most cells of typical tables are short, and a heap string per cell was a large part
/// of the allocation on the replication path.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL, and MySQL zero dates under the documented zero-date policy.
    Null,
    /// TINYINT..BIGINT signed.
    Int(i64),
    /// TINYINT..BIGINT UNSIGNED (BIGINT UNSIGNED maps to LARGEINT).
    UInt(u64),
    /// FLOAT.
    Float(f32),
    /// DOUBLE.
    Double(f64),
    /// DECIMAL as exact plain text, no exponent, with the column's scale (e.g. `-12.500`).
    Decimal(CompactString),
    /// CHAR/VARCHAR/TEXT/ENUM/SET labels: text (always valid UTF-8 after charset conversion).
    Text(CompactString),
    /// BINARY/VARBINARY/BLOB and BIT(n > 1): raw bytes (BINARY(n) re-padded to n bytes).
    Bytes(Vec<u8>),
    /// DATE.
    Date { year: u16, month: u8, day: u8 },
    /// DATETIME(p): wall-clock time without zone.
    DateTime {
        year: u16,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
        micro: u32,
    },
    /// TIMESTAMP(p): an instant, microseconds since the Unix epoch (UTC).
    Timestamp { micros_since_epoch: i64 },
    /// TIME(p): a signed duration, may exceed 24 hours.
    Time {
        negative: bool,
        hours: u32,
        minutes: u8,
        seconds: u8,
        micro: u32,
    },
    /// YEAR (0 stays 0, it is not 1900).
    Year(u16),
    /// BIT(1) and TINYINT(1)/BOOL when mapped to BOOLEAN.
    Bool(bool),
    /// JSON as canonical JSON text.
    Json(CompactString),
}

impl Value {
    /// Whether this is SQL NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}
