//! Recognising an image format from its first bytes, and the few header facts the fast
//! path needs to know whether the service will read a file as it is.

use super::UploadFormat;

/// A format recognised from the content of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SourceFormat {
    Jpeg,
    Png,
    Bmp,
    Gif,
    WebP,
    Tiff,
    /// HEIF with HEVC pictures (iPhone photos).
    Heic,
    /// HEIF whose brand does not say which codec it holds.
    Heif,
    Avif,
    Ico,
    Qoi,
    Psd,
    JpegXl,
    /// The OS/2 "bitmap array" container (`BA`), which holds BMPs but is not one.
    BmpArray,
}

impl SourceFormat {
    /// The name shown to people, e.g. in "HEIC images are not supported".
    pub fn name(self) -> &'static str {
        match self {
            Self::Jpeg => "JPEG",
            Self::Png => "PNG",
            Self::Bmp => "BMP",
            Self::Gif => "GIF",
            Self::WebP => "WebP",
            Self::Tiff => "TIFF",
            Self::Heic => "HEIC",
            Self::Heif => "HEIF",
            Self::Avif => "AVIF",
            Self::Ico => "ICO",
            Self::Qoi => "QOI",
            Self::Psd => "Photoshop",
            Self::JpegXl => "JPEG XL",
            Self::BmpArray => "OS/2 bitmap array",
        }
    }

    /// The decoder for this format, when the build has one.
    pub fn image_format(self) -> Option<image::ImageFormat> {
        use image::ImageFormat as F;
        Some(match self {
            Self::Jpeg => F::Jpeg,
            Self::Png => F::Png,
            Self::Bmp => F::Bmp,
            Self::Gif => F::Gif,
            Self::WebP => F::WebP,
            Self::Tiff => F::Tiff,
            _ => return None,
        })
    }

    /// The wire format this file could go out as unchanged, if any.
    pub fn upload_format(self) -> Option<UploadFormat> {
        match self {
            Self::Jpeg => Some(UploadFormat::Jpeg),
            Self::Png => Some(UploadFormat::Png),
            Self::Bmp => Some(UploadFormat::Bmp),
            _ => None,
        }
    }
}

/// Recognise the format of `bytes` by its magic number. File names are never consulted:
/// a renamed HEIC must still be called a HEIC.
pub fn sniff(bytes: &[u8]) -> Option<SourceFormat> {
    use SourceFormat as S;
    let starts = |magic: &[u8]| bytes.starts_with(magic);

    if starts(b"\xFF\xD8\xFF") {
        Some(S::Jpeg)
    } else if starts(b"\x89PNG\r\n\x1A\n") {
        Some(S::Png)
    } else if starts(b"BM") && bytes.len() >= 26 {
        Some(S::Bmp)
    } else if starts(b"BA") && bytes.get(14..16) == Some(b"BM") {
        Some(S::BmpArray)
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some(S::Gif)
    } else if starts(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        Some(S::WebP)
    } else if starts(b"II*\0") || starts(b"MM\0*") || starts(b"II+\0") || starts(b"MM\0+") {
        Some(S::Tiff)
    } else if bytes.get(4..8) == Some(b"ftyp") {
        sniff_ftyp(bytes)
    } else if starts(b"\0\0\x01\0") && bytes.len() >= 22 {
        Some(S::Ico)
    } else if starts(b"qoif") {
        Some(S::Qoi)
    } else if starts(b"8BPS") {
        Some(S::Psd)
    } else if starts(b"\xFF\x0A") || starts(b"\0\0\0\x0CJXL \r\n\x87\n") {
        Some(S::JpegXl)
    } else {
        None
    }
}

/// Tell HEIC, AVIF and plain HEIF apart by the brands of an ISO-BMFF `ftyp` box.
/// Other ISO-BMFF files (MP4, MOV) are not images.
fn sniff_ftyp(bytes: &[u8]) -> Option<SourceFormat> {
    let box_len = u32::from_be_bytes(bytes.get(0..4)?.try_into().ok()?) as usize;
    let end = box_len.clamp(16, 256).min(bytes.len());
    let major = bytes.get(8..12)?;
    // The compatible brands follow the major brand and a 4-byte minor version.
    let compatible = bytes.get(16..end).unwrap_or_default().chunks_exact(4);
    let brands: Vec<&[u8]> = std::iter::once(major).chain(compatible).collect();
    let has = |names: &[&[u8]]| brands.iter().any(|b| names.contains(b));

    if has(&[b"avif", b"avis"]) {
        Some(SourceFormat::Avif)
    } else if has(&[b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"]) {
        Some(SourceFormat::Heic)
    } else if has(&[b"mif1", b"msf1"]) {
        Some(SourceFormat::Heif)
    } else {
        None
    }
}

/// The kind of JPEG frame, from its start-of-frame marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JpegFrame {
    /// The SOF marker's second byte: 0xC0 baseline, 0xC2 progressive, 0xC3 lossless, ...
    pub marker: u8,
    pub components: u8,
}

