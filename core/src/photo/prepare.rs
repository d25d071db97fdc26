//! Turning the bytes a user hands over into what is stored and shared: decoded within limits,
//! turned upright by its EXIF orientation, downscaled, and re-encoded as JPEG. Re-encoding from
//! pixels is what strips the metadata: the encoder is given pixels only, so no EXIF (GPS), XMP,
//! IPTC, ICC or comment from the input can reach the output; [`super::inspect`] checks the
//! result anyway before anything is stored.

use super::inspect::metadata_segments;
use super::limits::{
    MAX_DECODE_ALLOC, MAX_INPUT_BYTES, MAX_INPUT_SIDE, MAX_ORIGINAL_BYTES, MAX_THUMBNAIL_BYTES,
    ORIGINAL_SIDE, THUMBNAIL_SIDE,
};
use super::{BlobHash, PhotoError, PhotoRef};
use image::codecs::jpeg::JpegEncoder;
use image::imageops::{self, FilterType};
use image::metadata::Orientation;
use image::{
    DynamicImage, ImageBuffer, ImageDecoder, ImageFormat, ImageReader, Limits, Pixel, RgbImage, RgbaImage,
};
use std::io::Cursor;

/// JPEG qualities tried in turn until a blob fits its bound.
const ORIGINAL_QUALITIES: [u8; 4] = [85, 75, 60, 40];
const THUMBNAIL_QUALITIES: [u8; 5] = [75, 65, 55, 45, 35];
/// What a thumbnail is aimed at; the first quality that fits is kept.
const THUMBNAIL_TARGET_BYTES: usize = 20 * 1024;

/// A photo ready to store: both blobs, their reference, and the original's size in pixels.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The reference the item stores.
    pub reference: PhotoRef,
    /// The downscaled original, JPEG-encoded without metadata.
    pub original: Vec<u8>,
    /// The thumbnail, JPEG-encoded.
    pub thumbnail: Vec<u8>,
    /// The stored original's width, in pixels (after downscaling).
    pub width: u32,
    /// The stored original's height, in pixels (after downscaling).
    pub height: u32,
}

/// Prepares `bytes` (JPEG, PNG or WebP). Pure: touches no store.
pub fn prepare(bytes: &[u8]) -> Result<Prepared, PhotoError> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(PhotoError::InputTooLarge { bytes: bytes.len(), max: MAX_INPUT_BYTES });
    }
    let upright = decode_upright(bytes)?;
    let big = fit(&upright, ORIGINAL_SIDE);
    let original = encode_within(&big, &ORIGINAL_QUALITIES, MAX_ORIGINAL_BYTES, MAX_ORIGINAL_BYTES)?;
    // From the downscaled original: a filter's cost grows with the scale factor.
    let small = fit(&Pixels::Rgb(big), THUMBNAIL_SIDE);
    let thumbnail = encode_within(&small, &THUMBNAIL_QUALITIES, THUMBNAIL_TARGET_BYTES, MAX_THUMBNAIL_BYTES)?;
    let (w, h) = upright.dimensions();
    let (width, height) = fitted_size(w, h, ORIGINAL_SIDE);
    Ok(Prepared {
        reference: PhotoRef { original: BlobHash::of(&original), thumbnail: BlobHash::of(&thumbnail) },
        original,
        thumbnail,
        width,
        height,
    })
}

/// A decoded photo, 8 bits per channel. Whatever the input's depth and channels (grey, 16-bit
/// PNG...), it is worked on in one of these two forms only: every operation on a
/// `DynamicImage` is compiled once per pixel type (ten of them), and the library is shipped
/// to phones (issue 14: its size).
enum Pixels {
    Rgb(RgbImage),
    Rgba(RgbaImage),
}

impl Pixels {
    fn dimensions(&self) -> (u32, u32) {
        match self {
            Pixels::Rgb(b) => b.dimensions(),
            Pixels::Rgba(b) => b.dimensions(),
        }
    }
}

/// Decodes with bounded dimensions and allocation (a 50-byte PNG can claim 4 billion pixels),
/// then applies the EXIF orientation.
fn decode_upright(bytes: &[u8]) -> Result<Pixels, PhotoError> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| PhotoError::Unreadable(e.to_string()))?;
    match reader.format() {
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP) => {}
        Some(other) => return Err(PhotoError::Unreadable(format!("{other:?} is not supported"))),
        None => return Err(PhotoError::Unreadable("unknown format".into())),
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_INPUT_SIDE);
    limits.max_image_height = Some(MAX_INPUT_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    let mut reader = reader;
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(decode_error)?;
    // A broken orientation tag is not worth refusing the photo for: it stays as stored.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let img = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    Ok(if img.color().has_alpha() {
        Pixels::Rgba(upright(img.into_rgba8(), orientation))
    } else {
        Pixels::Rgb(upright(img.into_rgb8(), orientation))
    })
}

