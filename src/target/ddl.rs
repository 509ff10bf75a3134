//! MySQL → StarRocks column types and the `CREATE TABLE` for `auto_create`.
//!
//! The mapping follows reference `starrocks-stream-load.md` §7.1 and the value contract
//! (ARCHITECTURE §2, rendered by `sink::encode`):
//! - text lengths are in bytes in StarRocks: a MySQL `VARCHAR(n)` becomes `VARCHAR(4n)` (utf8mb4
//!   needs up to 4 bytes a character), capped at StarRocks' 1048576;
//! - `CHAR(n)` also becomes `VARCHAR(4n)` (no padding, and CHAR cannot be a key);
//! - `BIGINT UNSIGNED` → `LARGEINT`; `DECIMAL(p > 38)` → `VARCHAR(p + 2)`;
//! - `TIMESTAMP` → `DATETIME` (rendered in the configured zone); `TIME` → `VARCHAR(32)`;
//! - the TEXT family → `VARCHAR(1048576)` (not `STRING`, which holds 65,533 bytes); BLOB,
//!   GEOMETRY (SRID + WKB bytes) and VECTOR → `VARBINARY(1048576)`. A longer value fails its
//!   load (loads are sent with `strict_mode: true`), it is never cut or stored as NULL;
//! - key columns whose type StarRocks refuses in a key (DECIMAL, FLOAT, DOUBLE, VARBINARY, ...)
//!   become `VARCHAR`. Binary keys that are not valid UTF-8 can then not be loaded: create such
//!   targets by hand with a key StarRocks accepts.
//!
//! Key columns are `NOT NULL`; other columns are nullable (the zero-date policy sends NULL).

use crate::schema::{ColumnSchema, MySqlType, TableId, TableSchema};

use super::{quote_identifier, quote_table};

/// StarRocks' longest VARCHAR, in bytes.
const MAX_VARCHAR_BYTES: u64 = 1_048_576;
/// StarRocks' longest VARBINARY, in bytes (also its default length).
const MAX_VARBINARY_BYTES: u64 = 1_048_576;
/// Bytes per character budgeted for text (utf8mb4).
const BYTES_PER_CHAR: u64 = 4;

/// The StarRocks type for a MySQL column (not as a key column).
pub fn starrocks_type(column: &ColumnSchema) -> String {
    let unsigned = column.unsigned;
    match &column.ty {
        MySqlType::TinyInt if unsigned => "SMALLINT".into(),
        MySqlType::TinyInt => "TINYINT".into(),
        MySqlType::SmallInt if unsigned => "INT".into(),
        MySqlType::SmallInt => "SMALLINT".into(),
        MySqlType::MediumInt => "INT".into(),
        MySqlType::Int if unsigned => "BIGINT".into(),
        MySqlType::Int => "INT".into(),
        MySqlType::BigInt if unsigned => "LARGEINT".into(),
        MySqlType::BigInt => "BIGINT".into(),
        MySqlType::Float => "FLOAT".into(),
        MySqlType::Double => "DOUBLE".into(),
        MySqlType::Decimal { precision, scale } if *precision <= 38 => {
            format!("DECIMAL({precision},{scale})")
        }
        MySqlType::Decimal { precision, .. } => varchar_bytes(u64::from(*precision) + 2),
        MySqlType::Char { length } | MySqlType::VarChar { length } => {
            varchar_bytes(u64::from(*length) * BYTES_PER_CHAR)
        }
        // Why not STRING: it holds 65,533 bytes, and a longer TEXT value would be lost (NULL
        // outside strict mode). What exceeds this still fails its load loudly.
        MySqlType::Text => varchar_bytes(MAX_VARCHAR_BYTES),
        MySqlType::Binary { length } | MySqlType::VarBinary { length } => {
            format!("VARBINARY({})", (*length).max(1))
        }
        // GEOMETRY is its internal bytes (SRID + WKB) and VECTOR its floats' bytes: binary, which
        // a text column cannot hold.
        MySqlType::Blob | MySqlType::Geometry | MySqlType::Vector { .. } => {
            format!("VARBINARY({MAX_VARBINARY_BYTES})")
        }
        MySqlType::Date => "DATE".into(),
        MySqlType::DateTime { .. } | MySqlType::Timestamp { .. } => "DATETIME".into(),
        MySqlType::Time { .. } => "VARCHAR(32)".into(),
        MySqlType::Year => "SMALLINT".into(),
        MySqlType::Bit { width: 1 } => "BOOLEAN".into(),
        MySqlType::Bit { width } => format!("VARBINARY({})", u32::from(*width).div_ceil(8)),
        MySqlType::Enum { labels } => {
            let longest = labels.iter().map(|l| l.len() as u64).max().unwrap_or(1);
            varchar_bytes(longest)
        }
        MySqlType::Set { labels } => {
            let all: u64 = labels.iter().map(|l| l.len() as u64 + 1).sum();
            varchar_bytes(all)
        }
        MySqlType::Json => "JSON".into(),
    }
}

/// The StarRocks type for a MySQL column used in the primary key.
fn key_type(column: &ColumnSchema) -> String {
    let plain = starrocks_type(column);
    let base = plain.split('(').next().unwrap_or("");
    match base {
        "BOOLEAN" | "TINYINT" | "SMALLINT" | "INT" | "BIGINT" | "LARGEINT" | "DATE"
        | "DATETIME" => plain,
        _ if plain.starts_with("VARCHAR") => plain,
        // DECIMAL, FLOAT, DOUBLE, VARBINARY, STRING, JSON: not allowed in a StarRocks key.
        _ => match &column.ty {
            MySqlType::Decimal { precision, .. } => varchar_bytes(u64::from(*precision) + 2),
            MySqlType::Float | MySqlType::Double => "VARCHAR(64)".into(),
            MySqlType::Binary { length } | MySqlType::VarBinary { length } => {
                varchar_bytes(u64::from(*length) * BYTES_PER_CHAR)
            }
            _ => varchar_bytes(MAX_VARCHAR_BYTES),
        },
    }
}

