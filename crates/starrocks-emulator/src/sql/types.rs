//! Column types and values as StarRocks spells and renders them.
//!
//! - [`parse_column_type`] turns a type as written in DDL (`DECIMAL(10,2)`, `varchar(20)`,
//!   `STRING`) into a [`ColumnType`], applying StarRocks' limits (VARCHAR 1..=1048576, CHAR
//!   1..=255, DECIMAL precision 1..=38 and scale ≤ precision).
//! - [`render_value`] / [`render_value_bytes`] give the text StarRocks sends in a MySQL text
//!   result row for a stored [`Value`] of a column type.

use crate::catalog::{ColumnType, Value};

/// Longest VARCHAR StarRocks accepts, in bytes.
pub(crate) const MAX_VARCHAR_LENGTH: u64 = 1_048_576;
/// Longest CHAR StarRocks accepts, in bytes.
pub(crate) const MAX_CHAR_LENGTH: u64 = 255;
/// Length of `STRING` (and of a VARCHAR declared without a length) in StarRocks.
pub(crate) const DEFAULT_STRING_LENGTH: u32 = 65_533;
/// Largest DECIMAL precision.
pub(crate) const MAX_DECIMAL_PRECISION: u64 = 38;

/// Parses a column type as written in StarRocks DDL, e.g. `BIGINT`, `DECIMAL(10, 2)`,
/// `VARCHAR(255)`, `STRING`, `VARBINARY`, `DATETIME`.
///
/// Keywords are case-insensitive. Errors are StarRocks-like messages suitable for an analyzing
/// error.
pub fn parse_column_type(s: &str) -> Result<ColumnType, String> {
    let (name, params) = super::parser::parse_type_parts(s).map_err(|e| e.message)?;
    build_column_type(&name, &params)
}

/// Builds a column type from its (case-insensitive) name and numeric parameters, checking
/// StarRocks' limits.
pub(crate) fn build_column_type(name: &str, params: &[u64]) -> Result<ColumnType, String> {
    let upper = name.to_ascii_uppercase();
    let no_params = |ty: ColumnType| -> Result<ColumnType, String> {
        if params.is_empty() {
            Ok(ty)
        } else {
            Err(format!("Type {upper} does not take parameters"))
        }
    };
    // Integer types accept (and ignore) a display width, as in MySQL and StarRocks.
    let display_width = |ty: ColumnType| -> Result<ColumnType, String> {
        if params.len() <= 1 {
            Ok(ty)
        } else {
            Err(format!("Invalid parameters for type {upper}"))
        }
    };
    match upper.as_str() {
        "BOOLEAN" | "BOOL" => no_params(ColumnType::Boolean),
        "TINYINT" => display_width(ColumnType::TinyInt),
        "SMALLINT" => display_width(ColumnType::SmallInt),
        "INT" | "INTEGER" => display_width(ColumnType::Int),
        "BIGINT" => display_width(ColumnType::BigInt),
        "LARGEINT" => display_width(ColumnType::LargeInt),
        "FLOAT" => no_params(ColumnType::Float),
        "DOUBLE" => no_params(ColumnType::Double),
        "DECIMAL" | "DECIMALV3" | "DECIMAL32" | "DECIMAL64" | "DECIMAL128" | "NUMERIC" => {
            let (precision, scale) = match params {
                [] => (10, 0),
                [p] => (*p, 0),
                [p, s] => (*p, *s),
                _ => return Err(format!("Invalid parameters for type {upper}")),
            };
            let max_precision = match upper.as_str() {
                "DECIMAL32" => 9,
                "DECIMAL64" => 18,
                _ => MAX_DECIMAL_PRECISION,
            };
            if precision == 0 || precision > max_precision {
                return Err(format!(
                    "DECIMAL's precision should range from 1 to {max_precision}"
                ));
            }
            if scale > precision {
                return Err(format!(
                    "DECIMAL's scale must be smaller than or equal to precision, \
                     precision = {precision}, scale = {scale}"
                ));
            }
            Ok(ColumnType::Decimal {
                precision: u8::try_from(precision).map_err(|e| e.to_string())?,
                scale: u8::try_from(scale).map_err(|e| e.to_string())?,
            })
        }
        "CHAR" => {
            let len = match params {
                [] => 1,
                [n] => *n,
                _ => return Err("Invalid parameters for type CHAR".to_string()),
            };
            if len == 0 || len > MAX_CHAR_LENGTH {
                return Err(format!(
                    "Char size must between 1 and {MAX_CHAR_LENGTH}, size: {len}"
                ));
            }
            Ok(ColumnType::Char(
                u32::try_from(len).map_err(|e| e.to_string())?,
            ))
        }
        "VARCHAR" => {
            let len = match params {
                [] => u64::from(DEFAULT_STRING_LENGTH),
                [n] => *n,
                _ => return Err("Invalid parameters for type VARCHAR".to_string()),
            };
            if len == 0 || len > MAX_VARCHAR_LENGTH {
                return Err(format!(
                    "Varchar size must between 1 and {MAX_VARCHAR_LENGTH}, size: {len}"
                ));
            }
            Ok(ColumnType::Varchar(
                u32::try_from(len).map_err(|e| e.to_string())?,
            ))
        }
        "STRING" | "TEXT" => no_params(ColumnType::String),
        "VARBINARY" | "BINARY" => match params {
            [] => Ok(ColumnType::Varbinary(None)),
            [n] if *n >= 1 && *n <= MAX_VARCHAR_LENGTH => Ok(ColumnType::Varbinary(Some(
                u32::try_from(*n).map_err(|e| e.to_string())?,
            ))),
            [n] => Err(format!(
                "VARBINARY size must between 1 and {MAX_VARCHAR_LENGTH}, size: {n}"
            )),
            _ => Err(format!("Invalid parameters for type {upper}")),
        },
        "DATE" => no_params(ColumnType::Date),
        "DATETIME" => no_params(ColumnType::Datetime),
        "JSON" => no_params(ColumnType::Json),
        _ => Err(format!("Unknown type '{name}'")),
    }
}

