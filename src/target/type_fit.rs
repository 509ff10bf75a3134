//! Whether a target column's type holds every value of its source column.
//!
//! Checked when a target is verified (start-up, and a table first seen while running), so that a
//! target created by hand with a narrower type is found before any row is sent:
//! - [`Fit::Loses`]: StarRocks would store a *different* value without an error (a DECIMAL scale
//!   cut, DOUBLE into FLOAT, a time of day into DATE, a fraction into an integer): refused with a
//!   definite error, since strict mode does not catch it.
//! - [`Fit::MayNotFit`]: some values may be out of range or too long (a VARCHAR shorter than the
//!   source's longest text in UTF-8 bytes, a narrower integer): a warning. Loads are strict
//!   (`strict_mode: true`), so such a value fails its load loudly instead of becoming NULL.
//!
//! The target type is read from `information_schema.COLUMNS.COLUMN_TYPE` as StarRocks prints it
//! (`bigint(20)`, `decimal(10,2)`, `varchar(65533)`, `varbinary`, `json`). A type the rules do not
//! know is a warning, never a refusal.

use crate::schema::{ColumnSchema, MySqlType};

/// The verdict for one column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fit {
    Holds,
    /// Some values may not fit; such a value fails its load. The text says which.
    MayNotFit(String),
    /// Some values would be stored changed without an error. The text says how.
    Loses(String),
}

/// StarRocks' longest VARCHAR, in bytes: a text target this long is taken to hold any TEXT
/// (what is longer cannot be held by any StarRocks string column and fails its load).
const MAX_VARCHAR_BYTES: u64 = 1_048_576;
/// StarRocks' longest VARBINARY, also its length when none is given.
const MAX_VARBINARY_BYTES: u64 = 1_048_576;
/// Longest text of a FLOAT in Rust's shortest round-trip form, without exponent (`-1e-45` is
/// 48 characters).
const FLOAT_TEXT_BYTES: u64 = 50;
/// Longest text of a DOUBLE likewise (`-1.7976931348623157e308` has 310 digits).
const DOUBLE_TEXT_BYTES: u64 = 330;
/// `-838:59:59.000000`.
const TIME_TEXT_BYTES: u64 = 17;
/// `YYYY-MM-DD HH:MM:SS.ffffff`.
const DATETIME_TEXT_BYTES: u64 = 26;

/// A StarRocks column type, as far as these rules need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TargetType {
    Boolean,
    /// An integer of this many bits (TINYINT 8 … LARGEINT 128).
    Integer(u32),
    Float,
    Double,
    Decimal {
        precision: u32,
        scale: u32,
    },
    /// CHAR/VARCHAR/STRING; `None` when the length is not given.
    Text(Option<u64>),
    Binary(u64),
    Date,
    DateTime,
    Json,
    Unknown,
}

fn parse_target(column_type: &str) -> TargetType {
    let lower = column_type.trim().to_ascii_lowercase();
    let (base, args) = match lower.split_once('(') {
        Some((base, rest)) => (base.trim(), rest.split(')').next().unwrap_or("")),
        None => (lower.split_whitespace().next().unwrap_or(""), ""),
    };
    let numbers: Vec<u64> = args
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    let first = numbers.first().copied();
    match base {
        "boolean" | "bool" => TargetType::Boolean,
        "tinyint" => TargetType::Integer(8),
        "smallint" => TargetType::Integer(16),
        "int" | "integer" => TargetType::Integer(32),
        "bigint" => TargetType::Integer(64),
        "largeint" => TargetType::Integer(128),
        "float" => TargetType::Float,
        "double" => TargetType::Double,
        "char" | "varchar" => TargetType::Text(first),
        "string" => TargetType::Text(Some(65_533)),
        "varbinary" | "binary" => TargetType::Binary(first.unwrap_or(MAX_VARBINARY_BYTES)),
        "date" => TargetType::Date,
        "datetime" => TargetType::DateTime,
        "json" => TargetType::Json,
        decimal if decimal.starts_with("decimal") => match numbers.as_slice() {
            [precision, scale] => TargetType::Decimal {
                precision: *precision as u32,
                scale: *scale as u32,
            },
            [precision] => TargetType::Decimal {
                precision: *precision as u32,
                scale: 0,
            },
            _ => TargetType::Unknown,
        },
        _ => TargetType::Unknown,
    }
}

