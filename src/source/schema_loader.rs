//! Reading table schemas and the list of tables from the source's `information_schema`.
//!
//! The schema of a table: its columns in ordinal order (name, type with ENUM/SET labels, DECIMAL
//! precision/scale, fractional-second precision, unsigned, nullable, character set) and its key:
//! the primary key, or else the first (by index name) unique key whose columns are all NOT NULL
//! and not prefixes. A table without such a key cannot be replicated into a primary-key table:
//! that is a definite error naming the table.
//! Invariant: every type the decoder cannot render identically on both paths is refused here,
//! with the table and column named.

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row};

use crate::error::Error;
use crate::schema::{ColumnSchema, MySqlType, TableId, TableSchema};
use crate::source::charset;
use crate::source::connect::classify;

/// Schemas that never hold user tables.
pub const SYSTEM_SCHEMAS: [&str; 4] = ["mysql", "information_schema", "performance_schema", "sys"];

/// Loads the schema of `table` from `information_schema`; a table that does not exist is a
/// definite error.
pub async fn load_table_schema(conn: &mut Conn, table: &TableId) -> Result<TableSchema, Error> {
    load_table_schema_if_exists(conn, table)
        .await?
        .ok_or_else(|| {
            Error::definite(format!("table {table} does not exist on the source"))
                .with_hint("check the table name, and that the user has SELECT on it")
        })
}

/// Loads the schema of `table` from `information_schema`; `None` when the source has no such
/// table (it may have been dropped since the binlog being read was written).
pub async fn load_table_schema_if_exists(
    conn: &mut Conn,
    table: &TableId,
) -> Result<Option<TableSchema>, Error> {
    let rows: Vec<Row> = conn
        .exec(
            "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, CHARACTER_SET_NAME, \
                    NUMERIC_PRECISION, NUMERIC_SCALE, CHARACTER_MAXIMUM_LENGTH, DATETIME_PRECISION \
             FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
            (&table.db, &table.table),
        )
        .await
        .map_err(|error| classify(error).context(format!("reading the columns of {table}")))?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut columns = Vec::with_capacity(rows.len());
    for row in rows {
        let info = ColumnInfo::from_row(row).ok_or_else(|| {
            Error::definite(format!(
                "{table}: unreadable information_schema.COLUMNS row"
            ))
        })?;
        columns.push(info.into_column(table)?);
    }

    let index_rows: Vec<Row> = conn
        .exec(
            "SELECT INDEX_NAME, COLUMN_NAME, NON_UNIQUE, SUB_PART \
             FROM information_schema.STATISTICS \
             WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY INDEX_NAME, SEQ_IN_INDEX",
            (&table.db, &table.table),
        )
        .await
        .map_err(|error| classify(error).context(format!("reading the indexes of {table}")))?;
    let mut indexes: Vec<IndexInfo> = Vec::new();
    for mut row in index_rows {
        let name: Option<String> = row.take(0);
        let column: Option<String> = row.take(1);
        let non_unique: Option<i64> = row.take(2);
        let sub_part: Option<Option<i64>> = row.take(3);
        let (Some(name), Some(column), Some(non_unique)) = (name, column, non_unique) else {
            continue;
        };
        let prefix = sub_part.flatten().is_some();
        match indexes.last_mut() {
            Some(index) if index.name == name => {
                index.columns.push(column);
                index.has_prefix |= prefix;
            }
            _ => indexes.push(IndexInfo {
                name,
                columns: vec![column],
                unique: non_unique == 0,
                has_prefix: prefix,
            }),
        }
    }
    let key = choose_key(table, &columns, &indexes)?;
    Ok(Some(TableSchema {
        id: table.clone(),
        columns,
        key,
    }))
}

/// Lists the base tables of the source, system schemas excluded, sorted.
pub async fn list_tables(conn: &mut Conn) -> Result<Vec<TableId>, Error> {
    // Why interpolation is safe: the names are constants of this module.
    let excluded = SYSTEM_SCHEMAS.map(|s| format!("'{s}'")).join(",");
    let rows: Vec<(String, String)> = conn
        .query(format!(
            "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES \
             WHERE TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') \
               AND TABLE_SCHEMA NOT IN ({excluded}) \
             ORDER BY TABLE_SCHEMA, TABLE_NAME"
        ))
        .await
        .map_err(|error| classify(error).context("listing the source's tables"))?;
    Ok(rows
        .into_iter()
        .map(|(db, table)| TableId::new(db, table))
        .collect())
}

/// A foreign key whose referential action changes rows of its child table (`CASCADE`,
/// `SET NULL`, `SET DEFAULT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CascadingForeignKey {
    pub child: TableId,
    pub constraint: String,
    /// e.g. `ON DELETE CASCADE, ON UPDATE SET NULL`.
    pub actions: String,
}

