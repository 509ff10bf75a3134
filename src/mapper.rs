//! Turns source row changes into target operations for one routed table.
//!
//! A `TableMapping` knows the target table and the target's columns. For every source schema it
//! meets (the schema changes when DDL is ignored) it computes a `Projection`: which source columns
//! are sent, under which target names, and in which order. Columns are matched **by name, never by
//! position** (case-insensitively, as StarRocks column names are). A source column the target does
//! not have is left out (warned once per schema); a target column the source no longer has is left
//! out of the load (StarRocks keeps its value or default).
//!
//! Invariants:
//! - Every key column of the source is in every projection; if the source loses a key column the
//!   mapping fails with a definite error.
//! - An UPDATE whose key *bytes* change (MySQL may compare `'a'` and `'A'` as equal under a
//!   case-insensitive collation; StarRocks does not) becomes a delete of the old key followed by
//!   an upsert of the new row. Deletes carry the full before-image.

use std::sync::Arc;

use smallvec::SmallVec;

use crate::change::{Row, RowChange};
use crate::error::{Error, Result};
use crate::schema::{TableId, TableSchema};
use crate::value::Value;

pub use crate::sink::Op;

/// Encoded key bytes (see [`key_bytes`]). Keys of up to 24 bytes (one or two integer columns, a
/// short string) are kept inline: no allocation per row, and the batcher's key index compares
/// them without following a pointer.
pub type KeyBytes = SmallVec<[u8; 24]>;

/// One target row operation: values aligned with its projection's `columns`.
#[derive(Debug, Clone, PartialEq)]
pub struct SinkOp {
    pub op: Op,
    /// Encoded key (see [`key_bytes`]); compaction in the batcher is by these bytes.
    pub key: KeyBytes,
    pub values: Row,
}

/// Which source columns are sent and under which target names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Projection {
    /// Target column names in load order (the `columns` header, without `__op`).
    pub columns: Arc<Vec<String>>,
    /// For each entry of `columns`, the index of the source column.
    source_indexes: Vec<usize>,
    /// `source_indexes` is `0..n`: rows are sent as they are (checked once, not per row).
    keeps_every_column: bool,
    /// Source columns that the target does not have (not replicated).
    pub ignored_source_columns: Vec<String>,
}

/// How one source table maps to its target table.
#[derive(Debug, Clone)]
pub struct TableMapping {
    /// The target table.
    pub target: TableId,
    /// The target's column names, as the target spells them.
    target_columns: Vec<String>,
    /// Cache: the last source schema seen and its projection.
    cached: Option<(Arc<TableSchema>, Arc<Projection>)>,
}

impl TableMapping {
    /// A mapping to `target`, whose columns are `target_columns`.
    pub fn new(target: TableId, target_columns: Vec<String>) -> Self {
        TableMapping {
            target,
            target_columns,
            cached: None,
        }
    }

    /// The projection for `schema`, computed once per distinct schema.
    ///
    /// Returns the projection and whether it is new (the caller warns about ignored columns once).
    pub fn projection(&mut self, schema: &Arc<TableSchema>) -> Result<(Arc<Projection>, bool)> {
        if let Some((cached_schema, projection)) = &self.cached {
            if Arc::ptr_eq(cached_schema, schema) || **cached_schema == **schema {
                return Ok((Arc::clone(projection), false));
            }
        }
        let projection = Arc::new(self.compute_projection(schema)?);
        self.cached = Some((Arc::clone(schema), Arc::clone(&projection)));
        Ok((projection, true))
    }

    fn compute_projection(&self, schema: &TableSchema) -> Result<Projection> {
        let mut columns = Vec::new();
        let mut source_indexes = Vec::new();
        let mut ignored_source_columns = Vec::new();
        for (index, column) in schema.columns.iter().enumerate() {
            match self
                .target_columns
                .iter()
                .find(|t| t.eq_ignore_ascii_case(&column.name))
            {
                Some(target_name) => {
                    columns.push(target_name.clone());
                    source_indexes.push(index);
                }
                None => {
                    if schema.key.contains(&index) {
                        return Err(Error::definite(format!(
                            "key column `{}` of source table {} has no column in target {}",
                            column.name, schema.id, self.target
                        ))
                        .with_hint("add the column to the target table"));
                    }
                    ignored_source_columns.push(column.name.clone());
                }
            }
        }
        if schema.key.is_empty() {
            return Err(Error::definite(format!(
                "source table {} has no primary key (or NOT NULL unique key)",
                schema.id
            ))
            .with_hint("add a primary key to the source table or exclude it from source.tables"));
        }
        let keeps_every_column = source_indexes.iter().enumerate().all(|(i, &s)| i == s);
        Ok(Projection {
            columns: Arc::new(columns),
            source_indexes,
            keeps_every_column,
            ignored_source_columns,
        })
    }

