//! The binlog event state machine: turns the events of one replication stream (or one binlog
//! file) into `SourceEvent`s, tracking the position itself.
//!
//! It is synchronous and knows nothing of the network: `binlog::BinlogReader` feeds it events
//! from the server, the fixture tests feed it events from files. Schemas come from outside: for
//! a TABLE_MAP of a watched table, [`EventDecoder::schema_needed`] says which schema must be
//! installed (with [`EventDecoder::install_schema`]) before the event is handled.
//!
//! Position tracking: the file comes from ROTATE events (the fake first one included, whose
//! name carries 4 checksum bytes that are split off); the next position is the event header's
//! `log_pos` when non-zero, else (MariaDB 11.4+ writes 0 inside transactions) the previous
//! position plus the event size. Positions (and GTID state) are only published at transaction
//! boundaries: `Commit` after XID / COMMIT / ROLLBACK / XA PREPARE / XA COMMIT (and after a
//! standalone statement), `Ddl`, and `Heartbeat` between transactions.
//!
//! Rows are emitted only when their group commits ([`TransactionBuffer`]): a `ROLLBACK` (of a
//! transaction that also changed a non-transactional table), `ROLLBACK TO SAVEPOINT` and
//! `XA ROLLBACK` drop what they undid, and a prepared XA group's rows wait for its `XA COMMIT`.
//! While an XA group is prepared and undecided, every published position is capped at that
//! group's start, so a restart reads it again. `CREATE TABLE … SELECT` is one group (the DDL,
//! then its rows) on MySQL 8.0.21+ and MariaDB: its `Ddl` carries the position before the group.
//!
//! Invariants: every event with a checksum is verified; a compressed transaction whose inner
//! events do not all arrive is an error; rows of unwatched tables are never decoded; parsing
//! never panics the process (`mysql_common` panics on some malformed input: those calls run
//! under `catch_unwind` and a panic becomes a definite error).

use std::collections::{HashMap, VecDeque};
use std::io::Read;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use mysql_async::binlog::events::{
    Event, EventData, ExecuteLoadQueryEvent, GtidEvent, QueryEvent, RotateEvent, RowsEventData,
    TableMapEvent, TransactionPayloadEvent,
};
use mysql_async::binlog::EventType;

use crate::change::{DdlKind, RowChange, SourceEvent};
use crate::error::Error;
use crate::position::{GtidState, Position};
use crate::schema::{TableId, TableSchema};
use crate::source::ddl::{self, Statement};
use crate::source::table_map::TableMap;
use crate::source::transaction::TransactionBuffer;
use crate::source::{checksum, decode, mariadb, Flavor};

/// Which tables' rows are decoded and emitted.
pub type WatchedTables = Arc<dyn Fn(&TableId) -> bool + Send + Sync>;

/// Largest decompressed transaction payload accepted (MySQL caps a payload at 1 GiB).
const MAX_PAYLOAD_BYTES: u64 = 1 << 30;

/// MySQL heartbeat event types (v1 and the 8.0.26+ v2).
const HEARTBEAT_EVENT: u8 = 27;
const HEARTBEAT_EVENT_V2: u8 = 41;
/// The ARTIFICIAL flag: events made up by the server for the replica (fake ROTATE, ...).
const ARTIFICIAL_FLAG: u16 = 0x0020;
/// The IGNORABLE flag: a replica that does not know the event may skip it.
const IGNORABLE_FLAG: u16 = 0x0080;

/// The GTID of the transaction being read.
#[derive(Debug, Clone)]
enum PendingGtid {
    MySql { uuid: String, tag: String, gno: u64 },
    MariaDb(mariadb::MariaGtid),
}

struct MappedTable {
    event: TableMapEvent<'static>,
    schema: Option<Arc<TableSchema>>,
}

