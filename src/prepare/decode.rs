//! Reading headers and decoding pixels, with memory limits, behind a panic guard.

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageReader, Limits};

use super::PrepareError;
use super::sniff::SourceFormat;

/// Largest buffer a decoder may allocate. A 108-megapixel phone photo needs about 330 MB
/// as RGB8; anything beyond this is refused before a single pixel is decoded.
pub const MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;
/// Largest pixel count we decode, whatever the bytes per pixel. Together with
/// [`MAX_DECODE_BYTES`] this keeps one image well under a gigabyte of memory in total.
pub const MAX_DECODE_PIXELS: u64 = 120_000_000;
/// Largest side a decoder is asked to accept. Far beyond any camera; sizes between this
/// and the pixel budget get the clearer [`PrepareError::TooLargeToDecode`].
const MAX_DECODE_SIDE: u32 = 1 << 20;

/// What the header says, read without decoding the pixels.
#[derive(Clone, Copy, Debug)]
pub struct Header {
    pub format: SourceFormat,
    /// As stored in the file, before orientation.
    pub width: u32,
    pub height: u32,
    pub orientation: Orientation,
}

impl Header {
    /// Whether showing the image upright swaps width and height.
    pub fn swaps_sides(&self) -> bool {
        use Orientation as O;
        matches!(
            self.orientation,
            O::Rotate90 | O::Rotate270 | O::Rotate90FlipH | O::Rotate270FlipH
        )
    }

    /// Width and height once the image is upright.
    pub fn upright_size(&self) -> (u32, u32) {
        if self.swaps_sides() {
            (self.height, self.width)
        } else {
            (self.width, self.height)
        }
    }
}

fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODE_SIDE);
    limits.max_image_height = Some(MAX_DECODE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    limits
}

/// Run third-party decoding code, turning a panic into [`PrepareError::Corrupt`].
///
/// The decoders are safe Rust, but fuzzers keep finding inputs that make some of them
/// panic (an index out of range, an overflow). One bad file in a batch of thousands must
/// fail alone instead of taking down the worker that prepares the rest. Nothing the
/// closure touched survives a panic, so asserting unwind safety is sound.
fn guarded<T>(
    format: SourceFormat,
    f: impl FnOnce() -> Result<T, PrepareError>,
) -> Result<T, PrepareError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(corrupt(
            format,
            "the decoder failed on this data".to_owned(),
        ))
    })
}

fn corrupt(format: SourceFormat, reason: String) -> PrepareError {
    PrepareError::Corrupt {
        format: format.name().to_owned(),
        reason,
    }
}

/// Turn a decoder error into the user-facing error, with a short reason.
fn decode_error(format: SourceFormat, header: Option<&Header>, err: ImageError) -> PrepareError {
    match err {
        ImageError::Limits(_) => match header {
            Some(h) => PrepareError::TooLargeToDecode {
                format: format.name().to_owned(),
                width: h.width,
                height: h.height,
            },
            None => corrupt(
                format,
                "the header declares a size beyond any real image".to_owned(),
            ),
        },
        ImageError::Unsupported(e) => corrupt(format, format!("uses an unsupported feature ({e})")),
        ImageError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            corrupt(format, "the file is cut short".to_owned())
        }
        // The inner error says what is wrong without the "Format error decoding X:" prefix.
        ImageError::Decoding(e) => match std::error::Error::source(&e) {
            Some(inner) => corrupt(format, short_reason(&inner.to_string())),
            None => corrupt(format, short_reason(&e.to_string())),
        },
        other => corrupt(format, short_reason(&other.to_string())),
    }
}

/// Decoder messages can be long and technical; keep the first sentence, bounded.
fn short_reason(message: &str) -> String {
    let first = message.split(['\n', ';']).next().unwrap_or(message).trim();
    let mut reason: String = first.chars().take(120).collect();
    if reason.len() < first.len() {
        reason.push('…');
    }
    reason
}

