//! The `information_schema` views the daemon and connectors read: `SCHEMATA`, `TABLES`,
//! `COLUMNS` and StarRocks' `tables_config`, built from the catalog on each query.
//!
//! View and column names are matched case-insensitively. Only user tables are listed (not the
//! views of `information_schema` itself).

use super::ddl::{backticked_list, keys_type_name, INFORMATION_SCHEMA};
use super::exec::{Relation, ResultColumn};
use super::types::{column_type_name, data_type_name, DEFAULT_STRING_LENGTH};
use crate::catalog::{Catalog, ColumnType, KeysModel, Rows, Table, Value};

/// The views served, in `SHOW TABLES FROM information_schema` order.
pub(crate) const VIEWS: [&str; 4] = ["columns", "schemata", "tables", "tables_config"];

fn varchar(name: &str) -> ResultColumn {
    ResultColumn {
        name: name.to_string(),
        ty: ColumnType::Varchar(DEFAULT_STRING_LENGTH),
    }
}

fn bigint(name: &str) -> ResultColumn {
    ResultColumn {
        name: name.to_string(),
        ty: ColumnType::BigInt,
    }
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn opt_int(n: Option<u64>) -> Value {
    n.map_or(Value::Null, |n| Value::Int(i128::from(n)))
}

/// Builds the view `name`, or `None` if there is no such view.
pub(crate) fn view(catalog: &Catalog, name: &str) -> Option<Relation> {
    match name.to_ascii_lowercase().as_str() {
        "schemata" => Some(schemata(catalog)),
        "tables" => Some(tables(catalog)),
        "columns" => Some(columns(catalog)),
        "tables_config" => Some(tables_config(catalog)),
        _ => None,
    }
}

fn user_tables(catalog: &Catalog) -> impl Iterator<Item = (&String, &Table)> {
    catalog
        .databases
        .iter()
        .flat_map(|(db, database)| database.tables.values().map(move |t| (db, t)))
}

/// A stable pseudo table id (StarRocks ids are positive integers).
fn table_id(catalog: &Catalog, database: &str, table: &str) -> i128 {
    let position = user_tables(catalog)
        .position(|(db, t)| db == database && t.name == table)
        .unwrap_or_default();
    10_001 + i128::try_from(position).unwrap_or_default()
}

fn schemata(catalog: &Catalog) -> Relation {
    let columns = vec![
        varchar("CATALOG_NAME"),
        varchar("SCHEMA_NAME"),
        varchar("DEFAULT_CHARACTER_SET_NAME"),
        varchar("DEFAULT_COLLATION_NAME"),
        varchar("SQL_PATH"),
    ];
    let names =
        std::iter::once(INFORMATION_SCHEMA).chain(catalog.databases.keys().map(String::as_str));
    let rows = names
        .map(|name| {
            vec![
                text("def"),
                text(name),
                text("utf8"),
                text("utf8_general_ci"),
                Value::Null,
            ]
        })
        .collect();
    Relation { columns, rows }
}

fn row_count(table: &Table) -> usize {
    match &table.rows {
        Rows::Keyed(map) => map.len(),
        Rows::Appended(rows) => rows.len(),
    }
}

fn tables(catalog: &Catalog) -> Relation {
    let columns = vec![
        varchar("TABLE_CATALOG"),
        varchar("TABLE_SCHEMA"),
        varchar("TABLE_NAME"),
        varchar("TABLE_TYPE"),
        varchar("ENGINE"),
        bigint("VERSION"),
        varchar("ROW_FORMAT"),
        bigint("TABLE_ROWS"),
        bigint("AVG_ROW_LENGTH"),
        bigint("DATA_LENGTH"),
        bigint("MAX_DATA_LENGTH"),
        bigint("INDEX_LENGTH"),
        bigint("DATA_FREE"),
        bigint("AUTO_INCREMENT"),
        ResultColumn {
            name: "CREATE_TIME".to_string(),
            ty: ColumnType::Datetime,
        },
        ResultColumn {
            name: "UPDATE_TIME".to_string(),
            ty: ColumnType::Datetime,
        },
        ResultColumn {
            name: "CHECK_TIME".to_string(),
            ty: ColumnType::Datetime,
        },
        varchar("TABLE_COLLATION"),
        bigint("CHECKSUM"),
        varchar("CREATE_OPTIONS"),
        varchar("TABLE_COMMENT"),
    ];
    let rows = user_tables(catalog)
        .map(|(db, t)| {
            vec![
                text("def"),
                text(db),
                text(&t.name),
                text("BASE TABLE"),
                text("StarRocks"),
                Value::Null,
                Value::Null,
                Value::Int(i128::try_from(row_count(t)).unwrap_or_default()),
                Value::Int(0),
                Value::Int(0),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                text("utf8_general_ci"),
                Value::Null,
                text(""),
                text(""),
            ]
        })
        .collect();
    Relation { columns, rows }
}

/// `COLUMN_KEY` of a key column, by table model (non-key columns have an empty string).
fn column_key(model: KeysModel) -> &'static str {
    match model {
        KeysModel::PrimaryKeys => "PRI",
        KeysModel::DuplicateKeys => "DUP",
        KeysModel::UniqueKeys => "UNI",
        KeysModel::AggregateKeys => "AGG",
    }
}

