//! Walks the row images of a rows event (WRITE/UPDATE/DELETE, v1 and v2) cell by cell.
//!
//! `mysql_common`'s row iterator rebuilds the table's optional metadata and a named column
//! description for every row, which cost about a fifth of the daemon's CPU in the catch-up
//! benchmark. Here a [`CellReader`] is chosen once per column per event, from the column types
//! and metadata, and each cell is read by it, borrowing from the event.
//!
//! Invariants: the wire format is the one `mysql_common` parses (per row: the before image if the
//! event has one, then the after image; each image is a null bitmap over its present columns,
//! then the non-NULL values in column order). Images must hold every column
//! (`binlog_row_image=FULL`). PARTIAL_UPDATE_ROWS events (JSON diffs over a shared image) are not
//! handled here: the caller gives them to `mysql_common`'s iterator.

use mysql_async::binlog::events::{RowsEventData, TableMapEvent};
use mysql_common::io::ParseBuf;

use crate::change::{Row, RowChange};
use crate::error::Error;
use crate::schema::TableSchema;
use crate::source::cell_reader::CellReader;
use crate::value::Value;

/// The row changes of `rows_event` (not a PARTIAL_UPDATE_ROWS event), decoded against `schema`.
pub fn decode_rows(
    rows_event: &RowsEventData<'_>,
    tme: &TableMapEvent<'_>,
    schema: &TableSchema,
) -> Result<Vec<RowChange>, Error> {
    let bad = |reason: String| Error::definite(format!("{}: bad row image: {reason}", schema.id));
    let count =
        usize::try_from(rows_event.num_columns()).map_err(|_| bad("column count".into()))?;
    if count != schema.columns.len() {
        return Err(Error::definite(format!(
            "{}: a rows event has {count} columns, the table's schema {}",
            schema.id,
            schema.columns.len()
        )));
    }
    let mut readers: Vec<CellReader<'_>> = Vec::with_capacity(count);
    for (index, column) in schema.columns.iter().enumerate() {
        let ty = match tme.get_column_type(index) {
            Ok(Some(ty)) => ty,
            Ok(None) => return Err(bad(format!("no type for column {index}"))),
            Err(error) => return Err(bad(format!("column {index}: {error}"))),
        };
        let meta = tme.get_column_metadata(index).unwrap_or(&[]);
        readers.push(CellReader::for_column(ty, meta, column));
    }
    let before_columns: Option<Vec<bool>> = rows_event
        .columns_before_image()
        .map(|bits| bits.iter().map(|b| *b).collect());
    let after_columns: Option<Vec<bool>> = rows_event
        .columns_after_image()
        .map(|bits| bits.iter().map(|b| *b).collect());
    let mut buf = ParseBuf(rows_event.rows_data());
    let mut changes = Vec::new();
    while !buf.is_empty() {
        let before = match &before_columns {
            Some(present) => Some(read_image(&mut buf, present, &readers, schema, None)?),
            None => None,
        };
        let after = match &after_columns {
            Some(present) => Some(read_image(
                &mut buf,
                present,
                &readers,
                schema,
                before.as_ref(),
            )?),
            None => None,
        };
        changes.push(match (before, after) {
            (None, Some(after)) => RowChange::Insert { after },
            (Some(before), Some(after)) => RowChange::Update { before, after },
            (Some(before), None) => RowChange::Delete { before },
            (None, None) => return Err(bad("a row change without images".into())),
        });
    }
    Ok(changes)
}

/// One row image: the null bitmap over the present columns, then the non-NULL values.
fn read_image<'a>(
    buf: &mut ParseBuf<'a>,
    present: &[bool],
    readers: &[CellReader<'a>],
    schema: &TableSchema,
    before: Option<&Row>,
) -> Result<Row, Error> {
    let present_count = present.iter().filter(|p| **p).count();
    if present_count != readers.len() {
        return Err(Error::definite(format!(
            "{}: a row image holds {present_count} of the table's {} columns",
            schema.id,
            readers.len()
        ))
        .with_hint("set binlog_row_image=FULL on the source (globally, and in every session)"));
    }
    let bitmap: &[u8] = buf
        .parse(present_count.div_ceil(8))
        .map_err(|e| Error::definite(format!("{}: bad row image: {e}", schema.id)))?;
    let mut row = Vec::with_capacity(readers.len());
    for (index, (reader, column)) in readers.iter().zip(&schema.columns).enumerate() {
        let is_null = bitmap
            .get(index / 8)
            .is_some_and(|byte| (byte >> (index % 8)) & 1 == 1);
        if is_null {
            row.push(Value::Null);
            continue;
        }
        match reader.read(buf, column, before.and_then(|b| b.get(index))) {
            Ok(value) => row.push(value),
            Err(reason) => {
                return Err(Error::definite(format!(
                    "{}.{}: {reason}",
                    schema.id, column.name
                )))
            }
        }
    }
    Ok(row)
}