fn open_decoder(
    format: SourceFormat,
    bytes: &[u8],
) -> Result<Box<dyn ImageDecoder + '_>, PrepareError> {
    let Some(image_format) = format.image_format() else {
        return Err(PrepareError::Unsupported {
            format: format.name().to_owned(),
        });
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), image_format);
    reader.limits(limits());
    match reader.into_decoder() {
        Ok(decoder) => Ok(Box::new(decoder)),
        Err(err) => Err(decode_error(format, None, err)),
    }
}

fn read_header(format: SourceFormat, decoder: &mut dyn ImageDecoder) -> Header {
    let (width, height) = decoder.dimensions();
    // Broken EXIF must not make a good photo unusable: it is then shown as stored.
    let orientation = match decoder.orientation() {
        Ok(Orientation::NoTransforms) | Err(_) => exif_orientation(decoder),
        Ok(orientation) => orientation,
    };
    Header {
        format,
        width,
        height,
        orientation,
    }
}

/// The orientation in an EXIF block that starts with the JPEG-style `Exif\0\0` marker.
/// Some writers (Pillow, for one) put it into WebP's EXIF chunk, where `image` expects the
/// bare TIFF structure and so finds no orientation at all.
fn exif_orientation(decoder: &mut dyn ImageDecoder) -> Orientation {
    let Ok(Some(exif)) = decoder.exif_metadata() else {
        return Orientation::NoTransforms;
    };
    let tiff = exif.strip_prefix(b"Exif\0\0").unwrap_or(&exif);
    Orientation::from_exif_chunk(tiff).unwrap_or(Orientation::NoTransforms)
}

/// Read dimensions and orientation from the header only.
pub fn probe(format: SourceFormat, bytes: &[u8]) -> Result<Header, PrepareError> {
    guarded(format, || {
        let mut decoder = open_decoder(format, bytes)?;
        let header = read_header(format, decoder.as_mut());
        check_decodable(&header, decoder.total_bytes())?;
        Ok(header)
    })
}

/// Refuse empty images, and images too large to decode, before any pixel is allocated.
fn check_decodable(header: &Header, total_bytes: u64) -> Result<(), PrepareError> {
    if header.width == 0 || header.height == 0 {
        let reason = format!("the header says {}×{} px", header.width, header.height);
        return Err(corrupt(header.format, reason));
    }
    let pixels = u64::from(header.width) * u64::from(header.height);
    if pixels > MAX_DECODE_PIXELS || total_bytes > MAX_DECODE_BYTES {
        return Err(PrepareError::TooLargeToDecode {
            format: header.format.name().to_owned(),
            width: header.width,
            height: header.height,
        });
    }
    Ok(())
}

/// Decode the pixels as stored (not yet oriented), after checking the header against the
/// pixel budget. `accept` sees the header first and may refuse the image without decoding.
pub fn decode(
    format: SourceFormat,
    bytes: &[u8],
    accept: impl FnOnce(&Header) -> Result<(), PrepareError>,
) -> Result<(Header, DynamicImage), PrepareError> {
    guarded(format, || {
        let mut decoder = open_decoder(format, bytes)?;
        let header = read_header(format, decoder.as_mut());
        check_decodable(&header, decoder.total_bytes())?;
        accept(&header)?;

        let image = match format {
            SourceFormat::Jpeg => decode_jpeg_strictly(bytes, decoder)?,
            _ => DynamicImage::from_decoder(decoder)
                .map_err(|err| decode_error(format, Some(&header), err))?,
        };
        Ok((header, image))
    })
}

