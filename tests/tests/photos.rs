//! Photos on one node and between replicas, without the network: preparing (orientation,
//! metadata, sizes), limits, garbage collection, blobs received from a member, backups.

use partage::photo::{BlobHash, MAX_INPUT_BYTES, MAX_THUMBNAIL_BYTES, PhotoError, PhotoRef};
use partage::{Error, ErrorKind, ItemPatch};
use partage_tests::photos::*;
use partage_tests::{TestNode, draft, neighbourhood, push};

fn photo_error(e: Error) -> PhotoError {
    match e {
        Error::Photo(p) => p,
        other => panic!("expected a photo error, got {other:?}"),
    }
}

fn stored(n: &TestNode) -> std::collections::BTreeSet<BlobHash> {
    n.node.stored_blobs().unwrap()
}

#[test]
fn a_camera_photo_is_stored_upright_without_gps_or_any_metadata() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    let alice = &nodes[0].node;
    let item = alice.add_item(&ns, draft("Perceuse")).unwrap().item.id;
    let input = camera_jpeg(64, 32, 6);
    assert!(contains(&input, CAMERA_MAKE), "the input carries the EXIF block");
    let r = alice.add_photo(&item, &input).unwrap();
    assert_eq!(alice.item(&item).unwrap().item.photos, [r.to_string()]);
    for blob in [alice.original_here(&r).unwrap().unwrap(), alice.thumbnail(&r).unwrap().unwrap()] {
        assert_no_metadata(&blob);
        assert!(BlobHash::of(&blob) == r.original || BlobHash::of(&blob) == r.thumbnail);
        // Orientation 6: the stored 64x32 (red left) is shown turned a quarter clockwise, so
        // 32x64 with red on top.
        let img = decode(&blob);
        assert_eq!((img.width(), img.height()), (32, 64));
        assert!(near(img.get_pixel(16, 8).0, RED), "top {:?}", img.get_pixel(16, 8).0);
        assert!(near(img.get_pixel(16, 56).0, BLUE), "bottom {:?}", img.get_pixel(16, 56).0);
    }

    // Bob receives the signed item; the thumbnail comes after it, checked against the item.
    push(alice, &nodes[1].node, &ns);
    let bob = &nodes[1].node;
    assert_eq!(bob.photos_of(&item).unwrap(), [r]);
    assert_eq!(bob.thumbnail(&r).unwrap(), None, "not sent yet");
    assert_eq!(bob.missing_thumbnails(&ns, 100).unwrap(), [r.thumbnail]);
    let thumb = alice.thumbnail(&r).unwrap().unwrap();
    assert_eq!(bob.store_received_blobs(&ns, &[(r.thumbnail, thumb.clone())]).unwrap(), 1);
    assert_eq!(bob.thumbnail(&r).unwrap(), Some(thumb));
    assert_eq!(bob.missing_thumbnails(&ns, 100).unwrap(), []);
    assert_eq!(bob.original_here(&r).unwrap(), None, "originals come on demand");
}

#[test]
fn large_photos_are_downscaled_and_png_and_webp_are_accepted() {
    let alice = TestNode::new("Alice");
    let ns = alice.node.create_neighbourhood("Rue").unwrap().id;
    let item = alice.node.add_item(&ns, draft("Échelle")).unwrap().item.id;
    let wide = image::DynamicImage::ImageRgb8(red_left_blue_right(3000, 1000));
    let r = alice.node.add_photo(&item, &png(&wide)).unwrap();
    let original = decode(&alice.node.original_here(&r).unwrap().unwrap());
    assert_eq!((original.width(), original.height()), (2048, 682));
    let thumb = alice.node.thumbnail(&r).unwrap().unwrap();
    assert!(thumb.len() <= MAX_THUMBNAIL_BYTES);
    let small = decode(&thumb);
    assert_eq!((small.width(), small.height()), (256, 85));
    // A transparent WebP is laid on white.
    let clear =
        image::DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(40, 30, image::Rgba([0, 0, 0, 0])));
    let r2 = alice.node.add_photo(&item, &webp(&clear)).unwrap();
    let img = decode(&alice.node.original_here(&r2).unwrap().unwrap());
    assert!(near(img.get_pixel(20, 15).0, [255, 255, 255]));
    assert_eq!(alice.node.photos_of(&item).unwrap(), [r, r2]);
}