/// The range of a source integer-like column.
fn integer_range(source: &ColumnSchema) -> Option<(i128, i128)> {
    let bits = match &source.ty {
        MySqlType::TinyInt => 8,
        MySqlType::SmallInt => 16,
        MySqlType::MediumInt => 24,
        MySqlType::Int => 32,
        MySqlType::BigInt => 64,
        MySqlType::Year => return Some((0, 2155)),
        MySqlType::Bit { width } => return Some((0, (1i128 << width) - 1)),
        _ => return None,
    };
    Some(if source.unsigned {
        (0, (1i128 << bits) - 1)
    } else {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    })
}

fn target_integer_range(bits: u32) -> (i128, i128) {
    if bits >= 128 {
        (i128::MIN, i128::MAX)
    } else {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    }
}

/// The largest magnitude in `(min, max)`.
fn magnitude(range: (i128, i128)) -> u128 {
    range.0.unsigned_abs().max(range.1.unsigned_abs())
}

/// Decimal digits of the largest magnitude in `(min, max)`.
fn digits(range: (i128, i128)) -> u32 {
    magnitude(range).checked_ilog10().map_or(1, |d| d + 1)
}

/// UTF-8 bytes one character of `charset` can take.
fn utf8_bytes_per_char(charset: Option<&str>) -> u64 {
    match charset.unwrap_or("utf8mb4").to_ascii_lowercase().as_str() {
        "ascii" | "binary" => 1,
        "utf8mb4" | "utf16" | "utf16le" | "utf32" | "gb18030" => 4,
        _ => 3,
    }
}

/// The longest text (UTF-8 bytes) the source column's values render as; `None`: unbounded
/// (the TEXT family).
fn text_bytes(source: &ColumnSchema) -> Option<u64> {
    let per_char = || utf8_bytes_per_char(source.charset.as_deref());
    Some(match &source.ty {
        MySqlType::Char { length } | MySqlType::VarChar { length } => {
            u64::from(*length) * per_char()
        }
        MySqlType::Enum { labels } => labels.iter().map(|l| l.len() as u64).max().unwrap_or(0),
        MySqlType::Set { labels } => labels.iter().map(|l| l.len() as u64 + 1).sum(),
        _ => return None,
    })
}

fn may_not_fit(why: impl Into<String>) -> Fit {
    Fit::MayNotFit(why.into())
}

fn loses(why: impl Into<String>) -> Fit {
    Fit::Loses(why.into())
}

/// A text target of `have` bytes for values of up to `need` bytes.
fn text_room(need: u64, have: Option<u64>) -> Fit {
    match have {
        Some(have) if have < need => may_not_fit(format!(
            "values of up to {need} bytes, the target holds {have}"
        )),
        _ => Fit::Holds,
    }
}

