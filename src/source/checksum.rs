//! CRC32 verification of binlog events (`binlog_checksum=CRC32`).
//!
//! `mysql_common` strips the checksum but does not verify it. The checksum covers the 19-byte
//! header and the event data; for a FORMAT_DESCRIPTION event also the algorithm byte, computed
//! with the "binlog in use" flag cleared. Events inside a TRANSACTION_PAYLOAD carry none (their
//! footer says checksums are disabled) and are not checked.

use mysql_async::binlog::events::{BinlogEventHeader, Event};
use mysql_async::binlog::{BinlogChecksumAlg, EventType};

const BINLOG_IN_USE_FLAG: u16 = 0x0001;

/// The 19 header bytes as written on the wire, with `flags` replaced.
pub fn header_bytes(header: &BinlogEventHeader, flags: u16) -> [u8; 19] {
    let mut bytes = [0_u8; 19];
    bytes[0..4].copy_from_slice(&header.timestamp().to_le_bytes());
    bytes[4] = header.event_type_raw();
    bytes[5..9].copy_from_slice(&header.server_id().to_le_bytes());
    bytes[9..13].copy_from_slice(&header.event_size().to_le_bytes());
    bytes[13..17].copy_from_slice(&header.log_pos().to_le_bytes());
    bytes[17..19].copy_from_slice(&flags.to_le_bytes());
    bytes
}

/// Verifies the CRC32 of `event` when it carries one. `Err` describes the mismatch.
pub fn verify(event: &Event) -> Result<(), String> {
    let footer = event.footer();
    if !footer.get_checksum_enabled() {
        return Ok(());
    }
    match footer.get_checksum_alg() {
        Ok(Some(BinlogChecksumAlg::BINLOG_CHECKSUM_ALG_CRC32)) => {}
        Ok(Some(BinlogChecksumAlg::BINLOG_CHECKSUM_ALG_OFF)) | Ok(None) => return Ok(()),
        Err(unknown) => return Err(format!("unknown checksum algorithm: {unknown}")),
    }
    let Some(stored) = event.checksum() else {
        return Ok(());
    };
    let stored = u32::from_le_bytes(stored);
    let header = event.header();
    let is_fde = header.event_type_raw() == EventType::FORMAT_DESCRIPTION_EVENT as u8;
    let compute = |flags: u16| {
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&header_bytes(&header, flags));
        hasher.update(event.data());
        if is_fde {
            hasher.update(&[BinlogChecksumAlg::BINLOG_CHECKSUM_ALG_CRC32 as u8]);
        }
        hasher.finalize()
    };
    let flags = header.flags_raw();
    let matches =
        compute(flags) == stored || (is_fde && compute(flags & !BINLOG_IN_USE_FLAG) == stored);
    if matches {
        Ok(())
    } else {
        Err(format!(
            "checksum mismatch in a binlog event of type {} (stored {stored:#010x})",
            header.event_type_raw()
        ))
    }
}

/// For a ROTATE event read before any FORMAT_DESCRIPTION event (the server's fake first
/// ROTATE), `mysql_common` does not know whether checksums are on. MariaDB sends that event with
/// a checksum, which then ends up as 4 bytes at the end of the file name (mysql_async issue
/// #189); MySQL 9.7 sends it without. When the last 4 bytes are the CRC32 of the rest of the
/// event, they are the checksum and are split off; otherwise the name is whole. (A name whose
/// last 4 bytes happen to be such a CRC has a chance of 2^-32, and the caller checks that the
/// name is a plausible file name.)
pub fn split_fake_rotate_name<'a>(event: &Event, name: &'a [u8]) -> &'a [u8] {
    let data = event.data();
    if name.len() < 4 || data.len() < 4 {
        return name;
    }
    let (body, tail) = data.split_at(data.len() - 4);
    let stored = u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]);
    let header = event.header();
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&header_bytes(&header, header.flags_raw()));
    hasher.update(body);
    if hasher.finalize() == stored {
        &name[..name.len() - 4]
    } else {
        name
    }
}
