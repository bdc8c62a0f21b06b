//! Downscaling, flattening and JPEG encoding until an upload fits the service's limits.

use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, RgbImage, Rgba};

use super::{MIN_SIDE, PrepareError, base64_fits};

/// JPEG qualities tried in turn before the image is made smaller. 90 keeps faces sharp;
/// below about 65 block artefacts start to hurt detection more than fewer pixels do.
const QUALITIES: [u8; 4] = [90, 82, 74, 65];
/// Typical JPEG size at each of [`QUALITIES`], relative to the first (rough figures for photos).
const RELATIVE_SIZE: [f64; 4] = [1.0, 0.72, 0.58, 0.48];
/// Encodes before giving up. Each miss either lowers the quality or shrinks the picture
/// to the size its last encoding predicts will fit, so real photos need two or three.
const MAX_SHRINK_ROUNDS: usize = 12;

/// How to resample: quality for what the service sees, speed for what people see.
#[derive(Clone, Copy, Debug)]
pub enum Resample {
    Quality,
    Fast,
}

impl Resample {
    fn algorithm(self) -> ResizeAlg {
        match self {
            // Catmull-Rom keeps edges crisp like Lanczos with less ringing, at about
            // two thirds of its cost.
            Self::Quality => ResizeAlg::Convolution(FilterType::CatmullRom),
            // Nearest-neighbour to twice the target, then a bilinear pass: near the speed
            // of plain sampling without its shimmering on fine patterns.
            Self::Fast => ResizeAlg::SuperSampling(FilterType::Bilinear, 2),
        }
    }
}

/// The size of `(width, height)` scaled so its longest side is at most `max_side`.
pub fn fitted_size(width: u32, height: u32, max_side: u32) -> (u32, u32) {
    let longest = width.max(height);
    if longest <= max_side {
        return (width, height);
    }
    let scale = f64::from(max_side) / f64::from(longest);
    let side = |s: u32| ((f64::from(s) * scale).round() as u32).clamp(1, max_side);
    (side(width), side(height))
}

/// Resize `image` to exactly `width`×`height`, keeping its pixel type when the resizer
/// supports it so that 16-bit and float images lose nothing before the final conversion.
pub fn resize(
    image: DynamicImage,
    width: u32,
    height: u32,
    resample: Resample,
) -> Result<DynamicImage, PrepareError> {
    if (image.width(), image.height()) == (width, height) {
        return Ok(image);
    }
    let source = match image {
        DynamicImage::ImageLuma8(_)
        | DynamicImage::ImageLumaA8(_)
        | DynamicImage::ImageRgb8(_)
        | DynamicImage::ImageRgba8(_)
        | DynamicImage::ImageLuma16(_)
        | DynamicImage::ImageLumaA16(_)
        | DynamicImage::ImageRgb16(_)
        | DynamicImage::ImageRgba16(_)
        | DynamicImage::ImageRgb32F(_)
        | DynamicImage::ImageRgba32F(_) => image,
        other => DynamicImage::ImageRgba8(other.into_rgba8()),
    };

    let mut target = DynamicImage::new(width, height, source.color());
    let options = ResizeOptions::new().resize_alg(resample.algorithm());
    Resizer::new()
        .resize(&source, &mut target, &options)
        .map_err(|err| PrepareError::Internal(format!("resizing failed: {err}")))?;
    Ok(target)
}

/// RGB pixels with any transparency composited onto white, the way a photo viewer
/// shows it; JPEG has no alpha, and black behind a transparent logo would mislead.
pub fn flatten_on_white(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let Rgba([r, g, b, a]) = *rgba.get_pixel(x, y);
        let over_white = |c: u8| {
            let (c, a) = (u32::from(c), u32::from(a));
            ((c * a + 255 * (255 - a) + 127) / 255) as u8
        };
        image::Rgb([over_white(r), over_white(g), over_white(b)])
    })
}