/// Whether a target column of type `target_type` (COLUMN_TYPE text) holds every value of
/// `source`.
pub fn fit(source: &ColumnSchema, target_type: &str) -> Fit {
    let target = parse_target(target_type);
    if target == TargetType::Unknown {
        return may_not_fit(format!(
            "target type {target_type} is not one the checks know"
        ));
    }
    use MySqlType as S;
    use TargetType as T;
    match (&source.ty, target) {
        // Integers, YEAR and BIT.
        (S::Bit { width: 1 }, T::Boolean) => Fit::Holds,
        (_, T::Boolean) => may_not_fit("values other than 0 and 1"),
        (
            S::TinyInt | S::SmallInt | S::MediumInt | S::Int | S::BigInt | S::Year | S::Bit { .. },
            _,
        ) => {
            let range = integer_range(source).unwrap_or((0, 0));
            match target {
                T::Integer(bits) => {
                    let (min, max) = target_integer_range(bits);
                    if range.0 < min || range.1 > max {
                        may_not_fit(format!("integers from {} to {}", range.0, range.1))
                    } else {
                        Fit::Holds
                    }
                }
                T::Decimal { precision, scale }
                    if digits(range) > precision - scale.min(precision) =>
                {
                    may_not_fit(format!("integers of {} digits", digits(range)))
                }
                T::Decimal { .. } => Fit::Holds,
                T::Float if magnitude(range) > 1 << 24 => {
                    loses("integers above 2^24 are rounded by FLOAT")
                }
                T::Double if magnitude(range) > 1 << 53 => {
                    loses("integers above 2^53 are rounded by DOUBLE")
                }
                T::Float | T::Double => Fit::Holds,
                T::Text(have) => text_room(u64::from(digits(range)) + 1, have),
                T::Binary(have) if matches!(source.ty, S::Bit { .. }) => {
                    let need = match source.ty {
                        S::Bit { width } => u64::from(width).div_ceil(8),
                        _ => 8,
                    };
                    text_room(need, Some(have))
                }
                _ => may_not_fit(format!("an integer into {target_type}")),
            }
        }
        (S::Decimal { precision, scale }, _) => {
            let (precision, scale) = (u32::from(*precision), u32::from(*scale));
            match target {
                T::Decimal {
                    precision: p,
                    scale: s,
                } => {
                    if s < scale {
                        loses(format!(
                            "DECIMAL scale {scale} into scale {s}: StarRocks drops the extra digits"
                        ))
                    } else if p.saturating_sub(s) < precision - scale {
                        may_not_fit(format!(
                            "{} integer digits, the target holds {}",
                            precision - scale,
                            p.saturating_sub(s)
                        ))
                    } else {
                        Fit::Holds
                    }
                }
                T::Integer(_) if scale > 0 => loses("the fraction of a DECIMAL into an integer"),
                T::Integer(bits) => {
                    if precision >= digits(target_integer_range(bits)) {
                        may_not_fit(format!("DECIMAL of {precision} digits"))
                    } else {
                        Fit::Holds
                    }
                }
                T::Float if precision > 6 => loses("DECIMAL digits rounded by FLOAT"),
                T::Double if precision > 15 => loses("DECIMAL digits rounded by DOUBLE"),
                T::Float | T::Double => Fit::Holds,
                T::Text(have) => text_room(u64::from(precision) + 2, have),
                _ => may_not_fit(format!("a DECIMAL into {target_type}")),
            }
        }
        (S::Float, T::Float | T::Double) | (S::Double, T::Double) => Fit::Holds,
        (S::Double, T::Float) => loses("DOUBLE rounded to FLOAT"),
        (S::Float | S::Double, T::Decimal { .. } | T::Integer(_)) => {
            loses("floating-point values rounded to a fixed scale")
        }
        (S::Float, T::Text(have)) => text_room(FLOAT_TEXT_BYTES, have),
        (S::Double, T::Text(have)) => text_room(DOUBLE_TEXT_BYTES, have),
        (S::Date, T::Date | T::DateTime) => Fit::Holds,
        (S::DateTime { .. } | S::Timestamp { .. }, T::DateTime) => Fit::Holds,
        (S::DateTime { .. } | S::Timestamp { .. }, T::Date) => {
            loses("the time of day is dropped by DATE")
        }
        (S::Date | S::DateTime { .. } | S::Timestamp { .. }, T::Text(have)) => {
            text_room(DATETIME_TEXT_BYTES, have)
        }
        (S::Time { .. }, T::Text(have)) => text_room(TIME_TEXT_BYTES, have),
        (S::Json, T::Json) => Fit::Holds,
        // MariaDB's JSON is LONGTEXT; text that is not JSON is refused by the encoder.
        (S::Text, T::Json) => Fit::Holds,
        (S::Text | S::Json, T::Text(have)) => match have {
            Some(have) if have < MAX_VARCHAR_BYTES => {
                may_not_fit(format!("text longer than the target's {have} bytes"))
            }
            _ => Fit::Holds,
        },
        (S::Char { .. } | S::VarChar { .. } | S::Enum { .. } | S::Set { .. }, T::Text(have)) => {
            text_room(text_bytes(source).unwrap_or(0), have)
        }
        (S::Binary { length } | S::VarBinary { length }, T::Binary(have)) => {
            text_room(u64::from(*length), Some(have))
        }
        (S::Blob | S::Geometry | S::Vector { .. }, T::Binary(have)) => {
            if have < MAX_VARBINARY_BYTES {
                may_not_fit(format!(
                    "binary values longer than the target's {have} bytes"
                ))
            } else {
                Fit::Holds
            }
        }
        (
            S::Binary { .. } | S::VarBinary { .. } | S::Blob | S::Geometry | S::Vector { .. },
            T::Text(_),
        ) => may_not_fit("binary values that are not UTF-8 text"),
        (
            S::Char { .. } | S::VarChar { .. } | S::Text | S::Enum { .. } | S::Set { .. },
            T::Binary(have),
        ) => match text_bytes(source) {
            Some(need) => text_room(need, Some(have)),
            None if have < MAX_VARBINARY_BYTES => {
                may_not_fit(format!("text longer than the target's {have} bytes"))
            }
            None => Fit::Holds,
        },
        (ty, _) => may_not_fit(format!(
            "a {} value into {target_type}",
            source_type_name(ty)
        )),
    }
}

