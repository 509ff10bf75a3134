//! The replica connection: requests the binlog from a position, reads it with a read timeout,
//! and reconnects by itself after transient failures.
//!
//! Before the dump request the connection sets `@master_heartbeat_period` (and MySQL 8.4+'s
//! `@source_heartbeat_period`), and for MariaDB `@mariadb_slave_capability=4` (GTID-aware
//! events) and, when resuming by GTID, `@slave_connect_state`. MySQL resumes by GTID with
//! `COM_BINLOG_DUMP_GTID`, otherwise by file:pos. The connection never asks for semi-sync
//! (`@rpl_semi_sync_slave` stays unset), so a semi-sync source sends plain events (the
//! semi-sync packet header is what makes `mysql_async` fail, its issue #360).
//!
//! Reconnection: a transient error (dropped connection, source restart, read timeout) drops the
//! stream and reconnects with capped exponential back-off from the position of the last
//! `Commit`, `Ddl` or `Heartbeat` returned by [`BinlogReader::next`]. Events of a transaction
//! that was partly returned before the failure are returned again from its start (harmless
//! downstream: row images are full). Definite errors (purged position, corrupt event, checksum
//! mismatch, schema mismatch) are returned and the reader stops.

use std::collections::{HashMap, VecDeque};
use std::panic::AssertUnwindSafe;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{FutureExt, StreamExt};
use mysql_async::prelude::Queryable;
use mysql_async::{BinlogStream, BinlogStreamRequest, Conn, Sid};

use crate::change::SourceEvent;
use crate::error::Error;
use crate::position::{GtidState, Position};
use crate::schema::{TableId, TableSchema};
use crate::source::connect::{self, classify};
use crate::source::event_decoder::{EventDecoder, WatchedTables};
use crate::source::table_map::{self, TableMap};
use crate::source::{global_variable, schema_loader, server_flavor, Flavor, SourceSettings};

/// First delay before reconnecting.
const BACKOFF_START: Duration = Duration::from_millis(200);
/// Longest delay between reconnection attempts.
const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// Reads the source's binlog as a replica; see the module documentation.
pub struct BinlogReader {
    settings: SourceSettings,
    watched: WatchedTables,
    flavor: Flavor,
    /// Where a reconnection resumes: just after the last boundary returned by `next`.
    resume: Position,
    decoder: EventDecoder,
    stream: Option<BinlogStream>,
    /// Connection id of the current dump connection (for operators and tests: `KILL <id>`).
    connection_id: Option<u32>,
    /// Connection for `information_schema` queries (opened on first need).
    metadata: Option<Conn>,
    /// `information_schema` schemas, refreshed after DDL and on a TABLE_MAP mismatch.
    table_schemas: HashMap<TableId, Arc<TableSchema>>,
    pending: VecDeque<SourceEvent>,
    backoff: Duration,
    reconnect_count: u64,
}

impl BinlogReader {
    /// Connects and requests the binlog from `from`. Errors of this first connection are
    /// returned as they are (no retry), so a bad configuration fails fast.
    pub async fn start(
        settings: SourceSettings,
        from: Position,
        watched: Arc<dyn Fn(&TableId) -> bool + Send + Sync>,
    ) -> Result<BinlogReader, Error> {
        let mut conn = connect::open(&settings).await?;
        let (flavor, _) = server_flavor(&mut conn).await?;
        let decoder = EventDecoder::new(&from, Some(flavor), watched.clone(), false);
        let mut reader = BinlogReader {
            settings,
            watched,
            flavor,
            resume: from,
            decoder,
            stream: None,
            connection_id: None,
            metadata: None,
            table_schemas: HashMap::new(),
            pending: VecDeque::new(),
            backoff: BACKOFF_START,
            reconnect_count: 0,
        };
        reader.open_stream(conn).await?;
        Ok(reader)
    }

    /// The connection id of the dump connection (`KILL` it to test reconnection).
    pub fn connection_id(&self) -> Option<u32> {
        self.connection_id
    }

    /// How many times the reader reconnected after a transient error.
    pub fn reconnect_count(&self) -> u64 {
        self.reconnect_count
    }

    /// The position a reconnection would resume from.
    pub fn resume_position(&self) -> &Position {
        &self.resume
    }

