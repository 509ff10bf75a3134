//! Reads one cell of a row image into a [`Value`], with a reader chosen once per column of a rows
//! event ([`CellReader::for_column`]) from the TABLE_MAP's type and metadata and the column's
//! schema.
//!
//! The common types are read straight from the image: integers, FLOAT, DOUBLE, VARCHAR,
//! VARBINARY, TEXT, BLOB, DATETIME(p) and, through [`binary_decimal`] and [`binary_timestamp`],
//! DECIMAL and TIMESTAMP(p). Going through `mysql_common`'s `BinlogValue` and its `Value` first
//! cost about half of the decoding task's time in the catch-up benchmark (the generic value, its
//! `Result` layers and the conversion). Every other type, and any pairing of a binlog type with a
//! schema type that is not the usual one (a cell written before an ALTER), takes that generic
//! path: `mysql_common`'s reader plus [`decode::binlog_value`].
//!
//! Invariant: for the same bytes, a direct reader gives exactly the value the generic path gives
//! (pinned by the tests against `mysql_common`'s reader), and consumes exactly the same bytes.

use mysql_async::binlog::value::BinlogValue;
use mysql_async::consts::ColumnType;
use mysql_common::io::ParseBuf;

use crate::schema::{ColumnSchema, MySqlType};
use crate::source::{binary_decimal, binary_timestamp, charset, decode};
use crate::value::Value;

/// How the cells of one column of one rows event are read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CellReader<'m> {
    /// TINYINT..BIGINT: `size` little-endian bytes (the schema's integer has the same width).
    Integer { size: usize },
    /// FLOAT: 4 little-endian bytes.
    Float,
    /// DOUBLE: 8 little-endian bytes.
    Double,
    /// VARCHAR, VARBINARY, TEXT, BLOB: a little-endian length of `length_size` bytes, then the
    /// bytes; text in the column's character set when `text`.
    Prefixed { length_size: usize, text: bool },
    /// DATETIME(fsp), `MYSQL_TYPE_DATETIME2`, of `size` bytes.
    DateTime { size: usize },
    /// DECIMAL(precision, scale) of the cell (the column's scale may differ after an ALTER), of
    /// `size` bytes.
    Decimal {
        precision: u8,
        scale: u8,
        size: usize,
    },
    /// TIMESTAMP(fsp), `MYSQL_TYPE_TIMESTAMP2`, of `size` bytes.
    Timestamp { fsp: u8, size: usize },
    /// Everything else: `mysql_common`'s reader, then [`decode::binlog_value`].
    Generic { ty: ColumnType, meta: &'m [u8] },
}

