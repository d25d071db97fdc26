//! Every bound on photos, in one place (ADR 0017).

/// Bytes of one photo as handed over (a phone's JPEG is 2 to 12 MB).
pub const MAX_INPUT_BYTES: usize = 32 * 1024 * 1024;
/// Pixels on either side of an input image (a 100-megapixel camera is about 12,000 wide).
pub const MAX_INPUT_SIDE: u32 = 16_384;
/// Memory the decoder may allocate for one image: a 48-megapixel photo decodes to 144 MiB.
pub const MAX_DECODE_ALLOC: u64 = 256 * 1024 * 1024;
/// The long side of a stored original, in pixels.
pub const ORIGINAL_SIDE: u32 = 2048;
/// The long side of a thumbnail, in pixels.
pub const THUMBNAIL_SIDE: u32 = 256;
/// A stored original at most (a 2048 px JPEG is usually 200 KB to 1.5 MB); also what a peer may
/// send for one.
pub const MAX_ORIGINAL_BYTES: usize = 4 * 1024 * 1024;
/// A thumbnail at most (they are aimed at about 20 KB); also what a peer may send for one.
pub const MAX_THUMBNAIL_BYTES: usize = 48 * 1024;
/// Originals and thumbnails of one member in one neighbourhood, together.
pub const MAX_MEMBER_PHOTO_BYTES: u64 = 256 * 1024 * 1024;
/// Thumbnails of one member in one neighbourhood: what every other member stores for them.
pub const MAX_MEMBER_THUMBNAIL_BYTES: u64 = 24 * 1024 * 1024;

/// Refuses a member's photos in one neighbourhood that would exceed the budgets: all blobs
/// together, and thumbnails alone (which every other member stores).
pub(crate) fn check_member_budget(originals: u64, thumbnails: u64) -> Result<(), super::PhotoError> {
    let all = originals.saturating_add(thumbnails);
    if all > MAX_MEMBER_PHOTO_BYTES {
        return Err(super::PhotoError::QuotaExceeded { needed: all, max: MAX_MEMBER_PHOTO_BYTES });
    }
    if thumbnails > MAX_MEMBER_THUMBNAIL_BYTES {
        return Err(super::PhotoError::QuotaExceeded { needed: thumbnails, max: MAX_MEMBER_THUMBNAIL_BYTES });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_count_all_blobs_and_thumbnails_alone() {
        assert!(check_member_budget(MAX_MEMBER_PHOTO_BYTES - 10, 10).is_ok());
        assert!(check_member_budget(MAX_MEMBER_PHOTO_BYTES - 10, 11).is_err());
        assert!(check_member_budget(0, MAX_MEMBER_THUMBNAIL_BYTES).is_ok());
        let e = check_member_budget(0, MAX_MEMBER_THUMBNAIL_BYTES + 1);
        assert!(e.is_err_and(|e| e.to_string().contains("remove some first")));
        assert!(check_member_budget(u64::MAX, u64::MAX).is_err());
    }
}