#[test]
fn limits_give_clear_errors_and_leave_the_store_as_it_was() {
    let alice = TestNode::new("Alice");
    let ns = alice.node.create_neighbourhood("Rue").unwrap().id;
    let item = alice.node.add_item(&ns, draft("Tente")).unwrap().item.id;
    let before = alice.node.item(&item).unwrap();

    let big = vec![0u8; MAX_INPUT_BYTES + 1];
    let e = alice.node.add_photo(&item, &big).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(matches!(photo_error(e), PhotoError::InputTooLarge { .. }));

    let e = alice.node.add_photo(&item, b"not an image at all").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("JPEG, PNG or WebP"), "{e}");

    // A decompression bomb: a valid PNG header claiming 60,000 x 60,000 pixels.
    let mut bomb = png(&image::DynamicImage::ImageRgb8(red_left_blue_right(2, 2)));
    bomb[16..20].copy_from_slice(&60_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&60_000u32.to_be_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(&bomb[12..29]);
    bomb[29..33].copy_from_slice(&crc.sum().to_be_bytes());
    let e = alice.node.add_photo(&item, &bomb).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(matches!(photo_error(e), PhotoError::TooManyPixels(_)), "refused by the limits");

    // Twelve photos at most.
    for i in 0..12u32 {
        alice.node.add_photo(&item, &jpeg(&red_left_blue_right(8 + i, 8))).unwrap();
    }
    let full = alice.node.item(&item).unwrap();
    let blobs = stored(&alice);
    let e = alice.node.add_photo(&item, &jpeg(&red_left_blue_right(30, 8))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("at most 12 photos"), "{e}");
    assert_eq!(alice.node.item(&item).unwrap(), full);
    assert_eq!(stored(&alice), blobs);

    // Someone else's item.
    let (nodes, ns2) = neighbourhood(&["Chloé", "Dan"]);
    let theirs = nodes[0].node.add_item(&ns2, draft("Vélo")).unwrap().item.id;
    push(&nodes[0].node, &nodes[1].node, &ns2);
    let e = nodes[1].node.add_photo(&theirs, &camera_jpeg(8, 8, 1)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotOwner);
    assert!(stored(&nodes[1]).is_empty());
    assert_ne!(before.item.photos.len(), 12);
}

#[test]
fn removed_photos_are_freed_when_no_item_of_any_member_shows_them() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    let (alice, bob) = (&nodes[0].node, &nodes[1].node);
    let a = alice.add_item(&ns, draft("Perceuse")).unwrap().item.id;
    let b = alice.add_item(&ns, draft("Scie")).unwrap().item.id;
    let bytes = camera_jpeg(40, 20, 1);
    let r = alice.add_photo(&a, &bytes).unwrap();
    assert_eq!(alice.add_photo(&b, &bytes).unwrap(), r, "same photo, same blobs");
    let other = alice.add_photo(&b, &camera_jpeg(20, 40, 1)).unwrap();
    assert_eq!(stored(&nodes[0]).len(), 4);
    push(alice, bob, &ns);
    let thumbs: Vec<_> =
        [r, other].iter().map(|p| (p.thumbnail, alice.thumbnail(p).unwrap().unwrap())).collect();
    bob.store_received_blobs(&ns, &thumbs).unwrap();
    assert_eq!(stored(&nodes[1]).len(), 2);

    // Still shown by item b: kept.
    alice.remove_photo(&a, &r).unwrap();
    assert_eq!(stored(&nodes[0]).len(), 4);
    let e = alice.remove_photo(&a, &r).unwrap_err();
    assert!(matches!(photo_error(e), PhotoError::NotOnItem(_)));
    // Item b removed: its photos go with it, here and on Bob's device once he hears of it.
    alice.remove_item(&b).unwrap();
    assert!(stored(&nodes[0]).is_empty());
    push(alice, bob, &ns);
    assert!(stored(&nodes[1]).is_empty(), "Bob's copies are freed too");
    assert!(matches!(photo_error(bob.thumbnail(&r).unwrap_err()), PhotoError::Unknown(_)));

    // A patch that drops photos frees them too.
    let r3 = alice.add_photo(&a, &bytes).unwrap();
    assert_eq!(stored(&nodes[0]).len(), 2);
    alice.edit_item(&a, &ItemPatch { photos: Some(vec![]), ..Default::default() }).unwrap();
    assert!(stored(&nodes[0]).is_empty());
    let _ = r3;
}

