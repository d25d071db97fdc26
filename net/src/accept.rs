//! The accept loop of the small request/answer protocols (`/partage/link/1`,
//! `/partage/blob/1`): take each inbound stream, let `admit` decide before anything is read
//! (a stream it refuses is dropped at once), and serve the admitted ones each in its own task
//! under a deadline, holding what `admit` handed out (its slots) until the task ends.

use crate::error::NetError;
use futures::StreamExt;
use libp2p::{PeerId, Stream, StreamProtocol};
use std::future::Future;
use std::time::Duration;
use tokio::task::JoinSet;

/// Starts the loop for `protocol` in `tasks`. `what` names a failed request in the trace.
pub(crate) fn accept_streams<Slot, Served>(
    control: &mut libp2p_stream::Control,
    protocol: StreamProtocol,
    what: &'static str,
    deadline: Duration,
    tasks: &mut JoinSet<()>,
    mut admit: impl FnMut(&PeerId) -> Option<Slot> + Send + 'static,
    serve: impl Fn(PeerId, Stream) -> Served + Send + 'static,
) -> Result<(), NetError>
where
    Slot: Send + 'static,
    Served: Future<Output = Result<(), String>> + Send + 'static,
{
    let mut incoming = control
        .accept(protocol.clone())
        .map_err(|_| NetError::Setup(format!("the protocol {protocol} is registered twice")))?;
    tasks.spawn(async move {
        let mut serving = JoinSet::new();
        loop {
            tokio::select! {
                next = incoming.next() => {
                    let Some((peer, stream)) = next else { return };
                    let Some(slot) = admit(&peer) else { continue };
                    let served = serve(peer, stream);
                    serving.spawn(async move {
                        if let Ok(Err(why)) = tokio::time::timeout(deadline, served).await {
                            crate::trace!("{what} from {peer} failed: {why}");
                        }
                        drop(slot);
                    });
                }
                Some(_) = serving.join_next(), if !serving.is_empty() => {}
            }
        }
    });
    Ok(())
}
