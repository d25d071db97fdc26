//! `partage neighbourhood create|invite|join|list|leave|members|revoke`.

use crate::args::NeighbourhoodCmd;
use crate::error::{CliError, CliResult};
use crate::output::Out;
use crate::resolve;
use partage::Node;
use qrcode::render::unicode::Dense1x2;
use qrcode::{EcLevel, QrCode};

pub fn run(node: &Node, cmd: NeighbourhoodCmd, out: &mut Out) -> CliResult {
    match cmd {
        NeighbourhoodCmd::Create { name } => {
            let created = node.create_neighbourhood(&name)?;
            if out.json {
                return out.neighbourhood("created", &created);
            }
            out.line(created.id)
        }
        NeighbourhoodCmd::Invite { id, expires_in_days, uses, qr, addrs } => {
            let ns = resolve::neighbourhood(node, &id)?;
            for a in &addrs {
                partage_net::Network::parse_address(a)
                    .map_err(|e| crate::error::CliError::msg(e.to_string()))?;
            }
            let ticket = node.invite(&ns, expires_in_days, uses, addrs)?;
            if out.json {
                return out.write_json(&serde_json::json!({ "ticket": ticket }));
            }
            out.line(&ticket)?;
            if qr {
                out.line(qr_code(&ticket)?)?;
            }
            Ok(())
        }
        NeighbourhoodCmd::Join { ticket } => {
            let joined = node.join(&ticket)?;
            out.neighbourhood("joined", &joined)
        }
        NeighbourhoodCmd::List => out.neighbourhoods(&node.neighbourhoods()?),
        NeighbourhoodCmd::Leave { id, erase } => {
            let ns = resolve::neighbourhood(node, &id)?;
            let name = node.neighbourhood(&ns)?.name;
            let was_left = node.has_left(&ns)?;
            if erase {
                node.erase(&ns)?
            } else {
                node.leave(&ns)?
            };
            let kept = node.has_left(&ns)?;
            if out.json {
                return out.write_json(
                    &serde_json::json!({ "left": ns.to_hex(), "erase": erase, "departure_kept": kept }),
                );
            }
            if was_left || !kept {
                return out.line(format_args!("\"{name}\" was erased from this device"));
            }
            let what = if erase {
                "left \"{name}\" and asked your neighbours to erase your items and name"
            } else {
                "left \"{name}\""
            };
            out.line(what.replace("{name}", &name))?;
            out.line(format_args!(
                "your neighbours learn it at your next sync (`partage run` or `partage sync`); this device keeps only that notice until you run `partage neighbourhood leave {ns}` again"
            ))
        }
        NeighbourhoodCmd::ForgetHistory { id } => {
            let ns = resolve::neighbourhood(node, &id)?;
            node.forget_history(&ns)?;
            if out.json {
                return out.write_json(&serde_json::json!({ "rebased": ns.to_hex() }));
            }
            out.line("removed items and old texts are forgotten here, and by your neighbours as they sync")
        }
        NeighbourhoodCmd::Members { id } => {
            let ns = resolve::neighbourhood(node, &id)?;
            out.members(&node.members(&ns)?)
        }
        NeighbourhoodCmd::Revoke { id, member } => {
            let ns = resolve::neighbourhood(node, &id)?;
            let member = resolve::member(node, &member)?;
            node.revoke(&ns, &member)?;
            if out.json {
                return out.write_json(&serde_json::json!({ "revoked": member.to_hex() }));
            }
            out.line(format_args!("revoked member {}", member.short()))
        }
    }
}

/// The ticket as a QR code of half-height unicode blocks, light on dark (for dark terminals,
/// with a quiet zone so phones can read it).
pub(super) fn qr_code(ticket: &str) -> CliResult<String> {
    let code = QrCode::with_error_correction_level(ticket.as_bytes(), EcLevel::L)
        .map_err(|e| CliError::msg(format!("the ticket does not fit in a QR code ({e})")))?;
    Ok(code
        .render::<Dense1x2>()
        .dark_color(Dense1x2::Light)
        .light_color(Dense1x2::Dark)
        .quiet_zone(true)
        .build())
}
