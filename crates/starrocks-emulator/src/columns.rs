//! The `columns` header and the load plan derived from it: which source field (or constant, or
//! default) fills each table column, and where a primary-key load finds each row's `__op`.
//!
//! Supported, as in StarRocks: a comma list of field names (back-ticked or bare, matched to table
//! columns case-insensitively); names that are not table columns are read and ignored;
//! `col = <field>` copies a field; `__op = 'upsert'|'delete'|0|1` sets a constant op; `__op` as a
//! field name reads the op from the data. Without `columns`, the fields are the table's columns in
//! order (and, for JSON into a primary-key table, an `__op` key is read when present).
//! General expressions (`id = temp * 100`) are not supported by the emulator and fail the load
//! with a message that says so, instead of loading something else.
//!
//! On tables that are not primary-key tables, `__op` is accepted and ignored (StarRocks only adds
//! the op slot for primary-key tables).

use crate::catalog::{ColumnType, KeysModel, Table, Value};
use crate::convert::{convert, Field};

/// The name of the op pseudo-column.
pub const OP_COLUMN: &str = "__op";

/// One item of the `columns` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnItem {
    /// A source field, in order.
    Field(String),
    /// `target = expr`.
    Mapping { target: String, expr: MappingExpr },
}

/// The right-hand side of a mapping the emulator supports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MappingExpr {
    /// A quoted string.
    Str(String),
    /// An integer literal.
    Int(i64),
    /// `NULL`.
    Null,
    /// A reference to a source field.
    FieldRef(String),
}

/// Where a table column's value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum TargetSource {
    /// The source field at this index.
    Field(usize),
    /// A constant (already converted), e.g. the column default or a mapped literal.
    Constant(Value),
    /// A constant that is not a value of the column type: every row fails conversion.
    BadConstant(String),
}

/// Where a primary-key row's op comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpSource {
    /// Every row is an upsert (or the table is not a primary-key table).
    Upsert,
    /// Every row is a delete.
    Delete,
    /// The op is the source field at this index (0 = upsert, 1 = delete).
    Field(usize),
    /// JSON only: the row's `__op` key if present, else upsert.
    JsonKey,
}

/// How to turn source rows into table rows.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadPlan {
    /// Source field names in order (CSV: positions; JSON: keys).
    pub source_fields: Vec<String>,
    /// One entry per table column, in table order.
    pub targets: Vec<TargetSource>,
    /// Where the op comes from.
    pub op: OpSource,
}

/// Parses the `columns` header. The error is the load's failure message.
pub fn parse_columns_header(text: &str) -> Result<Vec<ColumnItem>, String> {
    let mut items = Vec::new();
    for part in split_top_level(text) {
        let part = part.trim();
        if part.is_empty() {
            return Err(format!("Invalid columns: '{text}'"));
        }
        match find_top_level_eq(part) {
            None => items.push(ColumnItem::Field(identifier(part)?)),
            Some(i) => {
                let target = identifier(part[..i].trim())?;
                let expr = parse_expr(part[i + 1..].trim())?;
                items.push(ColumnItem::Mapping { target, expr });
            }
        }
    }
    Ok(items)
}

fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' | '`' => quote = Some(c),
                '(' => depth += 1,
                ')' => depth -= 1,
                ',' if depth == 0 => {
                    parts.push(&text[start..i]);
                    start = i + 1;
                }
                _ => {}
            },
        }
    }
    parts.push(&text[start..]);
    parts
}

fn find_top_level_eq(text: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' | '`' => quote = Some(c),
                '=' => return Some(i),
                _ => {}
            },
        }
    }
    None
}

fn identifier(text: &str) -> Result<String, String> {
    if let Some(inner) = text.strip_prefix('`').and_then(|t| t.strip_suffix('`')) {
        if !inner.is_empty() && !inner.contains('`') {
            return Ok(inner.to_string());
        }
    }
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
        && !text.starts_with(|c: char| c.is_ascii_digit())
    {
        if is_reserved_word(text) {
            return Err(format!(
                "Getting syntax error at line 1, column 0. Detail message: Unexpected input '{text}', the most similar input is {{a legal identifier}}."
            ));
        }
        return Ok(text.to_string());
    }
    Err(format!(
        "Getting syntax error. Detail message: Unexpected input '{text}' in columns"
    ))
}