    /// The source's flavour.
    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    /// The next event, in commit order. Transient failures are handled inside (reconnect);
    /// an `Err` is definite.
    pub async fn next(&mut self) -> Result<SourceEvent, Error> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                match &event {
                    SourceEvent::Commit { position, .. }
                    | SourceEvent::Ddl { position, .. }
                    | SourceEvent::Heartbeat { position } => self.resume = position.clone(),
                    SourceEvent::Rows { .. } => {}
                }
                return Ok(event);
            }
            if self.stream.is_none() {
                self.reconnect().await?;
                continue;
            }
            match self.read_event().await {
                Ok(()) => self.backoff = BACKOFF_START,
                Err(error) if error.is_transient() => {
                    tracing::warn!(
                        message = "Binlog connection lost; reconnecting.",
                        error = %error,
                        resume = %self.resume
                    );
                    self.drop_stream();
                }
                Err(error) => {
                    self.drop_stream();
                    return Err(error);
                }
            }
        }
    }

    fn drop_stream(&mut self) {
        self.stream = None;
        self.connection_id = None;
        self.pending.clear();
        self.decoder =
            EventDecoder::new(&self.resume, Some(self.flavor), self.watched.clone(), false);
    }

    /// Reconnects with back-off until a stream is open or a definite error occurs.
    async fn reconnect(&mut self) -> Result<(), Error> {
        loop {
            tokio::time::sleep(self.backoff).await;
            self.backoff = (self.backoff * 2).min(BACKOFF_MAX);
            let attempt = async {
                let conn = connect::open(&self.settings).await?;
                self.open_stream(conn).await
            };
            match attempt.await {
                Ok(()) => {
                    self.reconnect_count += 1;
                    tracing::info!(message = "Binlog connection re-established.", resume = %self.resume);
                    return Ok(());
                }
                Err(error) if error.is_transient() => {
                    tracing::warn!(message = "Reconnecting to the source failed.", error = %error);
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Sends the session settings and the dump request on `conn`, from `self.resume`.
    async fn open_stream(&mut self, mut conn: Conn) -> Result<(), Error> {
        let checksum = global_variable(&mut conn, "binlog_checksum")
            .await?
            .unwrap_or_default();
        let expect_checksum = checksum.eq_ignore_ascii_case("CRC32");
        let period_ns = self.settings.heartbeat.as_nanos().max(1_000_000);
        // Why interpolation is safe: numbers only.
        for variable in ["master_heartbeat_period", "source_heartbeat_period"] {
            conn.query_drop(format!("SET @{variable} = {period_ns}"))
                .await
                .map_err(|error| classify(error).context("setting the heartbeat period"))?;
        }
        let server_id = self.settings.server_id;
        let from = self.resume.clone();
        let file_bytes = from.file.clone().into_bytes();
        let mut sids = Vec::new();
        let request = match (self.flavor, &from.gtid) {
            (Flavor::MariaDb, gtid) => {
                conn.query_drop("SET @mariadb_slave_capability = 4")
                    .await
                    .map_err(|error| {
                        classify(error).context("announcing MariaDB GTID capability")
                    })?;
                if let Some(GtidState::MariaDb(list)) = gtid {
                    conn.exec_drop("SET @slave_connect_state = ?", (list.to_string(),))
                        .await
                        .map_err(|error| classify(error).context("setting @slave_connect_state"))?;
                    BinlogStreamRequest::new(server_id)
                } else {
                    BinlogStreamRequest::new(server_id)
                        .with_filename(&file_bytes)
                        .with_pos(from.pos)
                }
            }
            (Flavor::MySql, Some(GtidState::MySql(set))) => {
                for ((uuid, tag), intervals) in &set.sids {
                    let text = intervals
                        .iter()
                        .map(|(start, end)| format!("{start}-{}", end - 1))
                        .collect::<Vec<_>>()
                        .join(":");
                    if text.is_empty() {
                        continue;
                    }
                    let sid_text = if tag.is_empty() {
                        format!("{uuid}:{text}")
                    } else {
                        format!("{uuid}:{tag}:{text}")
                    };
                    sids.push(Sid::from_str(&sid_text).map_err(|error| {
                        Error::definite(format!("GTID set {set} cannot be sent: {error}"))
                    })?);
                }
                BinlogStreamRequest::new(server_id)
                    .with_gtid()
                    .with_gtid_set(sids)
            }
            (Flavor::MySql, _) => BinlogStreamRequest::new(server_id)
                .with_filename(&file_bytes)
                .with_pos(from.pos),
        };
        let connection_id = conn.id();
        let stream = conn.get_binlog_stream(request).await.map_err(|error| {
            classify(error).context(format!("requesting the binlog from {from}"))
        })?;
        self.decoder = EventDecoder::new(
            &from,
            Some(self.flavor),
            self.watched.clone(),
            expect_checksum,
        );
        self.stream = Some(stream);
        self.connection_id = Some(connection_id);
        Ok(())
    }

    /// Reads one event and hands it to the decoder.
    async fn read_event(&mut self) -> Result<(), Error> {
        let Some(stream) = self.stream.as_mut() else {
            return Err(Error::transient("no binlog stream"));
        };
        let read_timeout = self.settings.read_timeout;
        let next =
            tokio::time::timeout(read_timeout, AssertUnwindSafe(stream.next()).catch_unwind())
                .await;
        let event = match next {
            Err(_elapsed) => {
                return Err(Error::transient(format!(
                    "no binlog event or heartbeat from the source for {read_timeout:?}"
                )))
            }
            Ok(Err(_panic)) => {
                return Err(Error::definite(format!(
                    "a malformed binlog event after {} made the parser fail",
                    self.decoder.position()
                )))
            }
            Ok(Ok(None)) => return Err(Error::transient("the source closed the binlog stream")),
            Ok(Ok(Some(Err(error)))) => {
                return Err(classify(error).context(format!(
                    "reading the binlog after {}",
                    self.decoder.position()
                )))
            }
            Ok(Ok(Some(Ok(event)))) => event,
        };
        if let Some(map) = self.decoder.schema_needed(&event)? {
            let schema = self.resolve_schema(map.clone()).await?;
            self.decoder.install_schema(map, schema);
        }
        let before = self.pending.len();
        self.decoder.handle(&event, &mut self.pending)?;
        for produced in self.pending.iter().skip(before) {
            if let SourceEvent::Ddl { tables, .. } = produced {
                if tables.is_empty() {
                    self.table_schemas.clear();
                } else {
                    for table in tables {
                        self.table_schemas.remove(table);
                    }
                }
            }
        }
        Ok(())
    }

    /// The schema rows of `map` are decoded with: `information_schema` matched with the
    /// TABLE_MAP; on a mismatch the schema is re-read once, then the mismatch is definite.
    ///
    /// A table the source no longer has (dropped while the daemon lagged) is described by the
    /// TABLE_MAP alone when it carries names and the primary key (`binlog_row_metadata=FULL`);
    /// without them its rows cannot be decoded, which is a definite error.
    async fn resolve_schema(&mut self, map: TableMap) -> Result<Arc<TableSchema>, Error> {
        let Some(known) = self.table_schema(&map.table, false).await? else {
            return self.dropped_table_schema(&map);
        };
        if let Ok(schema) = table_map::resolve(&map, &known) {
            return Ok(Arc::new(schema));
        }
        let Some(fresh) = self.table_schema(&map.table, true).await? else {
            return self.dropped_table_schema(&map);
        };
        table_map::resolve(&map, &fresh)
            .map(Arc::new)
            .map_err(|reason| {
                Error::definite(format!(
                    "{}: the binlog's columns do not match the table (at {}): {reason}",
                    map.table,
                    self.decoder.position()
                ))
                .with_hint("the table changed in a way rows cannot be matched to; re-snapshot it")
            })
    }

    /// The schema of a table that no longer exists on the source, from its TABLE_MAP.
    fn dropped_table_schema(&self, map: &TableMap) -> Result<Arc<TableSchema>, Error> {
        if !map.has_names() || map.primary_key.is_none() {
            return Err(Error::definite(format!(
                "{}: the binlog has rows of a table the source no longer has (at {}), and its \
                 TABLE_MAP carries no column names or primary key to decode them with",
                map.table,
                self.decoder.position()
            ))
            .with_hint(
                "set binlog_row_metadata=FULL on the source (rows written from then on carry their \
                 own description), or exclude the table from source.tables",
            ));
        }
        let schema = table_map::schema_from_table_map(map).map_err(|reason| {
            Error::definite(format!(
                "{}: cannot describe a dropped table from its TABLE_MAP (at {}): {reason}",
                map.table,
                self.decoder.position()
            ))
        })?;
        tracing::info!(table = %map.table, "The table no longer exists on the source: its rows are decoded with the TABLE_MAP's own description.");
        Ok(Arc::new(schema))
    }

    /// The table's schema from `information_schema` (cached unless `refresh`); `None` when the
    /// source has no such table.
    async fn table_schema(
        &mut self,
        table: &TableId,
        refresh: bool,
    ) -> Result<Option<Arc<TableSchema>>, Error> {
        if !refresh {
            if let Some(schema) = self.table_schemas.get(table) {
                return Ok(Some(schema.clone()));
            }
        }
        if self.metadata.is_none() {
            self.metadata = Some(connect::open(&self.settings).await?);
        }
        let Some(conn) = self.metadata.as_mut() else {
            return Err(Error::transient("no metadata connection"));
        };
        match schema_loader::load_table_schema_if_exists(conn, table).await {
            Ok(Some(schema)) => {
                let schema = Arc::new(schema);
                self.table_schemas.insert(table.clone(), schema.clone());
                Ok(Some(schema))
            }
            Ok(None) => Ok(None),
            Err(error) => {
                if error.is_transient() {
                    self.metadata = None;
                }
                Err(error)
            }
        }
    }
}
