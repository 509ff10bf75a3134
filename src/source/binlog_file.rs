//! Reading binlog files from disk (fixture tests, diagnostics): the same events the replication
//! stream delivers, framed and checked here.
//!
//! Framing is validated before `mysql_common` parses an event (it panics on short input), and
//! its parsing runs under `catch_unwind`: a truncated or corrupt file is an error, never a
//! crash. Compressed transactions yield their inner events after the TRANSACTION_PAYLOAD event,
//! as the network stream does.

use std::collections::VecDeque;
use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;

use mysql_async::binlog::events::{Event, FormatDescriptionEvent, TransactionPayloadEvent};
use mysql_async::binlog::{BinlogVersion, EventType};

use crate::change::SourceEvent;
use crate::error::Error;
use crate::position::{GtidState, Position};
use crate::source::event_decoder::{guard, EventDecoder, WatchedTables};
use crate::source::table_map;

const MAGIC: [u8; 4] = [0xfe, b'b', b'i', b'n'];
const HEADER_LEN: usize = 19;

/// Iterator over the events of one binlog file held in memory.
pub struct BinlogFileEvents {
    name: String,
    bytes: Vec<u8>,
    offset: usize,
    format: FormatDescriptionEvent<'static>,
    /// Decompressed payload of the current TRANSACTION_PAYLOAD, and its read offset.
    payload: Option<Cursor<Vec<u8>>>,
    failed: bool,
}

impl BinlogFileEvents {
    /// Reads `path`; its content must start with the binlog magic.
    pub fn open(path: &Path) -> Result<Self, Error> {
        let bytes = std::fs::read(path)
            .map_err(|error| Error::definite(format!("cannot read {}: {error}", path.display())))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Self::from_bytes(name, bytes)
    }

    /// Events of a binlog file's content.
    pub fn from_bytes(name: String, bytes: Vec<u8>) -> Result<Self, Error> {
        if bytes.get(..4) != Some(&MAGIC[..]) {
            return Err(Error::definite(format!(
                "{name}: not a binlog file (bad magic)"
            )));
        }
        Ok(BinlogFileEvents {
            name,
            bytes,
            offset: 4,
            format: FormatDescriptionEvent::new(BinlogVersion::Version4),
            payload: None,
            failed: false,
        })
    }

    fn error(&mut self, reason: String) -> Error {
        self.failed = true;
        Error::definite(format!("{}:{}: {reason}", self.name, self.offset))
    }

    fn next_inner(&mut self) -> Option<Result<Event, Error>> {
        let cursor = self.payload.as_mut()?;
        let start = cursor.position() as usize;
        let data = cursor.get_ref();
        if start >= data.len() {
            self.payload = None;
            return None;
        }
        let Some(size) = data
            .get(start + 9..start + 13)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        else {
            return Some(Err(
                self.error("truncated event inside a compressed transaction".into())
            ));
        };
        if size < HEADER_LEN || start + size > data.len() {
            return Some(Err(
                self.error("malformed event inside a compressed transaction".into())
            ));
        }
        let slice = data[start..start + size].to_vec();
        cursor.set_position((start + size) as u64);
        let mut footer = self.format.footer();
        footer.set_checksum_enabled(false);
        let format = self.format.clone().with_footer(footer);
        Some(
            guard("compressed", || {
                Event::read(&format, &slice[..]).map_err(|e| e.to_string())
            })
            .map_err(|reason| self.error(reason)),
        )
    }
}

impl Iterator for BinlogFileEvents {
    type Item = Result<Event, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        if let Some(inner) = self.next_inner() {
            return Some(inner);
        }
        let rest = &self.bytes[self.offset..];
        if rest.is_empty() {
            return None;
        }
        if rest.len() < HEADER_LEN {
            return Some(Err(
                self.error(format!("truncated event header ({} bytes)", rest.len()))
            ));
        }
        let size = u32::from_le_bytes([rest[9], rest[10], rest[11], rest[12]]) as usize;
        if size < HEADER_LEN || size > rest.len() {
            return Some(Err(self.error(format!(
                "event of {size} bytes but {} bytes remain: truncated or corrupt",
                rest.len()
            ))));
        }
        let slice = rest[..size].to_vec();
        let format = self.format.clone();
        let event = match guard("binlog", || {
            Event::read(&format, &slice[..]).map_err(|e| e.to_string())
        }) {
            Ok(event) => event,
            Err(reason) => return Some(Err(self.error(reason))),
        };
        let event_type = event.header().event_type_raw();
        if event_type == EventType::FORMAT_DESCRIPTION_EVENT as u8 {
            match guard("FORMAT_DESCRIPTION", || {
                event
                    .read_event::<FormatDescriptionEvent<'_>>()
                    .map(|f| f.into_owned())
                    .map_err(|e| e.to_string())
            }) {
                Ok(format) => self.format = format.with_footer(event.footer()),
                Err(reason) => return Some(Err(self.error(reason))),
            }
        } else if event_type == EventType::TRANSACTION_PAYLOAD_EVENT as u8 {
            let payload = guard("TRANSACTION_PAYLOAD", || {
                let payload = event
                    .read_event::<TransactionPayloadEvent<'_>>()
                    .map_err(|e| e.to_string())?;
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(
                    &mut payload.decompressed().map_err(|e| e.to_string())?,
                    &mut bytes,
                )
                .map_err(|e| e.to_string())?;
                Ok(bytes)
            });
            match payload {
                Ok(bytes) => self.payload = Some(Cursor::new(bytes)),
                Err(reason) => return Some(Err(self.error(reason))),
            }
        }
        self.offset += size;
        Some(Ok(event))
    }
}

/// Decodes a whole binlog file into `SourceEvent`s, with schemas taken from the TABLE_MAP
/// metadata alone (there is no server to ask). Rows of tables `watched` rejects are skipped.
pub fn decode_file(path: &Path, watched: WatchedTables) -> Result<Vec<SourceEvent>, Error> {
    decode_file_from(path, None, watched)
}

/// Like [`decode_file`], tracking GTIDs from `gtid` (the state before the file).
pub fn decode_file_from(
    path: &Path,
    gtid: Option<GtidState>,
    watched: WatchedTables,
) -> Result<Vec<SourceEvent>, Error> {
    let events = BinlogFileEvents::open(path)?;
    let start = Position {
        file: events.name.clone(),
        pos: 4,
        gtid,
    };
    let mut decoder = EventDecoder::new(&start, None, watched, false);
    let mut out = VecDeque::new();
    for event in events {
        let event = event?;
        if let Some(map) = decoder.schema_needed(&event)? {
            let schema = table_map::schema_from_table_map(&map).map_err(Error::definite)?;
            decoder.install_schema(map, Arc::new(schema));
        }
        decoder.handle(&event, &mut out)?;
    }
    Ok(out.into())
}
