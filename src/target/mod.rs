//! The StarRocks side of a replicated table: checking that a target table can receive the
//! source's rows, emptying it on TRUNCATE, and (optionally) creating it.
//!
//! All statements go to the FE's MySQL-protocol query port (9030) as plain text queries
//! (StarRocks does not need server-side prepared statements for these).
//!
//! Invariants checked by [`verify_table`] (ARCHITECTURE §6, reference §6): the target exists, is a
//! PRIMARY KEY table, its key is the source's key (same column names), and it holds every
//! replicated column, with a type that holds its values (`type_fit`). Column names are matched
//! case-insensitively, as StarRocks does. Each
//! problem is a definite error naming the table and what is wrong, with a hint.
//!
//! Not here: choosing which columns to replicate (the mapper) and rendering values (`sink::encode`).

mod ddl;
mod type_fit;

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, OptsBuilder, Row};

use crate::error::Error;
use crate::schema::{TableId, TableSchema};

pub use ddl::{create_table_sql, starrocks_type};
pub use type_fit::{fit, Fit};

/// One column of a target table, as StarRocks describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetColumn {
    pub name: String,
    /// The StarRocks type as `information_schema.COLUMNS` shows it (`COLUMN_TYPE`, else
    /// `DATA_TYPE`), e.g. `bigint(20)`, `varbinary(16)`, `json`.
    pub data_type: String,
    pub nullable: bool,
    /// Part of the primary key.
    pub is_key: bool,
}

/// A verified target table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetTable {
    pub id: TableId,
    /// All columns of the target, in table order.
    pub columns: Vec<TargetColumn>,
}

impl TargetTable {
    /// The column named `name`, compared case-insensitively.
    pub fn column(&self, name: &str) -> Option<&TargetColumn> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// The target columns for `names` (source column names), in that order: the column list of
    /// a load. An absent name is a definite error.
    pub fn columns_for(&self, names: &[String]) -> Result<Vec<TargetColumn>, Error> {
        names
            .iter()
            .map(|name| {
                self.column(name).cloned().ok_or_else(|| {
                    Error::definite(format!("target table {} has no column `{name}`", self.id))
                        .with_hint(format!(
                            "add the column: ALTER TABLE {} ADD COLUMN ...",
                            self.id
                        ))
                })
            })
            .collect()
    }
}

/// Connection options for the FE query port at `address` (`host:port`). No TLS: the StarRocks
/// FE speaks plain MySQL protocol with `mysql_native_password` by default.
pub fn query_opts(address: &str, user: &str, password: &str) -> Result<Opts, Error> {
    let (host, port) = split_address(address).ok_or_else(|| {
        Error::definite(format!(
            "target.query_address: {address:?} is not host:port"
        ))
    })?;
    Ok(OptsBuilder::default()
        .ip_or_hostname(host)
        .tcp_port(port)
        .user(Some(user))
        .pass(Some(password))
        .prefer_socket(false)
        .into())
}

fn split_address(address: &str) -> Option<(String, u16)> {
    let (host, port) = address.trim().rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return None;
    }
    Some((host.to_string(), port.parse().ok()?))
}

/// `name` as a back-quoted identifier.
pub fn quote_identifier(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// `db.table` as back-quoted identifiers.
pub fn quote_table(id: &TableId) -> String {
    format!(
        "{}.{}",
        quote_identifier(&id.db),
        quote_identifier(&id.table)
    )
}

/// `text` as a single-quoted SQL string literal (backslashes and quotes escaped).
fn quote_string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('\'');
    for c in text.chars() {
        match c {
            '\'' => quoted.push_str("''"),
            '\\' => quoted.push_str("\\\\"),
            _ => quoted.push(c),
        }
    }
    quoted.push('\'');
    quoted
}

