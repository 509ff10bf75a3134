//! Decompression of Stream Load bodies: CSV formats `gzip`, `deflate`, `zstd`, `lz4` (LZ4 frame)
//! and the `compression` / `Content-Encoding` header values (`gzip`, `deflate`, `zstd`,
//! `lz4_frame`).
//!
//! `bzip2` is recognised (StarRocks accepts it) but not implemented: such loads fail with a message
//! that says so, rather than loading garbage.

use std::io::Read;

/// A body compression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Gzip,
    Deflate,
    Zstd,
    Lz4Frame,
    Bzip2,
}

impl Compression {
    /// Parses a `compression` / `Content-Encoding` header value (case-insensitive).
    pub fn from_header(value: &str) -> Option<Self> {
        match value.to_ascii_lowercase().as_str() {
            "gzip" => Some(Self::Gzip),
            "deflate" => Some(Self::Deflate),
            "zstd" => Some(Self::Zstd),
            "lz4_frame" | "lz4" => Some(Self::Lz4Frame),
            "bzip2" => Some(Self::Bzip2),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Gzip => "gzip",
            Self::Deflate => "deflate",
            Self::Zstd => "zstd",
            Self::Lz4Frame => "lz4",
            Self::Bzip2 => "bzip2",
        }
    }
}

/// Decompresses `body`. The error is the load's failure message.
pub fn decompress(body: &[u8], compression: Compression) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let result = match compression {
        Compression::Gzip => flate2::read::MultiGzDecoder::new(body).read_to_end(&mut out),
        Compression::Deflate => {
            // Why: "deflate" is zlib-wrapped in StarRocks' decompressor; accept a raw stream too.
            let zlib = flate2::read::ZlibDecoder::new(body).read_to_end(&mut out);
            if zlib.is_err() {
                out.clear();
                flate2::read::DeflateDecoder::new(body).read_to_end(&mut out)
            } else {
                zlib
            }
        }
        Compression::Zstd => {
            zstd::stream::read::Decoder::new(body).and_then(|mut d| d.read_to_end(&mut out))
        }
        Compression::Lz4Frame => lz4_flex::frame::FrameDecoder::new(body).read_to_end(&mut out),
        Compression::Bzip2 => {
            return Err("bzip2 bodies are not supported by the StarRocks emulator".to_string())
        }
    };
    match result {
        Ok(_) => Ok(out),
        Err(error) => Err(format!(
            "Failed to decompress {} data: {error}",
            compression.name()
        )),
    }
}