impl JpegFrame {
    /// Whether any ordinary JPEG reader will decode this frame: Huffman-coded baseline or
    /// progressive with grey or colour pixels. Lossless, arithmetic-coded and CMYK JPEGs
    /// are valid but rarely supported, so they are re-encoded instead of sent as they are.
    pub fn is_widely_supported(self) -> bool {
        matches!(self.marker, 0xC0..=0xC2) && matches!(self.components, 1 | 3)
    }

    /// A name for the JPEG codings our decoder cannot read, so the refusal says what the
    /// file is instead of blaming damage.
    pub fn unsupported_coding(self) -> Option<&'static str> {
        match self.marker {
            0xC3 | 0xC7 => Some("Lossless JPEG"),
            0xC9..=0xCB | 0xCD..=0xCF => Some("Arithmetic-coded JPEG"),
            _ => None,
        }
    }
}

/// Walk the JPEG marker segments up to the first start-of-frame. Strict: junk between
/// segments, which lenient decoders skip, makes this fail, so such files get re-encoded.
pub fn jpeg_frame(bytes: &[u8]) -> Option<JpegFrame> {
    let mut pos = 2;
    loop {
        if *bytes.get(pos)? != 0xFF {
            return None;
        }
        let (marker, after) = next_segment(bytes, pos)?;
        match marker {
            // A scan before any frame header: the file is broken.
            0xD9 | 0xDA => return None,
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                let components = *bytes.get(after + 7)?;
                return Some(JpegFrame { marker, components });
            }
            _ => pos = skip_segment(bytes, marker, after)?,
        }
    }
}

/// Whether the JPEG has an end-of-image marker after its first scan begins. Entropy-coded
/// data never contains that marker, so without it the file was cut short (an interrupted
/// download or copy). Decoders quietly paint the missing part grey; we would rather say so.
pub fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let mut pos = 2;
    let scan_start = loop {
        let Some((marker, after)) = next_segment(bytes, pos) else {
            return false;
        };
        match marker {
            0xDA => break after,
            0xD9 => return false,
            _ => match skip_segment(bytes, marker, after) {
                Some(next) => pos = next,
                None => return false,
            },
        }
    };
    bytes
        .get(scan_start..)
        .is_some_and(|scan| scan.windows(2).any(|w| w == [0xFF, 0xD9]))
}

/// Find the next marker at or after `pos`, returning it and the position just past it.
/// Junk and fill bytes between segments are tolerated, as decoders do.
fn next_segment(bytes: &[u8], mut pos: usize) -> Option<(u8, usize)> {
    while *bytes.get(pos)? != 0xFF {
        pos += 1;
    }
    while *bytes.get(pos)? == 0xFF {
        pos += 1;
    }
    Some((*bytes.get(pos)?, pos + 1))
}

/// The position after the segment whose marker ends at `after`.
fn skip_segment(bytes: &[u8], marker: u8, after: usize) -> Option<usize> {
    if matches!(marker, 0x01 | 0xD0..=0xD7) {
        return Some(after);
    }
    let len = u16::from_be_bytes([*bytes.get(after)?, *bytes.get(after + 1)?]);
    Some(after + usize::from(len))
}

/// The bit depth a PNG declares in its IHDR chunk.
pub fn png_bit_depth(bytes: &[u8]) -> Option<u8> {
    if bytes.get(12..16) != Some(b"IHDR") {
        return None;
    }
    bytes.get(24).copied()
}