fn source_type_name(ty: &MySqlType) -> &'static str {
    match ty {
        MySqlType::Char { .. } | MySqlType::VarChar { .. } | MySqlType::Text => "text",
        MySqlType::Binary { .. } | MySqlType::VarBinary { .. } | MySqlType::Blob => "binary",
        MySqlType::Time { .. } => "TIME",
        MySqlType::Json => "JSON",
        MySqlType::Enum { .. } => "ENUM",
        MySqlType::Set { .. } => "SET",
        MySqlType::Date => "DATE",
        MySqlType::DateTime { .. } => "DATETIME",
        MySqlType::Timestamp { .. } => "TIMESTAMP",
        MySqlType::Geometry => "GEOMETRY",
        MySqlType::Vector { .. } => "VECTOR",
        _ => "numeric",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(ty: MySqlType, unsigned: bool, charset: Option<&str>) -> ColumnSchema {
        ColumnSchema {
            name: "c".into(),
            ty,
            unsigned,
            nullable: true,
            charset: charset.map(str::to_string),
        }
    }

    fn verdict(ty: MySqlType, unsigned: bool, target: &str) -> &'static str {
        match fit(&column(ty, unsigned, Some("utf8mb4")), target) {
            Fit::Holds => "holds",
            Fit::MayNotFit(_) => "may not fit",
            Fit::Loses(_) => "loses",
        }
    }

    #[test]
    fn verdicts() {
        use MySqlType as S;
        let cases: &[(MySqlType, bool, &str, &str)] = &[
            (S::Int, false, "int(11)", "holds"),
            (S::Int, true, "int(11)", "may not fit"),
            (S::Int, true, "bigint(20)", "holds"),
            (S::BigInt, true, "bigint(20)", "may not fit"),
            (S::BigInt, true, "largeint(40)", "holds"),
            (S::BigInt, false, "decimal(20,0)", "holds"),
            (S::BigInt, false, "decimal(18,0)", "may not fit"),
            (S::BigInt, false, "double", "loses"),
            (S::Int, false, "double", "holds"),
            (S::MediumInt, true, "float", "holds"),
            (S::Int, false, "float", "loses"),
            (S::Year, false, "smallint(6)", "holds"),
            (S::Bit { width: 1 }, false, "boolean", "holds"),
            (S::Bit { width: 12 }, false, "varbinary(2)", "holds"),
            (S::Bit { width: 12 }, false, "varbinary(1)", "may not fit"),
            (S::TinyInt, false, "boolean", "may not fit"),
            (
                S::Decimal {
                    precision: 10,
                    scale: 2,
                },
                false,
                "decimal(10,2)",
                "holds",
            ),
            (
                S::Decimal {
                    precision: 10,
                    scale: 2,
                },
                false,
                "decimal(12,1)",
                "loses",
            ),
            (
                S::Decimal {
                    precision: 10,
                    scale: 2,
                },
                false,
                "decimal(9,2)",
                "may not fit",
            ),
            (
                S::Decimal {
                    precision: 10,
                    scale: 2,
                },
                false,
                "bigint(20)",
                "loses",
            ),
            (
                S::Decimal {
                    precision: 65,
                    scale: 30,
                },
                false,
                "varchar(67)",
                "holds",
            ),
            (S::Double, false, "float", "loses"),
            (S::Float, false, "double", "holds"),
            (S::Double, false, "decimal(38,10)", "loses"),
            (S::DateTime { fsp: 6 }, false, "datetime", "holds"),
            (S::Timestamp { fsp: 0 }, false, "date", "loses"),
            (S::Date, false, "datetime", "holds"),
            (S::Time { fsp: 6 }, false, "varchar(32)", "holds"),
            (S::Time { fsp: 6 }, false, "varchar(8)", "may not fit"),
            (S::VarChar { length: 255 }, false, "varchar(1020)", "holds"),
            (
                S::VarChar { length: 255 },
                false,
                "varchar(255)",
                "may not fit",
            ),
            (S::Char { length: 10 }, false, "char(40)", "holds"),
            (S::Text, false, "varchar(1048576)", "holds"),
            (S::Text, false, "varchar(65533)", "may not fit"),
            (S::Text, false, "string", "may not fit"),
            (S::Text, false, "json", "holds"),
            (S::Json, false, "json", "holds"),
            (S::Binary { length: 16 }, false, "varbinary(16)", "holds"),
            (
                S::VarBinary { length: 16 },
                false,
                "varbinary(8)",
                "may not fit",
            ),
            (S::Blob, false, "varbinary", "holds"),
            (S::Geometry, false, "varbinary(1048576)", "holds"),
            (S::Geometry, false, "varchar(65533)", "may not fit"),
            (
                S::Enum {
                    labels: vec!["a".into(), "ccc".into()],
                },
                false,
                "varchar(3)",
                "holds",
            ),
            (S::Int, false, "array<int>", "may not fit"),
        ];
        for (ty, unsigned, target, expected) in cases {
            assert_eq!(
                verdict(ty.clone(), *unsigned, target),
                *expected,
                "{ty:?} unsigned={unsigned} into {target}"
            );
        }
    }

    #[test]
    fn text_length_follows_the_charset() {
        let latin1 = column(MySqlType::VarChar { length: 10 }, false, Some("latin1"));
        assert_eq!(fit(&latin1, "varchar(30)"), Fit::Holds);
        assert!(matches!(fit(&latin1, "varchar(20)"), Fit::MayNotFit(_)));
        let ascii = column(MySqlType::VarChar { length: 10 }, false, Some("ascii"));
        assert_eq!(fit(&ascii, "varchar(10)"), Fit::Holds);
    }

    #[test]
    fn target_types_parse_as_starrocks_prints_them() {
        assert_eq!(parse_target("bigint(20)"), TargetType::Integer(64));
        assert_eq!(
            parse_target("DECIMAL64(18, 4)"),
            TargetType::Decimal {
                precision: 18,
                scale: 4
            }
        );
        assert_eq!(
            parse_target("varchar(65533)"),
            TargetType::Text(Some(65_533))
        );
        assert_eq!(parse_target("varchar"), TargetType::Text(None));
        assert_eq!(
            parse_target("varbinary"),
            TargetType::Binary(MAX_VARBINARY_BYTES)
        );
        assert_eq!(parse_target("json"), TargetType::Json);
        assert_eq!(parse_target("bitmap"), TargetType::Unknown);
    }
}