fn varchar_bytes(bytes: u64) -> String {
    format!("VARCHAR({})", bytes.clamp(1, MAX_VARCHAR_BYTES))
}

/// `CREATE TABLE IF NOT EXISTS` for `target` holding `source`'s columns: key columns first (in
/// key order, NOT NULL), `PRIMARY KEY(...)`, `DISTRIBUTED BY HASH(...)` on the key.
pub fn create_table_sql(target: &TableId, source: &TableSchema) -> String {
    let mut lines = Vec::with_capacity(source.columns.len());
    for &index in &source.key {
        if let Some(column) = source.columns.get(index) {
            lines.push(format!(
                "  {} {} NOT NULL",
                quote_identifier(&column.name),
                key_type(column)
            ));
        }
    }
    for (index, column) in source.columns.iter().enumerate() {
        if !source.key.contains(&index) {
            lines.push(format!(
                "  {} {} NULL",
                quote_identifier(&column.name),
                starrocks_type(column)
            ));
        }
    }
    let key = source
        .key_names()
        .iter()
        .map(|n| quote_identifier(n))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "CREATE TABLE IF NOT EXISTS {} (\n{}\n) PRIMARY KEY({key})\nDISTRIBUTED BY HASH({key})",
        quote_table(target),
        lines.join(",\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, ty: MySqlType, unsigned: bool) -> ColumnSchema {
        ColumnSchema {
            name: name.into(),
            ty,
            unsigned,
            nullable: true,
            charset: None,
        }
    }

    #[test]
    fn type_mapping() {
        let cases = [
            (MySqlType::TinyInt, false, "TINYINT"),
            (MySqlType::TinyInt, true, "SMALLINT"),
            (MySqlType::SmallInt, true, "INT"),
            (MySqlType::MediumInt, true, "INT"),
            (MySqlType::Int, false, "INT"),
            (MySqlType::Int, true, "BIGINT"),
            (MySqlType::BigInt, false, "BIGINT"),
            (MySqlType::BigInt, true, "LARGEINT"),
            (MySqlType::Float, false, "FLOAT"),
            (MySqlType::Double, false, "DOUBLE"),
            (
                MySqlType::Decimal {
                    precision: 10,
                    scale: 2,
                },
                false,
                "DECIMAL(10,2)",
            ),
            (
                MySqlType::Decimal {
                    precision: 65,
                    scale: 30,
                },
                false,
                "VARCHAR(67)",
            ),
            (MySqlType::Char { length: 10 }, false, "VARCHAR(40)"),
            (MySqlType::VarChar { length: 255 }, false, "VARCHAR(1020)"),
            (
                MySqlType::VarChar {
                    length: 16_383 * 64,
                },
                false,
                "VARCHAR(1048576)",
            ),
            (MySqlType::Text, false, "VARCHAR(1048576)"),
            (MySqlType::Binary { length: 16 }, false, "VARBINARY(16)"),
            (MySqlType::Blob, false, "VARBINARY(1048576)"),
            (MySqlType::Date, false, "DATE"),
            (MySqlType::DateTime { fsp: 6 }, false, "DATETIME"),
            (MySqlType::Timestamp { fsp: 3 }, false, "DATETIME"),
            (MySqlType::Time { fsp: 6 }, false, "VARCHAR(32)"),
            (MySqlType::Year, false, "SMALLINT"),
            (MySqlType::Bit { width: 1 }, false, "BOOLEAN"),
            (MySqlType::Bit { width: 12 }, false, "VARBINARY(2)"),
            (
                MySqlType::Enum {
                    labels: vec!["a".into(), "ccc".into()],
                },
                false,
                "VARCHAR(3)",
            ),
            (
                MySqlType::Set {
                    labels: vec!["a".into(), "bb".into()],
                },
                false,
                "VARCHAR(5)",
            ),
            (MySqlType::Json, false, "JSON"),
            (MySqlType::Geometry, false, "VARBINARY(1048576)"),
            (
                MySqlType::Vector { dimensions: 3 },
                false,
                "VARBINARY(1048576)",
            ),
        ];
        for (ty, unsigned, expected) in cases {
            assert_eq!(
                starrocks_type(&column("c", ty.clone(), unsigned)),
                expected,
                "{ty:?}"
            );
        }
    }

    #[test]
    fn create_table_puts_the_key_first() {
        let schema = TableSchema {
            id: TableId::new("shop", "orders"),
            columns: vec![
                column("note", MySqlType::VarChar { length: 20 }, false),
                column(
                    "price",
                    MySqlType::Decimal {
                        precision: 10,
                        scale: 2,
                    },
                    false,
                ),
                column("id", MySqlType::BigInt, true),
                column(
                    "code",
                    MySqlType::Decimal {
                        precision: 8,
                        scale: 0,
                    },
                    false,
                ),
            ],
            key: vec![2, 3],
        };
        let sql = create_table_sql(&TableId::new("ods", "orders"), &schema);
        assert_eq!(
            sql,
            "CREATE TABLE IF NOT EXISTS `ods`.`orders` (\n  `id` LARGEINT NOT NULL,\n  \
             `code` VARCHAR(10) NOT NULL,\n  `note` VARCHAR(80) NULL,\n  `price` DECIMAL(10,2) NULL\n) \
             PRIMARY KEY(`id`, `code`)\nDISTRIBUTED BY HASH(`id`, `code`)"
        );
    }
}