/// See the module documentation.
pub struct EventDecoder {
    flavor: Option<Flavor>,
    watched: WatchedTables,
    /// Checksums are on at the source (so the fake ROTATE sent before the FORMAT_DESCRIPTION
    /// carries one).
    expect_checksum: bool,
    seen_format_description: bool,
    file: String,
    next_pos: u64,
    gtid: Option<GtidState>,
    pending_gtid: Option<PendingGtid>,
    in_transaction: bool,
    /// A MariaDB standalone GTID: the next statement is the whole transaction.
    standalone: bool,
    /// A group (transaction) has begun: a GTID event or BEGIN was read since the last boundary.
    group_open: bool,
    /// Where the open group's first event starts in `file`.
    group_start_pos: u64,
    /// The open group's rows, and prepared XA groups.
    transaction: TransactionBuffer,
    table_maps: HashMap<u64, MappedTable>,
    /// Resolved schemas per table, with the TABLE_MAP they were resolved for.
    schemas: HashMap<TableId, (TableMap, Arc<TableSchema>)>,
    /// Inner events of the current TRANSACTION_PAYLOAD still to come.
    payload_events_left: usize,
}

impl EventDecoder {
    /// A decoder for a stream starting at `from`. `flavor` is `None` when unknown (binlog files:
    /// then it is read from the FORMAT_DESCRIPTION event).
    pub fn new(
        from: &Position,
        flavor: Option<Flavor>,
        watched: WatchedTables,
        expect_checksum: bool,
    ) -> Self {
        EventDecoder {
            flavor,
            watched,
            expect_checksum,
            seen_format_description: false,
            file: from.file.clone(),
            next_pos: from.pos,
            gtid: from.gtid.clone(),
            pending_gtid: None,
            in_transaction: false,
            standalone: false,
            group_open: false,
            group_start_pos: from.pos,
            transaction: TransactionBuffer::default(),
            table_maps: HashMap::new(),
            schemas: HashMap::new(),
            payload_events_left: 0,
        }
    }

    /// The position after the last complete transaction seen (or the start).
    pub fn position(&self) -> Position {
        Position {
            file: self.file.clone(),
            pos: self.next_pos,
            gtid: self.gtid.clone(),
        }
    }

    /// The position to publish now: [`Self::position`], unless a prepared XA group is
    /// undecided (then the start of the oldest such group).
    fn published_position(&self) -> Position {
        self.transaction.cap(self.position())
    }

    /// The position before the open group: where reading must resume to see it whole.
    fn group_start(&self) -> Position {
        Position {
            file: self.file.clone(),
            pos: self.group_start_pos,
            gtid: self.gtid.clone(),
        }
    }

    /// Notes that `event` opens a group (a GTID event, or BEGIN without one).
    fn open_group(&mut self, event: &Event) {
        if !self.group_open {
            self.group_open = true;
            self.group_start_pos = self
                .next_pos
                .saturating_sub(u64::from(event.header().event_size()));
        }
    }

    /// Whether the decoder is inside a transaction.
    pub fn in_transaction(&self) -> bool {
        self.in_transaction
    }

    /// The flavour (known after the FORMAT_DESCRIPTION event for files).
    pub fn flavor(&self) -> Option<Flavor> {
        self.flavor
    }

    /// Forgets the schemas of `tables` (after DDL on them; all of them when `tables` is empty).
    pub fn forget_schemas(&mut self, tables: &[TableId]) {
        if tables.is_empty() {
            self.schemas.clear();
        } else {
            for table in tables {
                self.schemas.remove(table);
            }
        }
    }

    /// For a TABLE_MAP of a watched table whose schema is not installed for exactly this
    /// TABLE_MAP, the TABLE_MAP (to be resolved and installed before [`Self::handle`]).
    pub fn schema_needed(&self, event: &Event) -> Result<Option<TableMap>, Error> {
        if event.header().event_type_raw() != EventType::TABLE_MAP_EVENT as u8 {
            return Ok(None);
        }
        let map = guard("TABLE_MAP", || {
            let tme = event
                .read_event::<TableMapEvent<'_>>()
                .map_err(|e| e.to_string())?;
            TableMap::from_event(&tme)
        })
        .map_err(|reason| self.corrupt(event, reason))?;
        if !(self.watched)(&map.table) {
            return Ok(None);
        }
        match self.schemas.get(&map.table) {
            Some((known, _)) if *known == map => Ok(None),
            _ => Ok(Some(map)),
        }
    }

