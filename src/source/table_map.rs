//! What a TABLE_MAP event says about its table, and matching it with `information_schema`.
//!
//! With `binlog_row_metadata=FULL` the TABLE_MAP carries column names, signedness, ENUM/SET
//! labels, character sets and the primary key; with MINIMAL only types and type metadata.
//! [`resolve`] builds the `TableSchema` rows are decoded with: columns in TABLE_MAP order. When
//! the TABLE_MAP has names, each column is matched by name to `information_schema` (for its
//! character set and nullability); a column the table no longer has, or has with another type
//! (the binlog is older than the current schema), is described from the TABLE_MAP alone. Without
//! names, columns are taken positionally from `information_schema` after checking count and
//! types. The key always comes from `information_schema`, by name.
//! Invariant: a TABLE_MAP without names that does not match the schema is reported as a mismatch
//! (the caller refreshes the schema, then fails) — values are never decoded into the wrong
//! columns.

use mysql_async::binlog::events::{OptionalMetaExtractor, OptionalMetadataField, TableMapEvent};
use mysql_async::consts::ColumnType;

use crate::schema::{ColumnSchema, MySqlType, TableId, TableSchema};

/// One column as the TABLE_MAP describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedColumn {
    pub name: Option<String>,
    pub ty: ColumnType,
    pub meta: Vec<u8>,
    /// From the SIGNEDNESS metadata (numeric columns, FULL metadata only).
    pub unsigned: Option<bool>,
    /// Collation id (character, ENUM and SET columns, FULL metadata only).
    pub collation: Option<u16>,
    /// ENUM/SET labels (FULL metadata only).
    pub labels: Option<Vec<String>>,
}

/// The content of one TABLE_MAP event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableMap {
    pub table: TableId,
    pub columns: Vec<MappedColumn>,
    /// Column indexes of the primary key, when the metadata carries it.
    pub primary_key: Option<Vec<usize>>,
}

impl TableMap {
    /// Reads a TABLE_MAP event. `Err` describes malformed metadata.
    pub fn from_event(tme: &TableMapEvent<'_>) -> Result<Self, String> {
        let table = TableId::new(tme.database_name(), tme.table_name());
        let count = usize::try_from(tme.columns_count()).map_err(|_| "too many columns")?;
        let extractor = OptionalMetaExtractor::new(tme.iter_optional_meta())
            .map_err(|error| format!("{table}: bad TABLE_MAP metadata: {error}"))?;
        let mut signedness = extractor.iter_signedness();
        let mut charsets = extractor.iter_charset();
        let mut enum_set_charsets = extractor.iter_enum_and_set_charset();
        let mut names = extractor.iter_column_name();

        let mut enum_labels: Vec<Vec<String>> = Vec::new();
        let mut set_labels: Vec<Vec<String>> = Vec::new();
        for field in tme.iter_optional_meta() {
            match field.map_err(|error| format!("{table}: bad TABLE_MAP metadata: {error}"))? {
                OptionalMetadataField::EnumStrValue(values) => {
                    for column in values.iter_values() {
                        let column =
                            column.map_err(|e| format!("{table}: bad ENUM labels: {e}"))?;
                        enum_labels.push(
                            column
                                .values()
                                .iter()
                                .map(|v| v.value().into_owned())
                                .collect(),
                        );
                    }
                }
                OptionalMetadataField::SetStrValue(values) => {
                    for column in values.iter_values() {
                        let column = column.map_err(|e| format!("{table}: bad SET labels: {e}"))?;
                        set_labels.push(
                            column
                                .values()
                                .iter()
                                .map(|v| v.value().into_owned())
                                .collect(),
                        );
                    }
                }
                _ => {}
            }
        }
        let mut enum_labels = enum_labels.into_iter();
        let mut set_labels = set_labels.into_iter();

        let mut columns = Vec::with_capacity(count);
        for index in 0..count {
            let ty = match tme.get_column_type(index) {
                Ok(Some(ty)) => ty,
                Ok(None) => return Err(format!("{table}: TABLE_MAP lacks column {index}")),
                Err(error) => return Err(format!("{table}: column {index}: {error}")),
            };
            let meta = tme
                .get_column_metadata(index)
                .ok_or_else(|| format!("{table}: TABLE_MAP metadata of column {index} unreadable"))?
                .to_vec();
            let unsigned = if ty.is_numeric_type() {
                signedness.next()
            } else {
                None
            };
            let collation = if ty.is_character_type() {
                charsets
                    .next()
                    .transpose()
                    .map_err(|e| format!("{table}: {e}"))?
            } else if ty.is_enum_or_set_type() {
                enum_set_charsets
                    .next()
                    .transpose()
                    .map_err(|e| format!("{table}: {e}"))?
            } else {
                None
            };
            let labels = match ty {
                ColumnType::MYSQL_TYPE_ENUM => enum_labels.next(),
                ColumnType::MYSQL_TYPE_SET => set_labels.next(),
                _ => None,
            };
            let name = names
                .next()
                .transpose()
                .map_err(|e| format!("{table}: bad column names: {e}"))?
                .map(|n| n.name().into_owned());
            columns.push(MappedColumn {
                name,
                ty,
                meta,
                unsigned,
                collation,
                labels,
            });
        }
        let primary_key = {
            let mut key = Vec::new();
            for index in extractor.iter_primary_key() {
                let index = index.map_err(|e| format!("{table}: bad primary key metadata: {e}"))?;
                key.push(usize::try_from(index).map_err(|_| "bad primary key index")?);
            }
            (!key.is_empty()).then_some(key)
        };
        Ok(TableMap {
            table,
            columns,
            primary_key,
        })
    }