    /// Appends the target operations for `change` to `out`.
    pub fn map_change(
        &self,
        schema: &TableSchema,
        projection: &Projection,
        change: RowChange,
        out: &mut Vec<SinkOp>,
    ) -> Result<()> {
        match change {
            RowChange::Insert { after } => {
                let key = key_of(schema, &after)?;
                out.push(project(schema, projection, Op::Upsert, key, after)?)
            }
            RowChange::Delete { before } => {
                let key = key_of(schema, &before)?;
                out.push(project(schema, projection, Op::Delete, key, before)?)
            }
            RowChange::Update {
                before: None,
                after,
            } => {
                let key = key_of(schema, &after)?;
                out.push(project(schema, projection, Op::Upsert, key, after)?)
            }
            RowChange::Update {
                before: Some(before),
                after,
            } => {
                let old_key = key_of(schema, &before)?;
                let new_key = key_of(schema, &after)?;
                if old_key != new_key {
                    out.push(project(schema, projection, Op::Delete, old_key, before)?);
                }
                out.push(project(schema, projection, Op::Upsert, new_key, after)?);
            }
        }
        Ok(())
    }
}

/// The projected values of `row`, whose key bytes (computed by the caller) are `key`.
fn project(
    schema: &TableSchema,
    projection: &Projection,
    op: Op,
    key: KeyBytes,
    row: Row,
) -> Result<SinkOp> {
    if row.len() != schema.columns.len() {
        return Err(Error::definite(format!(
            "row of {} has {} values but the table has {} columns",
            schema.id,
            row.len(),
            schema.columns.len()
        )));
    }
    let values = if projection.keeps_every_column && projection.source_indexes.len() == row.len() {
        row
    } else {
        let mut row = row;
        projection
            .source_indexes
            .iter()
            .map(|&i| std::mem::replace(&mut row[i], Value::Null))
            .collect()
    };
    Ok(SinkOp { op, key, values })
}

fn key_of(schema: &TableSchema, row: &Row) -> Result<KeyBytes> {
    if let Some(&missing) = schema.key.iter().find(|&&i| i >= row.len()) {
        return Err(Error::definite(format!(
            "row of {} lacks key column #{missing}",
            schema.id
        )));
    }
    Ok(key_bytes(schema.key.iter().map(|&i| &row[i])))
}

/// Encodes key values into bytes that are equal exactly when the values are equal byte for byte
/// (type-tagged, length-prefixed). Used for compaction and key-change detection.
pub fn key_bytes<'a>(values: impl IntoIterator<Item = &'a Value>) -> KeyBytes {
    let mut out = KeyBytes::new();
    for value in values {
        match value {
            Value::Null => out.push(0),
            Value::Int(v) => {
                out.push(1);
                out.extend_from_slice(&v.to_be_bytes());
            }
            Value::UInt(v) => {
                out.push(2);
                out.extend_from_slice(&v.to_be_bytes());
            }
            Value::Float(v) => {
                out.push(3);
                out.extend_from_slice(&v.to_bits().to_be_bytes());
            }
            Value::Double(v) => {
                out.push(4);
                out.extend_from_slice(&v.to_bits().to_be_bytes());
            }
            Value::Decimal(s) | Value::Text(s) | Value::Json(s) => {
                out.push(5);
                push_bytes(&mut out, s.as_bytes());
            }
            Value::Bytes(b) => {
                out.push(6);
                push_bytes(&mut out, b);
            }
            Value::Date { year, month, day } => {
                out.push(7);
                out.extend_from_slice(&year.to_be_bytes());
                out.extend_from_slice(&[*month, *day]);
            }
            Value::DateTime {
                year,
                month,
                day,
                hour,
                minute,
                second,
                micro,
            } => {
                out.push(8);
                out.extend_from_slice(&year.to_be_bytes());
                out.extend_from_slice(&[*month, *day, *hour, *minute, *second]);
                out.extend_from_slice(&micro.to_be_bytes());
            }
            Value::Timestamp { micros_since_epoch } => {
                out.push(9);
                out.extend_from_slice(&micros_since_epoch.to_be_bytes());
            }
            Value::Time {
                negative,
                hours,
                minutes,
                seconds,
                micro,
            } => {
                out.push(10);
                out.push(u8::from(*negative));
                out.extend_from_slice(&hours.to_be_bytes());
                out.extend_from_slice(&[*minutes, *seconds]);
                out.extend_from_slice(&micro.to_be_bytes());
            }
            Value::Year(y) => {
                out.push(11);
                out.extend_from_slice(&y.to_be_bytes());
            }
            Value::Bool(b) => {
                out.push(12);
                out.push(u8::from(*b));
            }
        }
    }
    out
}