/// A few SQL reserved words that fail unquoted in `columns` (flink-connector #155).
fn is_reserved_word(text: &str) -> bool {
    const RESERVED: &[&str] = &[
        "create",
        "select",
        "from",
        "where",
        "table",
        "order",
        "group",
        "by",
        "key",
        "index",
        "desc",
        "limit",
        "insert",
        "update",
        "delete",
        "drop",
        "alter",
        "and",
        "or",
        "not",
        "column",
        "database",
        "values",
        "default",
        "primary",
        "range",
        "partition",
        "rank",
        "system",
        "user",
        "union",
        "join",
        "like",
        "in",
        "is",
        "as",
        "on",
        "to",
        "case",
        "when",
        "then",
        "else",
        "end",
    ];
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(text))
}

fn parse_expr(text: &str) -> Result<MappingExpr, String> {
    if text.eq_ignore_ascii_case("null") {
        return Ok(MappingExpr::Null);
    }
    for q in ['\'', '"'] {
        if let Some(inner) = text.strip_prefix(q).and_then(|t| t.strip_suffix(q)) {
            if text.len() >= 2 {
                return Ok(MappingExpr::Str(inner.to_string()));
            }
        }
    }
    if let Ok(v) = text.parse::<i64>() {
        return Ok(MappingExpr::Int(v));
    }
    if let Ok(name) = identifier(text) {
        return Ok(MappingExpr::FieldRef(name));
    }
    Err(format!(
        "The StarRocks emulator does not support the expression '{text}' in the columns header"
    ))
}

/// Builds the plan for loading into `table`. `items` is the parsed `columns` header (empty when
/// absent). The error is StarRocks' failure message.
pub fn plan(table: &Table, items: &[ColumnItem], is_json: bool) -> Result<LoadPlan, String> {
    let is_pk = table.model == KeysModel::PrimaryKeys;
    let mut source_fields: Vec<String> = Vec::new();
    let mut mappings: Vec<(String, MappingExpr)> = Vec::new();
    for item in items {
        match item {
            ColumnItem::Field(name) => {
                if source_fields.iter().any(|f| f.eq_ignore_ascii_case(name)) {
                    return Err(format!("Duplicate column: {name}"));
                }
                source_fields.push(name.clone());
            }
            ColumnItem::Mapping { target, expr } => {
                if mappings.iter().any(|(t, _)| t.eq_ignore_ascii_case(target)) {
                    return Err(format!("Duplicate column mapping: {target}"));
                }
                if table.column_index(target).is_none() && target != OP_COLUMN {
                    return Err(format!("Mapping column is not in table. column: {target}"));
                }
                mappings.push((target.clone(), expr.clone()));
            }
        }
    }
    if source_fields.is_empty() {
        source_fields = table.columns.iter().map(|c| c.name.clone()).collect();
    }
    let field_index = |name: &str| -> Result<usize, String> {
        source_fields
            .iter()
            .position(|f| f.eq_ignore_ascii_case(name))
            .ok_or_else(|| format!("Unknown column '{name}' in '{}'", table.name))
    };

    let mut targets = Vec::with_capacity(table.columns.len());
    for column in &table.columns {
        let mapping = mappings
            .iter()
            .find(|(t, _)| t.eq_ignore_ascii_case(&column.name));
        let source = match mapping {
            Some((_, MappingExpr::FieldRef(name))) => TargetSource::Field(field_index(name)?),
            Some((_, MappingExpr::Null)) => TargetSource::Constant(Value::Null),
            Some((_, MappingExpr::Str(s))) => constant(s, &column.ty),
            Some((_, MappingExpr::Int(v))) => constant(&v.to_string(), &column.ty),
            None => match source_fields
                .iter()
                .position(|f| f.eq_ignore_ascii_case(&column.name))
            {
                Some(i) => TargetSource::Field(i),
                None => match &column.default {
                    Some(default) => default_constant(default, &column.ty),
                    None if column.nullable => TargetSource::Constant(Value::Null),
                    None => {
                        return Err(format!(
                            "Column has no default value. column: {}",
                            column.name
                        ))
                    }
                },
            },
        };
        targets.push(source);
    }

    let op = if !is_pk {
        OpSource::Upsert
    } else if let Some((_, expr)) = mappings.iter().find(|(t, _)| t == OP_COLUMN) {
        match expr {
            MappingExpr::Str(s) => match s.to_ascii_lowercase().as_str() {
                "upsert" => OpSource::Upsert,
                "delete" => OpSource::Delete,
                other => return Err(format!("load op type string not supported: {other}")),
            },
            MappingExpr::Int(0) => OpSource::Upsert,
            MappingExpr::Int(1) => OpSource::Delete,
            MappingExpr::FieldRef(name) => OpSource::Field(field_index(name)?),
            MappingExpr::Int(_) | MappingExpr::Null => {
                return Err(
                    "const load op type column should only be upsert(0)/delete(1)".to_string(),
                )
            }
        }
    } else if let Some(i) = source_fields.iter().position(|f| f == OP_COLUMN) {
        OpSource::Field(i)
    } else if is_json {
        OpSource::JsonKey
    } else {
        OpSource::Upsert
    };
    Ok(LoadPlan {
        source_fields,
        targets,
        op,
    })
}

