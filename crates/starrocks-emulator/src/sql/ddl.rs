//! DDL: `CREATE/DROP DATABASE`, `CREATE/DROP/TRUNCATE/ALTER TABLE` and `SHOW CREATE TABLE`,
//! with StarRocks' analyzer rules for OLAP tables.
//!
//! Rules enforced by `CREATE TABLE` (from StarRocks' `CreateTableAnalyzer` and `KeysDesc`):
//! - key columns are an ordered prefix of the column list, in the order of the KEY clause;
//! - primary-key columns are NOT NULL (implicitly; an explicit `NULL` is rejected) and of type
//!   BOOLEAN, TINYINT..BIGINT, LARGEINT, VARCHAR/STRING, DATE or DATETIME;
//! - column names are unique (case-insensitively) and may not use the reserved `__op` / `__row`
//!   prefixes; types respect their limits;
//! - `DISTRIBUTED BY HASH` columns exist, and for non-duplicate tables are key columns; without a
//!   distribution a primary-key table is hashed by its key and a duplicate-key table is random;
//! - the emulator is a single backend, so `replication_num` above 1 is rejected.
//!
//! Schema changes (`ALTER TABLE ADD/DROP COLUMN`) are applied synchronously; StarRocks runs them
//! as asynchronous jobs, and `SHOW ALTER TABLE COLUMN` here never shows a pending one.

use std::collections::BTreeMap;

use super::ast::{AlterOperation, ColumnDef, ColumnPosition, CreateTable, Distribution};
use super::error::{code, SqlError};
use super::types::{build_column_type, type_to_sql};
use crate::catalog::{Catalog, Column, ColumnType, Database, KeysModel, Rows, Table, Value};

/// Name of the virtual metadata database.
pub(crate) const INFORMATION_SCHEMA: &str = "information_schema";

/// Table property the emulator fills in when `CREATE TABLE` does not set it.
const DEFAULT_PROPERTIES: [(&str, &str); 1] = [("replication_num", "1")];

/// The `KEYS` clause keyword of a model, e.g. `PRIMARY KEY`.
pub(crate) fn keys_sql(model: KeysModel) -> &'static str {
    match model {
        KeysModel::PrimaryKeys => "PRIMARY KEY",
        KeysModel::DuplicateKeys => "DUPLICATE KEY",
        KeysModel::UniqueKeys => "UNIQUE KEY",
        KeysModel::AggregateKeys => "AGGREGATE KEY",
    }
}

/// The model's name as `information_schema.tables_config.TABLE_MODEL` shows it.
pub(crate) fn keys_type_name(model: KeysModel) -> &'static str {
    match model {
        KeysModel::PrimaryKeys => "PRIMARY_KEYS",
        KeysModel::DuplicateKeys => "DUP_KEYS",
        KeysModel::UniqueKeys => "UNIQUE_KEYS",
        KeysModel::AggregateKeys => "AGG_KEYS",
    }
}

/// Back-ticked, comma-separated names: `` `a`, `b` ``.
pub(crate) fn backticked_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn is_information_schema(name: &str) -> bool {
    name.eq_ignore_ascii_case(INFORMATION_SCHEMA)
}

fn check_database_name(name: &str) -> Result<(), SqlError> {
    let valid = !name.is_empty()
        && name.len() <= 256
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if valid {
        Ok(())
    } else {
        Err(SqlError::analysis(format!(
            "Incorrect database name '{name}'"
        )))
    }
}

fn check_table_name(name: &str) -> Result<(), SqlError> {
    if name.is_empty() || name.len() > 1024 || name.contains('\0') {
        return Err(SqlError::analysis(format!("Incorrect table name '{name}'")));
    }
    Ok(())
}

fn check_column_name(name: &str) -> Result<(), SqlError> {
    if name.is_empty() || name.len() > 1024 || name.contains('\0') {
        return Err(SqlError::analysis(format!(
            "Incorrect column name '{name}'"
        )));
    }
    let lower = name.to_ascii_lowercase();
    if lower.starts_with("__op") || lower.starts_with("__row") {
        return Err(SqlError::analysis(format!(
            "Column name [{name}] is a system reserved name. If you are sure you want to use \
             it, please set FE configuration allow_system_reserved_names"
        )));
    }
    Ok(())
}