    /// Installs the schema rows of `map`'s table are decoded with.
    pub fn install_schema(&mut self, map: TableMap, schema: Arc<TableSchema>) {
        self.schemas.insert(map.table.clone(), (map, schema));
    }

    /// Handles one event, appending what it produces to `out`.
    pub fn handle(&mut self, event: &Event, out: &mut VecDeque<SourceEvent>) -> Result<(), Error> {
        let header = event.header();
        let event_type = header.event_type_raw();
        let inner = !event.footer().get_checksum_enabled();
        if self.payload_events_left > 0 {
            if !inner {
                return Err(self.corrupt(
                    event,
                    "a compressed transaction ended early: its events were not all delivered"
                        .into(),
                ));
            }
            self.payload_events_left -= 1;
        } else if inner {
            return Err(self.corrupt(
                event,
                "an event without checksum outside a compressed transaction".into(),
            ));
        }
        checksum::verify(event).map_err(|reason| self.corrupt(event, reason))?;
        if !inner {
            self.advance(event);
        }

        match event_type {
            t if t == EventType::FORMAT_DESCRIPTION_EVENT as u8 => {
                self.seen_format_description = true;
                if self.flavor.is_none() {
                    let version = guard("FORMAT_DESCRIPTION", || match event.read_data() {
                        Ok(Some(EventData::FormatDescriptionEvent(fde))) => {
                            Ok(fde.server_version().into_owned())
                        }
                        Ok(_) => Err("not a FORMAT_DESCRIPTION event".into()),
                        Err(error) => Err(error.to_string()),
                    })
                    .map_err(|reason| self.corrupt(event, reason))?;
                    self.flavor = Some(if version.contains("MariaDB") {
                        Flavor::MariaDb
                    } else {
                        Flavor::MySql
                    });
                }
            }
            t if t == EventType::ROTATE_EVENT as u8 => self.rotate(event)?,
            t if t == EventType::GTID_EVENT as u8
                || t == EventType::GTID_TAGGED_LOG_EVENT as u8 =>
            {
                let gtid = guard("GTID", || {
                    event.read_event::<GtidEvent>().map_err(|e| e.to_string())
                })
                .map_err(|reason| self.corrupt(event, reason))?;
                self.pending_gtid = Some(PendingGtid::MySql {
                    uuid: uuid_text(&gtid.sid()),
                    tag: gtid.tag().map(|t| t.to_string()).unwrap_or_default(),
                    gno: gtid.gno(),
                });
                self.open_group(event);
            }
            t if t == EventType::ANONYMOUS_GTID_EVENT as u8 => {
                self.pending_gtid = None;
                self.open_group(event);
            }
            mariadb::GTID_EVENT => {
                let gtid = mariadb::parse_gtid(event.data(), header.server_id())
                    .map_err(|reason| self.corrupt(event, reason))?;
                self.pending_gtid = Some(PendingGtid::MariaDb(gtid));
                self.open_group(event);
                // A MariaDB GTID event opens the transaction (it stands for BEGIN).
                self.standalone = gtid.standalone;
                self.in_transaction = !gtid.standalone;
            }
            mariadb::GTID_LIST_EVENT => {
                let list = mariadb::parse_gtid_list(event.data())
                    .map_err(|reason| self.corrupt(event, reason))?;
                // At the start of a file read from its beginning, the list is the GTID state.
                if self.gtid.is_none()
                    && self.next_pos <= u64::from(header.event_size()) + 256
                    && !list.is_empty()
                {
                    self.gtid = Some(GtidState::MariaDb(list));
                }
            }
            t if mariadb::is_compressed_event(t) => {
                return Err(self.corrupt(event, format!("MariaDB compressed event (type {t})")).with_hint(
                    "the source writes compressed binlog events (log_bin_compress=ON), which this \
                     daemon cannot read: set log_bin_compress=OFF",
                ));
            }
            t if t == EventType::QUERY_EVENT as u8 => self.query(event, out)?,
            t if t == EventType::XID_EVENT as u8 => self.commit(header.timestamp(), out),
            t if t == EventType::XA_PREPARE_LOG_EVENT as u8 => {
                // Body: one_phase u8, then the xid. One phase: an ordinary commit.
                if event
                    .data()
                    .first()
                    .is_some_and(|one_phase| *one_phase != 0)
                {
                    self.commit(header.timestamp(), out);
                } else {
                    let start = self.group_start();
                    self.transaction.prepare(start);
                    self.finish_transaction();
                    out.push_back(SourceEvent::Commit {
                        position: self.published_position(),
                        event_time: header.timestamp(),
                    });
                }
            }
            t if t == EventType::TABLE_MAP_EVENT as u8 => self.table_map(event)?,
            t if is_rows_event(t) => self.rows(event, out)?,
            t if t == EventType::TRANSACTION_PAYLOAD_EVENT as u8 => {
                if inner {
                    return Err(
                        self.corrupt(event, "a compressed transaction inside another".into())
                    );
                }
                self.payload_events_left =
                    count_payload_events(event).map_err(|reason| self.corrupt(event, reason))?;
            }
            HEARTBEAT_EVENT | HEARTBEAT_EVENT_V2 => {
                if !self.in_transaction {
                    out.push_back(SourceEvent::Heartbeat {
                        position: self.published_position(),
                    });
                }
            }
            t if t == EventType::INCIDENT_EVENT as u8 => {
                return Err(self.corrupt(event, "the source logged an INCIDENT event: changes may be missing from its binlog".into())
                    .with_hint("re-snapshot the replicated tables"));
            }
            t if t == EventType::PREVIOUS_GTIDS_EVENT as u8
                || t == EventType::ROWS_QUERY_EVENT as u8
                || t == EventType::INTVAR_EVENT as u8
                || t == EventType::RAND_EVENT as u8
                || t == EventType::USER_VAR_EVENT as u8
                || t == EventType::STOP_EVENT as u8
                || t == EventType::IGNORABLE_EVENT as u8
                || t == EventType::TRANSACTION_CONTEXT_EVENT as u8
                || t == EventType::VIEW_CHANGE_EVENT as u8
                || t == EventType::BEGIN_LOAD_QUERY_EVENT as u8
                || t == mariadb::ANNOTATE_ROWS_EVENT
                || t == mariadb::BINLOG_CHECKPOINT_EVENT
                || t == mariadb::START_ENCRYPTION_EVENT => {}
            _ if header.flags_raw() & IGNORABLE_FLAG != 0 => {}
            t if t == EventType::EXECUTE_LOAD_QUERY_EVENT as u8 => {
                let (text, schema) = guard("EXECUTE_LOAD_QUERY", || {
                    let query = event
                        .read_event::<ExecuteLoadQueryEvent<'_>>()
                        .map_err(|e| e.to_string())?;
                    Ok((query.query().into_owned(), query.schema().into_owned()))
                })
                .map_err(|reason| self.corrupt(event, reason))?;
                self.statement(event, text, schema, out)?;
            }
            // Statement-era LOAD DATA parts and pre-v4 events: the data they carry is applied by
            // an EXECUTE_LOAD_QUERY (checked above) or belongs to servers older than 5.0.
            1 | 6..=12 | 17 => {}
            t => return Err(self.corrupt(event, format!("unknown binlog event type {t}"))),
        }
        Ok(())
    }

