//! A TCP relay on 127.0.0.1 that counts the bytes of every connection through it, both ways:
//! what a node sends and receives on the wire, Noise, Yamux, multistream, identify and ping
//! included.

use crate::stats::Res;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};

#[derive(Clone, Default)]
pub struct Counter {
    to_target: Arc<AtomicU64>,
    from_target: Arc<AtomicU64>,
}

impl Counter {
    /// (bytes to the target, bytes from the target) so far.
    pub fn read(&self) -> (u64, u64) {
        (self.to_target.load(Ordering::SeqCst), self.from_target.load(Ordering::SeqCst))
    }

    /// Bytes each way since `before`.
    pub fn since(&self, before: (u64, u64)) -> (u64, u64) {
        let now = self.read();
        (now.0.saturating_sub(before.0), now.1.saturating_sub(before.1))
    }
}

/// Starts a relay to `target`; returns its address and its counter.
pub async fn start(target: SocketAddr) -> Res<(SocketAddr, Counter)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let counter = Counter::default();
    let c = counter.clone();
    tokio::spawn(async move {
        while let Ok((inbound, _)) = listener.accept().await {
            let c = c.clone();
            tokio::spawn(async move {
                let Ok(outbound) = TcpStream::connect(target).await else { return };
                let _ = inbound.set_nodelay(true);
                let _ = outbound.set_nodelay(true);
                let (mut ri, mut wi) = inbound.into_split();
                let (mut ro, mut wo) = outbound.into_split();
                let up = copy(&mut ri, &mut wo, &c.to_target);
                let down = copy(&mut ro, &mut wi, &c.from_target);
                let _ = tokio::join!(up, down);
            });
        }
    });
    Ok((addr, counter))
}

async fn copy(r: &mut OwnedReadHalf, w: &mut OwnedWriteHalf, count: &AtomicU64) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        count.fetch_add(n as u64, Ordering::SeqCst);
        let Some(chunk) = buf.get(..n) else { break };
        if w.write_all(chunk).await.is_err() {
            break;
        }
    }
    let _ = w.shutdown().await;
}
