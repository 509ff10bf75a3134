//! The rows of the source transaction being read, held until the transaction ends, so that only
//! what the source committed is emitted.
//!
//! A binlog group can end without committing its rows:
//! - `ROLLBACK` of a transaction that also changed a non-transactional (MyISAM) table: MySQL
//!   writes the undone InnoDB rows, then `ROLLBACK`; `ROLLBACK TO SAVEPOINT` likewise keeps the
//!   undone rows in a group that still commits;
//! - XA: `XA START … XA END; XA PREPARE` writes the rows in one group ending with an
//!   XA_PREPARE event, and `XA COMMIT`/`XA ROLLBACK` decides their fate in a later group.
//!
//! So the rows of the open group are held here ([`TransactionBuffer::add_rows`]) and emitted
//! only at its commit; a rollback drops them, a rollback to a savepoint drops those after it,
//! and a prepared XA group waits in [`TransactionBuffer::prepare`] until its `XA COMMIT`.
//!
//! Invariants:
//! - Memory is bounded: a group whose rows outgrow [`HOLD_LIMIT_BYTES`] (binlog bytes) is
//!   *streamed*: its rows are emitted as they come, as before this buffer existed. A rollback
//!   of a streamed group cannot be undone and is a definite error, never silence.
//! - While an XA transaction is prepared and not yet decided, no published position may pass
//!   its group's start ([`TransactionBuffer::cap`]): a restart or reconnect reads the prepared
//!   rows again (later transactions are replayed too, which full row images make harmless).

use std::collections::VecDeque;

use crate::change::SourceEvent;
use crate::position::Position;

/// Rows (in binlog bytes) held per open group before it is streamed instead. Decoded rows take
/// about four times their binlog size: 16 MiB added ~60 MiB to the big-transaction peak RSS.
pub const HOLD_LIMIT_BYTES: usize = 4 << 20;

/// An XA transaction whose rows are prepared and not yet committed or rolled back.
#[derive(Debug)]
struct PreparedXa {
    /// The xid as the binlog prints it (`X'78',X'',1`).
    xid: String,
    /// The position before its group: nothing published may pass it.
    start: Position,
    rows: Vec<SourceEvent>,
    /// Its rows were emitted already (the group outgrew the hold limit).
    streamed: bool,
}

/// See the module documentation.
#[derive(Debug, Default)]
pub struct TransactionBuffer {
    held: Vec<SourceEvent>,
    held_bytes: usize,
    streamed: bool,
    /// Savepoints of the open group: name and the number of held rows events at it.
    savepoints: Vec<(String, usize)>,
    /// The open group's XA xid, once an `XA START` or `XA END` named it.
    xid: Option<String>,
    prepared: Vec<PreparedXa>,
}

/// Why a group's rows could not be taken back.
pub type RollbackError = String;

impl TransactionBuffer {
    /// Adds a rows event of the open group (`bytes`: its size in the binlog).
    pub fn add_rows(&mut self, rows: SourceEvent, bytes: usize, out: &mut VecDeque<SourceEvent>) {
        if self.streamed {
            out.push_back(rows);
            return;
        }
        self.held.push(rows);
        self.held_bytes += bytes;
        if self.held_bytes > HOLD_LIMIT_BYTES {
            tracing::debug!(
                bytes = self.held_bytes,
                "A transaction outgrew the hold limit: its rows are emitted before its end."
            );
            out.extend(self.held.drain(..));
            self.streamed = true;
        }
    }

    /// Names the open group's XA transaction (from `XA START` or `XA END`).
    pub fn set_xid(&mut self, xid: String) {
        self.xid = Some(xid);
    }

    /// `SAVEPOINT name` in the open group.
    pub fn savepoint(&mut self, name: String) {
        self.savepoints
            .retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
        self.savepoints.push((name, self.held.len()));
    }

    /// `ROLLBACK TO SAVEPOINT name`: drops the rows held since it.
    pub fn rollback_to(&mut self, name: &str) -> Result<(), RollbackError> {
        if self.streamed {
            return Err(format!(
                "ROLLBACK TO SAVEPOINT {name} in a transaction larger than {} MiB whose rows were \
                 already applied",
                HOLD_LIMIT_BYTES >> 20
            ));
        }
        let Some(at) = self
            .savepoints
            .iter()
            .rposition(|(n, _)| n.eq_ignore_ascii_case(name))
        else {
            return Err(format!(
                "ROLLBACK TO SAVEPOINT {name} without that savepoint"
            ));
        };
        let kept = self.savepoints[at].1;
        self.savepoints.truncate(at + 1);
        self.held.truncate(kept);
        Ok(())
    }

    /// The open group committed: its rows are emitted.
    pub fn commit(&mut self, out: &mut VecDeque<SourceEvent>) {
        out.extend(self.held.drain(..));
        self.reset_group();
    }

    /// The open group was rolled back: its rows are dropped.
    pub fn rollback(&mut self) -> Result<(), RollbackError> {
        let streamed = self.streamed;
        self.held.clear();
        self.reset_group();
        if streamed {
            return Err(format!(
                "ROLLBACK of a transaction larger than {} MiB whose rows were already applied",
                HOLD_LIMIT_BYTES >> 20
            ));
        }
        Ok(())
    }

    /// The open group ended with `XA PREPARE`: its rows wait for `XA COMMIT`. `start` is the
    /// position before the group.
    pub fn prepare(&mut self, start: Position) {
        let xid = self.xid.take().unwrap_or_default();
        let rows = std::mem::take(&mut self.held);
        self.prepared.push(PreparedXa {
            xid,
            start,
            rows,
            streamed: self.streamed,
        });
        self.reset_group();
    }