    /// Moves `next_pos` past `event`.
    fn advance(&mut self, event: &Event) {
        let header = event.header();
        let event_type = header.event_type_raw();
        if header.log_pos() != 0 {
            if event_type != EventType::ROTATE_EVENT as u8 {
                self.next_pos = u64::from(header.log_pos());
            }
        } else if header.flags_raw() & ARTIFICIAL_FLAG == 0
            && event_type != EventType::ROTATE_EVENT as u8
            && event_type != EventType::FORMAT_DESCRIPTION_EVENT as u8
            && event_type != HEARTBEAT_EVENT
            && event_type != HEARTBEAT_EVENT_V2
        {
            self.next_pos += u64::from(header.event_size());
        }
    }

    fn rotate(&mut self, event: &Event) -> Result<(), Error> {
        let fake_before_format = !self.seen_format_description && self.expect_checksum;
        let (name, position) = guard("ROTATE", || {
            let rotate = event
                .read_event::<RotateEvent<'_>>()
                .map_err(|e| e.to_string())?;
            let raw = rotate.name_raw();
            let name = if fake_before_format {
                checksum::split_fake_rotate_name(event, raw)
            } else {
                raw
            };
            let name = String::from_utf8(name.to_vec())
                .map_err(|_| "binlog file name is not UTF-8".to_string())?;
            Ok((name, rotate.position()))
        })
        .map_err(|reason| self.corrupt(event, reason))?;
        let plausible = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_graphic() && c != '/' && c != '\\');
        if !plausible {
            return Err(self.corrupt(event, format!("implausible binlog file name {name:?}")));
        }
        self.file = name;
        self.next_pos = position;
        Ok(())
    }

    fn query(&mut self, event: &Event, out: &mut VecDeque<SourceEvent>) -> Result<(), Error> {
        let (text, schema) = guard("QUERY", || {
            let query = event
                .read_event::<QueryEvent<'_>>()
                .map_err(|e| e.to_string())?;
            Ok((query.query().into_owned(), query.schema().into_owned()))
        })
        .map_err(|reason| self.corrupt(event, reason))?;
        self.statement(event, text, schema, out)
    }

    /// Handles the statement of a QUERY (or EXECUTE_LOAD_QUERY) event.
    fn statement(
        &mut self,
        event: &Event,
        text: String,
        schema: String,
        out: &mut VecDeque<SourceEvent>,
    ) -> Result<(), Error> {
        let time = event.header().timestamp();
        let undo_error = |decoder: &Self, reason: String| {
            decoder.corrupt(event, reason).with_hint(
                "the source undid rows that were already loaded: re-snapshot the tables that \
                 transaction changed",
            )
        };
        match ddl::classify(&text, &schema) {
            Statement::Begin => {
                self.open_group(event);
                self.in_transaction = true;
            }
            Statement::Commit => self.commit(time, out),
            Statement::Rollback => {
                self.transaction
                    .rollback()
                    .map_err(|reason| undo_error(self, reason))?;
                self.commit(time, out);
            }
            Statement::Savepoint { name } => self.transaction.savepoint(name),
            Statement::RollbackTo { name } => self
                .transaction
                .rollback_to(&name)
                .map_err(|reason| undo_error(self, reason))?,
            Statement::XaStart { xid } => {
                self.open_group(event);
                self.in_transaction = true;
                self.transaction.set_xid(xid);
            }
            Statement::XaEnd { xid } => self.transaction.set_xid(xid),
            Statement::XaCommit { xid } => self.decide_xa(event, &xid, true, out)?,
            Statement::XaRollback { xid } => self.decide_xa(event, &xid, false, out)?,
            Statement::Ddl { kind, tables } => {
                self.forget_schemas(&tables);
                if self.in_transaction
                    || (kind == DdlKind::CreateTable && ddl::opens_transaction(&text))
                {
                    // CREATE TABLE … SELECT: its rows and commit follow in this group (MySQL
                    // 8.0.21+ ends the DDL's text with START TRANSACTION; MariaDB opens the
                    // group with a GTID that is not standalone), so the only safe place to
                    // resume is before the group.
                    self.in_transaction = true;
                    out.push_back(SourceEvent::Ddl {
                        kind,
                        tables,
                        statement: text,
                        position: self.transaction.cap(self.group_start()),
                        event_time: time,
                    });
                } else {
                    self.finish_transaction();
                    out.push_back(SourceEvent::Ddl {
                        kind,
                        tables,
                        statement: text,
                        position: self.published_position(),
                        event_time: time,
                    });
                }
            }
            Statement::RowChange { table } => {
                let watched = table.as_ref().is_none_or(|t| (self.watched)(t));
                if watched {
                    let what =
                        table.map_or_else(|| "an unknown table".to_string(), |t| t.to_string());
                    return Err(self
                        .corrupt(
                            event,
                            format!(
                        "a statement-based change of {what} ({}): its rows are not in the binlog",
                        text.chars().take(120).collect::<String>()
                    ),
                        )
                        .with_hint(
                            "set binlog_format=ROW globally and in every session on the source",
                        ));
                }
                if !self.in_transaction {
                    self.commit(time, out);
                }
            }
            Statement::Other => {
                // A statement on its own (GRANT, a standalone MariaDB statement, ...) is a
                // transaction of its own: it moves the position.
                if !self.in_transaction || self.standalone {
                    self.commit(time, out);
                }
            }
        }
        Ok(())
    }

    /// `XA COMMIT xid` (`commit`) or `XA ROLLBACK xid`: emits or drops the prepared rows,
    /// then ends the group.
    fn decide_xa(
        &mut self,
        event: &Event,
        xid: &str,
        commit: bool,
        out: &mut VecDeque<SourceEvent>,
    ) -> Result<(), Error> {
        let known = self
            .transaction
            .decide_xa(xid, commit, out)
            .map_err(|reason| {
                self.corrupt(event, reason).with_hint(
                    "the source undid rows that were already loaded: re-snapshot the tables \
                     that transaction changed",
                )
            })?;
        if !known && commit {
            tracing::error!(
                xid = %xid,
                position = %self.position(),
                "XA COMMIT of a transaction prepared before replication started: its rows were \
                 never read. Re-snapshot the tables it changed."
            );
        }
        self.commit(event.header().timestamp(), out);
        Ok(())
    }

    fn table_map(&mut self, event: &Event) -> Result<(), Error> {
        let tme = guard("TABLE_MAP", || {
            event
                .read_event::<TableMapEvent<'_>>()
                .map(|t| t.into_owned())
                .map_err(|e| e.to_string())
        })
        .map_err(|reason| self.corrupt(event, reason))?;
        let table = TableId::new(tme.database_name(), tme.table_name());
        let schema = if (self.watched)(&table) {
            let map = guard("TABLE_MAP", || TableMap::from_event(&tme))
                .map_err(|reason| self.corrupt(event, reason))?;
            match self.schemas.get(&table) {
                Some((known, schema)) if *known == map => Some(schema.clone()),
                _ => {
                    return Err(self.corrupt(event, format!("no schema installed for {table}")));
                }
            }
        } else {
            None
        };
        self.table_maps
            .insert(tme.table_id(), MappedTable { event: tme, schema });
        Ok(())
    }

    fn rows(&mut self, event: &Event, out: &mut VecDeque<SourceEvent>) -> Result<(), Error> {
        let data = event.data();
        if data.len() < 6 {
            return Err(self.corrupt(event, "rows event too short".into()));
        }
        let mut id_bytes = [0_u8; 8];
        id_bytes[..6].copy_from_slice(&data[..6]);
        let table_id = u64::from_le_bytes(id_bytes);
        let Some(mapped) = self.table_maps.get(&table_id) else {
            return Err(self.corrupt(event, format!("rows event for unknown table id {table_id}")));
        };
        let Some(schema) = mapped.schema.clone() else {
            return Ok(()); // not watched: skipped without decoding
        };
        let tme = &mapped.event;
        let changes = guard("rows", || {
            let rows_event = match event.read_data().map_err(|e| e.to_string())? {
                Some(EventData::RowsEvent(rows)) => rows,
                _ => return Err("not a rows event".to_string()),
            };
            let partial =
                event.header().event_type_raw() == EventType::PARTIAL_UPDATE_ROWS_EVENT as u8;
            if partial {
                decode_rows(&rows_event, tme, &schema)
            } else {
                crate::source::row_image::decode_rows(&rows_event, tme, &schema)
            }
            .map_err(|e| e.to_string())
        })
        .map_err(|reason| self.corrupt(event, reason))?;
        if !changes.is_empty() {
            self.transaction.add_rows(
                SourceEvent::Rows {
                    table: schema,
                    changes,
                },
                data.len(),
                out,
            );
        }
        Ok(())
    }

    fn finish_transaction(&mut self) {
        match (self.pending_gtid.take(), &mut self.gtid) {
            (Some(PendingGtid::MySql { uuid, tag, gno }), Some(GtidState::MySql(set))) => {
                set.add(&uuid, &tag, gno);
            }
            (Some(PendingGtid::MariaDb(gtid)), Some(GtidState::MariaDb(list))) => {
                list.update(gtid.domain, gtid.server_id, gtid.seq);
            }
            _ => {}
        }
        self.in_transaction = false;
        self.standalone = false;
        self.group_open = false;
    }

    fn commit(&mut self, event_time: u32, out: &mut VecDeque<SourceEvent>) {
        self.transaction.commit(out);
        self.finish_transaction();
        out.push_back(SourceEvent::Commit {
            position: self.published_position(),
            event_time,
        });
    }

    /// A definite error about `event`, naming where it is.
    fn corrupt(&self, event: &Event, reason: String) -> Error {
        let header = event.header();
        let start = u64::from(header.log_pos()).saturating_sub(u64::from(header.event_size()));
        let at = if header.log_pos() != 0 {
            start
        } else {
            self.next_pos
        };
        Error::definite(format!("binlog {}:{at}: {reason}", self.file))
    }
}

