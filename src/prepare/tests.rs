#![allow(clippy::unwrap_used)]

use std::io::Cursor;
use std::time::{Duration, Instant};

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};

use super::*;

/// An image whose left half is red and right half blue, to tell orientations apart.
fn halves(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            Rgb([255, 0, 0])
        } else {
            Rgb([0, 0, 255])
        }
    })
}

fn encode(image: &RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// A JPEG with an EXIF APP1 segment carrying only the orientation tag.
fn jpeg_with_orientation(image: &RgbImage, orientation: u16) -> Vec<u8> {
    let jpeg = encode(image, ImageFormat::Jpeg);
    let mut tiff = b"II*\0\x08\0\0\0\x01\0".to_vec();
    tiff.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0]); // tag 0x0112, SHORT, count 1
    tiff.extend_from_slice(&orientation.to_le_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // value padding, no next IFD
    let payload = [b"Exif\0\0".as_slice(), &tiff].concat();
    let len = u16::try_from(payload.len() + 2).unwrap();

    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn decoded(upload: &Upload) -> DynamicImage {
    image::load_from_memory(&upload.bytes).unwrap()
}

fn assert_within_limits(upload: &Upload) {
    let image = decoded(upload);
    assert_eq!(
        (image.width(), image.height()),
        (upload.width, upload.height)
    );
    assert!(image.width().max(image.height()) <= MAX_SIDE, "{upload:?}");
    assert!(image.width().min(image.height()) >= MIN_SIDE, "{upload:?}");
    assert!(upload.base64_len() < MAX_BASE64_LEN, "{upload:?}");
}

#[test]
fn fast_path_sends_jpeg_png_and_bmp_byte_for_byte() {
    let image = halves(120, 80);
    for format in [ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::Bmp] {
        let bytes = encode(&image, format);
        let upload = prepare(&bytes).unwrap();
        assert!(!upload.reencoded, "{format:?}");
        assert_eq!(upload.bytes, bytes, "{format:?}");
        assert_eq!((upload.width, upload.height), (120, 80));
    }
}

#[test]
fn exif_orientation_is_applied_before_upload() {
    let bytes = jpeg_with_orientation(&halves(40, 20), 6);
    let upload = prepare(&bytes).unwrap();
    assert!(upload.reencoded);
    assert_eq!((upload.width, upload.height), (20, 40));
    assert_eq!((upload.source_width, upload.source_height), (40, 20));

    // Orientation 6 means "rotate 90° clockwise to view": the left half ends up on top.
    let rgb = decoded(&upload).into_rgb8();
    let top = rgb.get_pixel(10, 5).0;
    let bottom = rgb.get_pixel(10, 35).0;
    assert!(top[0] > 200 && top[2] < 60, "top is {top:?}");
    assert!(bottom[2] > 200 && bottom[0] < 60, "bottom is {bottom:?}");
}

#[test]
fn preview_and_thumbnail_are_upright_and_bounded() {
    let bytes = jpeg_with_orientation(&halves(400, 200), 8);
    let preview = preview(&bytes, 100).unwrap();
    assert_eq!(preview.dimensions(), (50, 100));
    let thumbnail = thumbnail(&bytes).unwrap();
    assert_eq!(thumbnail.dimensions(), (64, 128));
}

#[test]
fn large_noisy_image_is_downscaled_and_reencoded_under_the_limits() {
    let mut rng = fastrand::Rng::with_seed(7);
    let noisy = RgbImage::from_fn(6000, 4000, |x, y| {
        let base = ((x / 8 + y / 8) % 256) as u8;
        Rgb([base ^ rng.u8(..64), rng.u8(..), base])
    });
    let bytes = encode(&noisy, ImageFormat::Png);

    let upload = prepare(&bytes).unwrap();
    assert!(upload.reencoded);
    assert_eq!(upload.format, UploadFormat::Jpeg);
    assert_within_limits(&upload);
    assert_eq!((upload.source_width, upload.source_height), (6000, 4000));
}

#[test]
fn webp_gif_and_tiff_are_converted_to_jpeg() {
    let image = halves(64, 48);
    for format in [ImageFormat::WebP, ImageFormat::Gif, ImageFormat::Tiff] {
        let upload = prepare(&encode(&image, format)).unwrap();
        assert_eq!(upload.format, UploadFormat::Jpeg, "{format:?}");
        assert!(upload.reencoded);
        assert_within_limits(&upload);
    }
}

#[test]
fn sixteen_bit_png_is_reencoded() {
    let image = DynamicImage::ImageRgb16(DynamicImage::ImageRgb8(halves(64, 48)).into_rgb16());
    let mut bytes = Cursor::new(Vec::new());
    image.write_to(&mut bytes, ImageFormat::Png).unwrap();
    let upload = prepare(bytes.get_ref()).unwrap();
    assert!(upload.reencoded);
    assert_within_limits(&upload);
}

#[test]
fn tiny_empty_and_unknown_inputs_get_specific_errors() {
    let tiny = encode(&halves(14, 200), ImageFormat::Png);
    assert_eq!(
        prepare(&tiny).unwrap_err(),
        PrepareError::TooSmall {
            width: 14,
            height: 200
        }
    );
    assert_eq!(prepare(b"").unwrap_err(), PrepareError::Empty);
    assert_eq!(
        prepare(b"just some text").unwrap_err(),
        PrepareError::NotAnImage
    );
    assert_eq!(preview(b"", 100).unwrap_err(), PrepareError::Empty);
}

#[test]
fn too_long_and_thin_images_are_refused() {
    let strip = encode(&halves(9000, 15), ImageFormat::Png);
    let err = prepare(&strip).unwrap_err();
    assert_eq!(
        err,
        PrepareError::ExtremeAspect {
            width: 9000,
            height: 15
        }
    );
}

#[test]
fn heic_is_named_and_refused() {
    let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";
    let err = prepare(heic).unwrap_err();
    assert_eq!(
        err,
        PrepareError::Unsupported {
            format: "HEIC".to_owned()
        }
    );
    assert!(err.to_string().starts_with("HEIC images are not supported"));
}

#[test]
fn truncated_png_is_reported_as_damaged() {
    let mut bytes = encode(&halves(120, 80), ImageFormat::Png);
    bytes.truncate(bytes.len() / 2);
    let err = prepare(&bytes).unwrap_err();
    assert!(matches!(err, PrepareError::Corrupt { .. }), "{err:?}");
}

#[test]
fn png_header_claiming_65536_square_is_refused_quickly() {
    let started = Instant::now();
    let err = prepare(&decode::tests::png_header(65_536, 65_536)).unwrap_err();
    assert!(
        matches!(err, PrepareError::TooLargeToDecode { .. }),
        "{err:?}"
    );
    assert!(preview(&decode::tests::png_header(65_536, 65_536), 512).is_err());
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[test]
fn base64_limit_is_exact() {
    assert!(base64_fits(MAX_UPLOAD_BYTES));
    assert!(!base64_fits(MAX_UPLOAD_BYTES + 1));
}

#[test]
fn one_decode_gives_the_same_upload_and_an_upright_preview() {
    // Orientation 6 swaps the sides, so both the preview and the upload are re-made.
    let bytes = jpeg_with_orientation(&halves(80, 40), 6);
    let mut preview = None;
    let upload = prepare_with_preview(&bytes, 20, |p| preview = Some(p)).unwrap();

    assert_eq!(upload.bytes, prepare(&bytes).unwrap().bytes);
    let preview = preview.expect("the preview is always offered").unwrap();
    assert_eq!(preview.dimensions(), (10, 20));
}

#[test]
fn an_image_too_small_to_send_still_gets_a_preview() {
    let bytes = encode(&halves(10, 10), ImageFormat::Png);
    let mut preview = None;
    let upload = prepare_with_preview(&bytes, 64, |p| preview = Some(p));

    assert!(matches!(
        upload,
        Err(PrepareError::TooSmall {
            width: 10,
            height: 10
        })
    ));
    assert_eq!(preview.expect("offered").unwrap().dimensions(), (10, 10));
}

/// A JPEG's bytes with `junk` inserted just before its second marker segment.
fn jpeg_with_junk_between_segments(jpeg: &[u8], junk: &[u8]) -> Vec<u8> {
    // SOI, then the first segment (JFIF APP0 from the `image` encoder or DQT).
    let first_len = usize::from(u16::from_be_bytes([jpeg[4], jpeg[5]]));
    let cut = 4 + first_len;
    [&jpeg[..cut], junk, &jpeg[cut..]].concat()
}

#[test]
fn damaged_jpeg_data_is_refused_even_when_a_lenient_decoder_shows_something() {
    let jpeg = encode(&halves(64, 48), ImageFormat::Jpeg);
    // Replace the middle of the entropy-coded data with a byte run no Huffman table
    // codes for; the scan still ends properly, so only the decode can tell.
    let scan = jpeg.windows(2).rposition(|w| w == [0xFF, 0xDA]).unwrap();
    let mut damaged = jpeg.clone();
    let middle = scan + (jpeg.len() - scan) / 2;
    damaged[middle..middle + 8].copy_from_slice(&[0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00]);
    assert!(
        image::load_from_memory(&damaged).is_ok(),
        "the lenient decoder accepts it"
    );

    let err = prepare(&damaged).unwrap_err();
    assert!(matches!(err, PrepareError::Corrupt { .. }), "{err:?}");
}

#[test]
fn junk_between_jpeg_header_segments_is_tolerated() {
    let jpeg = encode(&halves(64, 48), ImageFormat::Jpeg);
    let quirky = jpeg_with_junk_between_segments(&jpeg, b"\0\0\0\0\0\0\0\0");
    let upload = prepare(&quirky).unwrap();
    assert_within_limits(&upload);
}

#[test]
fn bmp_headers_that_lie_are_refused() {
    let bmp = encode(&halves(40, 30), ImageFormat::Bmp);
    assert!(prepare(&bmp).is_ok());
    let with = |at: usize, value: &[u8]| {
        let mut bad = bmp.clone();
        bad[at..at + value.len()].copy_from_slice(value);
        bad
    };
    let cases = [
        ("file size", with(2, &2_000_000_000u32.to_le_bytes())),
        ("planes", with(26, &3u16.to_le_bytes())),
        ("pixel data size", with(34, &2_000_000_000u32.to_le_bytes())),
        (
            "density",
            with(
                38,
                &[30_000_000i32.to_le_bytes(), 3i32.to_le_bytes()].concat(),
            ),
        ),
    ];
    for (what, bad) in cases {
        let err = prepare(&bad).unwrap_err();
        assert!(
            matches!(err, PrepareError::Corrupt { .. }),
            "{what}: {err:?}"
        );
    }
}