    /// Whether the TABLE_MAP carries column names (`binlog_row_metadata=FULL`).
    pub fn has_names(&self) -> bool {
        !self.columns.is_empty() && self.columns.iter().all(|c| c.name.is_some())
    }
}

/// Builds the schema rows of `map` are decoded with, from `info` (`information_schema`).
/// `Err` explains the mismatch.
pub fn resolve(map: &TableMap, info: &TableSchema) -> Result<TableSchema, String> {
    let mut columns = Vec::with_capacity(map.columns.len());
    if map.has_names() {
        // The TABLE_MAP describes the rows that follow it, even when the table has changed
        // since they were written (the daemon lags behind a DROP/MODIFY COLUMN): a column that
        // `information_schema` no longer has, or has with another type, is described by the
        // TABLE_MAP's own metadata.
        for (index, mapped) in map.columns.iter().enumerate() {
            let name = mapped.name.as_deref().unwrap_or_default();
            match info.columns.iter().find(|c| c.name == name) {
                Some(column) if check_column(mapped, column).is_ok() => {
                    columns.push(column.clone())
                }
                _ => columns.push(column_from_mapped(map, index, mapped)?),
            }
        }
    } else {
        if map.columns.len() != info.columns.len() {
            return Err(format!(
                "the binlog has {} columns, information_schema {}",
                map.columns.len(),
                info.columns.len()
            ));
        }
        for (mapped, column) in map.columns.iter().zip(&info.columns) {
            check_column(mapped, column)?;
            columns.push(column.clone());
        }
    }
    let key = info
        .key_names()
        .iter()
        .map(|name| {
            columns
                .iter()
                .position(|c| c.name == *name)
                .ok_or_else(|| format!("key column {name} is not in the binlog's columns"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if key.is_empty() {
        return Err("no key".into());
    }
    if let Some(binlog_key) = &map.primary_key {
        // With FULL metadata the binlog names the primary key: it must agree (when the table's
        // key is its primary key; a NOT NULL unique key is never in the binlog).
        if binlog_key.len() == key.len() && binlog_key != &key {
            return Err(format!(
                "the binlog's primary key {binlog_key:?} differs from {key:?}"
            ));
        }
    }
    Ok(TableSchema {
        id: info.id.clone(),
        columns,
        key,
    })
}

fn check_column(mapped: &MappedColumn, column: &ColumnSchema) -> Result<(), String> {
    if !type_matches(mapped, &column.ty) {
        return Err(format!(
            "column {}: binlog type {:?} does not match {:?}",
            column.name, mapped.ty, column.ty
        ));
    }
    if let Some(unsigned) = mapped.unsigned {
        if column.ty.is_integer() && unsigned != column.unsigned {
            return Err(format!("column {}: signedness differs", column.name));
        }
    }
    if let (Some(labels), MySqlType::Enum { labels: known } | MySqlType::Set { labels: known }) =
        (&mapped.labels, &column.ty)
    {
        if labels != known {
            return Err(format!("column {}: ENUM/SET labels differ", column.name));
        }
    }
    Ok(())
}

/// Whether a binlog column type can hold values of `ty`.
fn type_matches(mapped: &MappedColumn, ty: &MySqlType) -> bool {
    use ColumnType as C;
    use MySqlType as T;
    let meta = &mapped.meta;
    match (mapped.ty, ty) {
        (C::MYSQL_TYPE_TINY, T::TinyInt)
        | (C::MYSQL_TYPE_SHORT, T::SmallInt)
        | (C::MYSQL_TYPE_INT24, T::MediumInt)
        | (C::MYSQL_TYPE_LONG, T::Int)
        | (C::MYSQL_TYPE_LONGLONG, T::BigInt)
        | (C::MYSQL_TYPE_FLOAT, T::Float)
        | (C::MYSQL_TYPE_DOUBLE, T::Double)
        | (
            C::MYSQL_TYPE_VARCHAR | C::MYSQL_TYPE_VAR_STRING,
            T::VarChar { .. } | T::VarBinary { .. },
        )
        | (C::MYSQL_TYPE_STRING, T::Char { .. })
        | (C::MYSQL_TYPE_ENUM, T::Enum { .. })
        | (C::MYSQL_TYPE_SET, T::Set { .. })
        | (
            C::MYSQL_TYPE_BLOB
            | C::MYSQL_TYPE_TINY_BLOB
            | C::MYSQL_TYPE_MEDIUM_BLOB
            | C::MYSQL_TYPE_LONG_BLOB,
            T::Text | T::Blob,
        )
        | (C::MYSQL_TYPE_JSON, T::Json)
        | (C::MYSQL_TYPE_DATE | C::MYSQL_TYPE_NEWDATE, T::Date)
        | (C::MYSQL_TYPE_DATETIME | C::MYSQL_TYPE_DATETIME2, T::DateTime { .. })
        | (C::MYSQL_TYPE_TIMESTAMP | C::MYSQL_TYPE_TIMESTAMP2, T::Timestamp { .. })
        | (C::MYSQL_TYPE_TIME | C::MYSQL_TYPE_TIME2, T::Time { .. })
        | (C::MYSQL_TYPE_YEAR, T::Year)
        | (C::MYSQL_TYPE_GEOMETRY, T::Geometry)
        | (C::MYSQL_TYPE_VECTOR, T::Vector { .. }) => true,
        (C::MYSQL_TYPE_STRING, T::Binary { length }) => {
            string_length(meta).is_none_or(|n| n == *length as usize)
        }
        (C::MYSQL_TYPE_NEWDECIMAL, T::Decimal { precision, scale }) => {
            meta.len() >= 2 && meta[0] == *precision && meta[1] == *scale
        }
        (C::MYSQL_TYPE_BIT, T::Bit { width }) => {
            meta.len() >= 2
                && usize::from(meta[1]) * 8 + usize::from(meta[0]) == usize::from(*width)
        }
        _ => false,
    }
}

/// Byte length of a `MYSQL_TYPE_STRING` column from its metadata.
fn string_length(meta: &[u8]) -> Option<usize> {
    let (byte0, byte1) = (usize::from(*meta.first()?), usize::from(*meta.get(1)?));
    if byte0 & 0x30 != 0x30 {
        Some(byte1 | (((byte0 & 0x30) ^ 0x30) << 4))
    } else {
        Some(byte1)
    }
}

/// MySQL collation id → character set name, for schemas built from the binlog alone.
fn charset_of_collation(id: u16) -> &'static str {
    match id {
        63 => "binary",
        5 | 8 | 15 | 31 | 47 | 48 | 49 | 94 => "latin1",
        11 | 65 => "ascii",
        33 | 76 | 83 | 192..=215 | 223 => "utf8mb3",
        _ => "utf8mb4",
    }
}

/// A schema from the TABLE_MAP alone (no server to ask): for reading binlog files. Names are
/// `@N` without FULL metadata; the key is the binlog's primary key, else every column.
pub fn schema_from_table_map(map: &TableMap) -> Result<TableSchema, String> {
    let columns = map
        .columns
        .iter()
        .enumerate()
        .map(|(index, mapped)| column_from_mapped(map, index, mapped))
        .collect::<Result<Vec<_>, _>>()?;
    let key = map
        .primary_key
        .clone()
        .unwrap_or_else(|| (0..columns.len()).collect());
    Ok(TableSchema {
        id: map.table.clone(),
        columns,
        key,
    })
}

/// One column as the TABLE_MAP alone describes it: named `@N` without FULL metadata, nullable,
/// character set from the collation (utf8mb4 when unknown).
fn column_from_mapped(
    map: &TableMap,
    index: usize,
    mapped: &MappedColumn,
) -> Result<ColumnSchema, String> {
    use ColumnType as C;
    {
        let meta = &mapped.meta;
        let binary = mapped.collation == Some(63);
        let meta_u16 = || {
            usize::from(meta.first().copied().unwrap_or(0))
                | usize::from(meta.get(1).copied().unwrap_or(0)) << 8
        };
        let ty = match mapped.ty {
            C::MYSQL_TYPE_TINY => MySqlType::TinyInt,
            C::MYSQL_TYPE_SHORT => MySqlType::SmallInt,
            C::MYSQL_TYPE_INT24 => MySqlType::MediumInt,
            C::MYSQL_TYPE_LONG => MySqlType::Int,
            C::MYSQL_TYPE_LONGLONG => MySqlType::BigInt,
            C::MYSQL_TYPE_FLOAT => MySqlType::Float,
            C::MYSQL_TYPE_DOUBLE => MySqlType::Double,
            C::MYSQL_TYPE_NEWDECIMAL => MySqlType::Decimal {
                precision: meta.first().copied().unwrap_or(10),
                scale: meta.get(1).copied().unwrap_or(0),
            },
            C::MYSQL_TYPE_VARCHAR | C::MYSQL_TYPE_VAR_STRING if binary => MySqlType::VarBinary {
                length: meta_u16() as u32,
            },
            C::MYSQL_TYPE_VARCHAR | C::MYSQL_TYPE_VAR_STRING => MySqlType::VarChar {
                length: meta_u16() as u32,
            },
            C::MYSQL_TYPE_STRING if binary => MySqlType::Binary {
                length: string_length(meta).unwrap_or(0) as u32,
            },
            C::MYSQL_TYPE_STRING => MySqlType::Char {
                length: string_length(meta).unwrap_or(0) as u32,
            },
            C::MYSQL_TYPE_ENUM => MySqlType::Enum {
                labels: mapped.labels.clone().unwrap_or_default(),
            },
            C::MYSQL_TYPE_SET => MySqlType::Set {
                labels: mapped.labels.clone().unwrap_or_default(),
            },
            C::MYSQL_TYPE_BLOB
            | C::MYSQL_TYPE_TINY_BLOB
            | C::MYSQL_TYPE_MEDIUM_BLOB
            | C::MYSQL_TYPE_LONG_BLOB => {
                if binary || mapped.collation.is_none() {
                    MySqlType::Blob
                } else {
                    MySqlType::Text
                }
            }
            C::MYSQL_TYPE_JSON => MySqlType::Json,
            C::MYSQL_TYPE_DATE | C::MYSQL_TYPE_NEWDATE => MySqlType::Date,
            C::MYSQL_TYPE_DATETIME | C::MYSQL_TYPE_DATETIME2 => MySqlType::DateTime {
                fsp: meta.first().copied().unwrap_or(0),
            },
            C::MYSQL_TYPE_TIMESTAMP | C::MYSQL_TYPE_TIMESTAMP2 => MySqlType::Timestamp {
                fsp: meta.first().copied().unwrap_or(0),
            },
            C::MYSQL_TYPE_TIME | C::MYSQL_TYPE_TIME2 => MySqlType::Time {
                fsp: meta.first().copied().unwrap_or(0),
            },
            C::MYSQL_TYPE_YEAR => MySqlType::Year,
            C::MYSQL_TYPE_BIT => MySqlType::Bit {
                width: meta
                    .get(1)
                    .copied()
                    .unwrap_or(0)
                    .saturating_mul(8)
                    .saturating_add(meta.first().copied().unwrap_or(0)),
            },
            C::MYSQL_TYPE_GEOMETRY => MySqlType::Geometry,
            C::MYSQL_TYPE_VECTOR => MySqlType::Vector { dimensions: 0 },
            other => {
                return Err(format!(
                    "{}: column {index} has unsupported type {other:?}",
                    map.table
                ))
            }
        };
        let is_text = matches!(
            ty,
            MySqlType::Char { .. } | MySqlType::VarChar { .. } | MySqlType::Text
        );
        Ok(ColumnSchema {
            name: mapped.name.clone().unwrap_or_else(|| format!("@{index}")),
            ty,
            unsigned: mapped.unsigned.unwrap_or(false),
            nullable: true,
            charset: is_text.then(|| {
                mapped
                    .collation
                    .map_or("utf8mb4", charset_of_collation)
                    .to_owned()
            }),
        })
    }
}