/// (CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE) of a type.
fn type_sizes(ty: &ColumnType) -> (Option<u64>, Option<u64>, Option<u64>) {
    match ty {
        ColumnType::Boolean => (None, Some(1), Some(0)),
        ColumnType::TinyInt => (None, Some(3), Some(0)),
        ColumnType::SmallInt => (None, Some(5), Some(0)),
        ColumnType::Int => (None, Some(10), Some(0)),
        ColumnType::BigInt => (None, Some(19), Some(0)),
        ColumnType::LargeInt => (None, Some(39), Some(0)),
        ColumnType::Float => (None, Some(12), None),
        ColumnType::Double => (None, Some(22), None),
        ColumnType::Decimal { precision, scale } => {
            (None, Some(u64::from(*precision)), Some(u64::from(*scale)))
        }
        ColumnType::Char(n) | ColumnType::Varchar(n) => (Some(u64::from(*n)), None, None),
        ColumnType::String => (Some(u64::from(DEFAULT_STRING_LENGTH)), None, None),
        ColumnType::Varbinary(n) => (n.map(u64::from), None, None),
        ColumnType::Date | ColumnType::Datetime | ColumnType::Json => (None, None, None),
    }
}

fn columns(catalog: &Catalog) -> Relation {
    let columns = vec![
        varchar("TABLE_CATALOG"),
        varchar("TABLE_SCHEMA"),
        varchar("TABLE_NAME"),
        varchar("COLUMN_NAME"),
        bigint("ORDINAL_POSITION"),
        varchar("COLUMN_DEFAULT"),
        varchar("IS_NULLABLE"),
        varchar("DATA_TYPE"),
        bigint("CHARACTER_MAXIMUM_LENGTH"),
        bigint("CHARACTER_OCTET_LENGTH"),
        bigint("NUMERIC_PRECISION"),
        bigint("NUMERIC_SCALE"),
        bigint("DATETIME_PRECISION"),
        varchar("CHARACTER_SET_NAME"),
        varchar("COLLATION_NAME"),
        varchar("COLUMN_TYPE"),
        varchar("COLUMN_KEY"),
        varchar("EXTRA"),
        varchar("PRIVILEGES"),
        varchar("COLUMN_COMMENT"),
        bigint("COLUMN_SIZE"),
        bigint("DECIMAL_DIGITS"),
        varchar("GENERATION_EXPRESSION"),
        bigint("SRS_ID"),
    ];
    let mut rows = Vec::new();
    for (db, t) in user_tables(catalog) {
        for (i, c) in t.columns.iter().enumerate() {
            let (char_len, precision, scale) = type_sizes(&c.ty);
            let is_key = i < t.key_columns.len();
            let is_text = matches!(
                c.ty,
                ColumnType::Char(_) | ColumnType::Varchar(_) | ColumnType::String
            );
            rows.push(vec![
                text("def"),
                text(db),
                text(&t.name),
                text(&c.name),
                Value::Int(i128::try_from(i + 1).unwrap_or_default()),
                c.default.as_deref().map_or(Value::Null, text),
                text(if c.nullable { "YES" } else { "NO" }),
                text(data_type_name(&c.ty)),
                opt_int(char_len),
                opt_int(char_len),
                opt_int(precision),
                opt_int(scale),
                Value::Null,
                if is_text { text("utf8") } else { Value::Null },
                if is_text {
                    text("utf8_general_ci")
                } else {
                    Value::Null
                },
                text(&column_type_name(&c.ty)),
                text(if is_key { column_key(t.model) } else { "" }),
                text(""),
                text("SELECT,INSERT,UPDATE,REFERENCES"),
                text(c.comment.as_deref().unwrap_or("")),
                opt_int(char_len.or(precision)),
                opt_int(scale),
                Value::Null,
                Value::Null,
            ]);
        }
    }
    Relation { columns, rows }
}

/// `PROPERTIES` of tables_config: a JSON object of the table properties.
fn properties_json(table: &Table) -> String {
    let entries: Vec<String> = table
        .properties
        .iter()
        .map(|(k, v)| format!("{}:{}", json_string(k), json_string(v)))
        .collect();
    format!("{{{}}}", entries.join(","))
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn tables_config(catalog: &Catalog) -> Relation {
    let columns = vec![
        varchar("TABLE_SCHEMA"),
        varchar("TABLE_NAME"),
        varchar("TABLE_ENGINE"),
        varchar("TABLE_MODEL"),
        varchar("PRIMARY_KEY"),
        varchar("PARTITION_KEY"),
        varchar("DISTRIBUTE_KEY"),
        varchar("DISTRIBUTE_TYPE"),
        bigint("DISTRIBUTE_BUCKET"),
        varchar("SORT_KEY"),
        varchar("PROPERTIES"),
        bigint("TABLE_ID"),
    ];
    let rows = user_tables(catalog)
        .map(|(db, t)| {
            let primary_key = match t.model {
                KeysModel::PrimaryKeys | KeysModel::UniqueKeys => backticked_list(&t.key_columns),
                KeysModel::DuplicateKeys | KeysModel::AggregateKeys => String::new(),
            };
            let distribute_type = if t.distributed_by.is_empty() {
                "RANDOM"
            } else {
                "HASH"
            };
            vec![
                text(db),
                text(&t.name),
                text("OLAP"),
                text(keys_type_name(t.model)),
                Value::Text(primary_key),
                text(""),
                Value::Text(backticked_list(&t.distributed_by)),
                text(distribute_type),
                Value::Int(i128::from(t.buckets.unwrap_or(0))),
                Value::Text(backticked_list(&t.key_columns)),
                Value::Text(properties_json(t)),
                Value::Int(table_id(catalog, db, &t.name)),
            ]
        })
        .collect();
    Relation { columns, rows }
}