fn is_rows_event(t: u8) -> bool {
    [
        EventType::WRITE_ROWS_EVENT_V1,
        EventType::UPDATE_ROWS_EVENT_V1,
        EventType::DELETE_ROWS_EVENT_V1,
        EventType::WRITE_ROWS_EVENT,
        EventType::UPDATE_ROWS_EVENT,
        EventType::DELETE_ROWS_EVENT,
        EventType::PARTIAL_UPDATE_ROWS_EVENT,
    ]
    .iter()
    .any(|e| *e as u8 == t)
}

/// PARTIAL_UPDATE_ROWS events (JSON diffs over a shared image), through `mysql_common`'s row
/// iterator; every other rows event goes through [`crate::source::row_image`].
fn decode_rows(
    rows_event: &RowsEventData<'_>,
    tme: &TableMapEvent<'_>,
    schema: &TableSchema,
) -> Result<Vec<RowChange>, Error> {
    let mut changes = Vec::new();
    for pair in rows_event.rows(tme) {
        let (before, after) =
            pair.map_err(|e| Error::definite(format!("{}: bad row image: {e}", schema.id)))?;
        let before = before
            .map(|image| decode::decode_binlog_row(image, schema, None))
            .transpose()?;
        let after = after
            .map(|image| decode::decode_binlog_row(image, schema, before.as_ref()))
            .transpose()?;
        changes.push(match (before, after) {
            (None, Some(after)) => RowChange::Insert { after },
            (Some(before), Some(after)) => RowChange::Update {
                before: Some(before),
                after,
            },
            (Some(before), None) => RowChange::Delete { before },
            (None, None) => {
                return Err(Error::definite(format!(
                    "{}: an empty row change",
                    schema.id
                )))
            }
        });
    }
    Ok(changes)
}