/// The type as `SHOW CREATE TABLE` prints it, e.g. `bigint(20)`, `decimal(10, 2)`,
/// `varchar(65533)` (for `STRING`).
pub(crate) fn type_to_sql(ty: &ColumnType) -> String {
    match ty {
        ColumnType::Decimal { precision, scale } => format!("decimal({precision}, {scale})"),
        _ => column_type_name(ty),
    }
}

/// `information_schema.COLUMNS.DATA_TYPE`: the bare type name, e.g. `bigint`, `varchar`.
pub(crate) fn data_type_name(ty: &ColumnType) -> &'static str {
    match ty {
        ColumnType::Boolean => "boolean",
        ColumnType::TinyInt => "tinyint",
        ColumnType::SmallInt => "smallint",
        ColumnType::Int => "int",
        ColumnType::BigInt => "bigint",
        ColumnType::LargeInt => "largeint",
        ColumnType::Float => "float",
        ColumnType::Double => "double",
        ColumnType::Decimal { .. } => "decimal",
        ColumnType::Char(_) => "char",
        ColumnType::Varchar(_) | ColumnType::String => "varchar",
        ColumnType::Varbinary(_) => "varbinary",
        ColumnType::Date => "date",
        ColumnType::Datetime => "datetime",
        ColumnType::Json => "json",
    }
}

/// `information_schema.COLUMNS.COLUMN_TYPE`: the full type, e.g. `bigint(20)`,
/// `decimal(10,2)`, `varchar(65533)`.
pub(crate) fn column_type_name(ty: &ColumnType) -> String {
    match ty {
        ColumnType::Boolean => "boolean".to_string(),
        ColumnType::TinyInt => "tinyint(4)".to_string(),
        ColumnType::SmallInt => "smallint(6)".to_string(),
        ColumnType::Int => "int(11)".to_string(),
        ColumnType::BigInt => "bigint(20)".to_string(),
        ColumnType::LargeInt => "largeint(40)".to_string(),
        ColumnType::Float => "float".to_string(),
        ColumnType::Double => "double".to_string(),
        ColumnType::Decimal { precision, scale } => format!("decimal({precision},{scale})"),
        ColumnType::Char(n) => format!("char({n})"),
        ColumnType::Varchar(n) => format!("varchar({n})"),
        ColumnType::String => format!("varchar({DEFAULT_STRING_LENGTH})"),
        ColumnType::Varbinary(None) => "varbinary".to_string(),
        ColumnType::Varbinary(Some(n)) => format!("varbinary({n})"),
        ColumnType::Date => "date".to_string(),
        ColumnType::Datetime => "datetime".to_string(),
        ColumnType::Json => "json".to_string(),
    }
}