/// `CREATE DATABASE`.
pub(crate) fn create_database(
    catalog: &mut Catalog,
    name: &str,
    if_not_exists: bool,
) -> Result<(), SqlError> {
    if catalog.databases.contains_key(name) || is_information_schema(name) {
        if if_not_exists {
            return Ok(());
        }
        return Err(SqlError::new(
            code::DB_CREATE_EXISTS,
            format!("Can't create database '{name}'; database exists"),
        ));
    }
    check_database_name(name)?;
    catalog
        .databases
        .insert(name.to_string(), Database::default());
    Ok(())
}

/// `DROP DATABASE` (with its tables, as StarRocks does).
pub(crate) fn drop_database(
    catalog: &mut Catalog,
    name: &str,
    if_exists: bool,
) -> Result<(), SqlError> {
    if is_information_schema(name) {
        return Err(SqlError::new(
            1044,
            format!("Access denied for user 'root'@'%' to database '{name}'"),
        ));
    }
    if catalog.databases.remove(name).is_none() && !if_exists {
        return Err(SqlError::new(
            code::DB_DROP_EXISTS,
            format!("Can't drop database '{name}'; database doesn't exist"),
        ));
    }
    Ok(())
}

/// The database of a user table, or the matching error.
pub(crate) fn database_mut<'a>(
    catalog: &'a mut Catalog,
    name: &str,
) -> Result<&'a mut Database, SqlError> {
    if is_information_schema(name) {
        return Err(SqlError::analysis(
            "Access denied; information_schema is read-only",
        ));
    }
    catalog
        .databases
        .get_mut(name)
        .ok_or_else(|| unknown_database(name))
}

pub(crate) fn unknown_database(name: &str) -> SqlError {
    SqlError::analysis_with_code(code::BAD_DB, format!("Unknown database '{name}'"))
}

/// `DROP TABLE` of a missing table (MySQL's `ER_BAD_TABLE_ERROR`).
pub(crate) fn unknown_table(database: &str, table: &str) -> SqlError {
    SqlError::analysis_with_code(
        code::BAD_TABLE,
        format!("Unknown table '{database}.{table}'"),
    )
}

/// Any other statement on a missing table (MySQL's `ER_NO_SUCH_TABLE`).
pub(crate) fn no_such_table(database: &str, table: &str) -> SqlError {
    SqlError::analysis_with_code(
        code::NO_SUCH_TABLE,
        format!("Unknown table '{database}.{table}'"),
    )
}

/// Builds the catalog column of a definition (nullability resolved by the caller).
fn column_from_def(def: &ColumnDef) -> Result<Column, SqlError> {
    check_column_name(&def.name)?;
    let ty = build_column_type(&def.type_name, &def.type_params).map_err(SqlError::analysis)?;
    if let Some(Some(default)) = &def.default {
        check_default(&def.name, &ty, default)?;
    }
    Ok(Column {
        name: def.name.clone(),
        ty,
        nullable: def.nullable.unwrap_or(true),
        default: def.default.clone().flatten(),
        comment: def.comment.clone(),
    })
}

fn check_default(column: &str, ty: &ColumnType, default: &str) -> Result<(), SqlError> {
    let invalid = || SqlError::analysis(format!("Invalid default value for '{column}': {default}"));
    match ty {
        ColumnType::TinyInt
        | ColumnType::SmallInt
        | ColumnType::Int
        | ColumnType::BigInt
        | ColumnType::LargeInt => {
            default.trim().parse::<i128>().map_err(|_| invalid())?;
        }
        ColumnType::Float | ColumnType::Double | ColumnType::Decimal { .. } => {
            default.trim().parse::<f64>().map_err(|_| invalid())?;
        }
        ColumnType::Boolean => {
            let ok = ["0", "1", "true", "false"]
                .iter()
                .any(|v| default.trim().eq_ignore_ascii_case(v));
            if !ok {
                return Err(invalid());
            }
        }
        ColumnType::Json | ColumnType::Varbinary(_) => {
            return Err(SqlError::analysis(format!(
                "Invalid default value for '{column}': {} type does not support default value",
                type_to_sql(ty)
            )));
        }
        _ => {}
    }
    if default == "CURRENT_TIMESTAMP" && *ty != ColumnType::Datetime {
        return Err(invalid());
    }
    Ok(())
}

