//! What the source emits: row changes and transaction boundaries, in commit order.
//!
//! Both the binlog reader and the snapshot produce `SourceEvent`s; the pipeline routes them through
//! the mapper and the batcher. Invariant: the rows of a `RowChange` are aligned with the columns of
//! the `TableSchema` sent with them (same count, same order).

use std::sync::Arc;

use crate::position::Position;
use crate::schema::{TableId, TableSchema};
use crate::value::Value;

/// A full row image, aligned with its table's `TableSchema::columns`.
pub type Row = Vec<Value>;

/// One row change.
#[derive(Debug, Clone, PartialEq)]
pub enum RowChange {
    Insert {
        after: Row,
    },
    /// `before` is `None` when the update kept the row's key: nothing downstream reads the rest
    /// of the before image then, so the decoder does not build it.
    Update {
        before: Option<Row>,
        after: Row,
    },
    Delete {
        before: Row,
    },
}

/// The kind of a DDL statement seen in the binlog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DdlKind {
    Truncate,
    CreateTable,
    DropTable,
    RenameTable,
    AlterTable,
    /// `DROP DATABASE`/`DROP SCHEMA`: its `tables` hold one entry per database with an empty
    /// table name, standing for every table of that database.
    DropDatabase,
    /// Other DDL (CREATE INDEX, CREATE DATABASE, ...).
    Other,
}

/// An event from the source, in commit order.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceEvent {
    /// Row changes of one table (part of the current transaction).
    Rows {
        table: Arc<TableSchema>,
        changes: Vec<RowChange>,
    },
    /// The current transaction committed; `position` is just after it. `event_time` is the
    /// commit's timestamp (Unix seconds, the source's clock).
    Commit { position: Position, event_time: u32 },
    /// A DDL statement (its own transaction). `tables` are the tables it names.
    Ddl {
        kind: DdlKind,
        tables: Vec<TableId>,
        statement: String,
        position: Position,
        event_time: u32,
    },
    /// The source is alive and has nothing newer than `position` for us.
    Heartbeat { position: Position },
}