/// Checks that `target` can receive `source`'s rows for `replicated_columns` (source column
/// names) and returns its description.
pub async fn verify_table(
    conn: &mut Conn,
    target: &TableId,
    source: &TableSchema,
    replicated_columns: &[String],
) -> Result<TargetTable, Error> {
    let mut columns = read_columns(conn, target).await?;
    if columns.is_empty() {
        return Err(Error::definite(format!(
            "target table {target} (for source {}) does not exist",
            source.id
        ))
        .with_hint("create it as a PRIMARY KEY table, or set target.auto_create: true"));
    }
    let model = read_model(conn, target).await?;
    if !model.is_primary_key {
        return Err(Error::definite(format!(
            "target table {target} is a {} table; replication needs a PRIMARY KEY table",
            model.description
        ))
        .with_hint(format!(
            "recreate {target} with PRIMARY KEY({}) (deletes and updates need it)",
            source.key_names().join(", ")
        )));
    }
    if !model.key.is_empty() {
        for column in &mut columns {
            column.is_key = model
                .key
                .iter()
                .any(|k| k.eq_ignore_ascii_case(&column.name));
        }
    }
    let table = TargetTable {
        id: target.clone(),
        columns,
    };
    check_key(&table, source)?;
    let missing: Vec<&str> = replicated_columns
        .iter()
        .filter(|name| table.column(name).is_none())
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(Error::definite(format!(
            "target table {target} lacks replicated column(s) {} of source {}",
            missing.join(", "),
            source.id
        ))
        .with_hint(format!(
            "add them to {target} (ALTER TABLE ... ADD COLUMN) or exclude them"
        )));
    }
    check_types(&table, source)?;
    Ok(table)
}

/// Compares each source column's type with its target column's ([`type_fit`]): a type that
/// would store values changed is a definite error naming every such column; one that may be too
/// narrow for some values is a warning (such values fail their load under strict mode).
fn check_types(table: &TargetTable, source: &TableSchema) -> Result<(), Error> {
    let mut lossy = Vec::new();
    for column in &source.columns {
        let Some(target) = table.column(&column.name) else {
            continue;
        };
        match fit(column, &target.data_type) {
            Fit::Holds => {}
            Fit::MayNotFit(why) => tracing::warn!(
                table = %source.id,
                target = %table.id,
                column = %column.name,
                target_type = %target.data_type,
                "Some source values may not fit the target column ({why}); such a value fails its load."
            ),
            Fit::Loses(why) => {
                lossy.push(format!("`{}` ({}: {why})", column.name, target.data_type))
            }
        }
    }
    if lossy.is_empty() {
        return Ok(());
    }
    Err(Error::definite(format!(
        "target table {} would store values of source {} changed: {}",
        table.id,
        source.id,
        lossy.join("; ")
    ))
    .with_hint(
        "widen those target columns (ALTER TABLE ... MODIFY COLUMN) or exclude the source columns",
    ))
}

fn check_key(table: &TargetTable, source: &TableSchema) -> Result<(), Error> {
    let mut target_key: Vec<String> = table
        .columns
        .iter()
        .filter(|c| c.is_key)
        .map(|c| c.name.to_ascii_lowercase())
        .collect();
    let mut source_key: Vec<String> = source
        .key_names()
        .iter()
        .map(|n| n.to_ascii_lowercase())
        .collect();
    target_key.sort();
    source_key.sort();
    if target_key != source_key {
        let shown = |key: &[String]| {
            if key.is_empty() {
                "none".to_string()
            } else {
                key.join(", ")
            }
        };
        return Err(Error::definite(format!(
            "target table {} has primary key ({}) but source {} has key ({})",
            table.id,
            shown(&target_key),
            source.id,
            shown(&source_key)
        ))
        .with_hint("the target's PRIMARY KEY must be the same columns as the source's key"));
    }
    Ok(())
}