/// Whether a type may be a primary-key (or sort-key) column.
fn allowed_as_primary_key(ty: &ColumnType) -> bool {
    matches!(
        ty,
        ColumnType::Boolean
            | ColumnType::TinyInt
            | ColumnType::SmallInt
            | ColumnType::Int
            | ColumnType::BigInt
            | ColumnType::LargeInt
            | ColumnType::Varchar(_)
            | ColumnType::String
            | ColumnType::Date
            | ColumnType::Datetime
    )
}

/// Types that can never be key, sort or distribution columns.
fn never_key(ty: &ColumnType) -> bool {
    matches!(
        ty,
        ColumnType::Float | ColumnType::Double | ColumnType::Json | ColumnType::Varbinary(_)
    )
}

/// Default key columns when `CREATE TABLE` has no KEY clause: like StarRocks, up to three
/// leading columns, stopping after the first VARCHAR and before a type that cannot be a key.
fn default_duplicate_keys(columns: &[Column]) -> Result<Vec<String>, SqlError> {
    let mut keys = Vec::new();
    for column in columns {
        if keys.len() >= 3 || never_key(&column.ty) {
            break;
        }
        keys.push(column.name.clone());
        if matches!(column.ty, ColumnType::Varchar(_) | ColumnType::String) {
            break;
        }
    }
    if keys.is_empty() {
        let first = columns
            .first()
            .map_or_else(String::new, |c| type_to_sql(&c.ty));
        return Err(SqlError::analysis(format!(
            "Data type of first column cannot be {first}"
        )));
    }
    Ok(keys)
}

