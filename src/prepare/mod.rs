//! Turning whatever bytes the user gave into an upload that meets the API's limits.
//!
//! The API accepts JPEG, PNG and BMP, under 4 MB, with sides between 15 and 4000 px.
//! Whether "4 MB" means the file or its base64 text is undocumented, so the base64 text
//! is kept under 4 MB. A file already inside every limit and upright is sent byte for
//! byte (once a decode has shown its data is whole); anything else is decoded (with
//! memory limits), oriented, downscaled and re-encoded as JPEG. The same decoding feeds
//! the on-screen preview and the history thumbnail.
//!
//! Files: `sniff` recognises formats by content, `decode` reads headers and pixels within
//! limits, `encode` resizes and encodes until the upload fits.

mod decode;
mod encode;
mod sniff;

use std::fmt;

use image::metadata::Orientation;

pub use decode::{MAX_DECODE_BYTES, MAX_DECODE_PIXELS};
pub use sniff::{SourceFormat, sniff};

/// Longest side the API accepts, in pixels.
pub const MAX_SIDE: u32 = 4000;
/// Shortest side the API accepts, in pixels.
pub const MIN_SIDE: u32 = 15;
/// Upper bound for the base64 text of an upload (4 MB, read as 4 × 10⁶ to be safe).
pub const MAX_BASE64_LEN: usize = 4_000_000;
/// Largest upload in bytes whose base64 text stays under [`MAX_BASE64_LEN`].
pub const MAX_UPLOAD_BYTES: usize = (MAX_BASE64_LEN - 1) / 4 * 3;
/// Longest side of a history thumbnail, in pixels.
pub const THUMBNAIL_SIDE: u32 = 128;

/// Whether `len` bytes encode to base64 text shorter than [`MAX_BASE64_LEN`].
pub fn base64_fits(len: usize) -> bool {
    len.div_ceil(3).saturating_mul(4) < MAX_BASE64_LEN
}

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
    #[error(
        "the image is {width}×{height} px, too long and thin: scaled to {MAX_SIDE} px on its \
         long side, its short side would be under {MIN_SIDE} px; crop it first"
    )]
    ExtremeAspect { width: u32, height: u32 },
    #[error("the image cannot be made small enough for the service")]
    CannotShrink,
    /// A failure in this program rather than in the file; worth reporting as a bug.
    #[error("internal error while preparing the image: {0}")]
    Internal(String),
}

/// Prepare `bytes` for upload. Sniffs the format from the content, never from a name.
///
/// A JPEG, PNG or BMP already inside every limit, upright and in a form any reader
/// understands goes out byte for byte; anything else is decoded, turned upright, scaled
/// to fit and re-encoded as JPEG.
pub fn prepare(bytes: &[u8]) -> Result<Upload, PrepareError> {
    let format = recognise(bytes)?;
    // The cheap checks come first, so a tiny or cut-short file is refused without a decode.
    let header = decode::probe(format, bytes)?;
    check_upload_header(bytes, &header)?;
    let (header, image) = decode::decode(format, bytes, check_sides)?;
    from_decoded(bytes, &header, image)
}

/// [`prepare`] and [`preview`] from one decode: `on_preview` gets the upright preview as
/// soon as the pixels are decoded, before the (slower) encoding of the upload.
///
/// The preview is offered even for images that cannot be sent (too small, cut short), so
/// the user sees what was refused.
pub fn prepare_with_preview(
    bytes: &[u8],
    max_side: u32,
    on_preview: impl FnOnce(Result<image::RgbaImage, PrepareError>),
) -> Result<Upload, PrepareError> {
    let decoded = recognise(bytes).and_then(|format| decode::decode(format, bytes, |_| Ok(())));
    let (header, image) = match decoded {
        Ok(decoded) => decoded,
        Err(err) => {
            on_preview(Err(err.clone()));
            return Err(err);
        }
    };
    on_preview(preview_from(&header, image.clone(), max_side));

    check_upload_header(bytes, &header)?;
    from_decoded(bytes, &header, image)
}

/// The limits that the header alone decides.
fn check_upload_header(bytes: &[u8], header: &decode::Header) -> Result<(), PrepareError> {
    check_sides(header)?;
    if header.format == SourceFormat::Jpeg && !sniff::jpeg_is_complete(bytes) {
        let reason = "the file is cut short (no end-of-image marker)".to_owned();
        return Err(PrepareError::Corrupt {
            format: header.format.name().to_owned(),
            reason,
        });
    }
    Ok(())
}

/// The upload from decoded pixels: the original bytes when they already fit, otherwise a
/// re-encoded JPEG.
///
/// The fast path still needs the decode: a header can look fine over pixel data that is
/// cut short or damaged. Sending that blind costs a billed call that comes back as "image
/// could not be loaded", after a network round trip, with a less helpful message.
fn from_decoded(
    bytes: &[u8],
    header: &decode::Header,
    image: image::DynamicImage,
) -> Result<Upload, PrepareError> {
    match sendable_as_is(bytes, header) {
        Some(wire_format) => Ok(as_is(bytes, header, wire_format)),
        None => reencode(header, image),
    }
}

/// Decode `bytes` into upright RGBA pixels whose longest side is at most `max_side`,
/// for the on-screen preview.
pub fn preview(bytes: &[u8], max_side: u32) -> Result<image::RgbaImage, PrepareError> {
    let format = recognise(bytes)?;
    let (header, image) = decode::decode(format, bytes, |_| Ok(()))?;
    preview_from(&header, image, max_side)
}