    /// `XA COMMIT xid` (`commit`) or `XA ROLLBACK xid`. When the open group is that XA
    /// transaction (rolled back before it was prepared), it is decided instead. `Ok(false)`: no
    /// such prepared transaction was read (it was prepared before the stream's start).
    pub fn decide_xa(
        &mut self,
        xid: &str,
        commit: bool,
        out: &mut VecDeque<SourceEvent>,
    ) -> Result<bool, RollbackError> {
        if self.xid.as_deref() == Some(xid) {
            if commit {
                self.commit(out);
                return Ok(true);
            }
            return self.rollback().map(|()| true);
        }
        let Some(at) = self.prepared.iter().position(|p| p.xid == xid) else {
            return Ok(false);
        };
        let prepared = self.prepared.remove(at);
        if commit {
            out.extend(prepared.rows);
            Ok(true)
        } else if prepared.streamed {
            Err(format!(
                "XA ROLLBACK {xid} of a prepared transaction larger than {} MiB whose rows were \
                 already applied",
                HOLD_LIMIT_BYTES >> 20
            ))
        } else {
            Ok(true)
        }
    }

    /// The position to publish instead of `position`: the start of the oldest undecided
    /// prepared XA group, if any.
    pub fn cap(&self, position: Position) -> Position {
        match self.prepared.first() {
            Some(oldest) => oldest.start.clone(),
            None => position,
        }
    }

    /// Whether an XA transaction is prepared and undecided.
    pub fn has_prepared(&self) -> bool {
        !self.prepared.is_empty()
    }

    fn reset_group(&mut self) {
        self.held_bytes = 0;
        self.streamed = false;
        self.savepoints.clear();
        self.xid = None;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::change::RowChange;
    use crate::schema::{TableId, TableSchema};
    use crate::value::Value;

    fn rows(id: i64) -> SourceEvent {
        SourceEvent::Rows {
            table: Arc::new(TableSchema {
                id: TableId::new("d", "t"),
                columns: Vec::new(),
                key: Vec::new(),
            }),
            changes: vec![RowChange::Insert {
                after: vec![Value::Int(id)],
            }],
        }
    }

    fn ids(out: &VecDeque<SourceEvent>) -> Vec<i64> {
        out.iter()
            .flat_map(|event| match event {
                SourceEvent::Rows { changes, .. } => changes
                    .iter()
                    .filter_map(|c| match c {
                        RowChange::Insert { after } => match after.first() {
                            Some(Value::Int(id)) => Some(*id),
                            _ => None,
                        },
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            })
            .collect()
    }

    fn position(pos: u64) -> Position {
        Position {
            file: "binlog.000001".into(),
            pos,
            gtid: None,
        }
    }

    #[test]
    fn rows_wait_for_the_commit_and_a_rollback_drops_them() {
        let mut buffer = TransactionBuffer::default();
        let mut out = VecDeque::new();
        buffer.add_rows(rows(1), 10, &mut out);
        assert!(out.is_empty());
        buffer.commit(&mut out);
        assert_eq!(ids(&out), vec![1]);
        out.clear();
        buffer.add_rows(rows(2), 10, &mut out);
        buffer.rollback().unwrap();
        buffer.commit(&mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn savepoints_drop_only_later_rows() {
        let mut buffer = TransactionBuffer::default();
        let mut out = VecDeque::new();
        buffer.add_rows(rows(1), 10, &mut out);
        buffer.savepoint("a".into());
        buffer.add_rows(rows(2), 10, &mut out);
        buffer.savepoint("b".into());
        buffer.add_rows(rows(3), 10, &mut out);
        buffer.rollback_to("A").unwrap();
        buffer.add_rows(rows(4), 10, &mut out);
        assert!(
            buffer.rollback_to("b").is_err(),
            "b was released by the rollback to a"
        );
        buffer.commit(&mut out);
        assert_eq!(ids(&out), vec![1, 4]);
    }

    #[test]
    fn prepared_xa_waits_and_caps_the_position() {
        let mut buffer = TransactionBuffer::default();
        let mut out = VecDeque::new();
        buffer.set_xid("X'78',X'',1".into());
        buffer.add_rows(rows(1), 10, &mut out);
        buffer.prepare(position(100));
        assert!(out.is_empty());
        assert_eq!(buffer.cap(position(500)), position(100));
        buffer.set_xid("X'79',X'',1".into());
        buffer.add_rows(rows(2), 10, &mut out);
        buffer.prepare(position(200));
        // The younger one is decided first: the older still caps.
        assert!(buffer.decide_xa("X'79',X'',1", false, &mut out).unwrap());
        assert_eq!(buffer.cap(position(600)), position(100));
        assert!(buffer.decide_xa("X'78',X'',1", true, &mut out).unwrap());
        assert_eq!(ids(&out), vec![1]);
        assert_eq!(buffer.cap(position(700)), position(700));
        assert!(!buffer.decide_xa("X'77',X'',1", true, &mut out).unwrap());
    }

    #[test]
    fn a_group_over_the_limit_streams_and_its_rollback_is_an_error() {
        let mut buffer = TransactionBuffer::default();
        let mut out = VecDeque::new();
        buffer.add_rows(rows(1), HOLD_LIMIT_BYTES, &mut out);
        assert!(out.is_empty());
        buffer.add_rows(rows(2), 1, &mut out);
        assert_eq!(ids(&out), vec![1, 2]);
        buffer.add_rows(rows(3), 1, &mut out);
        assert_eq!(ids(&out), vec![1, 2, 3]);
        let error = buffer.rollback().unwrap_err();
        assert!(error.contains("already applied"), "{error}");
        // The next group is held again.
        out.clear();
        buffer.add_rows(rows(4), 1, &mut out);
        assert!(out.is_empty());
    }
}
