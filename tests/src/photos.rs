//! Test photos: images built in memory, a JPEG carrying an EXIF block with GPS coordinates and
//! an orientation (written segment by segment), and checks on what a node stored.

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, Rgb, RgbImage};

pub const RED: [u8; 3] = [220, 20, 20];
pub const BLUE: [u8; 3] = [20, 20, 220];

/// `w`x`h`, left half red, right half blue.
pub fn red_left_blue_right(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, _| Rgb(if x < w / 2 { RED } else { BLUE }))
}

pub fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 95).encode_image(img).expect("encode jpeg");
    out
}

pub fn png(img: &DynamicImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).expect("encode png");
    out.into_inner()
}

pub fn webp(img: &DynamicImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::WebP).expect("encode webp");
    out.into_inner()
}

/// Latitude 48° 51' 29.6" N, longitude 2° 17' 40.2" E, as a camera writes them.
pub const GPS_LATITUDE: [(u32, u32); 3] = [(48, 1), (51, 1), (296, 10)];
pub const GPS_LONGITUDE: [(u32, u32); 3] = [(2, 1), (17, 1), (402, 10)];
/// A text the EXIF block carries, to look for in stored bytes.
pub const CAMERA_MAKE: &[u8] = b"PartageTestCam\0";

/// The EXIF (TIFF, little-endian) body of an APP1 segment: IFD0 with Make, Orientation and a
/// GPS IFD pointer; the GPS IFD with latitude and longitude (refs and rationals).
pub fn exif_with_gps(orientation: u16) -> Vec<u8> {
    let mut t: Vec<u8> = b"II*\0".to_vec();
    t.extend(8u32.to_le_bytes());
    // IFD0 at 8: 3 entries (2 + 3*12 + 4 = 42 bytes) → data from 50.
    let make_at = 50u32;
    let gps_ifd_at = make_at + CAMERA_MAKE.len() as u32;
    let entry = |t: &mut Vec<u8>, tag: u16, typ: u16, count: u32, value: [u8; 4]| {
        t.extend(tag.to_le_bytes());
        t.extend(typ.to_le_bytes());
        t.extend(count.to_le_bytes());
        t.extend(value);
    };
    t.extend(3u16.to_le_bytes());
    entry(&mut t, 0x010F, 2, CAMERA_MAKE.len() as u32, make_at.to_le_bytes());
    let o = orientation.to_le_bytes();
    entry(&mut t, 0x0112, 3, 1, [o[0], o[1], 0, 0]);
    entry(&mut t, 0x8825, 4, 1, gps_ifd_at.to_le_bytes());
    t.extend(0u32.to_le_bytes());
    t.extend(CAMERA_MAKE);
    // GPS IFD: 4 entries (2 + 48 + 4 = 54 bytes), then two sets of 3 rationals (24 bytes each).
    let lat_at = gps_ifd_at + 54;
    let lon_at = lat_at + 24;
    t.extend(4u16.to_le_bytes());
    entry(&mut t, 0x0001, 2, 2, [b'N', 0, 0, 0]);
    entry(&mut t, 0x0002, 5, 3, lat_at.to_le_bytes());
    entry(&mut t, 0x0003, 2, 2, [b'E', 0, 0, 0]);
    entry(&mut t, 0x0004, 5, 3, lon_at.to_le_bytes());
    t.extend(0u32.to_le_bytes());
    for (n, d) in GPS_LATITUDE.iter().chain(GPS_LONGITUDE.iter()) {
        t.extend(n.to_le_bytes());
        t.extend(d.to_le_bytes());
    }
    [b"Exif\0\0".as_slice(), &t].concat()
}

/// `jpeg` with an APP1 EXIF segment (`exif`) right after its start marker, as cameras place it.
pub fn with_app1(jpeg: &[u8], exif: &[u8]) -> Vec<u8> {
    let len = u16::try_from(exif.len() + 2).expect("segment size").to_be_bytes();
    [&jpeg[..2], &[0xFF, 0xE1], &len[..], exif, &jpeg[2..]].concat()
}

/// A camera photo: `w`x`h` red-left blue-right pixels, EXIF with GPS and `orientation`.
pub fn camera_jpeg(w: u32, h: u32, orientation: u16) -> Vec<u8> {
    with_app1(&jpeg(&red_left_blue_right(w, h)), &exif_with_gps(orientation))
}

/// Whether `bytes` contain `needle` anywhere.
pub fn contains(bytes: &[u8], needle: &[u8]) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle)
}

/// Asserts a stored blob is a JPEG with no metadata: by its segments, and by looking for the
/// EXIF header, the camera's name and the GPS rationals anywhere in its bytes.
pub fn assert_no_metadata(blob: &[u8]) {
    assert_eq!(partage::photo::inspect::metadata_segments(blob), Vec::<String>::new());
    assert!(!contains(blob, b"Exif"), "EXIF header in the bytes");
    assert!(!contains(blob, CAMERA_MAKE), "camera name in the bytes");
    let lat: Vec<u8> =
        GPS_LATITUDE.iter().flat_map(|(n, d)| [n.to_le_bytes(), d.to_le_bytes()].concat()).collect();
    assert!(!contains(blob, &lat), "GPS latitude in the bytes");
    // And the decoder finds no EXIF either.
    let mut decoder = image::ImageReader::new(std::io::Cursor::new(blob))
        .with_guessed_format()
        .expect("format")
        .into_decoder()
        .expect("decoder");
    use image::ImageDecoder;
    assert_eq!(decoder.exif_metadata().expect("exif"), None);
    assert_eq!(decoder.icc_profile().expect("icc"), None);
}

/// Decodes a stored blob.
pub fn decode(blob: &[u8]) -> RgbImage {
    image::load_from_memory(blob).expect("decode blob").to_rgb8()
}

/// Whether pixel colour `got` is near `want` (JPEG is lossy).
pub fn near(got: [u8; 3], want: [u8; 3]) -> bool {
    got.iter().zip(want).all(|(g, w)| g.abs_diff(w) < 40)
}

/// A JPEG that compresses like a photo (smooth gradients with sensor-like noise), `w`x`h`,
/// different for each `seed`: for benchmarks and size figures.
pub fn photo_like(w: u32, h: u32, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let img = RgbImage::from_fn(w, h, |px, py| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let noise = (x % 49) as i32 - 24;
        let base =
            |v: u32, span: u32, k: u64| (v * 255 / span.max(1)) as i32 + (seed.wrapping_mul(k) % 64) as i32;
        let c = |v: i32| v.clamp(0, 255) as u8;
        Rgb([c(base(px, w, 3) + noise), c(base(py, h, 5) + noise), c(base(px + py, w + h, 7) + noise)])
    });
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 90).encode_image(&img).expect("encode jpeg");
    out
}