impl<'m> CellReader<'m> {
    /// The reader for cells of binlog type `ty` with TABLE_MAP metadata `meta` in `column`.
    pub fn for_column(ty: ColumnType, meta: &'m [u8], column: &ColumnSchema) -> CellReader<'m> {
        use ColumnType as C;
        use MySqlType as T;
        let text = matches!(column.ty, T::VarChar { .. } | T::Text);
        match (ty, meta, &column.ty) {
            (C::MYSQL_TYPE_TINY, _, T::TinyInt) => CellReader::Integer { size: 1 },
            (C::MYSQL_TYPE_SHORT, _, T::SmallInt) => CellReader::Integer { size: 2 },
            (C::MYSQL_TYPE_INT24, _, T::MediumInt) => CellReader::Integer { size: 3 },
            (C::MYSQL_TYPE_LONG, _, T::Int) => CellReader::Integer { size: 4 },
            (C::MYSQL_TYPE_LONGLONG, _, T::BigInt) => CellReader::Integer { size: 8 },
            (C::MYSQL_TYPE_FLOAT, _, T::Float) => CellReader::Float,
            (C::MYSQL_TYPE_DOUBLE, _, T::Double) => CellReader::Double,
            (C::MYSQL_TYPE_VARCHAR, &[low, high], T::VarChar { .. } | T::VarBinary { .. }) => {
                let max_length = u16::from_le_bytes([low, high]);
                CellReader::Prefixed {
                    length_size: if max_length < 256 { 1 } else { 2 },
                    text,
                }
            }
            (C::MYSQL_TYPE_BLOB, &[length_size @ 1..=4], T::Text | T::Blob) => {
                CellReader::Prefixed {
                    length_size: usize::from(length_size),
                    text,
                }
            }
            (C::MYSQL_TYPE_DATETIME2, &[fsp @ 0..=6], T::DateTime { .. }) => CellReader::DateTime {
                size: 5 + usize::from(fsp).div_ceil(2),
            },
            (C::MYSQL_TYPE_NEWDECIMAL, &[precision, scale], T::Decimal { .. }) => {
                CellReader::Decimal {
                    precision,
                    scale,
                    size: binary_decimal::cell_size(precision, scale),
                }
            }
            (C::MYSQL_TYPE_TIMESTAMP2, &[fsp], T::Timestamp { .. }) => {
                match binary_timestamp::cell_size(fsp) {
                    Some(size) => CellReader::Timestamp { fsp, size },
                    None => CellReader::Generic { ty, meta },
                }
            }
            _ => CellReader::Generic { ty, meta },
        }
    }

    /// Reads one non-NULL cell of `column` from `buf`.
    ///
    /// `Err` describes the problem; the caller names the table and the column.
    pub fn read(&self, buf: &mut ParseBuf<'m>, column: &ColumnSchema) -> Result<Value, String> {
        match *self {
            CellReader::Integer { size } => {
                let mut raw = [0_u8; 8];
                raw[..size].copy_from_slice(take(buf, size)?);
                // The schema's integer is `size` bytes wide: the same sign extension and mask as
                // the generic path.
                Ok(decode::int_from_bits(
                    u64::from_le_bytes(raw),
                    decode::int_width(&column.ty),
                    column.unsigned,
                ))
            }
            CellReader::Float => Ok(Value::Float(f32::from_le_bytes(fixed(buf)?))),
            CellReader::Double => Ok(Value::Double(f64::from_le_bytes(fixed(buf)?))),
            CellReader::Prefixed { length_size, text } => {
                let length = prefixed_length(buf, length_size)?;
                let bytes = take(buf, length)?;
                if text {
                    let charset = column.charset.as_deref().unwrap_or("utf8mb4");
                    charset::to_utf8_compact(bytes, charset).map(Value::Text)
                } else {
                    Ok(Value::Bytes(bytes.to_vec()))
                }
            }
            CellReader::DateTime { size } => Ok(datetime2(take(buf, size)?)),
            CellReader::Decimal {
                precision,
                scale,
                size,
            } => {
                let bytes = take(buf, size)?;
                let text = binary_decimal::decimal_text(bytes, precision, scale)?;
                decode::decimal_value(text, scale, column)
            }
            CellReader::Timestamp { fsp, size } => {
                let (seconds, micros) = binary_timestamp::read(take(buf, size)?, fsp)?;
                Ok(decode::timestamp(seconds, micros))
            }
            CellReader::Generic { ty, meta } => {
                let value = buf
                    .parse::<BinlogValue<'m>>((ty, meta, column.unsigned, false))
                    .map_err(|e| format!("bad value: {e}"))?;
                // Not a partial JSON update (`is_partial` is false above): no before value needed.
                decode::binlog_value(value, column, None)
            }
        }
    }

    /// Moves `buf` past one non-NULL cell without building its value (the same bytes
    /// [`CellReader::read`] consumes).
    pub fn skip(&self, buf: &mut ParseBuf<'m>) -> Result<(), String> {
        let size = match *self {
            CellReader::Integer { size } => size,
            CellReader::Float => 4,
            CellReader::Double => 8,
            CellReader::Prefixed { length_size, .. } => prefixed_length(buf, length_size)?,
            CellReader::DateTime { size }
            | CellReader::Decimal { size, .. }
            | CellReader::Timestamp { size, .. } => size,
            CellReader::Generic { ty, meta } => {
                buf.parse::<BinlogValue<'m>>((ty, meta, false, false))
                    .map_err(|e| format!("bad value: {e}"))?;
                return Ok(());
            }
        };
        take(buf, size).map(|_| ())
    }
}

/// The next `size` bytes of the image.
fn take<'a>(buf: &mut ParseBuf<'a>, size: usize) -> Result<&'a [u8], String> {
    let left = buf.len();
    buf.checked_eat(size).ok_or_else(|| {
        format!("bad value: the row image ends inside the cell ({size} bytes, {left} left)")
    })
}

/// The little-endian length of `length_size` (1 to 4) bytes that starts a string or blob cell.
fn prefixed_length(buf: &mut ParseBuf<'_>, length_size: usize) -> Result<usize, String> {
    let mut raw = [0_u8; 8];
    raw[..length_size].copy_from_slice(take(buf, length_size)?);
    usize::try_from(u64::from_le_bytes(raw)).map_err(|_| "a cell longer than memory".to_string())
}