/// The foreign keys of `table` whose action changes its rows, read from `SHOW CREATE TABLE`
/// (which SELECT allows; MariaDB hides `REFERENTIAL_CONSTRAINTS` rows from a user that has
/// only SELECT on the table).
pub async fn cascading_foreign_keys(
    conn: &mut Conn,
    table: &TableId,
) -> Result<Vec<CascadingForeignKey>, Error> {
    let quote = |name: &str| format!("`{}`", name.replace('`', "``"));
    // Justification: identifiers back-quoted with doubled back-quotes.
    let row: Option<(String, String)> = conn
        .query_first(format!(
            "SHOW CREATE TABLE {}.{}",
            quote(&table.db),
            quote(&table.table)
        ))
        .await
        .map_err(|error| classify(error).context(format!("reading the definition of {table}")))?;
    let Some((_, ddl)) = row else {
        return Ok(Vec::new());
    };
    Ok(ddl
        .lines()
        .filter(|line| line.contains("FOREIGN KEY"))
        .filter_map(|line| {
            let upper = line.to_ascii_uppercase();
            let mut actions = Vec::new();
            for event in ["ON DELETE", "ON UPDATE"] {
                if let Some(at) = upper.find(event) {
                    let rest = upper[at + event.len()..].trim_start();
                    for action in ["CASCADE", "SET NULL", "SET DEFAULT"] {
                        if rest.starts_with(action) {
                            actions.push(format!("{event} {action}"));
                        }
                    }
                }
            }
            let constraint = line
                .split('`')
                .nth(1)
                .filter(|_| line.trim_start().starts_with("CONSTRAINT"))
                .unwrap_or("(unnamed)")
                .to_string();
            (!actions.is_empty()).then(|| CascadingForeignKey {
                child: table.clone(),
                constraint,
                actions: actions.join(", "),
            })
        })
        .collect())
}

struct IndexInfo {
    name: String,
    columns: Vec<String>,
    unique: bool,
    has_prefix: bool,
}

fn choose_key(
    table: &TableId,
    columns: &[ColumnSchema],
    indexes: &[IndexInfo],
) -> Result<Vec<usize>, Error> {
    let positions = |index: &IndexInfo| -> Option<Vec<usize>> {
        index
            .columns
            .iter()
            .map(|name| columns.iter().position(|c| &c.name == name))
            .collect()
    };
    if let Some(primary) = indexes.iter().find(|i| i.name == "PRIMARY") {
        if let Some(key) = positions(primary) {
            return Ok(key);
        }
    }
    for index in indexes
        .iter()
        .filter(|i| i.unique && !i.has_prefix && i.name != "PRIMARY")
    {
        if let Some(key) = positions(index) {
            if key.iter().all(|&i| !columns[i].nullable) {
                return Ok(key);
            }
        }
    }
    Err(Error::definite(format!(
        "table {table} has no primary key and no unique key on NOT NULL columns"
    ))
    .with_hint("add a primary key to the source table, or exclude it from source.tables"))
}

/// One row of `information_schema.COLUMNS`.
struct ColumnInfo {
    name: String,
    data_type: String,
    column_type: String,
    nullable: bool,
    charset: Option<String>,
    precision: Option<u64>,
    scale: Option<u64>,
    max_length: Option<u64>,
    datetime_precision: Option<u64>,
}

impl ColumnInfo {
    fn from_row(mut row: Row) -> Option<Self> {
        Some(ColumnInfo {
            name: row.take::<Option<String>, _>(0)??,
            data_type: row.take::<Option<String>, _>(1)??.to_ascii_lowercase(),
            column_type: row.take::<Option<String>, _>(2)??,
            nullable: row.take::<Option<String>, _>(3)?? == "YES",
            charset: row.take::<Option<String>, _>(4)?,
            precision: row.take::<Option<u64>, _>(5)?,
            scale: row.take::<Option<u64>, _>(6)?,
            max_length: row.take::<Option<u64>, _>(7)?,
            datetime_precision: row.take::<Option<u64>, _>(8)?,
        })
    }