/// What is wrong with a BMP header that decoders would read past without complaint: a
/// declared size far beyond the file, bit planes other than one, or a pixel density that
/// makes the picture hundreds of times wider than tall (or the other way round). Such
/// files are damaged or hostile; their pixels cannot be trusted.
pub fn bmp_header_problem(bytes: &[u8]) -> Option<String> {
    let u16_at = |at: usize| {
        bytes
            .get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let u32_at = |at: usize| {
        bytes
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    // A few bytes of slack: some writers count padding differently.
    const SLACK: u64 = 16;
    let len = bytes.len() as u64;
    let file_len = u64::from(u32_at(2)?);
    if file_len > len + SLACK {
        return Some(format!(
            "the header says the file is {file_len} bytes, but it has {len}"
        ));
    }
    let header_len = u32_at(14)?;
    if header_len < 40 {
        return None; // An OS/2 header has no further fields worth checking.
    }
    let planes = u16_at(26)?;
    if planes != 1 {
        return Some(format!(
            "the header declares {planes} bit planes instead of 1"
        ));
    }
    let offset = u64::from(u32_at(10)?);
    let image_len = u64::from(u32_at(34)?);
    if image_len > len.saturating_sub(offset) + SLACK {
        return Some(format!(
            "the header says the pixels take {image_len} bytes, but the file has {len}"
        ));
    }
    let density = |at: usize| u32_at(at).map(|v| v as i32);
    if let (Some(x), Some(y)) = (density(38), density(42))
        && x > 0
        && y > 0
        && x.max(y) / x.min(y) > 1000
    {
        return Some(format!(
            "the header gives an impossible pixel density ({x} × {y} per metre)"
        ));
    }
    None
}

/// Whether a BMP uses only the common layout every BMP reader handles: a Windows
/// (not OS/2) header, uncompressed or bit-field pixels, a usual bit depth, and sizes that
/// agree with the file. RLE, embedded JPEG/PNG, 64-bit BMPs and inconsistent headers are
/// often misread by other decoders, so they are re-encoded from what we could decode.
pub fn bmp_is_plain(bytes: &[u8]) -> bool {
    let u16_at = |at: usize| {
        bytes
            .get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let u32_at = |at: usize| {
        bytes
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let (Some(header_len), Some(bits), Some(compression)) = (u32_at(14), u16_at(28), u32_at(30))
    else {
        return false;
    };

    let consistent = u32_at(2).is_some_and(|file_len| file_len as usize == bytes.len())
        && u32_at(10).is_some_and(|offset| (offset as usize) < bytes.len())
        && u32_at(34).is_some_and(|image_len| image_len as usize <= bytes.len());

    consistent
        && matches!(header_len, 40 | 108 | 124)
        && match compression {
            0 => matches!(bits, 1 | 4 | 8 | 16 | 24 | 32),
            3 => matches!(bits, 16 | 32),
            _ => false,
        }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sniff_recognises_common_formats_by_magic() {
        assert_eq!(
            sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF"),
            Some(SourceFormat::Jpeg)
        );
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1A\n\0\0\0\x0DIHDR"),
            Some(SourceFormat::Png)
        );
        assert_eq!(
            sniff(&[b"BM".as_slice(), &[0; 30]].concat()),
            Some(SourceFormat::Bmp)
        );
        assert_eq!(sniff(b"GIF89a\x10\0\x10\0"), Some(SourceFormat::Gif));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(SourceFormat::WebP));
        assert_eq!(sniff(b"II*\0\x08\0\0\0"), Some(SourceFormat::Tiff));
        assert_eq!(sniff(b"MM\0*\0\0\0\x08"), Some(SourceFormat::Tiff));
    }

    #[test]
    fn sniff_names_heif_family_by_brand() {
        let ftyp = |major: &[u8], compat: &[u8]| {
            [b"\0\0\0\x18ftyp".as_slice(), major, b"\0\0\0\0", compat].concat()
        };
        assert_eq!(sniff(&ftyp(b"heic", b"mif1heic")), Some(SourceFormat::Heic));
        assert_eq!(sniff(&ftyp(b"avif", b"mif1avif")), Some(SourceFormat::Avif));
        assert_eq!(sniff(&ftyp(b"mif1", b"mif1avif")), Some(SourceFormat::Avif));
        assert_eq!(sniff(&ftyp(b"mif1", b"mif1miaf")), Some(SourceFormat::Heif));
        assert_eq!(sniff(&ftyp(b"isom", b"isomavc1")), None);
    }

    #[test]
    fn sniff_ignores_text_and_short_input() {
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(b"\xFF"), None);
        assert_eq!(sniff(b"BM"), None);
        assert_eq!(sniff(b"hello, world"), None);
        assert_eq!(sniff(b"<svg xmlns="), None);
    }

    #[test]
    fn jpeg_frame_finds_the_start_of_frame_after_other_segments() {
        let lossless = JpegFrame {
            marker: 0xC3,
            components: 1,
        };
        let progressive = JpegFrame {
            marker: 0xC2,
            components: 3,
        };
        let jpeg = b"\xFF\xD8\xFF\xE0\0\x04ab\xFF\xC3\0\x0B\x08\0\x10\0\x10\x01";
        assert_eq!(jpeg_frame(jpeg), Some(lossless));

        assert!(!lossless.is_widely_supported());
        assert_eq!(lossless.unsupported_coding(), Some("Lossless JPEG"));
        assert!(progressive.is_widely_supported());
        assert_eq!(progressive.unsupported_coding(), None);

        assert_eq!(jpeg_frame(b"\xFF\xD8\xFF\xDA\0\x02"), None);
        assert_eq!(jpeg_frame(b"\xFF\xD8\xFF\xE0\xFF\xFF"), None);
        let junk_before_frame = b"\xFF\xD8junk\xFF\xC0\0\x0B\x08\0\x10\0\x10\x03";
        assert_eq!(jpeg_frame(junk_before_frame), None);
    }

    #[test]
    fn jpeg_is_complete_needs_an_end_marker_after_the_scan() {
        let head = b"\xFF\xD8\xFF\xE1\0\x04\xFF\xD9\xFF\xDA\0\x02\x12\x34".as_slice();
        assert!(jpeg_is_complete(&[head, b"\x56\xFF\xD9"].concat()));
        // The end marker inside the APP1 segment (an embedded thumbnail) does not count.
        assert!(!jpeg_is_complete(head));
    }
}
