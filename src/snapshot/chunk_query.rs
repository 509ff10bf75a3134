//! The SQL of one snapshot chunk: `SELECT cols FROM t WHERE <filter> AND <split range> AND
//! <key after the last loaded row> ORDER BY key LIMIT n`.
//!
//! Keyset paging, never `OFFSET`: each chunk starts strictly after the key of the previous
//! chunk's last row, so rows inserted or deleted meanwhile never shift a chunk boundary (what
//! changes after the recorded binlog position is replayed from the binlog anyway).
//!
//! Invariants:
//! - The key comparison is done by the server with the column's own type and collation, the same
//!   rules it sorts by, so no row is skipped or read twice at a boundary: integers, DECIMAL and
//!   YEAR as exact numeric literals, strings as `_utf8mb4 X'..'` (a coercible literal: the
//!   column's collation wins), binary strings as `X'..'`, temporal values as quoted text, ENUM
//!   and SET by their index / bitmask (the order `ORDER BY` uses).
//! - Every value spliced into the SQL is validated or hex-encoded: no injection from data.

use crate::schema::{ColumnSchema, MySqlType, TableId};

/// A range of the split column: `from` inclusive, `to` exclusive, `None` unbounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitRange<'a> {
    /// The integer column the table is split on.
    pub column: &'a ColumnSchema,
    /// Inclusive lower bound (decimal text).
    pub from: Option<&'a str>,
    /// Exclusive upper bound (decimal text).
    pub to: Option<&'a str>,
}

/// What one chunk reads.
#[derive(Debug, Clone)]
pub struct ChunkQuery<'a> {
    /// The source table.
    pub table: &'a TableId,
    /// The columns read, in result order.
    pub columns: &'a [ColumnSchema],
    /// Indexes (into `columns`) of the key, in key order.
    pub key: &'a [usize],
    /// `snapshot.tables."db.t".where`.
    pub filter: Option<&'a str>,
    /// The split this chunk belongs to (`None`: the whole table).
    pub range: Option<SplitRange<'a>>,
    /// The key of the last row already read (raw text of each key column, as the server printed
    /// it); `None` for the first chunk.
    pub after: Option<&'a [Vec<u8>]>,
    /// Rows per chunk.
    pub limit: usize,
}

impl ChunkQuery<'_> {
    /// The SELECT statement. `Err` names a key value that cannot be compared safely.
    pub fn sql(&self) -> Result<String, String> {
        let list = self
            .columns
            .iter()
            .map(|c| quote(&c.name))
            .collect::<Vec<_>>()
            .join(", ");
        let mut conditions = Vec::new();
        if let Some(filter) = self.filter {
            conditions.push(format!("({filter})"));
        }
        if let Some(range) = &self.range {
            let column = quote(&range.column.name);
            if let Some(from) = range.from {
                conditions.push(format!("{column} >= {}", integer_literal(from)?));
            }
            if let Some(to) = range.to {
                let below = format!("{column} < {}", integer_literal(to)?);
                // NULLs of a nullable split column belong to the first split.
                if range.from.is_none() && range.column.nullable {
                    conditions.push(format!("({below} OR {column} IS NULL)"));
                } else {
                    conditions.push(below);
                }
            }
        }
        if let Some(after) = self.after {
            conditions.push(self.after_condition(after)?);
        }
        let order = self
            .key
            .iter()
            .map(|&i| quote(&self.columns[i].name))
            .collect::<Vec<_>>()
            .join(", ");
        let mut sql = format!(
            "SELECT {list} FROM {}.{}",
            quote(&self.table.db),
            quote(&self.table.table)
        );
        if !conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
        }
        sql.push_str(&format!(" ORDER BY {order} LIMIT {}", self.limit));
        Ok(sql)
    }

    /// `(k1 > v1 OR (k1 = v1 AND (k2 > v2 OR (k2 = v2 AND k3 > v3))))`.
    fn after_condition(&self, after: &[Vec<u8>]) -> Result<String, String> {
        if after.len() != self.key.len() {
            return Err(format!(
                "the saved key has {} values, the table's key {} columns",
                after.len(),
                self.key.len()
            ));
        }
        let mut condition = String::new();
        for (position, (&index, raw)) in self.key.iter().zip(after).enumerate().rev() {
            let column = &self.columns[index];
            let name = quote(&column.name);
            let value = key_literal(column, raw)?;
            condition = if position + 1 == self.key.len() {
                format!("{name} > {value}")
            } else {
                format!("({name} > {value} OR ({name} = {value} AND {condition}))")
            };
        }
        Ok(format!("({condition})"))
    }
}