    fn into_column(self, table: &TableId) -> Result<ColumnSchema, Error> {
        let unsupported = |what: &str| {
            Error::definite(format!("{table}.{}: {what}", self.name))
                .with_hint("exclude the table from source.tables, or change the column type")
        };
        let lower_type = self.column_type.to_ascii_lowercase();
        let length = u32::try_from(self.max_length.unwrap_or(0)).unwrap_or(u32::MAX);
        let fsp = u8::try_from(self.datetime_precision.unwrap_or(0)).unwrap_or(0);
        let ty = match self.data_type.as_str() {
            "tinyint" => MySqlType::TinyInt,
            "smallint" => MySqlType::SmallInt,
            "mediumint" => MySqlType::MediumInt,
            "int" | "integer" => MySqlType::Int,
            "bigint" => MySqlType::BigInt,
            "float" => MySqlType::Float,
            "double" | "real" | "double precision" => MySqlType::Double,
            "decimal" | "numeric" => MySqlType::Decimal {
                precision: u8::try_from(self.precision.unwrap_or(10)).unwrap_or(65),
                scale: u8::try_from(self.scale.unwrap_or(0)).unwrap_or(30),
            },
            "char" => MySqlType::Char { length },
            "varchar" => MySqlType::VarChar { length },
            "tinytext" | "text" | "mediumtext" | "longtext" => MySqlType::Text,
            "binary" => MySqlType::Binary { length },
            "varbinary" => MySqlType::VarBinary { length },
            "tinyblob" | "blob" | "mediumblob" | "longblob" => MySqlType::Blob,
            "date" => MySqlType::Date,
            "datetime" => MySqlType::DateTime { fsp },
            "timestamp" => MySqlType::Timestamp { fsp },
            "time" => MySqlType::Time { fsp },
            "year" => MySqlType::Year,
            "bit" => MySqlType::Bit {
                width: u8::try_from(self.precision.unwrap_or(1)).unwrap_or(64),
            },
            "enum" => MySqlType::Enum {
                labels: parse_labels(&self.column_type)
                    .ok_or_else(|| unsupported("unreadable ENUM definition"))?,
            },
            "set" => MySqlType::Set {
                labels: parse_labels(&self.column_type)
                    .ok_or_else(|| unsupported("unreadable SET definition"))?,
            },
            "json" => MySqlType::Json,
            "geometry" | "point" | "linestring" | "polygon" | "multipoint" | "multilinestring"
            | "multipolygon" | "geometrycollection" | "geomcollection" => MySqlType::Geometry,
            "vector" => MySqlType::Vector {
                dimensions: lower_type
                    .trim_start_matches("vector(")
                    .trim_end_matches(')')
                    .parse()
                    .unwrap_or(length / 4),
            },
            other => {
                return Err(unsupported(&format!(
                    "column type {other} is not supported"
                )))
            }
        };
        let is_text = matches!(
            ty,
            MySqlType::Char { .. } | MySqlType::VarChar { .. } | MySqlType::Text
        );
        let charset = if is_text { self.charset.clone() } else { None };
        if let Some(name) = &charset {
            if !charset::is_supported(name) {
                return Err(unsupported(&format!(
                    "character set {name} is not supported"
                )));
            }
        }
        Ok(ColumnSchema {
            name: self.name,
            unsigned: lower_type.contains("unsigned"),
            nullable: self.nullable,
            charset,
            ty,
        })
    }
}

/// Parses the labels of `enum('a','b''c')` / `set(...)` as `information_schema` prints them.
pub fn parse_labels(column_type: &str) -> Option<Vec<String>> {
    let open = column_type.find('(')?;
    let inner = column_type.get(open + 1..column_type.rfind(')')?)?;
    let mut labels = Vec::new();
    let mut chars = inner.chars().peekable();
    loop {
        match chars.next() {
            None => break,
            Some('\'') => {
                let mut label = String::new();
                loop {
                    match chars.next()? {
                        '\'' if chars.peek() == Some(&'\'') => {
                            chars.next();
                            label.push('\'');
                        }
                        '\'' => break,
                        '\\' => label.push(chars.next()?),
                        c => label.push(c),
                    }
                }
                labels.push(label);
            }
            Some(',') | Some(' ') => {}
            Some(_) => return None,
        }
    }
    Some(labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_and_set_labels_parse() {
        assert_eq!(
            parse_labels("enum('a','b''c','d,e')").unwrap(),
            vec!["a", "b'c", "d,e"]
        );
        assert_eq!(parse_labels("set('x')").unwrap(), vec!["x"]);
        assert_eq!(parse_labels("enum('')").unwrap(), vec![""]);
        assert!(parse_labels("enum(a)").is_none());
    }

    fn col(name: &str, nullable: bool) -> ColumnSchema {
        ColumnSchema {
            name: name.into(),
            ty: MySqlType::Int,
            unsigned: false,
            nullable,
            charset: None,
        }
    }

    fn index(name: &str, columns: &[&str], unique: bool) -> IndexInfo {
        IndexInfo {
            name: name.into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            unique,
            has_prefix: false,
        }
    }

    #[test]
    fn key_is_primary_else_not_null_unique() {
        let t = TableId::new("d", "t");
        let columns = vec![col("a", true), col("b", false), col("c", false)];
        let pk = [
            index("PRIMARY", &["c", "b"], true),
            index("u", &["b"], true),
        ];
        assert_eq!(choose_key(&t, &columns, &pk).unwrap(), vec![2, 1]);
        let uniques = [
            index("u1", &["a"], true),
            index("u2", &["b"], true),
            index("x", &["c"], false),
        ];
        assert_eq!(choose_key(&t, &columns, &uniques).unwrap(), vec![1]);
        let error = choose_key(&t, &columns, &[index("u1", &["a"], true)]).unwrap_err();
        assert!(error.message.contains("d.t"), "{error}");
    }
}
