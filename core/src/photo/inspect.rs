//! Reading a JPEG's segment list, to prove that what Partage stores and shares carries no
//! metadata: no EXIF (where GPS lives), XMP, IPTC, ICC profile or comment, nothing after the
//! image. Used before storing a prepared photo, and by tests on the bytes a peer received.

/// Names of the metadata segments (and anomalies) in `jpeg`; empty when it carries none. Bytes
/// that are not a well-formed JPEG are reported as such.
pub fn metadata_segments(jpeg: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    if jpeg.get(..2) != Some(&[0xFF, 0xD8]) {
        found.push("not a JPEG".to_owned());
        return found;
    }
    let mut at = 2usize;
    loop {
        let Some(&[0xFF, marker]) = jpeg.get(at..at + 2) else {
            found.push(format!("damaged segment at byte {at}"));
            return found;
        };
        at += 2;
        match marker {
            0xFF => at -= 1, // fill byte
            0xD9 => {
                if at < jpeg.len() {
                    found.push(format!("{} bytes after the end of the image", jpeg.len() - at));
                }
                return found;
            }
            0x01 | 0xD0..=0xD7 => {}
            _ => {
                let len = jpeg.get(at..at + 2).and_then(|b| <[u8; 2]>::try_from(b).ok());
                let Some(len) = len.map(|b| usize::from(u16::from_be_bytes(b))) else {
                    found.push("truncated segment".to_owned());
                    return found;
                };
                let body = jpeg.get(at + 2..at + len).unwrap_or_default();
                match marker {
                    // JFIF/JFXX header: allowed only without an embedded thumbnail (16 bytes).
                    0xE0 if len > 16 => found.push("APP0 with a thumbnail".to_owned()),
                    0xE1 if body.starts_with(b"Exif\0") => found.push("EXIF (APP1)".to_owned()),
                    0xE1 if body.starts_with(b"http://ns.adobe.com/") => found.push("XMP (APP1)".to_owned()),
                    0xE1..=0xEF => found.push(format!("APP{}", marker - 0xE0)),
                    0xFE => found.push("comment (COM)".to_owned()),
                    _ => {}
                }
                at += len;
                if marker == 0xDA {
                    at = skip_entropy_coded(jpeg, at);
                }
            }
        }
    }
}

/// The position of the next marker after entropy-coded data (stuffed `FF 00` and restart
/// markers belong to the data).
fn skip_entropy_coded(jpeg: &[u8], mut at: usize) -> usize {
    while let Some(&b) = jpeg.get(at) {
        if b == 0xFF {
            match jpeg.get(at + 1) {
                Some(0x00 | 0xD0..=0xD7) => at += 2,
                _ => return at,
            }
        } else {
            at += 1;
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_exif_xmp_comments_and_trailing_bytes() {
        let seg = |marker: u8, body: &[u8]| {
            let len = u16::try_from(body.len() + 2).unwrap_or(u16::MAX).to_be_bytes();
            [&[0xFF, marker], &len[..], body].concat()
        };
        let jpeg = [
            &[0xFF, 0xD8][..],
            &seg(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"),
            &seg(0xE1, b"Exif\0\0II*\0"),
            &seg(0xE1, b"http://ns.adobe.com/xap/1.0/\0<x/>"),
            &seg(0xFE, b"hello"),
            &seg(0xDA, b"\x01\x01\x00\x00\x3f\x00"),
            &[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56],
            &[0xFF, 0xD9, 0xAA],
        ]
        .concat();
        assert_eq!(
            metadata_segments(&jpeg),
            ["EXIF (APP1)", "XMP (APP1)", "comment (COM)", "1 bytes after the end of the image"]
        );
        assert_eq!(metadata_segments(b"GIF89a"), ["not a JPEG"]);
    }
}
