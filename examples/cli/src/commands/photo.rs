//! `--photo PATH` on `item add|edit`, and `partage item photo`.

use super::network::{net_error, runtime};
use crate::args::PhotoArgs;
use crate::error::{CliError, CliResult};
use crate::output::Out;
use crate::resolve;
use partage::photo::{MAX_INPUT_BYTES, PhotoError};
use partage::{ItemView, Node};
use partage_net::{NetConfig, Network};
use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

/// Reads photo files, each bounded by the size a photo may have (checked before reading).
pub fn read_files(paths: &[PathBuf]) -> CliResult<Vec<Vec<u8>>> {
    paths
        .iter()
        .map(|p| {
            let io = |source| partage::Error::Io { path: p.display().to_string(), source };
            let file = std::fs::File::open(p).map_err(io)?;
            let len = file.metadata().map_err(io)?.len();
            if len > MAX_INPUT_BYTES as u64 {
                return Err(partage::Error::from(PhotoError::InputTooLarge {
                    bytes: usize::try_from(len).unwrap_or(usize::MAX),
                    max: MAX_INPUT_BYTES,
                })
                .into());
            }
            let mut bytes = Vec::new();
            file.take(MAX_INPUT_BYTES as u64 + 1).read_to_end(&mut bytes).map_err(io)?;
            Ok(bytes)
        })
        .collect()
}

/// Adds `photos` to the new item `view`; if one cannot be added, the item is removed again so
/// that `item add` adds all or nothing.
pub fn add_or_undo(node: &Node, view: ItemView, photos: &[Vec<u8>]) -> CliResult<ItemView> {
    let id = view.item.id;
    for (n, bytes) in photos.iter().enumerate() {
        if let Err(e) = node.add_photo(&id, bytes) {
            let _ = node.remove_item(&id);
            return Err(CliError::msg(format!("photo {}: {e}; the item was not added", n + 1)));
        }
    }
    if photos.is_empty() { Ok(view) } else { Ok(node.item(&id)?) }
}

/// Writes an item's photo to a file: the thumbnail from this device, the original from this
/// device or from the first member who has it.
pub fn save(node: &Node, a: PhotoArgs, out: &mut Out) -> CliResult {
    let id = resolve::item(node, &a.id)?;
    let photos = node.photos_of(&id)?;
    let photo = a.index.checked_sub(1).and_then(|i| photos.get(i)).copied().ok_or_else(|| {
        CliError::msg(format!(
            "item {} has {} photo(s); there is no photo {}",
            id.short(),
            photos.len(),
            a.index
        ))
    })?;
    let bytes = if a.thumbnail {
        node.thumbnail(&photo)?
            .ok_or_else(|| CliError::msg("this thumbnail has not arrived yet: sync with a member first"))?
    } else {
        match node.original_here(&photo)? {
            Some(bytes) => bytes,
            None => fetch(node, &photo, &a)?,
        }
    };
    std::fs::write(&a.out, &bytes)
        .map_err(|source| partage::Error::Io { path: a.out.display().to_string(), source })?;
    if out.json {
        return out.write_json(&serde_json::json!({
            "photo": photo.to_string(), "bytes": bytes.len(), "out": a.out.display().to_string(),
        }));
    }
    out.line(format_args!("saved {} ({} bytes)", a.out.display(), bytes.len()))
}

/// Goes online until a member who has the original sends it, or the timeout.
fn fetch(node: &Node, photo: &partage::PhotoRef, a: &PhotoArgs) -> CliResult<Vec<u8>> {
    let peers = a
        .peers
        .iter()
        .map(|p| Network::parse_address(p).map_err(net_error))
        .collect::<CliResult<Vec<_>>>()?;
    let config = NetConfig { listen: Vec::new(), peers, mdns: false, ..NetConfig::default() };
    let wait = Duration::from_secs(a.timeout);
    runtime()?.block_on(async {
        let net = Network::start(node.clone(), config).await.map_err(net_error)?;
        let deadline = tokio::time::Instant::now() + wait;
        let result = loop {
            match net.fetch_photo(photo, None).await {
                // Sessions take a moment to come up: ask again until the deadline.
                Err(partage_net::NetError::Node(partage::Error::Photo(PhotoError::NotHere)))
                    if tokio::time::Instant::now() < deadline =>
                {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                other => break other,
            }
        };
        net.stop().await.map_err(net_error)?;
        result.map_err(net_error)
    })
}
