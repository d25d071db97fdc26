//! Thumbnails follow the documents: whenever a peer proves membership or an item with photos
//! arrives, the thumbnails this device lacks are asked for, a page at a time, from the members
//! verified for that neighbourhood, and stored once each matches the hash its signed item names.

use super::fetch::Fetcher;
use super::wire::MAX_HASHES_PER_REQUEST;
use partage::events::Event;
use partage::photo::BlobHash;
use partage::{NeighbourhoodId, Node};
use tokio::task::JoinSet;

/// Missing thumbnails looked at per neighbourhood per wake-up, at most.
const MAX_MISSING_PER_ROUND: usize = 4096;

pub(crate) fn spawn_thumbnail_fetcher(fetcher: Fetcher, tasks: &mut JoinSet<()>) {
    let mut events = fetcher.node.subscribe();
    tasks.spawn(async move {
        loop {
            tokio::select! {
                () = fetcher.access.changed() => {}
                event = events.recv() => match event {
                    None => return,
                    Some(Event::ItemAdded(v) | Event::ItemUpdated(v)) if !v.item.photos.is_empty() => {}
                    Some(Event::Overflow { .. }) => {}
                    Some(_) => continue,
                },
            }
            // A sync brings many items at once: one pass for all that are already here.
            while events.try_recv().is_some() {}
            let node = fetcher.node.clone();
            let Ok(Ok(nss)) = tokio::task::spawn_blocking(move || node.neighbourhood_ids()).await else {
                continue;
            };
            for ns in nss {
                fetch_missing(&fetcher, ns).await;
            }
        }
    });
}

/// Fetches what is missing in `ns` from each verified peer in turn.
async fn fetch_missing(fetcher: &Fetcher, ns: NeighbourhoodId) {
    let (node, access) = (fetcher.node.clone(), fetcher.access.clone());
    let Ok(Ok((mut missing, peers))) = tokio::task::spawn_blocking(move || {
        let missing = node.missing_thumbnails(&ns, MAX_MISSING_PER_ROUND)?;
        let peers = if missing.is_empty() { Vec::new() } else { access.peers_for(&ns) };
        Ok::<_, partage::Error>((missing, peers))
    })
    .await
    else {
        return;
    };
    for peer in peers {
        let mut left = Vec::new();
        for page in missing.chunks(MAX_HASHES_PER_REQUEST) {
            match fetcher.thumbnails(peer, ns, page).await {
                Ok(found) => {
                    left.extend(page.iter().filter(|h| !found.iter().any(|(f, _)| f == *h)));
                    store(&fetcher.node, ns, found).await;
                }
                Err(why) => {
                    crate::trace!("thumbnails from {peer}: {why}");
                    left.extend_from_slice(page);
                }
            }
        }
        missing = left;
        if missing.is_empty() {
            return;
        }
    }
}

async fn store(node: &Node, ns: NeighbourhoodId, found: Vec<(BlobHash, Vec<u8>)>) {
    if found.is_empty() {
        return;
    }
    let node = node.clone();
    let stored = tokio::task::spawn_blocking(move || node.store_received_blobs(&ns, &found)).await;
    if let Ok(Err(e)) = stored {
        crate::trace!("thumbnails refused: {e}");
    }
}