fn constant(text: &str, ty: &ColumnType) -> TargetSource {
    match convert(Field::Text(text.as_bytes()), ty) {
        Ok(v) => TargetSource::Constant(v),
        Err(_) => TargetSource::BadConstant(text.to_string()),
    }
}

fn default_constant(default: &str, ty: &ColumnType) -> TargetSource {
    if default.eq_ignore_ascii_case("CURRENT_TIMESTAMP") || default.eq_ignore_ascii_case("now()") {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        return constant(&unix_to_datetime(now), ty);
    }
    constant(default, ty)
}

/// Formats Unix seconds as `YYYY-MM-DD HH:MM:SS` (UTC).
fn unix_to_datetime(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = i64::try_from(days).unwrap_or(0) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Column, KeysModel};

    fn pk_table() -> Table {
        Table::new(
            "t",
            vec![
                Column::new("id", ColumnType::BigInt, false),
                Column::new("name", ColumnType::Varchar(10), true),
            ],
            KeysModel::PrimaryKeys,
            vec!["id".into()],
        )
    }

    #[test]
    fn header_parsing() {
        let items = parse_columns_header("`id`, `name`,__op").unwrap();
        assert_eq!(
            items,
            vec![
                ColumnItem::Field("id".into()),
                ColumnItem::Field("name".into()),
                ColumnItem::Field("__op".into()),
            ]
        );
        let items = parse_columns_header("id, name, __op = 'delete'").unwrap();
        assert_eq!(
            items[2],
            ColumnItem::Mapping {
                target: "__op".into(),
                expr: MappingExpr::Str("delete".into())
            }
        );
        assert!(parse_columns_header("id, create").is_err());
        assert!(parse_columns_header("id, `create`").is_ok());
        assert!(parse_columns_header("tmp, id = tmp * 100").is_err());
    }

    #[test]
    fn plans() {
        let table = pk_table();
        let p = plan(
            &table,
            &parse_columns_header("id,name,__op").unwrap(),
            false,
        )
        .unwrap();
        assert_eq!(p.op, OpSource::Field(2));
        assert_eq!(
            p.targets,
            vec![TargetSource::Field(0), TargetSource::Field(1)]
        );
        let p = plan(&table, &[], true).unwrap();
        assert_eq!(p.op, OpSource::JsonKey);
        let err = plan(&table, &parse_columns_header("name").unwrap(), false).unwrap_err();
        assert_eq!(err, "Column has no default value. column: id");
        let err = plan(&table, &parse_columns_header("id, x = id").unwrap(), false).unwrap_err();
        assert_eq!(err, "Mapping column is not in table. column: x");
        assert_eq!(unix_to_datetime(0), "1970-01-01 00:00:00");
        assert_eq!(unix_to_datetime(951_782_400), "2000-02-29 00:00:00");
    }
}