/// Decompresses a TRANSACTION_PAYLOAD and counts its events (their headers must tile it).
fn count_payload_events(event: &Event) -> Result<usize, String> {
    guard("TRANSACTION_PAYLOAD", || {
        let payload = event
            .read_event::<TransactionPayloadEvent<'_>>()
            .map_err(|e| e.to_string())?;
        if payload.uncompressed_size() > MAX_PAYLOAD_BYTES {
            return Err(format!(
                "compressed transaction of {} bytes is too large",
                payload.uncompressed_size()
            ));
        }
        let mut bytes = Vec::new();
        payload
            .decompressed()
            .and_then(|reader| reader.take(MAX_PAYLOAD_BYTES + 1).read_to_end(&mut bytes))
            .map_err(|error| format!("cannot decompress the transaction payload: {error}"))?;
        let mut offset = 0;
        let mut count = 0;
        while offset < bytes.len() {
            let size = bytes
                .get(offset + 9..offset + 13)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
                .ok_or("truncated event header inside a compressed transaction")?;
            if size < 19 || offset + size > bytes.len() {
                return Err("malformed event inside a compressed transaction".into());
            }
            offset += size;
            count += 1;
        }
        if count == 0 {
            return Err("empty compressed transaction".into());
        }
        Ok(count)
    })
}

