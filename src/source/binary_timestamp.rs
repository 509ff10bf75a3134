//! TIMESTAMP cells of row images in MySQL 5.6's binary format (`MYSQL_TYPE_TIMESTAMP2`, written
//! by MySQL 5.6+ and MariaDB 10.x for every TIMESTAMP column) read straight into a value.
//!
//! `mysql_common` prints such a cell as `"seconds.micros"` text with the formatter, which the
//! decoder then parsed back: about 3% of the daemon's CPU in the catch-up benchmark. The format
//! (`my_timestamp_to_binary` in MySQL): the seconds since the epoch as a 4-byte big-endian
//! unsigned number, then the fraction in `(fsp + 1) / 2` big-endian bytes: hundredths (fsp 1-2),
//! tenths of a millisecond (fsp 3-4) or microseconds (fsp 5-6).
//!
//! Invariant: the result equals what `mysql_common`'s reader plus
//! [`crate::source::decode::binlog_value`] give for the same bytes (pinned by the tests).

/// Bytes of one TIMESTAMP(`fsp`) cell; `None` for an fsp above 6 (a corrupt TABLE_MAP).
pub fn cell_size(fsp: u8) -> Option<usize> {
    (fsp <= 6).then(|| 4 + usize::from(fsp).div_ceil(2))
}

/// `(seconds since the epoch, microseconds)` of a cell of `cell_size(fsp)` bytes.
pub fn read(bytes: &[u8], fsp: u8) -> Result<(i64, i64), String> {
    if Some(bytes.len()) != cell_size(fsp) {
        return Err(format!("a TIMESTAMP({fsp}) cell of {} bytes", bytes.len()));
    }
    let big_endian = |part: &[u8]| part.iter().fold(0_i64, |n, b| n << 8 | i64::from(*b));
    let seconds = big_endian(&bytes[..4]);
    let fraction = big_endian(&bytes[4..]);
    let micros = match fsp {
        1 | 2 => fraction * 10_000,
        3 | 4 => fraction * 100,
        _ => fraction,
    };
    if micros >= 1_000_000 {
        return Err(format!(
            "a TIMESTAMP({fsp}) cell with {micros} microseconds"
        ));
    }
    Ok((seconds, micros))
}

#[cfg(test)]
mod tests {
    use mysql_async::binlog::value::BinlogValue;
    use mysql_async::consts::ColumnType;
    use mysql_common::io::ParseBuf;

    use super::*;
    use crate::schema::{ColumnSchema, MySqlType};
    use crate::source::decode;
    use crate::value::Value;

    fn column(fsp: u8) -> ColumnSchema {
        ColumnSchema {
            name: "ts".into(),
            ty: MySqlType::Timestamp { fsp },
            unsigned: false,
            nullable: true,
            charset: None,
        }
    }

    /// The value through `mysql_common`'s reader and the general decoder.
    fn generic(bytes: &[u8], fsp: u8) -> Value {
        let meta = [fsp];
        let mut buf = ParseBuf(bytes);
        let value: BinlogValue<'_> = buf
            .parse((ColumnType::MYSQL_TYPE_TIMESTAMP2, &meta[..], false, false))
            .expect("mysql_common reads the cell");
        decode::binlog_value(value, &column(fsp), None).expect("decodes")
    }

    fn cell(seconds: u32, fraction: u32, fsp: u8) -> Vec<u8> {
        let mut bytes = seconds.to_be_bytes().to_vec();
        let size = usize::from(fsp).div_ceil(2);
        bytes.extend_from_slice(&fraction.to_be_bytes()[4 - size..]);
        bytes
    }

    #[test]
    fn agrees_with_the_generic_reader_for_every_fsp() {
        let seconds = [
            0_u32,
            1,
            86_399,
            1_700_000_000,
            i32::MAX as u32,
            i32::MAX as u32 + 1,
            u32::MAX,
        ];
        for fsp in 0..=6_u8 {
            let fractions: &[u32] = match fsp {
                0 => &[0],
                1 | 2 => &[0, 1, 50, 99],
                3 | 4 => &[0, 1, 1234, 9999],
                _ => &[0, 1, 123_456, 999_999],
            };
            for &s in &seconds {
                for &f in fractions {
                    let bytes = cell(s, f, fsp);
                    let (secs, micros) = read(&bytes, fsp).expect("reads");
                    assert_eq!(
                        decode::timestamp(secs, micros),
                        generic(&bytes, fsp),
                        "fsp {fsp}, seconds {s}, fraction {f}"
                    );
                }
            }
        }
    }

    #[test]
    fn bad_cells_are_errors() {
        assert!(cell_size(7).is_none());
        assert!(read(&[0, 0, 0], 0).is_err(), "short cell");
        assert!(
            read(&cell(1, 1_000_000, 6), 6).is_err(),
            "more than a second of microseconds"
        );
    }
}
