//! Cutting a table into splits that chunk readers copy in parallel.
//!
//! A table is split on one integer column (`snapshot.tables."db.t".split_pk`, else the first key
//! column when it is an integer): its `[MIN, MAX]` is cut into equal ranges, about one per
//! `chunk_rows` estimated rows, at most four per reader. Any other table is one split.
//!
//! Invariants: the splits cover the whole column — the first is unbounded below (and holds the
//! NULLs of a nullable split column), the last unbounded above — and do not overlap, so every
//! row belongs to exactly one split. The plan is saved before copying starts and reused on
//! restart, so progress saved per split stays meaningful.

use mysql_async::prelude::Queryable;
use mysql_async::Conn;

use crate::checkpoint::SplitProgress;
use crate::error::{Error, Result};
use crate::schema::{ColumnSchema, TableId};
use crate::source::connect::classify;

/// Splits per reader at most (more splits than readers balance uneven ranges).
const SPLITS_PER_READER: u64 = 4;

/// The column a table can be split on, if any: integer typed.
pub fn split_column<'a>(
    columns: &'a [ColumnSchema],
    key: &[usize],
    split_pk: Option<&str>,
) -> Option<&'a ColumnSchema> {
    let column = match split_pk {
        Some(name) => columns.iter().find(|c| c.name.eq_ignore_ascii_case(name))?,
        None => columns.get(*key.first()?)?,
    };
    column.ty.is_integer().then_some(column)
}

/// The server's estimate of the table's row count (`information_schema.TABLES.TABLE_ROWS`).
pub async fn estimate_rows(conn: &mut Conn, table: &TableId) -> Result<Option<u64>> {
    let rows: Option<Option<u64>> = conn
        .exec_first(
            "SELECT TABLE_ROWS FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
            (&table.db, &table.table),
        )
        .await
        .map_err(|e| classify(e).context(format!("estimating the rows of {table}")))?;
    Ok(rows.flatten())
}

/// Plans the splits of `table`: several ranges of `column` when it is worth it, else one split.
pub async fn plan(
    conn: &mut Conn,
    table: &TableId,
    column: Option<&ColumnSchema>,
    filter: Option<&str>,
    estimated_rows: Option<u64>,
    chunk_rows: usize,
    readers: usize,
) -> Result<Vec<SplitProgress>> {
    let whole = vec![SplitProgress::default()];
    let Some(column) = column else {
        return Ok(whole);
    };
    let estimated = estimated_rows.unwrap_or(0);
    let wanted = estimated
        .div_ceil(chunk_rows.max(1) as u64)
        .min(readers as u64 * SPLITS_PER_READER);
    if readers <= 1 || wanted < 2 {
        return Ok(whole);
    }
    let name = format!("`{}`", column.name.replace('`', "``"));
    let mut sql = format!(
        "SELECT CAST(MIN({name}) AS CHAR), CAST(MAX({name}) AS CHAR) FROM `{}`.`{}`",
        table.db.replace('`', "``"),
        table.table.replace('`', "``")
    );
    if let Some(filter) = filter {
        sql.push_str(&format!(" WHERE ({filter})"));
    }
    let bounds: Option<(Option<String>, Option<String>)> = conn
        .query_first(sql)
        .await
        .map_err(|e| classify(e).context(format!("reading the key range of {table}")))?;
    let (Some(Some(min)), Some(Some(max))) = (
        bounds.as_ref().map(|b| b.0.clone()),
        bounds.as_ref().map(|b| b.1.clone()),
    ) else {
        return Ok(whole);
    };
    let (min, max) = match (min.parse::<i128>(), max.parse::<i128>()) {
        (Ok(min), Ok(max)) => (min, max),
        _ => {
            return Err(Error::definite(format!(
                "{table}: the range of {} is not integer ({min}, {max})",
                column.name
            )))
        }
    };
    let cuts = boundaries(min, max, wanted);
    if cuts.is_empty() {
        return Ok(whole);
    }
    let mut splits = Vec::with_capacity(cuts.len() + 1);
    let mut from: Option<String> = None;
    for cut in cuts {
        let to = cut.to_string();
        splits.push(SplitProgress {
            from: from.take(),
            to: Some(to.clone()),
            ..SplitProgress::default()
        });
        from = Some(to);
    }
    splits.push(SplitProgress {
        from,
        ..SplitProgress::default()
    });
    Ok(splits)
}

/// The `parts - 1` inner cut points that divide `[min, max]` into `parts` ranges of about equal
/// width, strictly increasing and inside `(min, max]`. Fewer when the range is narrow.
pub fn boundaries(min: i128, max: i128, parts: u64) -> Vec<i128> {
    if parts < 2 || max <= min {
        return Vec::new();
    }
    let width = max - min + 1;
    let mut cuts: Vec<i128> = Vec::new();
    for i in 1..i128::from(parts) {
        let cut = min + width * i / i128::from(parts);
        if cut > min && cut <= max && cuts.last().is_none_or(|last| cut > *last) {
            cuts.push(cut);
        }
    }
    cuts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::MySqlType;

    #[test]
    fn boundaries_cut_evenly_and_stay_inside() {
        assert_eq!(boundaries(1, 100, 4), vec![26, 51, 76]);
        assert_eq!(boundaries(0, 1, 8), vec![1]);
        assert!(boundaries(5, 5, 4).is_empty());
        assert!(boundaries(1, 100, 1).is_empty());
        let wide = boundaries(i128::from(i64::MIN), i128::from(i64::MAX), 3);
        assert_eq!(wide.len(), 2);
        assert!(wide[0] < wide[1]);
        let unsigned = boundaries(0, i128::from(u64::MAX), 2);
        assert_eq!(unsigned, vec![1i128 << 63]);
    }

    #[test]
    fn split_column_is_an_integer() {
        let int = ColumnSchema {
            name: "id".into(),
            ty: MySqlType::BigInt,
            unsigned: false,
            nullable: false,
            charset: None,
        };
        let text = ColumnSchema {
            name: "code".into(),
            ty: MySqlType::VarChar { length: 10 },
            unsigned: false,
            nullable: false,
            charset: Some("utf8mb4".into()),
        };
        let columns = vec![text.clone(), int.clone()];
        assert_eq!(split_column(&columns, &[0], None), None);
        assert_eq!(split_column(&columns, &[1], None), Some(&int));
        assert_eq!(split_column(&columns, &[0], Some("ID")), Some(&int));
        assert_eq!(split_column(&columns, &[0], Some("nope")), None);
    }
}
