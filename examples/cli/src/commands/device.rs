//! `partage device link|accept|list|revoke`.

use super::network::{net_error, runtime};
use crate::args::DeviceCmd;
use crate::error::{CliError, CliResult};
use crate::output::Out;
use partage::events::NetEvent;
use partage::link::LINK_TTL_MS;
use partage::{Event, Node};
use partage_net::{NetConfig, Network};
use serde_json::json;
use std::time::Duration;

pub fn run(node: &Node, cmd: DeviceCmd, out: &mut Out) -> CliResult {
    match cmd {
        DeviceCmd::Link { full, qr, listen } => link(node, full, qr, &listen, out),
        DeviceCmd::Accept { code, timeout } => accept(node, &code, timeout, out),
        DeviceCmd::List => list(node, out),
        DeviceCmd::Revoke { device } => {
            let device = crate::resolve::device(node, &device)?;
            node.revoke_device(&device)?;
            if out.json {
                return out.write_json(&json!({"revoked": device.to_string()}));
            }
            out.line(format_args!(
                "revoked device {}: peers refuse what it signs once they sync with you",
                device.short()
            ))
        }
    }
}

/// Shows the code, then stays online until a device used it or the code expired.
fn link(node: &Node, full: bool, qr: bool, listen: &[String], out: &mut Out) -> CliResult {
    node.identity()?.ok_or(partage::Error::NoIdentity)?;
    let mut config = NetConfig { mdns: false, ..NetConfig::default() };
    if !listen.is_empty() {
        config.listen =
            listen.iter().map(|a| Network::parse_address(a).map_err(net_error)).collect::<CliResult<_>>()?;
    }
    runtime()?.block_on(async {
        let mut events = node.subscribe();
        let net = Network::start(node.clone(), config).await.map_err(net_error)?;
        let code = net.offer_link(full).await.map_err(net_error)?;
        if out.json {
            out.line(json!({"event": "link_code", "code": code, "expires_in_s": LINK_TTL_MS / 1000}))?;
        } else {
            out.line(format_args!(
                "On your new device, with an empty data directory, run:\n  partage device accept {code}"
            ))?;
            if qr {
                out.line(super::neighbourhood::qr_code(&code)?)?;
            }
            out.line(format_args!("waiting up to {} minutes...", LINK_TTL_MS / 60_000))?;
        }
        let linked = tokio::time::timeout(Duration::from_millis(LINK_TTL_MS), async {
            loop {
                match events.recv().await {
                    Some(Event::Network(NetEvent::DeviceLinked { device })) => return Some(device),
                    Some(_) => {}
                    None => return None,
                }
            }
        })
        .await
        .ok()
        .flatten();
        // The new device may still be reading what it was sent.
        tokio::time::sleep(Duration::from_secs(1)).await;
        node.cancel_link_offer()?;
        net.stop().await.map_err(net_error)?;
        let device = linked.ok_or_else(|| CliError::msg("the code expired before a device used it"))?;
        if out.json {
            out.line(json!({"event": "device_linked", "device": device.to_string()}))
        } else {
            out.line(format_args!("linked device {}", device.short()))
        }
    })
}

fn accept(node: &Node, code: &str, timeout: u64, out: &mut Out) -> CliResult {
    let summary = runtime()?
        .block_on(partage_net::link_device(node, code, Duration::from_secs(timeout)))
        .map_err(net_error)?;
    let me = node.identity()?.ok_or(partage::Error::NoIdentity)?;
    if out.json {
        return out.write_json(&json!({
            "member": me.member.to_string(),
            "device": me.device.to_string(),
            "name": me.name,
            "neighbourhoods": summary.neighbourhoods,
            "documents": summary.documents,
            "items": summary.items,
        }));
    }
    out.line(format_args!(
        "this device is now one of {}'s (device {}): {} neighbourhood(s), {} item(s)",
        me.name,
        me.device.short(),
        summary.neighbourhoods,
        summary.items
    ))
}

fn list(node: &Node, out: &mut Out) -> CliResult {
    let devices = node.devices()?;
    if out.json {
        let list: Vec<_> = devices
            .iter()
            .map(|d| {
                json!({
                    "device": d.device.to_string(),
                    "certified_at": d.certified_at,
                    "this_device": d.is_this_device,
                    "revoked": d.revoked,
                })
            })
            .collect();
        return out.write_json(&list);
    }
    for d in devices {
        let mut line = format!("{}  since {}", d.device, partage::clock::format_date(d.certified_at));
        if d.is_this_device {
            line.push_str("  (this device)");
        }
        if d.revoked {
            line.push_str("  revoked");
        }
        out.line(line)?;
    }
    Ok(())
}