/// `img` turned by its EXIF orientation (as `DynamicImage::apply_orientation` does).
fn upright<P: Pixel + 'static>(
    mut img: ImageBuffer<P, Vec<P::Subpixel>>,
    orientation: Orientation,
) -> ImageBuffer<P, Vec<P::Subpixel>> {
    match orientation {
        Orientation::NoTransforms => img,
        Orientation::Rotate90 => imageops::rotate90(&img),
        Orientation::Rotate180 => {
            imageops::rotate180_in_place(&mut img);
            img
        }
        Orientation::Rotate270 => imageops::rotate270(&img),
        Orientation::FlipHorizontal => {
            imageops::flip_horizontal_in_place(&mut img);
            img
        }
        Orientation::FlipVertical => {
            imageops::flip_vertical_in_place(&mut img);
            img
        }
        Orientation::Rotate90FlipH => {
            let mut turned = imageops::rotate90(&img);
            imageops::flip_horizontal_in_place(&mut turned);
            turned
        }
        Orientation::Rotate270FlipH => {
            let mut turned = imageops::rotate270(&img);
            imageops::flip_horizontal_in_place(&mut turned);
            turned
        }
    }
}

fn decode_error(e: image::ImageError) -> PhotoError {
    match e {
        image::ImageError::Limits(l) => PhotoError::TooManyPixels(l.to_string()),
        other => PhotoError::Unreadable(other.to_string()),
    }
}

/// `w`x`h` scaled so the long side is at most `side` (never scaled up), at least 1 px.
fn fitted_size(w: u32, h: u32, side: u32) -> (u32, u32) {
    let long = w.max(h);
    if long <= side {
        return (w.max(1), h.max(1));
    }
    let scale = |v: u32| ((u64::from(v) * u64::from(side)) / u64::from(long)).max(1) as u32;
    (scale(w), scale(h))
}

/// The image as opaque RGB, its long side at most `side`. Transparent pixels are laid on white
/// (JPEG has no alpha), as a photo viewer shows them.
fn fit(img: &Pixels, side: u32) -> RgbImage {
    let rgba = match img {
        Pixels::Rgb(rgb) => return scaled(rgb, side),
        Pixels::Rgba(rgba) => scaled(rgba, side),
    };
    let (w, h) = rgba.dimensions();
    RgbImage::from_fn(w, h, |x, y| {
        let p = rgba.get_pixel(x, y).0;
        let [r, g, b, a] = p.map(u16::from);
        let over = |c: u16| ((c * a + 255 * (255 - a)) / 255) as u8;
        image::Rgb([over(r), over(g), over(b)])
    })
}

/// `img` with its long side at most `side` (never scaled up).
fn scaled<P: Pixel + 'static>(
    img: &ImageBuffer<P, Vec<P::Subpixel>>,
    side: u32,
) -> ImageBuffer<P, Vec<P::Subpixel>> {
    let (w, h) = fitted_size(img.width(), img.height(), side);
    if (w, h) == img.dimensions() { img.clone() } else { imageops::resize(img, w, h, FilterType::Triangle) }
}

/// The first quality whose JPEG is at most `target` bytes, else the smallest if it is at most
/// `max`; checked to carry no metadata segment.
fn encode_within(img: &RgbImage, qualities: &[u8], target: usize, max: usize) -> Result<Vec<u8>, PhotoError> {
    let mut smallest: Option<Vec<u8>> = None;
    for &q in qualities {
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, q)
            .encode_image(img)
            .map_err(|e| PhotoError::Encode(e.to_string()))?;
        if out.len() <= target {
            smallest = Some(out);
            break;
        }
        if smallest.as_ref().is_none_or(|s| out.len() < s.len()) {
            smallest = Some(out);
        }
    }
    let out = smallest.ok_or_else(|| PhotoError::Encode("no quality to try".into()))?;
    if out.len() > max {
        return Err(PhotoError::Encode(format!("{} bytes even at the lowest quality", out.len())));
    }
    let found = metadata_segments(&out);
    if !found.is_empty() {
        return Err(PhotoError::Encode(format!("the encoder wrote metadata ({})", found.join(", "))));
    }
    Ok(out)
}