/// Decode a JPEG, refusing damaged entropy-coded data.
///
/// Lenient decoding (what `image` does, like browsers) paints a bad Huffman code or a
/// scan that ends early as grey or garbled blocks and reports success. Counting people
/// on such a picture gives a wrong number for money, and sending the file as it is gets
/// a billed "could not be loaded" from the service; so damage is refused, by name.
/// Junk bytes between header segments are the one quirk real cameras and editors
/// produce; the strict decoder stops at them, and those files are decoded leniently.
fn decode_jpeg_strictly(
    bytes: &[u8],
    lenient: Box<dyn ImageDecoder + '_>,
) -> Result<DynamicImage, PrepareError> {
    use zune_core::bytestream::ZCursor;
    use zune_core::colorspace::ColorSpace;
    use zune_core::options::DecoderOptions;
    use zune_jpeg::errors::DecodeErrors;

    let format = SourceFormat::Jpeg;
    let options = DecoderOptions::default()
        .set_strict_mode(true)
        .set_max_width(MAX_DECODE_SIDE as usize)
        .set_max_height(MAX_DECODE_SIDE as usize);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    let damaged = |err: DecodeErrors| corrupt(format, short_reason(&err.to_string()));
    match decoder.decode_headers() {
        Ok(()) => {}
        Err(DecodeErrors::FormatStatic(message)) if message.contains("Extra bytes") => {
            return DynamicImage::from_decoder(lenient)
                .map_err(|err| decode_error(format, None, err));
        }
        Err(err) => return Err(damaged(err)),
    }
    // The colour types `image` has: CMYK and YCCK become RGB, as `image` itself does.
    let out = match decoder.input_colorspace() {
        Some(
            space @ (ColorSpace::RGB | ColorSpace::RGBA | ColorSpace::Luma | ColorSpace::LumaA),
        ) => space,
        _ => ColorSpace::RGB,
    };
    decoder.set_options(decoder.options().jpeg_set_out_colorspace(out));
    let pixels = match decoder.decode() {
        Ok(pixels) => pixels,
        Err(DecodeErrors::FormatStatic(message)) if message.contains("Extra bytes") => {
            return DynamicImage::from_decoder(lenient)
                .map_err(|err| decode_error(format, None, err));
        }
        Err(err) => return Err(damaged(err)),
    };
    let (width, height) = decoder
        .dimensions()
        .map(|(w, h)| (w as u32, h as u32))
        .unwrap_or_default();
    let image = match out {
        ColorSpace::Luma => {
            image::GrayImage::from_raw(width, height, pixels).map(DynamicImage::from)
        }
        ColorSpace::LumaA => {
            image::GrayAlphaImage::from_raw(width, height, pixels).map(DynamicImage::from)
        }
        ColorSpace::RGBA => {
            image::RgbaImage::from_raw(width, height, pixels).map(DynamicImage::from)
        }
        _ => image::RgbImage::from_raw(width, height, pixels).map(DynamicImage::from),
    };
    image.ok_or_else(|| {
        corrupt(
            format,
            "the decoded pixels do not fill the image".to_owned(),
        )
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;

    /// A PNG made of a valid signature and IHDR with the given size, and nothing else.
    pub(crate) fn png_header(width: u32, height: u32) -> Vec<u8> {
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend_from_slice(&width.to_be_bytes());
        ihdr.extend_from_slice(&height.to_be_bytes());
        ihdr.extend_from_slice(&[1, 3, 0, 0, 0]); // 1-bit palette, like real PNG bombs
        let crc = crc32(&ihdr);
        let mut png = b"\x89PNG\r\n\x1A\n\0\0\0\x0D".to_vec();
        png.extend_from_slice(&ihdr);
        png.extend_from_slice(&crc.to_be_bytes());
        // The start of a zlib stream: decoders stop reading the header at the first IDAT.
        let idat = b"IDAT\x78\x9C";
        png.extend_from_slice(&2u32.to_be_bytes());
        png.extend_from_slice(idat);
        png.extend_from_slice(&crc32(idat).to_be_bytes());
        png
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &byte in data {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn probe_refuses_a_65536_square_png_without_decoding() {
        let started = std::time::Instant::now();
        let err = probe(SourceFormat::Png, &png_header(65_536, 65_536)).unwrap_err();
        assert!(
            matches!(err, PrepareError::TooLargeToDecode { .. }),
            "{err:?}"
        );
        assert!(started.elapsed().as_secs() < 1);
    }

    #[test]
    fn decode_refuses_beyond_the_pixel_budget_before_allocating() {
        let err = decode(SourceFormat::Png, &png_header(20_000, 14_000), |_| Ok(())).unwrap_err();
        assert!(
            matches!(err, PrepareError::TooLargeToDecode { .. }),
            "{err:?}"
        );
    }

    #[test]
    fn short_reason_keeps_the_first_sentence() {
        assert_eq!(short_reason("bad thing; more detail"), "bad thing");
        assert!(short_reason(&"x".repeat(500)).ends_with('…'));
    }
}