/// `CREATE TABLE` in `database` (already resolved from the statement or the session).
pub(crate) fn create_table(
    catalog: &mut Catalog,
    database: &str,
    stmt: &CreateTable,
) -> Result<(), SqlError> {
    let table_name = stmt.name.table.as_str();
    check_table_name(table_name)?;
    let db = database_mut(catalog, database)?;
    if db.tables.contains_key(table_name) {
        if stmt.if_not_exists {
            return Ok(());
        }
        return Err(SqlError::analysis_with_code(
            code::TABLE_EXISTS,
            format!("Table '{table_name}' already exists"),
        ));
    }
    if let Some(engine) = &stmt.engine {
        if !engine.eq_ignore_ascii_case("OLAP") {
            return Err(SqlError::analysis(format!(
                "The StarRocks emulator only supports ENGINE=OLAP, not {engine}"
            )));
        }
    }
    if stmt.columns.is_empty() {
        return Err(SqlError::analysis("Table must have at least one column"));
    }

    // Columns: names, duplicates, types.
    let mut columns = Vec::with_capacity(stmt.columns.len());
    for def in &stmt.columns {
        if columns
            .iter()
            .any(|c: &Column| c.name.eq_ignore_ascii_case(&def.name))
        {
            return Err(SqlError::analysis_with_code(
                code::DUP_FIELD,
                format!("Duplicate column name '{}'", def.name),
            ));
        }
        columns.push(column_from_def(def)?);
    }

    // Keys.
    let has_aggregate = stmt.columns.iter().any(|c| c.aggregate.is_some());
    let (model, key_columns) = match &stmt.keys {
        Some((model, keys)) => (*model, keys.clone()),
        None if has_aggregate => (
            KeysModel::AggregateKeys,
            stmt.columns
                .iter()
                .filter(|c| c.aggregate.is_none())
                .map(|c| c.name.clone())
                .collect(),
        ),
        None => (KeysModel::DuplicateKeys, default_duplicate_keys(&columns)?),
    };
    if key_columns.is_empty() {
        return Err(SqlError::analysis("The number of key columns is 0"));
    }
    if key_columns.len() > columns.len() {
        return Err(SqlError::analysis(
            "The number of key columns should be less than the number of columns",
        ));
    }
    for (i, key) in key_columns.iter().enumerate() {
        let column = &columns[i];
        if !column.name.eq_ignore_ascii_case(key) {
            if !columns.iter().any(|c| c.name.eq_ignore_ascii_case(key)) {
                return Err(SqlError::analysis(format!(
                    "Key column({key}) doesn't exist"
                )));
            }
            return Err(SqlError::analysis(
                "Key columns should be a ordered prefix of the schema",
            ));
        }
        if stmt.columns[i].aggregate.is_some() {
            return Err(SqlError::analysis(format!(
                "Key column[{}] should not specify aggregate type",
                column.name
            )));
        }
        if model == KeysModel::PrimaryKeys {
            if stmt.columns[i].nullable == Some(true) {
                return Err(SqlError::analysis(format!(
                    "primary key column[{}] cannot be nullable",
                    column.name
                )));
            }
            if !allowed_as_primary_key(&column.ty) {
                return Err(SqlError::analysis(format!(
                    "primary key column[{}] type not supported: {}",
                    column.name,
                    type_to_sql(&column.ty)
                )));
            }
        } else if never_key(&column.ty) {
            return Err(SqlError::analysis(format!(
                "sort key column[{}] type not supported: {}",
                column.name,
                type_to_sql(&column.ty)
            )));
        }
    }
    // Primary-key columns are NOT NULL whether or not the statement says so.
    if model == KeysModel::PrimaryKeys {
        for column in columns.iter_mut().take(key_columns.len()) {
            column.nullable = false;
        }
    }
    for (i, def) in stmt.columns.iter().enumerate().skip(key_columns.len()) {
        match (model, &def.aggregate) {
            (KeysModel::AggregateKeys, None) => {
                return Err(SqlError::analysis(format!(
                    "AGG_KEYS table should specify aggregate type for non-key column[{}]",
                    columns[i].name
                )));
            }
            (KeysModel::AggregateKeys, Some(_)) => {}
            (_, Some(agg)) if agg != "REPLACE" => {
                return Err(SqlError::analysis(format!(
                    "{} table should not specify aggregate type for non-key column[{}]",
                    keys_type_name(model),
                    columns[i].name
                )));
            }
            _ => {}
        }
    }
    // Canonical key names: as the columns spell them.
    let key_columns: Vec<String> = columns
        .iter()
        .take(key_columns.len())
        .map(|c| c.name.clone())
        .collect();

    // Sort keys (validated; the catalog keeps no separate sort key, so SORT_KEY shows the keys).
    if let Some(order_by) = &stmt.order_by {
        for name in order_by {
            let column = columns
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    SqlError::analysis(format!("Unknown column '{name}' does not exist"))
                })?;
            if !allowed_as_primary_key(&column.ty) {
                return Err(SqlError::analysis(format!(
                    "sort key column[{}] type not supported: {}",
                    column.name,
                    type_to_sql(&column.ty)
                )));
            }
        }
    }

    // Distribution.
    let (distributed_by, buckets) = match &stmt.distribution {
        None => match model {
            KeysModel::PrimaryKeys => (key_columns.clone(), None),
            KeysModel::DuplicateKeys => (Vec::new(), None),
            KeysModel::UniqueKeys | KeysModel::AggregateKeys => {
                return Err(SqlError::analysis(format!(
                    "Currently not support default distribution in {}",
                    keys_type_name(model)
                )));
            }
        },
        Some(Distribution::Random { buckets }) => {
            if model != KeysModel::DuplicateKeys {
                return Err(SqlError::analysis(format!(
                    "{} must use hash distribution",
                    keys_sql(model)
                )));
            }
            (Vec::new(), *buckets)
        }
        Some(Distribution::Hash {
            columns: hash_columns,
            buckets,
        }) => {
            let mut resolved: Vec<String> = Vec::new();
            for name in hash_columns {
                let column = columns
                    .iter()
                    .find(|c| c.name.eq_ignore_ascii_case(name))
                    .ok_or_else(|| {
                        SqlError::analysis(format!("Distribution column({name}) doesn't exist"))
                    })?;
                if resolved.iter().any(|r| r.eq_ignore_ascii_case(name)) {
                    return Err(SqlError::analysis(format!(
                        "Duplicated distribution column {name}"
                    )));
                }
                if never_key(&column.ty) {
                    return Err(SqlError::analysis(format!(
                        "Distribution column[{}] type can't be {}",
                        column.name,
                        type_to_sql(&column.ty)
                    )));
                }
                if model != KeysModel::DuplicateKeys
                    && !key_columns.iter().any(|k| k == &column.name)
                {
                    return Err(SqlError::analysis(format!(
                        "Distribution column[{}] is not key column",
                        column.name
                    )));
                }
                resolved.push(column.name.clone());
            }
            (resolved, *buckets)
        }
    };

    // Properties.
    let mut properties: BTreeMap<String, String> = BTreeMap::new();
    for (key, value) in &stmt.properties {
        properties.insert(key.clone(), value.clone());
    }
    if let Some(replication) = properties.get("replication_num") {
        let n: i64 = replication
            .trim()
            .parse()
            .map_err(|_| SqlError::analysis(format!("Invalid replication_num: {replication}")))?;
        if n <= 0 {
            return Err(SqlError::analysis("Replication num should larger than 0"));
        }
        if n > 1 {
            return Err(SqlError::new(
                code::PARSE,
                format!(
                    "Table replication num should be less than or equal to the number of \
                     available BE nodes. You can change this default by setting the \
                     replication_num table properties. Current alive backend is [10001]. , \
                     table={table_name}, default_replication_num={n}"
                ),
            ));
        }
    }
    for (key, value) in DEFAULT_PROPERTIES {
        properties
            .entry(key.to_string())
            .or_insert_with(|| value.to_string());
    }

    let rows = match model {
        KeysModel::PrimaryKeys => Rows::Keyed(Default::default()),
        _ => Rows::Appended(Vec::new()),
    };
    db.tables.insert(
        table_name.to_string(),
        Table {
            name: table_name.to_string(),
            columns,
            model,
            key_columns,
            distributed_by,
            buckets,
            properties,
            rows,
        },
    );
    Ok(())
}