/// A revoked member's photos leave every replica when the revocation is applied (the admin's,
/// and a member's that receives it), not at the next open; a blob another member's item shows
/// too is kept.
#[test]
fn a_revoked_members_photos_are_freed_when_the_revocation_is_applied() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob", "Chloé"]);
    let (alice, bob, chloe) = (&nodes[0].node, &nodes[1].node, &nodes[2].node);
    let shared_bytes = camera_jpeg(40, 20, 1);
    let bobs = bob.add_item(&ns, draft("Perceuse")).unwrap().item.id;
    let only_bob = bob.add_photo(&bobs, &camera_jpeg(30, 60, 1)).unwrap();
    let shared = bob.add_photo(&bobs, &shared_bytes).unwrap();
    let chloes = chloe.add_item(&ns, draft("Scie")).unwrap().item.id;
    assert_eq!(chloe.add_photo(&chloes, &shared_bytes).unwrap(), shared, "same photo, same blobs");
    push(bob, alice, &ns);
    push(bob, chloe, &ns);
    push(chloe, alice, &ns);
    // Alice and Chloé hold Bob's blobs (as fetched over the network).
    for (r, n) in [(only_bob, alice), (shared, alice), (only_bob, chloe)] {
        let blobs = [
            (r.original, bob.original_here(&r).unwrap().unwrap()),
            (r.thumbnail, bob.thumbnail(&r).unwrap().unwrap()),
        ];
        n.store_received_blobs(&ns, &blobs).unwrap();
    }
    let all = |r: &PhotoRef| [r.original, r.thumbnail];
    let (only_bobs, shared_blobs) = (all(&only_bob), all(&shared));
    assert!(only_bobs.iter().chain(&shared_blobs).all(|h| stored(&nodes[0]).contains(h)));
    assert!(only_bobs.iter().chain(&shared_blobs).all(|h| stored(&nodes[2]).contains(h)));

    let bob_id = bob.identity().unwrap().unwrap().member;
    alice.revoke(&ns, &bob_id).unwrap();
    // At once, in the open store (blob and length tables), without a reopen.
    for h in &only_bobs {
        assert!(!stored(&nodes[0]).contains(h), "a revoked member's blob is still stored");
        assert!(!alice.has_blob(h).unwrap());
    }
    assert!(shared_blobs.iter().all(|h| alice.has_blob(h).unwrap()), "Chloé's item still shows these");
    assert_eq!(alice.thumbnail(&shared).unwrap(), chloe.thumbnail(&shared).unwrap());

    // Chloé, a member, learns of the revocation: the same there.
    assert!(chloe.apply_revocations(&ns, &alice.revocations(&ns).unwrap()).unwrap() > 0);
    for h in &only_bobs {
        assert!(!stored(&nodes[2]).contains(h), "a revoked member's blob is still stored");
    }
    assert!(shared_blobs.iter().all(|h| chloe.has_blob(h).unwrap()));
    // Nothing was left for a reopen to sweep.
    assert_eq!(alice.collect_photos().unwrap(), 0);
    assert_eq!(chloe.collect_photos().unwrap(), 0);
}

#[test]
fn a_member_cannot_plant_blobs_that_no_signed_item_shows() {
    let (nodes, ns) = neighbourhood(&["Alice", "Bob"]);
    let (alice, bob) = (&nodes[0].node, &nodes[1].node);
    let item = alice.add_item(&ns, draft("Perceuse")).unwrap().item.id;
    let r = alice.add_photo(&item, &camera_jpeg(40, 20, 1)).unwrap();
    push(alice, bob, &ns);
    let thumb = alice.thumbnail(&r).unwrap().unwrap();
    // Bytes nobody's item shows.
    let stray = b"a blob of my choosing".to_vec();
    let e = bob.store_received_blobs(&ns, &[(BlobHash::of(&stray), stray)]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnknownItem);
    // The right hash with other bytes, in the same batch as a good blob: nothing is stored.
    let mut bad = thumb.clone();
    bad[thumb.len() / 2] ^= 1;
    let e = bob
        .store_received_blobs(
            &ns,
            &[(r.original, alice.original_here(&r).unwrap().unwrap()), (r.thumbnail, bad)],
        )
        .unwrap_err();
    assert!(matches!(photo_error(e), PhotoError::HashMismatch));
    assert!(stored(&nodes[1]).is_empty());
    // A blob of another neighbourhood is unknown here.
    let (others, ns2) = neighbourhood(&["Chloé", "Dan"]);
    let foreign = others[0].node.add_item(&ns2, draft("Luge")).unwrap().item.id;
    let fr = others[0].node.add_photo(&foreign, &camera_jpeg(10, 10, 1)).unwrap();
    let fthumb = others[0].node.thumbnail(&fr).unwrap().unwrap();
    assert!(bob.store_received_blobs(&ns, &[(fr.thumbnail, fthumb)]).is_err());
    assert_eq!(alice.blob_for_member(&ns, &fr.thumbnail).unwrap(), None);
    assert_eq!(bob.store_received_blobs(&ns, &[(r.thumbnail, thumb)]).unwrap(), 1);
}

#[test]
fn photos_survive_a_reopen_and_travel_in_backups() {
    let alice = TestNode::new("Alice");
    let ns = alice.node.create_neighbourhood("Rue").unwrap().id;
    let item = alice.node.add_item(&ns, draft("Raclette")).unwrap().item.id;
    let r = alice.node.add_photo(&item, &camera_jpeg(50, 30, 3)).unwrap();
    let original = alice.node.original_here(&r).unwrap().unwrap();
    let alice = alice.reopen();
    assert_eq!(alice.node.original_here(&r).unwrap().as_deref(), Some(original.as_slice()));
    let file = alice.dir.path().join("backup.json");
    alice.node.export_to_file(&file).unwrap();
    let fresh = tempfile::tempdir().unwrap();
    let restored = partage::Node::open(fresh.path()).unwrap();
    restored.import_from_file(&file).unwrap();
    assert_eq!(restored.photos_of(&item).unwrap(), [r]);
    assert_eq!(restored.original_here(&r).unwrap(), Some(original));
    assert!(restored.thumbnail(&r).unwrap().is_some());
    let _: PhotoRef = r;
}
