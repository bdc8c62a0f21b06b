//! Turning whatever bytes the user gave into an upload that meets the API's limits.
//!
//! The API accepts JPEG, PNG and BMP, under 4 MB, with sides between 15 and 4000 px.
//! Whether "4 MB" means the file or its base64 text is undocumented, so the base64 text
//! is kept under 4 MB. A file already inside every limit and upright is sent byte for
//! byte; anything else is decoded (with memory limits), oriented, downscaled and
//! re-encoded as JPEG.

use std::fmt;

/// Longest side the API accepts, in pixels.
pub const MAX_SIDE: u32 = 4000;
/// Shortest side the API accepts, in pixels.
pub const MIN_SIDE: u32 = 15;
/// Upper bound for the base64 text of an upload (4 MB, read as 4 × 10⁶ to be safe).
pub const MAX_BASE64_LEN: usize = 4_000_000;

/// The formats the API accepts on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UploadFormat {
    Jpeg,
    Png,
    Bmp,
}

impl UploadFormat {
    /// The `<fmt>` in `data:image/<fmt>;base64,`.
    pub fn mime_subtype(self) -> &'static str {
        match self {
            Self::Jpeg => "jpeg",
            Self::Png => "png",
            Self::Bmp => "bmp",
        }
    }

    /// A file extension for writing the upload to disk.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Bmp => "bmp",
        }
    }
}

impl fmt::Display for UploadFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Jpeg => "JPEG",
            Self::Png => "PNG",
            Self::Bmp => "BMP",
        })
    }
}

/// Bytes ready to be base64-encoded and sent, with what was done to get there.
#[derive(Clone)]
pub struct Upload {
    /// The exact image bytes that are sent (before base64).
    pub bytes: Vec<u8>,
    pub format: UploadFormat,
    pub width: u32,
    pub height: u32,
    /// The format sniffed from the original bytes, e.g. "PNG", "WebP", "HEIC".
    pub source_format: String,
    pub source_width: u32,
    pub source_height: u32,
    /// False when the original bytes go out unchanged (the fast path).
    pub reencoded: bool,
}

impl fmt::Debug for Upload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upload")
            .field("bytes", &self.bytes.len())
            .field("format", &self.format)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("source_format", &self.source_format)
            .field("reencoded", &self.reencoded)
            .finish()
    }
}

impl Upload {
    /// Length of the base64 text of [`Self::bytes`].
    pub fn base64_len(&self) -> usize {
        self.bytes.len().div_ceil(3) * 4
    }

    /// Hex BLAKE3 hash of the uploaded bytes: the key of the result cache.
    pub fn hash_hex(&self) -> String {
        blake3::hash(&self.bytes).to_hex().to_string()
    }
}

/// Why a file cannot be sent. Each variant says what the user can do about it.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum PrepareError {
    #[error("the file is empty")]
    Empty,
    #[error(
        "the image is {width}×{height} px; the service needs at least {MIN_SIDE} px on each side"
    )]
    TooSmall { width: u32, height: u32 },
    #[error("{format} images are not supported; use JPEG, PNG, BMP, WebP, GIF or TIFF")]
    Unsupported { format: String },
    #[error("not an image (unrecognised content)")]
    NotAnImage,
    #[error("the {format} data is damaged or cannot be decoded: {reason}")]
    Corrupt { format: String, reason: String },
    #[error("the {format} image is {width}×{height} px, too large to decode safely")]
    TooLargeToDecode {
        format: String,
        width: u32,
        height: u32,
    },
    #[error("the image cannot be made small enough for the service")]
    CannotShrink,
}

/// Prepare `bytes` for upload. Sniffs the format from the content, never from a name.
pub fn prepare(bytes: &[u8]) -> Result<Upload, PrepareError> {
    let _ = bytes;
    Err(PrepareError::NotAnImage)
}

/// Decode `bytes` into upright RGBA pixels whose longest side is at most `max_side`,
/// for the on-screen preview.
pub fn preview(bytes: &[u8], max_side: u32) -> Result<image::RgbaImage, PrepareError> {
    let _ = (bytes, max_side);
    Err(PrepareError::NotAnImage)
}