async fn read_columns(conn: &mut Conn, target: &TableId) -> Result<Vec<TargetColumn>, Error> {
    // Justification: db and table names are quoted with `quote_string`, so any name is safe.
    let filter = format!(
        "WHERE TABLE_SCHEMA = {} AND TABLE_NAME = {} ORDER BY ORDINAL_POSITION",
        quote_string(&target.db),
        quote_string(&target.table)
    );
    let detailed = format!(
        "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_KEY FROM information_schema.COLUMNS {filter}"
    );
    let rows: Vec<Row> = match conn.query(detailed).await {
        Ok(rows) => rows,
        // Why: some servers lack COLUMN_TYPE; DATA_TYPE is enough to encode.
        Err(mysql_async::Error::Server(_)) => {
            let basic = format!(
                "SELECT COLUMN_NAME, DATA_TYPE, IS_NULLABLE, COLUMN_KEY FROM information_schema.COLUMNS {filter}"
            );
            conn.query(basic)
                .await
                .map_err(|e| query_error(target, "reading its columns", e))?
        }
        Err(e) => return Err(query_error(target, "reading its columns", e)),
    };
    rows.iter()
        .map(|row| {
            let name = cell_text(row, 0).ok_or_else(|| {
                Error::definite(format!("target table {target}: a column without a name"))
            })?;
            Ok(TargetColumn {
                name,
                data_type: cell_text(row, 1).unwrap_or_default(),
                nullable: cell_text(row, 2).is_some_and(|v| v.eq_ignore_ascii_case("YES")),
                is_key: cell_text(row, 3).is_some_and(|v| v.eq_ignore_ascii_case("PRI")),
            })
        })
        .collect()
}

struct TableModel {
    is_primary_key: bool,
    /// e.g. `DUPLICATE KEY`, for messages.
    description: String,
    /// Key column names, when the server said (else the COLUMN_KEY flags stand).
    key: Vec<String>,
}

async fn read_model(conn: &mut Conn, target: &TableId) -> Result<TableModel, Error> {
    // Justification: names quoted with `quote_string`.
    let sql = format!(
        "SELECT TABLE_MODEL, PRIMARY_KEY FROM information_schema.tables_config \
         WHERE TABLE_SCHEMA = {} AND TABLE_NAME = {}",
        quote_string(&target.db),
        quote_string(&target.table)
    );
    match conn.query::<Row, _>(sql).await {
        Ok(rows) => {
            if let Some(row) = rows.first() {
                if let Some(model) = cell_text(row, 0) {
                    let upper = model.to_ascii_uppercase();
                    return Ok(TableModel {
                        is_primary_key: upper == "PRIMARY_KEYS" || upper == "PRI_KEYS",
                        description: describe_model(&upper),
                        key: cell_text(row, 1)
                            .map(|k| parse_key_list(&k))
                            .unwrap_or_default(),
                    });
                }
            }
        }
        Err(mysql_async::Error::Server(_)) => {}
        Err(e) => return Err(query_error(target, "reading its table model", e)),
    }
    // Fallback: the DDL. Justification: identifiers back-quoted with `quote_table`.
    let sql = format!("SHOW CREATE TABLE {}", quote_table(target));
    let rows: Vec<Row> = conn
        .query(sql)
        .await
        .map_err(|e| query_error(target, "reading SHOW CREATE TABLE", e))?;
    let ddl = rows
        .first()
        .and_then(|row| cell_text(row, 1))
        .unwrap_or_default();
    Ok(model_from_ddl(&ddl))
}

fn describe_model(model: &str) -> String {
    match model {
        "DUP_KEYS" | "DUPLICATE_KEYS" => "DUPLICATE KEY".into(),
        "AGG_KEYS" | "AGGREGATE_KEYS" => "AGGREGATE KEY".into(),
        "UNIQUE_KEYS" | "UNI_KEYS" => "UNIQUE KEY".into(),
        "PRIMARY_KEYS" | "PRI_KEYS" => "PRIMARY KEY".into(),
        other => format!("{other} model"),
    }
}

fn model_from_ddl(ddl: &str) -> TableModel {
    let upper = ddl.to_ascii_uppercase();
    for (marker, description) in [
        ("PRIMARY KEY", "PRIMARY KEY"),
        ("DUPLICATE KEY", "DUPLICATE KEY"),
        ("AGGREGATE KEY", "AGGREGATE KEY"),
        ("UNIQUE KEY", "UNIQUE KEY"),
    ] {
        if let Some(at) = upper.find(marker) {
            let rest = &ddl[at + marker.len()..];
            let key = rest
                .trim_start()
                .strip_prefix('(')
                .and_then(|r| r.split_once(')'))
                .map(|(list, _)| parse_key_list(list))
                .unwrap_or_default();
            return TableModel {
                is_primary_key: marker == "PRIMARY KEY",
                description: description.into(),
                key,
            };
        }
    }
    TableModel {
        is_primary_key: false,
        description: "table of unknown model".into(),
        key: Vec::new(),
    }
}