pub fn encode_jpeg(rgb: &RgbImage, quality: u8) -> Result<Vec<u8>, PrepareError> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(rgb)
        .map_err(|err| PrepareError::Internal(format!("JPEG encoding failed: {err}")))?;
    Ok(out)
}

/// Encode `rgb` as JPEG, lowering the quality and then the size until the base64 text fits.
///
/// Each encode of a 12-megapixel photo takes a noticeable fraction of a second, so the
/// size at one quality is used to predict the others and skip those that cannot fit.
pub fn encode_to_fit(mut rgb: RgbImage) -> Result<RgbJpeg, PrepareError> {
    let limit = super::MAX_UPLOAD_BYTES as f64;
    let mut step = 0;
    for _ in 0..MAX_SHRINK_ROUNDS {
        let bytes = encode_jpeg(&rgb, QUALITIES[step])?;
        if base64_fits(bytes.len()) {
            tracing::debug!(
                quality = QUALITIES[step],
                len = bytes.len(),
                "encoded JPEG upload"
            );
            return Ok(RgbJpeg {
                bytes,
                width: rgb.width(),
                height: rgb.height(),
            });
        }

        let predicted = |i: usize| bytes.len() as f64 * RELATIVE_SIZE[i] / RELATIVE_SIZE[step];
        match (step + 1..QUALITIES.len()).find(|&i| predicted(i) < limit * 0.97) {
            Some(lower) => step = lower,
            // Keep this quality and make the picture smaller instead.
            None => rgb = shrink_for(rgb, bytes.len())?,
        }
    }
    Err(PrepareError::CannotShrink)
}

/// Make `rgb` small enough that an encoding of `encoded_len` bytes would fit, with margin.
fn shrink_for(rgb: RgbImage, encoded_len: usize) -> Result<RgbImage, PrepareError> {
    let area_ratio = super::MAX_UPLOAD_BYTES as f64 / encoded_len.max(1) as f64;
    let scale = (area_ratio.sqrt() * 0.9).min(0.9);
    let width = (f64::from(rgb.width()) * scale) as u32;
    let height = (f64::from(rgb.height()) * scale) as u32;
    if width.min(height) < MIN_SIDE {
        return Err(PrepareError::CannotShrink);
    }
    tracing::debug!(width, height, "JPEG too large at every quality; shrinking");
    let resized = resize(
        DynamicImage::ImageRgb8(rgb),
        width,
        height,
        Resample::Quality,
    )?;
    Ok(resized.into_rgb8())
}

/// A JPEG upload and the size of the pixels it holds.
pub struct RgbJpeg {
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn fitted_size_bounds_the_longest_side_and_keeps_the_aspect() {
        assert_eq!(fitted_size(6000, 4000, 4000), (4000, 2667));
        assert_eq!(fitted_size(4000, 6000, 4000), (2667, 4000));
        assert_eq!(fitted_size(300, 200, 4000), (300, 200));
        assert_eq!(fitted_size(100_000, 10, 4000), (4000, 1));
    }

    #[test]
    fn flatten_puts_transparent_pixels_on_white() {
        let mut rgba = image::RgbaImage::new(2, 1);
        rgba.put_pixel(0, 0, Rgba([0, 0, 0, 0]));
        rgba.put_pixel(1, 0, Rgba([10, 20, 30, 255]));
        let rgb = flatten_on_white(DynamicImage::ImageRgba8(rgba));
        assert_eq!(rgb.get_pixel(0, 0).0, [255, 255, 255]);
        assert_eq!(rgb.get_pixel(1, 0).0, [10, 20, 30]);
    }

    #[test]
    fn resize_keeps_sixteen_bit_pixels() {
        let image = DynamicImage::new(64, 32, image::ColorType::Rgb16);
        let resized = resize(image, 16, 8, Resample::Quality).unwrap();
        assert_eq!((resized.width(), resized.height()), (16, 8));
        assert_eq!(resized.color(), image::ColorType::Rgb16);
    }
}