/// Runs `parse` and turns a panic inside it (malformed input reaching an `unwrap` in
/// `mysql_common`) into an error.
pub fn guard<T>(what: &str, parse: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    match catch_unwind(AssertUnwindSafe(parse)) {
        Ok(result) => result,
        Err(_) => Err(format!("malformed {what} event (the parser failed)")),
    }
}

/// 8-4-4-4-12 lower-case hex of a 16-byte UUID.
fn uuid_text(sid: &[u8; 16]) -> String {
    let hex: String = sid.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_text_is_dashed_hex() {
        let sid = [
            0x3e, 0x11, 0xfa, 0x47, 0x71, 0xca, 0x11, 0xe1, 0x9e, 0x33, 0xc8, 0x0a, 0xa9, 0x42,
            0x95, 0x62,
        ];
        assert_eq!(uuid_text(&sid), "3e11fa47-71ca-11e1-9e33-c80aa9429562");
    }

    /// An event without checksum (the default format description has none).
    fn event(event_type: u8, server_id: u32, log_pos: u32, data: &[u8]) -> Event {
        use mysql_async::binlog::events::FormatDescriptionEvent;
        use mysql_async::binlog::BinlogVersion;
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&1_700_000_000_u32.to_le_bytes());
        bytes.push(event_type);
        bytes.extend_from_slice(&server_id.to_le_bytes());
        bytes.extend_from_slice(&((19 + data.len()) as u32).to_le_bytes());
        bytes.extend_from_slice(&log_pos.to_le_bytes());
        bytes.extend_from_slice(&0_u16.to_le_bytes());
        bytes.extend_from_slice(data);
        Event::read(
            &FormatDescriptionEvent::new(BinlogVersion::Version4),
            &bytes[..],
        )
        .unwrap()
    }

    fn maria_gtid(domain: u32, seq: u64) -> Vec<u8> {
        let mut data = seq.to_le_bytes().to_vec();
        data.extend_from_slice(&domain.to_le_bytes());
        data.push(0x0c); // transactional, allow parallel
        data.extend_from_slice(&[0; 6]);
        data
    }

    #[test]
    fn positions_advance_by_event_size_when_log_pos_is_zero() {
        // MariaDB 11.4+ writes end_log_pos=0 inside transactions.
        let start = Position {
            file: "mysql-bin.000001".into(),
            pos: 100,
            gtid: Some(GtidState::MariaDb(crate::position::MariaGtidList::default())),
        };
        let watched: WatchedTables = Arc::new(|_: &TableId| false);
        let mut decoder = EventDecoder::new(&start, Some(Flavor::MariaDb), watched, false);
        let mut out = VecDeque::new();
        decoder
            .handle(
                &event(mariadb::GTID_EVENT, 7, 0, &maria_gtid(0, 5)),
                &mut out,
            )
            .unwrap();
        assert!(decoder.in_transaction());
        decoder
            .handle(
                &event(EventType::XID_EVENT as u8, 7, 0, &42_u64.to_le_bytes()),
                &mut out,
            )
            .unwrap();
        let Some(SourceEvent::Commit {
            position,
            event_time,
        }) = out.pop_front()
        else {
            panic!("no commit: {out:?}")
        };
        assert_eq!(event_time, 1_700_000_000);
        assert_eq!(position.pos, 100 + (19 + 19) + (19 + 8));
        assert_eq!(
            position.gtid,
            Some(GtidState::MariaDb("0-7-5".parse().unwrap()))
        );
        // A non-zero log_pos is taken as it is.
        decoder
            .handle(
                &event(mariadb::GTID_EVENT, 7, 500, &maria_gtid(0, 6)),
                &mut out,
            )
            .unwrap();
        decoder
            .handle(
                &event(EventType::XID_EVENT as u8, 7, 600, &43_u64.to_le_bytes()),
                &mut out,
            )
            .unwrap();
        let Some(SourceEvent::Commit { position, .. }) = out.pop_front() else {
            panic!()
        };
        assert_eq!(position.pos, 600);
        assert_eq!(position.to_string(), "mysql-bin.000001:600 (gtid 0-7-6)");
    }

    #[test]
    fn guard_turns_panics_into_errors() {
        let result: Result<(), String> = guard("test", || panic!("boom"));
        assert!(result.unwrap_err().contains("malformed test event"));
    }
}
