//! Replication positions: binlog file:pos and GTID state (MySQL GTID sets, MariaDB GTID lists).
//!
//! A `Position` always names the point *just after* a committed transaction (or a heartbeat's
//! point). Resuming uses the GTID state when the source has GTIDs on, else file:pos.
//! Invariants: `GtidSet` intervals are sorted, non-overlapping and merged (adjacent intervals
//! join), so equal sets have equal text; `MariaGtidList` holds at most one GTID per domain.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A point in the source's binlog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// Binlog file name, e.g. `binlog.000003`.
    pub file: String,
    /// Byte offset in `file` of the next event.
    pub pos: u64,
    /// GTID state including every transaction up to this point, when the source uses GTIDs.
    pub gtid: Option<GtidState>,
}

/// GTID state in the flavour of the source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum GtidState {
    /// MySQL `gtid_executed`-style set, e.g. `3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5`.
    MySql(GtidSet),
    /// MariaDB `gtid_binlog_pos`-style list, e.g. `0-1-100,1-2-7`.
    MariaDb(MariaGtidList),
}

/// A MySQL GTID set: per source UUID (and optional tag, MySQL 8.3+), sorted half-open intervals
/// `[start, end)` of transaction numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GtidSet {
    /// Key: (lower-case UUID text, tag or empty string). Value: sorted, merged `[start, end)`.
    pub sids: BTreeMap<(String, String), Vec<(u64, u64)>>,
}

/// A MariaDB GTID list: for each replication domain, the last GTID `domain-server-seq`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MariaGtidList {
    /// Key: domain id. Value: (server id, sequence number).
    pub domains: BTreeMap<u32, (u32, u64)>,
}