/// Parses "`a`, `b`" or "a,b" into names.
fn parse_key_list(list: &str) -> Vec<String> {
    list.split(',')
        .map(|part| part.trim().trim_matches('`').replace("``", "`"))
        .filter(|name| !name.is_empty())
        .collect()
}

/// Empties `target` (`TRUNCATE TABLE`), keeping its schema.
pub async fn truncate(conn: &mut Conn, target: &TableId) -> Result<(), Error> {
    // Justification: identifiers back-quoted with `quote_table`.
    conn.query_drop(format!("TRUNCATE TABLE {}", quote_table(target)))
        .await
        .map_err(|e| query_error(target, "TRUNCATE TABLE", e))
}

/// A connection to the FE query port.
pub async fn connect(target: &crate::config::TargetConfig) -> Result<Conn, Error> {
    let address = target.query_address.to_string();
    let opts = query_opts(&address, &target.user, target.password.expose())?;
    Conn::new(opts).await.map_err(|e| {
        Error::transient(format!(
            "cannot connect to the StarRocks FE at target.query_address {address}: {e}"
        ))
    })
}

/// Creates `target` for `source` (see [`create_table_sql`]) unless it exists, and its database
/// first unless that exists.
pub async fn create_table(
    conn: &mut Conn,
    target: &TableId,
    source: &TableSchema,
) -> Result<(), Error> {
    // Justification: the name is back-quoted with `quote_identifier`.
    conn.query_drop(format!(
        "CREATE DATABASE IF NOT EXISTS {}",
        quote_identifier(&target.db)
    ))
    .await
    .map_err(|e| query_error(target, "CREATE DATABASE", e))?;
    conn.query_drop(create_table_sql(target, source))
        .await
        .map_err(|e| query_error(target, "CREATE TABLE", e))
}

fn cell_text(row: &Row, index: usize) -> Option<String> {
    match row.as_ref(index)? {
        mysql_async::Value::NULL => None,
        mysql_async::Value::Bytes(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
        mysql_async::Value::Int(v) => Some(v.to_string()),
        mysql_async::Value::UInt(v) => Some(v.to_string()),
        other => Some(other.as_sql(true)),
    }
}

fn query_error(target: &TableId, action: &str, error: mysql_async::Error) -> Error {
    match error {
        mysql_async::Error::Server(server) => {
            let message = format!(
                "target table {target}: {action} failed: {} ({})",
                server.message, server.code
            );
            // 1045 access denied, 1044/1142 privileges, 1049 unknown database, 1146 no table.
            if matches!(server.code, 1044 | 1045 | 1049 | 1142 | 1146 | 1064) {
                Error::definite(message)
                    .with_hint("check the target user's privileges and the table name")
            } else {
                Error::transient(message)
            }
        }
        other => Error::transient(format!("target table {target}: {action} failed: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote_identifier("a`b"), "`a``b`");
        assert_eq!(quote_table(&TableId::new("d", "t")), "`d`.`t`");
        assert_eq!(quote_string("it's a \\ test"), "'it''s a \\\\ test'");
    }

    #[test]
    fn addresses() {
        assert_eq!(
            split_address("127.0.0.1:9030"),
            Some(("127.0.0.1".into(), 9030))
        );
        assert_eq!(split_address("[::1]:9030"), Some(("::1".into(), 9030)));
        assert_eq!(split_address("fe.local"), None);
        assert!(query_opts("nope", "root", "").is_err());
    }

    #[test]
    fn models_from_ddl() {
        let pk = model_from_ddl(
            "CREATE TABLE `t` (\n `id` bigint NOT NULL, `b` int NOT NULL, `v` varchar(10)\n) \
             ENGINE=OLAP\nPRIMARY KEY(`id`, `b`)\nDISTRIBUTED BY HASH(`id`)",
        );
        assert!(pk.is_primary_key);
        assert_eq!(pk.key, vec!["id".to_string(), "b".to_string()]);
        let dup = model_from_ddl(
            "CREATE TABLE `t` (`id` int) DUPLICATE KEY(`id`) DISTRIBUTED BY HASH(`id`)",
        );
        assert!(!dup.is_primary_key);
        assert_eq!(dup.description, "DUPLICATE KEY");
    }
}