/// `DROP TABLE`.
pub(crate) fn drop_table(
    catalog: &mut Catalog,
    database: &str,
    table: &str,
    if_exists: bool,
) -> Result<(), SqlError> {
    let db = database_mut(catalog, database)?;
    if db.tables.remove(table).is_none() && !if_exists {
        return Err(unknown_table(database, table));
    }
    Ok(())
}

/// `TRUNCATE TABLE`: removes every row, keeps the schema.
pub(crate) fn truncate_table(
    catalog: &mut Catalog,
    database: &str,
    table: &str,
) -> Result<(), SqlError> {
    let db = database_mut(catalog, database)?;
    let t = db
        .tables
        .get_mut(table)
        .ok_or_else(|| no_such_table(database, table))?;
    match &mut t.rows {
        Rows::Keyed(map) => map.clear(),
        Rows::Appended(rows) => rows.clear(),
    }
    Ok(())
}

/// `ALTER TABLE ... ADD COLUMN / DROP COLUMN`, applied at once.
pub(crate) fn alter_table(
    catalog: &mut Catalog,
    database: &str,
    table: &str,
    operation: &AlterOperation,
) -> Result<(), SqlError> {
    let db = database_mut(catalog, database)?;
    let t = db
        .tables
        .get_mut(table)
        .ok_or_else(|| no_such_table(database, table))?;
    match operation {
        AlterOperation::AddColumn { column, position } => add_column(t, column, position.as_ref()),
        AlterOperation::DropColumn { name } => drop_column(t, name),
    }
}