fn push_bytes(out: &mut KeyBytes, bytes: &[u8]) {
    // Length prefix keeps ("ab","c") and ("a","bc") apart.
    out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
    out.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{ColumnSchema, MySqlType};

    fn column(name: &str) -> ColumnSchema {
        ColumnSchema {
            name: name.to_string(),
            ty: MySqlType::Int,
            unsigned: false,
            nullable: true,
            charset: None,
        }
    }

    fn schema(names: &[&str], key: Vec<usize>) -> Arc<TableSchema> {
        Arc::new(TableSchema {
            id: TableId::new("shop", "orders"),
            columns: names.iter().map(|n| column(n)).collect(),
            key,
        })
    }

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn columns_are_matched_by_name_not_position() {
        let mut mapping = TableMapping::new(
            TableId::new("ods", "orders"),
            vec!["ID".into(), "name".into(), "price".into()],
        );
        // The source gained a column `note` in the middle (an ignored ADD COLUMN).
        let s = schema(&["id", "note", "name", "price"], vec![0]);
        let (projection, new) = mapping.projection(&s).unwrap();
        assert!(new);
        assert_eq!(*projection.columns, vec!["ID", "name", "price"]);
        assert_eq!(projection.ignored_source_columns, vec!["note"]);
        let mut out = Vec::new();
        mapping
            .map_change(
                &s,
                &projection,
                RowChange::Insert {
                    after: vec![Value::Int(1), text("n"), text("x"), text("9")],
                },
                &mut out,
            )
            .unwrap();
        assert_eq!(out[0].values, vec![Value::Int(1), text("x"), text("9")]);
        let (_, new) = mapping.projection(&s).unwrap();
        assert!(!new, "projection is cached per schema");
    }

    #[test]
    fn dropped_source_column_is_left_out_of_loads() {
        let mut mapping = TableMapping::new(
            TableId::new("ods", "t"),
            vec!["id".into(), "a".into(), "b".into()],
        );
        let s = schema(&["id", "b"], vec![0]);
        let (projection, _) = mapping.projection(&s).unwrap();
        assert_eq!(*projection.columns, vec!["id", "b"]);
    }

    #[test]
    fn missing_key_column_in_target_is_definite() {
        let mut mapping = TableMapping::new(TableId::new("ods", "t"), vec!["a".into()]);
        let s = schema(&["id", "a"], vec![0]);
        let err = mapping.projection(&s).unwrap_err();
        assert!(!err.is_transient());
        assert!(err.message.contains("key column `id`"), "{err}");
    }

    #[test]
    fn key_change_is_delete_then_upsert_judged_on_bytes() {
        let mut mapping = TableMapping::new(TableId::new("ods", "t"), vec!["k".into(), "v".into()]);
        let s = schema(&["k", "v"], vec![0]);
        let (projection, _) = mapping.projection(&s).unwrap();
        let mut out = Vec::new();
        // 'a' -> 'A' is "equal" under a case-insensitive collation, but a different key here.
        mapping
            .map_change(
                &s,
                &projection,
                RowChange::Update {
                    before: Some(vec![text("a"), Value::Int(1)]),
                    after: vec![text("A"), Value::Int(1)],
                },
                &mut out,
            )
            .unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].op, Op::Delete);
        assert_eq!(out[0].values[0], text("a"));
        assert_eq!(out[1].op, Op::Upsert);
        assert_eq!(out[1].values[0], text("A"));

        out.clear();
        mapping
            .map_change(
                &s,
                &projection,
                RowChange::Update {
                    before: Some(vec![text("a"), Value::Int(1)]),
                    after: vec![text("a"), Value::Int(2)],
                },
                &mut out,
            )
            .unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].op, Op::Upsert);
    }

    #[test]
    fn key_bytes_separate_composite_boundaries_and_types() {
        assert_ne!(
            key_bytes([&text("ab"), &text("c")]),
            key_bytes([&text("a"), &text("bc")])
        );
        assert_ne!(key_bytes([&Value::Int(1)]), key_bytes([&Value::UInt(1)]));
        assert_eq!(key_bytes([&Value::Int(7)]), key_bytes([&Value::Int(7)]));
    }
}