/// The next `N` bytes of the image as an array.
fn fixed<const N: usize>(buf: &mut ParseBuf<'_>) -> Result<[u8; N], String> {
    let mut array = [0_u8; N];
    array.copy_from_slice(take(buf, N)?);
    Ok(array)
}

/// A DATETIME2 cell: 5 big-endian bytes (`year * 13 + month`, day, hour, minute, second packed
/// into 40 bits, offset by 2^39), then the fraction in `(fsp + 1) / 2` big-endian signed bytes
/// (`my_datetime_packed_from_binary` in MySQL). `bytes` holds exactly the cell.
fn datetime2(bytes: &[u8]) -> Value {
    const INT_OFFSET: i64 = 0x80_0000_0000;
    let (int_bytes, fraction_bytes) = bytes.split_at(5);
    let int_part = int_bytes
        .iter()
        .fold(0_i64, |n, byte| n << 8 | i64::from(*byte))
        - INT_OFFSET;
    // The fraction is signed: sign-extend its first byte.
    let fraction = match fraction_bytes.split_first() {
        Some((first, rest)) => rest
            .iter()
            .fold(i64::from(*first as i8), |n, byte| n << 8 | i64::from(*byte)),
        None => 0,
    };
    let fraction = match fraction_bytes.len() {
        1 => fraction * 10_000,
        2 => fraction * 100,
        _ => fraction,
    };
    let packed = (((int_part as u64) << 24) as i64)
        .wrapping_add(fraction)
        .wrapping_abs();
    let micro = packed % (1 << 24);
    let ymdhms = packed >> 24;
    let ymd = ymdhms >> 17;
    let year_month = ymd >> 5;
    let hms = ymdhms % (1 << 17);
    decode::datetime(
        (year_month / 13) as u16,
        (year_month % 13) as u8,
        (ymd % (1 << 5)) as u8,
        (hms >> 12) as u8,
        ((hms >> 6) % (1 << 6)) as u8,
        (hms % (1 << 6)) as u8,
        micro as u32,
    )
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
            charset: Some("utf8mb4".into()),
        }
    }

    /// Reads `bytes` both ways and checks the two agree on the value and the bytes consumed.
    fn check(ty: ColumnType, meta: &[u8], column: &ColumnSchema, bytes: &[u8]) -> Value {
        let reader = CellReader::for_column(ty, meta, column);
        assert!(
            !matches!(reader, CellReader::Generic { .. }),
            "{ty:?} {meta:?} {:?} has a direct reader",
            column.ty
        );
        let generic = CellReader::Generic { ty, meta };
        let mut direct_buf = ParseBuf(bytes);
        let mut generic_buf = ParseBuf(bytes);
        let direct = reader.read(&mut direct_buf, column);
        let expected = generic.read(&mut generic_buf, column);
        // Floats are compared by their bits: a NaN cell must stay the same NaN.
        let same = match (&direct, &expected) {
            (Ok(Value::Float(a)), Ok(Value::Float(b))) => a.to_bits() == b.to_bits(),
            (Ok(Value::Double(a)), Ok(Value::Double(b))) => a.to_bits() == b.to_bits(),
            _ => direct == expected,
        };
        assert!(
            same,
            "{ty:?} {meta:?} {bytes:02x?}: {direct:?} != {expected:?}"
        );
        assert_eq!(direct_buf.len(), generic_buf.len(), "bytes consumed");
        let mut skipped_buf = ParseBuf(bytes);
        reader.skip(&mut skipped_buf).expect("skips");
        assert_eq!(skipped_buf.len(), direct_buf.len(), "bytes skipped");
        direct.expect("reads")
    }

    struct Random(u64);

    impl Random {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn bytes(&mut self, count: usize) -> Vec<u8> {
            (0..count).map(|_| self.next() as u8).collect()
        }
    }

    #[test]
    fn integers_agree_with_the_generic_reader() {
        let types = [
            (ColumnType::MYSQL_TYPE_TINY, MySqlType::TinyInt, 1),
            (ColumnType::MYSQL_TYPE_SHORT, MySqlType::SmallInt, 2),
            (ColumnType::MYSQL_TYPE_INT24, MySqlType::MediumInt, 3),
            (ColumnType::MYSQL_TYPE_LONG, MySqlType::Int, 4),
            (ColumnType::MYSQL_TYPE_LONGLONG, MySqlType::BigInt, 8),
        ];
        let mut random = Random(0x9e37_79b9_7f4a_7c15);
        for (ty, schema_ty, size) in types {
            for unsigned in [false, true] {
                let column = column(schema_ty.clone(), unsigned);
                let mut cells = vec![vec![0; size], vec![0xff; size]];
                let mut sign_bit = vec![0; size];
                sign_bit[size - 1] = 0x80;
                cells.push(sign_bit);
                cells.extend((0..200).map(|_| random.bytes(size)));
                for cell in cells {
                    check(ty, &[], &column, &cell);
                }
            }
        }
        let minus_one = check(
            ColumnType::MYSQL_TYPE_INT24,
            &[],
            &column(MySqlType::MediumInt, false),
            &[0xff, 0xff, 0xff],
        );
        assert_eq!(minus_one, Value::Int(-1));
    }

    #[test]
    fn floats_and_doubles_agree_with_the_generic_reader() {
        let mut random = Random(0x2545_f491_4f6c_dd1d);
        for _ in 0..200 {
            let float = random.bytes(4);
            let direct = check(
                ColumnType::MYSQL_TYPE_FLOAT,
                &[4],
                &column(MySqlType::Float, false),
                &float,
            );
            assert!(matches!(direct, Value::Float(_)));
            check(
                ColumnType::MYSQL_TYPE_DOUBLE,
                &[8],
                &column(MySqlType::Double, false),
                &random.bytes(8),
            );
        }
        let half = check(
            ColumnType::MYSQL_TYPE_DOUBLE,
            &[8],
            &column(MySqlType::Double, false),
            &0.5_f64.to_le_bytes(),
        );
        assert_eq!(half, Value::Double(0.5));
    }

    #[test]
    fn strings_and_blobs_agree_with_the_generic_reader() {
        let text = "héllo, wörld";
        let varchar = column(MySqlType::VarChar { length: 16 }, false);
        let mut short = vec![text.len() as u8];
        short.extend_from_slice(text.as_bytes());
        short.extend_from_slice(b"next cell");
        let value = check(ColumnType::MYSQL_TYPE_VARCHAR, &[64, 0], &varchar, &short);
        assert_eq!(value, Value::Text(text.into()));

        // VARCHAR(300): a two-byte length.
        let long_text = "x".repeat(300);
        let mut long = (long_text.len() as u16).to_le_bytes().to_vec();
        long.extend_from_slice(long_text.as_bytes());
        let varchar_300 = column(MySqlType::VarChar { length: 300 }, false);
        let value = check(
            ColumnType::MYSQL_TYPE_VARCHAR,
            &[0x2c, 1],
            &varchar_300,
            &long,
        );
        assert_eq!(value, Value::Text(long_text.into()));

        let varbinary = column(MySqlType::VarBinary { length: 16 }, false);
        let value = check(
            ColumnType::MYSQL_TYPE_VARCHAR,
            &[16, 0],
            &varbinary,
            &[2, 0, 0xff],
        );
        assert_eq!(value, Value::Bytes(vec![0, 0xff]));

        for length_size in 1..=4_u8 {
            let mut cell = 5_u32.to_le_bytes()[..usize::from(length_size)].to_vec();
            cell.extend_from_slice(b"abcde");
            let value = check(
                ColumnType::MYSQL_TYPE_BLOB,
                &[length_size],
                &column(MySqlType::Text, false),
                &cell,
            );
            assert_eq!(value, Value::Text("abcde".into()));
            let value = check(
                ColumnType::MYSQL_TYPE_BLOB,
                &[length_size],
                &column(MySqlType::Blob, false),
                &cell,
            );
            assert_eq!(value, Value::Bytes(b"abcde".to_vec()));
        }

        // Text in another character set, and bytes that are not valid in it.
        let mut latin1 = column(MySqlType::VarChar { length: 8 }, false);
        latin1.charset = Some("latin1".into());
        let value = check(
            ColumnType::MYSQL_TYPE_VARCHAR,
            &[8, 0],
            &latin1,
            &[2, 0xe9, 0x80],
        );
        assert_eq!(value, Value::Text("é€".into()));
        let reader = CellReader::for_column(ColumnType::MYSQL_TYPE_VARCHAR, &[8, 0], &varchar);
        assert!(reader.read(&mut ParseBuf(&[1, 0xff]), &varchar).is_err());
    }

    #[test]
    fn datetimes_agree_with_the_generic_reader_for_every_fsp() {
        let mut random = Random(0x1234_5678_9abc_def1);
        for fsp in 0..=6_u8 {
            let column = column(MySqlType::DateTime { fsp }, false);
            let size = 5 + usize::from(fsp).div_ceil(2);
            // 2024-05-06 07:08:09 and the zero date, with a fraction of all zeros or all nines.
            let year_month = 2024_u64 * 13 + 5;
            let packed = (year_month << 22 | 6 << 17 | 7 << 12 | 8 << 6 | 9) + 0x80_0000_0000;
            let mut known = packed.to_be_bytes()[3..].to_vec();
            known.resize(size, 0);
            let value = check(ColumnType::MYSQL_TYPE_DATETIME2, &[fsp], &column, &known);
            assert!(matches!(
                value,
                Value::DateTime {
                    year: 2024,
                    month: 5,
                    day: 6,
                    hour: 7,
                    minute: 8,
                    second: 9,
                    micro: 0
                }
            ));
            let mut zero = 0x80_0000_0000_u64.to_be_bytes()[3..].to_vec();
            zero.resize(size, 0);
            assert_eq!(
                check(ColumnType::MYSQL_TYPE_DATETIME2, &[fsp], &column, &zero),
                Value::Null
            );
            for _ in 0..300 {
                // A non-negative integer part (the first byte at least 0x80), as MySQL writes.
                let mut cell = random.bytes(size);
                cell[0] |= 0x80;
                check(ColumnType::MYSQL_TYPE_DATETIME2, &[fsp], &column, &cell);
            }
        }
    }

    #[test]
    fn decimals_and_timestamps_take_their_direct_readers() {
        let decimal = column(
            MySqlType::Decimal {
                precision: 12,
                scale: 2,
            },
            false,
        );
        // 1234.50 as DECIMAL(12,2): 10 integer digits in 5 bytes, 2 fraction digits in 1 byte.
        let cell = [0x80, 0x00, 0x00, 0x04, 0xd2, 50];
        let value = check(ColumnType::MYSQL_TYPE_NEWDECIMAL, &[12, 2], &decimal, &cell);
        assert_eq!(value, Value::Decimal("1234.50".into()));

        let timestamp = column(MySqlType::Timestamp { fsp: 3 }, false);
        let mut cell = 1_700_000_000_u32.to_be_bytes().to_vec();
        cell.extend_from_slice(&123_u16.to_be_bytes());
        let value = check(ColumnType::MYSQL_TYPE_TIMESTAMP2, &[3], &timestamp, &cell);
        assert_eq!(
            value,
            Value::Timestamp {
                micros_since_epoch: 1_700_000_000_012_300
            }
        );
    }

    #[test]
    fn unusual_pairings_take_the_generic_reader() {
        // An INT cell in a column the schema now says is BIGINT (a cell from before an ALTER).
        let bigint = column(MySqlType::BigInt, false);
        let reader = CellReader::for_column(ColumnType::MYSQL_TYPE_LONG, &[], &bigint);
        assert!(matches!(reader, CellReader::Generic { .. }));
        let value = reader.read(&mut ParseBuf(&[0xff; 4]), &bigint);
        assert_eq!(value, Ok(Value::Int(-1)));
        // CHAR, ENUM and SET share MYSQL_TYPE_STRING: generic.
        let char_column = column(MySqlType::Char { length: 4 }, false);
        let reader = CellReader::for_column(ColumnType::MYSQL_TYPE_STRING, &[254, 4], &char_column);
        assert!(matches!(reader, CellReader::Generic { .. }));
        // A DATETIME2 with an fsp above 6 (a corrupt TABLE_MAP) is left to the generic reader.
        let datetime = column(MySqlType::DateTime { fsp: 6 }, false);
        let reader = CellReader::for_column(ColumnType::MYSQL_TYPE_DATETIME2, &[7], &datetime);
        assert!(matches!(reader, CellReader::Generic { .. }));
    }

    #[test]
    fn a_short_image_is_an_error_naming_the_sizes() {
        let int = column(MySqlType::Int, false);
        let reader = CellReader::for_column(ColumnType::MYSQL_TYPE_LONG, &[], &int);
        let error = reader
            .read(&mut ParseBuf(&[1, 2]), &int)
            .expect_err("two bytes are not an INT");
        assert!(error.contains("4 bytes, 2 left"), "{error}");
        let text = column(MySqlType::Text, false);
        let reader = CellReader::for_column(ColumnType::MYSQL_TYPE_BLOB, &[2], &text);
        assert!(reader.read(&mut ParseBuf(&[9, 0, b'a']), &text).is_err());
    }
}
