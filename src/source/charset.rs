//! Conversion of MySQL character-set encoded bytes to UTF-8 text.
//!
//! Binlog row images carry text columns in the column's own character set; result sets arrive
//! already converted by the server to the connection's `utf8mb4`. Both must give the same
//! `String`. MySQL's `latin1` is Windows-1252 (with the five undefined bytes mapped to the C1
//! controls, as WHATWG's Windows-1252 does), not ISO-8859-1.
//! Invariant: bytes that are not valid in their character set are an error, never replaced
//! silently.

use compact_str::CompactString;
use encoding_rs::Encoding;

/// Whether `charset` (a MySQL character-set name) is supported by [`to_utf8`].
pub fn is_supported(charset: &str) -> bool {
    is_utf8(charset) || charset == "utf32" || encoding_for(charset).is_some()
}

/// Whether text in `charset` is valid UTF-8 as it is stored (ASCII and binary included).
fn is_utf8(charset: &str) -> bool {
    matches!(charset, "utf8mb4" | "utf8mb3" | "utf8" | "ascii" | "binary")
}

/// Decodes `bytes` stored in MySQL character set `charset` into a `String`.
///
/// `Err` carries a description of the problem (the caller names the column).
pub fn to_utf8(bytes: &[u8], charset: &str) -> Result<String, String> {
    match charset {
        _ if is_utf8(charset) => std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|error| format!("invalid {charset} text: {error}")),
        "utf32" => utf32_to_utf8(bytes),
        other => {
            let encoding = encoding_for(other)
                .ok_or_else(|| format!("character set {other} is not supported"))?;
            encoding
                .decode_without_bom_handling_and_without_replacement(bytes)
                .map(|text| text.into_owned())
                .ok_or_else(|| format!("invalid {other} text"))
        }
    }
}

/// Like [`to_utf8`], but takes the bytes: UTF-8 text becomes the `String` without a copy.
pub fn into_utf8(bytes: Vec<u8>, charset: &str) -> Result<String, String> {
    if !is_utf8(charset) {
        return to_utf8(&bytes, charset);
    }
    String::from_utf8(bytes)
        .map_err(|error| format!("invalid {charset} text: {}", error.utf8_error()))
}

/// Like [`to_utf8`], into a `CompactString`: short UTF-8 text is held inline, not allocated.
pub fn to_utf8_compact(bytes: &[u8], charset: &str) -> Result<CompactString, String> {
    if !is_utf8(charset) {
        return to_utf8(bytes, charset).map(CompactString::from);
    }
    CompactString::from_utf8(bytes).map_err(|error| format!("invalid {charset} text: {error}"))
}

/// The WHATWG encoding of a MySQL character set, when one matches it exactly.
fn encoding_for(charset: &str) -> Option<&'static Encoding> {
    let label: &[u8] = match charset {
        "latin1" => b"windows-1252",
        "cp1250" => b"windows-1250",
        "cp1251" => b"windows-1251",
        "cp1256" => b"windows-1256",
        "cp1257" => b"windows-1257",
        "latin2" => b"iso-8859-2",
        "greek" => b"iso-8859-7",
        "hebrew" => b"iso-8859-8",
        "latin5" => b"windows-1254",
        "latin7" => b"iso-8859-13",
        "koi8r" => b"koi8-r",
        "koi8u" => b"koi8-u",
        "cp866" => b"ibm866",
        "macroman" => b"macintosh",
        "gbk" | "gb2312" => b"gbk",
        "gb18030" => b"gb18030",
        "big5" => b"big5",
        "sjis" | "cp932" => b"shift_jis",
        "ujis" | "eucjpms" => b"euc-jp",
        "euckr" => b"euc-kr",
        "tis620" => b"windows-874",
        "utf16" | "ucs2" => b"utf-16be",
        "utf16le" => b"utf-16le",
        _ => return None,
    };
    Encoding::for_label(label)
}

fn utf32_to_utf8(bytes: &[u8]) -> Result<String, String> {
    if bytes.len() % 4 != 0 {
        return Err("invalid utf32 text: length is not a multiple of 4".into());
    }
    bytes
        .chunks_exact(4)
        .map(|unit| {
            let code = u32::from_be_bytes([unit[0], unit[1], unit[2], unit[3]]);
            char::from_u32(code).ok_or_else(|| format!("invalid utf32 code point {code:#x}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_is_windows_1252() {
        assert_eq!(to_utf8(b"caf\xe9 \x80", "latin1").unwrap(), "café €");
        assert_eq!(to_utf8(b"\x81", "latin1").unwrap(), "\u{81}");
    }

    #[test]
    fn utf8_is_checked_not_replaced() {
        assert_eq!(
            to_utf8("😀\t\n\\N".as_bytes(), "utf8mb4").unwrap(),
            "😀\t\n\\N"
        );
        assert!(to_utf8(b"\xff", "utf8mb4").is_err());
    }

    #[test]
    fn other_character_sets() {
        assert_eq!(to_utf8(&[0x00, 0x41, 0x04, 0x10], "ucs2").unwrap(), "AА");
        assert_eq!(to_utf8(&[0, 1, 0xf6, 0x00], "utf32").unwrap(), "😀");
        assert_eq!(to_utf8(b"\xc4\xe3", "gbk").unwrap(), "你");
        assert!(to_utf8(b"x", "swe7").is_err());
        assert!(!is_supported("swe7") && is_supported("latin1"));
    }
}