fn add_column(
    table: &mut Table,
    def: &ColumnDef,
    position: Option<&ColumnPosition>,
) -> Result<(), SqlError> {
    if table
        .columns
        .iter()
        .any(|c| c.name.eq_ignore_ascii_case(&def.name))
    {
        return Err(SqlError::analysis_with_code(
            code::DUP_FIELD,
            format!("Duplicate column name '{}'", def.name),
        ));
    }
    match (table.model, &def.aggregate) {
        (KeysModel::AggregateKeys, None) => {
            return Err(SqlError::analysis(format!(
                "Can not add column without aggregate type to an AGG_KEYS table: {}",
                def.name
            )));
        }
        (KeysModel::AggregateKeys, Some(_)) => {}
        (_, Some(agg)) if agg != "REPLACE" => {
            return Err(SqlError::analysis(format!(
                "Can not assign aggregation method on column in {} table: {}",
                keys_type_name(table.model),
                def.name
            )));
        }
        _ => {}
    }
    let column = column_from_def(def)?;
    let key_count = table.key_columns.len();
    let index = match position {
        None => table.columns.len(),
        Some(ColumnPosition::First) => 0,
        Some(ColumnPosition::After(after)) => {
            let i = table
                .columns
                .iter()
                .position(|c| c.name.eq_ignore_ascii_case(after))
                .ok_or_else(|| {
                    SqlError::analysis_with_code(
                        code::BAD_FIELD,
                        format!("Column '{after}' does not exist"),
                    )
                })?;
            i + 1
        }
    };
    // New columns are value columns: they must come after every key column.
    if index < key_count {
        return Err(SqlError::analysis(format!(
            "Invalid column order. value should be after key. index: {index}"
        )));
    }
    // Existing rows get the default (or NULL).
    let fill = match &column.default {
        Some(default) => default_value(&column.ty, default),
        None if column.nullable => Value::Null,
        None => zero_value(&column.ty),
    };
    match &mut table.rows {
        Rows::Keyed(map) => {
            for row in map.values_mut() {
                let at = index.min(row.len());
                row.insert(at, fill.clone());
            }
        }
        Rows::Appended(rows) => {
            for row in rows.iter_mut() {
                let at = index.min(row.len());
                row.insert(at, fill.clone());
            }
        }
    }
    table.columns.insert(index, column);
    Ok(())
}

fn drop_column(table: &mut Table, name: &str) -> Result<(), SqlError> {
    let index = table
        .columns
        .iter()
        .position(|c| c.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            SqlError::analysis_with_code(code::BAD_FIELD, format!("Column '{name}' does not exist"))
        })?;
    if index < table.key_columns.len() {
        let message = match table.model {
            KeysModel::PrimaryKeys => "Can not drop key column in primary data model table",
            KeysModel::UniqueKeys => "Can not drop key column in Unique data model table",
            KeysModel::AggregateKeys => {
                "Can not drop key column when table has value column with REPLACE aggregation method"
            }
            KeysModel::DuplicateKeys => "Can not drop key column in duplicate data model table",
        };
        return Err(SqlError::analysis(message));
    }
    if table.columns.len() == 1 {
        return Err(SqlError::analysis("Can not drop all columns"));
    }
    match &mut table.rows {
        Rows::Keyed(map) => {
            for row in map.values_mut() {
                if index < row.len() {
                    row.remove(index);
                }
            }
        }
        Rows::Appended(rows) => {
            for row in rows.iter_mut() {
                if index < row.len() {
                    row.remove(index);
                }
            }
        }
    }
    table.columns.remove(index);
    let column_name = name.to_string();
    table
        .distributed_by
        .retain(|c| !c.eq_ignore_ascii_case(&column_name));
    Ok(())
}

/// A DEFAULT text as a stored value of its column type (best effort; DDL validated the text).
fn default_value(ty: &ColumnType, text: &str) -> Value {
    match ty {
        ColumnType::Boolean => Value::Bool(text == "1" || text.eq_ignore_ascii_case("true")),
        ColumnType::TinyInt
        | ColumnType::SmallInt
        | ColumnType::Int
        | ColumnType::BigInt
        | ColumnType::LargeInt => text.trim().parse().map_or(Value::Null, Value::Int),
        ColumnType::Float | ColumnType::Double => {
            text.trim().parse().map_or(Value::Null, Value::Float)
        }
        ColumnType::Decimal { scale, .. } => {
            Value::Decimal(super::types::render_decimal(text, *scale))
        }
        ColumnType::Char(_) | ColumnType::Varchar(_) | ColumnType::String => {
            Value::Text(text.to_string())
        }
        ColumnType::Varbinary(_) => Value::Bytes(text.as_bytes().to_vec()),
        ColumnType::Date => Value::Date(text.to_string()),
        ColumnType::Datetime => Value::Datetime(text.to_string()),
        ColumnType::Json => Value::Json(text.to_string()),
    }
}