/// Renders a stored value as StarRocks sends it in a MySQL text result row; `None` is SQL NULL.
///
/// VARBINARY values that are not valid UTF-8 are rendered lossily here; the query port itself uses
/// [`render_value_bytes`], which keeps the raw bytes.
pub fn render_value(v: &Value, ty: &ColumnType) -> Option<String> {
    render_value_bytes(v, ty).map(|b| match String::from_utf8(b) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// Like [`render_value`], but keeps raw bytes (VARBINARY is sent as its bytes).
pub fn render_value_bytes(v: &Value, ty: &ColumnType) -> Option<Vec<u8>> {
    let text = match v {
        Value::Null => return None,
        Value::Bytes(b) => return Some(b.clone()),
        Value::Bool(b) => if *b { "1" } else { "0" }.to_string(),
        Value::Int(i) => match ty {
            ColumnType::Decimal { scale, .. } => render_decimal(&i.to_string(), *scale),
            ColumnType::Float | ColumnType::Double => i.to_string(),
            _ => i.to_string(),
        },
        Value::Float(f) => render_float(*f, ty),
        Value::Decimal(d) => match ty {
            ColumnType::Decimal { scale, .. } => render_decimal(d, *scale),
            _ => d.clone(),
        },
        Value::Text(s) | Value::Date(s) | Value::Datetime(s) | Value::Json(s) => s.clone(),
    };
    Some(text.into_bytes())
}

/// FLOAT/DOUBLE text as StarRocks' BE writes it into a MySQL row (its `FastFloatToBuffer` /
/// `FastDoubleToBuffer`): `%.6g` (FLOAT) or `%.15g` (DOUBLE) when that reads back to the same
/// value, else `%.9g` / `%.17g`. So `0.1` stays `0.1`, `0.1 + 0.2` is `0.30000000000000004`,
/// and large or tiny values use an exponent (`1e+20`, `1e-05`).
fn render_float(f: f64, ty: &ColumnType) -> String {
    if f.is_nan() {
        return "nan".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    match ty {
        ColumnType::Float => {
            // Narrowing is the point: a FLOAT column holds an f32.
            #[allow(clippy::cast_possible_truncation)]
            let narrow = f as f32;
            let short = format_g(f64::from(narrow), 6);
            if short.parse::<f32>().ok() == Some(narrow) {
                short
            } else {
                format_g(f64::from(narrow), 9)
            }
        }
        _ => {
            let short = format_g(f, 15);
            if short.parse::<f64>().ok() == Some(f) {
                short
            } else {
                format_g(f, 17)
            }
        }
    }
}

/// C's `printf("%.{precision}g", f)` for a finite `f`.
fn format_g(f: f64, precision: usize) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let precision = precision.max(1);
    // Scientific form with `precision` significant digits gives the rounded exponent.
    let sci = format!("{:.*e}", precision - 1, f);
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exponent: i64 = exponent.parse().unwrap_or(0);
    let p = i64::try_from(precision).unwrap_or(17);
    if exponent < -4 || exponent >= p {
        let mantissa = strip_fraction_zeros(mantissa);
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.unsigned_abs())
    } else {
        let decimals = usize::try_from(p - 1 - exponent).unwrap_or(0);
        strip_fraction_zeros(&format!("{f:.decimals$}")).to_string()
    }
}

/// Drops trailing zeros of a fraction, and the point if nothing remains after it.
fn strip_fraction_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// Re-renders decimal text with exactly `scale` fractional digits (padding with zeros, or
/// truncating extra digits), without exponent.
pub(crate) fn render_decimal(d: &str, scale: u8) -> String {
    let d = d.trim();
    let (sign, digits) = match d.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", d.strip_prefix('+').unwrap_or(d)),
    };
    let (int_part, frac_part) = match digits.split_once('.') {
        Some((i, f)) => (i, f),
        None => (digits, ""),
    };
    let int_part = if int_part.is_empty() { "0" } else { int_part };
    let scale = usize::from(scale);
    let mut frac: String = frac_part.chars().take(scale).collect();
    while frac.len() < scale {
        frac.push('0');
    }
    if scale == 0 {
        format!("{sign}{int_part}")
    } else {
        format!("{sign}{int_part}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_types() {
        assert_eq!(parse_column_type("bigint"), Ok(ColumnType::BigInt));
        assert_eq!(parse_column_type("INT(11)"), Ok(ColumnType::Int));
        assert_eq!(
            parse_column_type("decimal(10, 2)"),
            Ok(ColumnType::Decimal {
                precision: 10,
                scale: 2
            })
        );
        assert_eq!(
            parse_column_type("varchar(20)"),
            Ok(ColumnType::Varchar(20))
        );
        assert_eq!(parse_column_type("STRING"), Ok(ColumnType::String));
        assert_eq!(parse_column_type("binary"), Ok(ColumnType::Varbinary(None)));
        assert!(parse_column_type("varchar(0)").is_err());
        assert!(parse_column_type("varchar(1048577)").is_err());
        assert!(parse_column_type("char(256)").is_err());
        assert!(parse_column_type("decimal(39,2)").is_err());
        assert!(parse_column_type("decimal(5,6)").is_err());
        assert!(parse_column_type("geometry").is_err());
        assert!(parse_column_type("decimal(99999999999999999999)").is_err());
        assert!(parse_column_type("int(").is_err());
    }

    #[test]
    fn renders_values() {
        let dec = ColumnType::Decimal {
            precision: 10,
            scale: 2,
        };
        assert_eq!(
            render_value(&Value::Decimal("-1.5".into()), &dec).as_deref(),
            Some("-1.50")
        );
        assert_eq!(render_value(&Value::Null, &dec), None);
        assert_eq!(
            render_value(&Value::Bool(true), &ColumnType::Boolean).as_deref(),
            Some("1")
        );
        assert_eq!(
            render_value(&Value::Float(0.1), &ColumnType::Double).as_deref(),
            Some("0.1")
        );
        assert_eq!(
            render_value(&Value::Float(f64::from(0.1f32)), &ColumnType::Float).as_deref(),
            Some("0.1")
        );
        let double = |f: f64| render_value(&Value::Float(f), &ColumnType::Double);
        assert_eq!(double(0.1 + 0.2).as_deref(), Some("0.30000000000000004"));
        assert_eq!(double(1e20).as_deref(), Some("1e+20"));
        assert_eq!(double(1e-5).as_deref(), Some("1e-05"));
        assert_eq!(double(-2.5).as_deref(), Some("-2.5"));
        assert_eq!(double(123_456_789.0).as_deref(), Some("123456789"));
        assert_eq!(double(1e15).as_deref(), Some("1e+15"));
        assert_eq!(double(0.0).as_deref(), Some("0"));
        assert_eq!(double(f64::MAX).as_deref(), Some("1.7976931348623157e+308"));
        let float = |f: f32| render_value(&Value::Float(f64::from(f)), &ColumnType::Float);
        assert_eq!(float(1.1).as_deref(), Some("1.1"));
        assert_eq!(float(3.402_823_5e38).as_deref(), Some("3.40282347e+38"));
        assert_eq!(float(1_234_567.0).as_deref(), Some("1234567"));
        assert_eq!(
            render_value(&Value::Int(i128::MAX), &ColumnType::LargeInt).as_deref(),
            Some("170141183460469231731687303715884105727")
        );
    }
}
