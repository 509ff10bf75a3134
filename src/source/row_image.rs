//! Walks the row images of a rows event (WRITE/UPDATE/DELETE, v1 and v2) cell by cell.
//!
//! `mysql_common`'s row iterator rebuilds the table's optional metadata and a named column
//! description for every row, which cost about a fifth of the daemon's CPU in the catch-up
//! benchmark. Here a [`CellReader`] is chosen once per column per event, from the column types
//! and metadata, and each cell is read by it, borrowing from the event. An UPDATE's before image
//! is first read for its key only (the other cells are skipped); it is read whole only when the
//! key moved, since only then does anything downstream use it (the mapper's delete of the old
//! key). About a quarter of the catch-up benchmark's events are updates.
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
use crate::mapper::key_bytes;
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
    // Which images each row has; an image must hold every column (checked once per event).
    let full_image = |present: Option<usize>| match present {
        None => Ok(false),
        Some(present) if present == count => Ok(true),
        Some(present) => Err(Error::definite(format!(
            "{}: a row image holds {present} of the table's {count} columns",
            schema.id
        ))
        .with_hint("set binlog_row_image=FULL on the source (globally, and in every session)")),
    };
    let has_before = full_image(rows_event.columns_before_image().map(|b| b.count_ones()))?;
    let has_after = full_image(rows_event.columns_after_image().map(|b| b.count_ones()))?;
    let mut buf = ParseBuf(rows_event.rows_data());
    let mut changes = Vec::new();
    while !buf.is_empty() {
        let change = match (has_before, has_after) {
            (false, true) => RowChange::Insert {
                after: read_image(&mut buf, &readers, schema, Cells::All)?,
            },
            (true, false) => RowChange::Delete {
                before: read_image(&mut buf, &readers, schema, Cells::All)?,
            },
            (true, true) => {
                // Most updates keep the key, and then nothing downstream reads the before image
                // beyond its key: its other cells are skipped, and read only when the key moved.
                let before_image = ParseBuf(buf.0);
                let before_key = read_image(&mut buf, &readers, schema, Cells::KeyOnly)?;
                let after = read_image(&mut buf, &readers, schema, Cells::All)?;
                let key = |row: &Row| key_bytes(schema.key.iter().filter_map(|&i| row.get(i)));
                let before = if key(&before_key) == key(&after) {
                    None
                } else {
                    let mut image = before_image;
                    Some(read_image(&mut image, &readers, schema, Cells::All)?)
                };
                RowChange::Update { before, after }
            }
            (false, false) => return Err(bad("a row change without images".into())),
        };
        changes.push(change);
    }
    Ok(changes)
}

/// Which cells of an image [`read_image`] decodes.
#[derive(Clone, Copy, PartialEq)]
enum Cells {
    All,
    /// Only the key columns; the others are skipped and stand as NULL in the row.
    KeyOnly,
}

/// One row image holding every column: the null bitmap, then the non-NULL values.
fn read_image<'a>(
    buf: &mut ParseBuf<'a>,
    readers: &[CellReader<'a>],
    schema: &TableSchema,
    cells: Cells,
) -> Result<Row, Error> {
    let bitmap: &[u8] = buf
        .parse(readers.len().div_ceil(8))
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
        let read = if cells == Cells::KeyOnly && !schema.key.contains(&index) {
            reader.skip(buf).map(|()| Value::Null)
        } else {
            reader.read(buf, column)
        };
        match read {
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