/// The value existing rows get for a new NOT NULL column without DEFAULT.
fn zero_value(ty: &ColumnType) -> Value {
    match ty {
        ColumnType::Boolean => Value::Bool(false),
        ColumnType::TinyInt
        | ColumnType::SmallInt
        | ColumnType::Int
        | ColumnType::BigInt
        | ColumnType::LargeInt => Value::Int(0),
        ColumnType::Float | ColumnType::Double => Value::Float(0.0),
        ColumnType::Decimal { scale, .. } => {
            Value::Decimal(super::types::render_decimal("0", *scale))
        }
        ColumnType::Char(_) | ColumnType::Varchar(_) | ColumnType::String => {
            Value::Text(String::new())
        }
        ColumnType::Varbinary(_) => Value::Bytes(Vec::new()),
        ColumnType::Date => Value::Date("1970-01-01".to_string()),
        ColumnType::Datetime => Value::Datetime("1970-01-01 00:00:00".to_string()),
        ColumnType::Json => Value::Json("null".to_string()),
    }
}

/// Escapes a string for a double-quoted literal in `SHOW CREATE TABLE` output.
fn quote_double(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            other => out.push(other),
        }
    }
    out.push('"');
    out
}

/// The `CREATE TABLE` text `SHOW CREATE TABLE` returns, in StarRocks' layout:
///
/// ```text
/// CREATE TABLE `t` (
///   `k1` bigint(20) NOT NULL COMMENT "",
///   `v` varchar(65533) NULL COMMENT ""
/// ) ENGINE=OLAP
/// PRIMARY KEY(`k1`)
/// DISTRIBUTED BY HASH(`k1`) BUCKETS 1
/// PROPERTIES (
/// "replication_num" = "1"
/// );
/// ```
pub(crate) fn show_create_table(table: &Table) -> String {
    let mut out = format!("CREATE TABLE `{}` (\n", table.name);
    let column_lines: Vec<String> = table
        .columns
        .iter()
        .map(|c| {
            let mut line = format!(
                "  `{}` {} {}",
                c.name,
                type_to_sql(&c.ty),
                if c.nullable { "NULL" } else { "NOT NULL" }
            );
            if let Some(default) = &c.default {
                if default == "CURRENT_TIMESTAMP" {
                    line.push_str(" DEFAULT CURRENT_TIMESTAMP");
                } else {
                    line.push_str(&format!(" DEFAULT {}", quote_double(default)));
                }
            }
            line.push_str(&format!(
                " COMMENT {}",
                quote_double(c.comment.as_deref().unwrap_or(""))
            ));
            line
        })
        .collect();
    out.push_str(&column_lines.join(",\n"));
    out.push_str("\n) ENGINE=OLAP \n");
    out.push_str(&format!(
        "{}({})\n",
        keys_sql(table.model),
        backticked_list(&table.key_columns)
    ));
    if table.distributed_by.is_empty() {
        out.push_str("DISTRIBUTED BY RANDOM");
    } else {
        out.push_str(&format!(
            "DISTRIBUTED BY HASH({})",
            backticked_list(&table.distributed_by)
        ));
    }
    if let Some(buckets) = table.buckets {
        out.push_str(&format!(" BUCKETS {buckets}"));
    }
    out.push_str(" \nPROPERTIES (\n");
    let properties: Vec<String> = table
        .properties
        .iter()
        .map(|(k, v)| format!("{} = {}", quote_double(k), quote_double(v)))
        .collect();
    out.push_str(&properties.join(",\n"));
    out.push_str("\n);");
    out
}