/// A SQL literal for a key value of `column`, from the text the server printed for it.
pub fn key_literal(column: &ColumnSchema, raw: &[u8]) -> Result<String, String> {
    use MySqlType as T;
    let text = || {
        std::str::from_utf8(raw)
            .map_err(|_| format!("key column {}: the value is not text", column.name))
    };
    let checked = |allowed: &dyn Fn(char) -> bool| -> Result<String, String> {
        let text = text()?;
        if text.is_empty() || !text.chars().all(allowed) {
            return Err(format!(
                "key column {}: unexpected value {text:?}",
                column.name
            ));
        }
        Ok(text.to_string())
    };
    match &column.ty {
        T::TinyInt | T::SmallInt | T::MediumInt | T::Int | T::BigInt | T::Year => {
            checked(&|c| c.is_ascii_digit() || c == '-')
        }
        T::Decimal { .. } => checked(&|c| c.is_ascii_digit() || c == '-' || c == '.'),
        T::Float | T::Double => {
            let text = checked(&|c| c.is_ascii_digit() || "-+.eE".contains(c))?;
            text.parse::<f64>()
                .map_err(|_| format!("key column {}: bad number {text:?}", column.name))?;
            Ok(text)
        }
        T::Char { .. } | T::VarChar { .. } | T::Text => Ok(format!("_utf8mb4 X'{}'", hex(raw))),
        T::Binary { .. } | T::VarBinary { .. } | T::Blob => Ok(format!("X'{}'", hex(raw))),
        T::Date | T::DateTime { .. } | T::Timestamp { .. } | T::Time { .. } => {
            let text = checked(&|c| c.is_ascii_digit() || "-:. ".contains(c))?;
            Ok(format!("'{text}'"))
        }
        T::Enum { labels } => {
            let text = text()?;
            let index = labels.iter().position(|l| l == text).map_or(0, |i| i + 1);
            Ok(index.to_string())
        }
        T::Set { labels } => {
            let text = text()?;
            let mut bits: u64 = 0;
            for member in text.split(',').filter(|m| !m.is_empty()) {
                let index = labels.iter().position(|l| l == member).ok_or_else(|| {
                    format!("key column {}: unknown SET member {member:?}", column.name)
                })?;
                bits |= 1u64 << index;
            }
            Ok(bits.to_string())
        }
        T::Bit { .. } => Ok(format!("(X'{}' + 0)", hex(raw))),
        other => Err(format!(
            "key column {} has type {other:?}, which cannot be paged",
            column.name
        )),
    }
}

/// An integer literal from decimal text (a split bound).
fn integer_literal(text: &str) -> Result<String, String> {
    text.parse::<i128>()
        .map(|n| n.to_string())
        .map_err(|_| format!("bad split bound {text:?}"))
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// Bytes from lowercase or uppercase hex.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A MySQL identifier in backquotes.
fn quote(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, ty: MySqlType) -> ColumnSchema {
        ColumnSchema {
            name: name.into(),
            ty,
            unsigned: false,
            nullable: false,
            charset: None,
        }
    }

    #[test]
    fn first_chunk_of_a_whole_table() {
        let table = TableId::new("shop", "or`ders");
        let columns = vec![
            column("id", MySqlType::BigInt),
            column("v", MySqlType::Text),
        ];
        let query = ChunkQuery {
            table: &table,
            columns: &columns,
            key: &[0],
            filter: None,
            range: None,
            after: None,
            limit: 100,
        };
        assert_eq!(
            query.sql().unwrap(),
            "SELECT `id`, `v` FROM `shop`.`or``ders` ORDER BY `id` LIMIT 100"
        );
    }

    #[test]
    fn composite_key_after_the_last_row_within_a_range() {
        let table = TableId::new("d", "t");
        let mut split = column("a", MySqlType::Int);
        split.nullable = true;
        let columns = vec![
            split.clone(),
            column("b", MySqlType::VarChar { length: 10 }),
            column("c", MySqlType::DateTime { fsp: 6 }),
        ];
        let after = vec![
            b"-5".to_vec(),
            b"x'y".to_vec(),
            b"2024-01-02 03:04:05.000006".to_vec(),
        ];
        let query = ChunkQuery {
            table: &table,
            columns: &columns,
            key: &[0, 1, 2],
            filter: Some("c > '2020-01-01'"),
            range: Some(SplitRange {
                column: &split,
                from: None,
                to: Some("100"),
            }),
            after: Some(&after),
            limit: 10,
        };
        assert_eq!(
            query.sql().unwrap(),
            "SELECT `a`, `b`, `c` FROM `d`.`t` WHERE (c > '2020-01-01') AND (`a` < 100 OR `a` IS NULL) \
             AND ((`a` > -5 OR (`a` = -5 AND (`b` > _utf8mb4 X'782779' OR (`b` = _utf8mb4 X'782779' \
             AND `c` > '2024-01-02 03:04:05.000006'))))) ORDER BY `a`, `b`, `c` LIMIT 10"
        );
    }

    #[test]
    fn literals_refuse_what_is_not_their_type() {
        let int = column("id", MySqlType::Int);
        assert!(key_literal(&int, b"1 OR 1=1").is_err());
        assert!(key_literal(&int, b"").is_err());
        let date = column("d", MySqlType::Date);
        assert!(key_literal(&date, b"2024-01-01' OR '1").is_err());
        let dec = column(
            "x",
            MySqlType::Decimal {
                precision: 65,
                scale: 30,
            },
        );
        assert_eq!(
            key_literal(&dec, b"-1.000000000000000000000000000001").unwrap(),
            "-1.000000000000000000000000000001"
        );
        let bin = column("b", MySqlType::Binary { length: 2 });
        assert_eq!(key_literal(&bin, &[0, 0xff]).unwrap(), "X'00ff'");
        let json = column("j", MySqlType::Json);
        assert!(key_literal(&json, b"{}").is_err());
    }

    #[test]
    fn enum_and_set_compare_by_position() {
        let labels = vec!["b".to_string(), "a".to_string(), "c".to_string()];
        let e = column(
            "e",
            MySqlType::Enum {
                labels: labels.clone(),
            },
        );
        assert_eq!(key_literal(&e, b"a").unwrap(), "2");
        let s = column("s", MySqlType::Set { labels });
        assert_eq!(key_literal(&s, b"b,c").unwrap(), "5");
        assert!(key_literal(&s, b"z").is_err());
    }

    #[test]
    fn hex_round_trips() {
        let bytes = vec![0u8, 1, 0x7f, 0x80, 0xff];
        assert_eq!(unhex(&hex(&bytes)), Some(bytes));
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("zz"), None);
    }
}