fn preview_from(
    header: &decode::Header,
    image: image::DynamicImage,
    max_side: u32,
) -> Result<image::RgbaImage, PrepareError> {
    let (width, height) = encode::fitted_size(image.width(), image.height(), max_side.max(1));
    let mut image = encode::resize(image, width, height, encode::Resample::Fast)?;
    image.apply_orientation(header.orientation);
    Ok(image.into_rgba8())
}

/// A small upright RGBA picture for the history list, at most [`THUMBNAIL_SIDE`] px.
pub fn thumbnail(bytes: &[u8]) -> Result<image::RgbaImage, PrepareError> {
    preview(bytes, THUMBNAIL_SIDE)
}

/// What the first bytes of a file alone show cannot be sent: nothing at all, no image,
/// or an image format that cannot be converted. `head` may be just the start of a file.
pub fn check_start(head: &[u8]) -> Result<(), PrepareError> {
    decodable_kind(head).map(|_| ())
}

/// The format named by the magic number, if this program has a decoder for it.
fn decodable_kind(bytes: &[u8]) -> Result<SourceFormat, PrepareError> {
    if bytes.is_empty() {
        return Err(PrepareError::Empty);
    }
    let format = sniff(bytes).ok_or(PrepareError::NotAnImage)?;
    if format.image_format().is_none() {
        return Err(PrepareError::Unsupported {
            format: format.name().to_owned(),
        });
    }
    Ok(format)
}

/// The format of `bytes`, if this program can decode it.
fn recognise(bytes: &[u8]) -> Result<SourceFormat, PrepareError> {
    let format = decodable_kind(bytes)?;
    let jpeg_coding = match format {
        SourceFormat::Jpeg => sniff::jpeg_frame(bytes).and_then(|f| f.unsupported_coding()),
        _ => None,
    };
    if let Some(coding) = jpeg_coding {
        return Err(PrepareError::Unsupported {
            format: coding.to_owned(),
        });
    }
    if format == SourceFormat::Bmp
        && let Some(reason) = sniff::bmp_header_problem(bytes)
    {
        return Err(PrepareError::Corrupt {
            format: format.name().to_owned(),
            reason,
        });
    }
    Ok(format)
}

/// Refuse images whose upright sides cannot meet the service's limits by scaling down.
fn check_sides(header: &decode::Header) -> Result<(), PrepareError> {
    let (width, height) = header.upright_size();
    if width.min(height) < MIN_SIDE {
        return Err(PrepareError::TooSmall { width, height });
    }
    let (fit_width, fit_height) = encode::fitted_size(width, height, MAX_SIDE);
    if fit_width.min(fit_height) < MIN_SIDE {
        return Err(PrepareError::ExtremeAspect { width, height });
    }
    Ok(())
}

/// The wire format of the original bytes, if they meet every limit and need no change
/// to look right.
fn sendable_as_is(bytes: &[u8], header: &decode::Header) -> Option<UploadFormat> {
    let widely_readable = match header.format {
        SourceFormat::Jpeg => sniff::jpeg_frame(bytes).is_some_and(|f| f.is_widely_supported()),
        // 16-bit PNGs are valid, but some readers choke on them and they are needlessly big.
        SourceFormat::Png => sniff::png_bit_depth(bytes).is_some_and(|depth| depth <= 8),
        SourceFormat::Bmp => sniff::bmp_is_plain(bytes),
        _ => false,
    };
    let fits = widely_readable
        && header.orientation == Orientation::NoTransforms
        && header.width.max(header.height) <= MAX_SIDE
        && header.width.min(header.height) >= MIN_SIDE
        && base64_fits(bytes.len());
    fits.then(|| header.format.upload_format()).flatten()
}

fn as_is(bytes: &[u8], header: &decode::Header, format: UploadFormat) -> Upload {
    tracing::debug!(%format, len = bytes.len(), "sending the original bytes");
    Upload {
        bytes: bytes.to_vec(),
        format,
        width: header.width,
        height: header.height,
        source_format: header.format.name().to_owned(),
        source_width: header.width,
        source_height: header.height,
        reencoded: false,
    }
}

/// Scale decoded pixels to fit, turn them upright, flatten and encode as JPEG under the
/// size limit.
fn reencode(header: &decode::Header, image: image::DynamicImage) -> Result<Upload, PrepareError> {
    let format = header.format;
    // Scale before turning upright: the longest side is the same either way, and
    // rotating the smaller image is cheaper.
    let (width, height) = encode::fitted_size(image.width(), image.height(), MAX_SIDE);
    let mut image = encode::resize(image, width, height, encode::Resample::Quality)?;
    image.apply_orientation(header.orientation);
    let jpeg = encode::encode_to_fit(encode::flatten_on_white(image))?;

    tracing::debug!(
        source = format.name(),
        source_width = header.width,
        source_height = header.height,
        width = jpeg.width,
        height = jpeg.height,
        len = jpeg.bytes.len(),
        "re-encoded as JPEG"
    );
    Ok(Upload {
        bytes: jpeg.bytes,
        format: UploadFormat::Jpeg,
        width: jpeg.width,
        height: jpeg.height,
        source_format: format.name().to_owned(),
        source_width: header.width,
        source_height: header.height,
        reencoded: true,
    })
}

#[cfg(test)]
mod tests;
