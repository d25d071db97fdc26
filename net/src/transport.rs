//! One transport identity per network (ADR 0016).
//!
//! The libp2p key a device shows (in mDNS adverts, Noise handshakes and identify) is derived
//! from its device secret and a label of the network it is on, so the same home network gives
//! the same peer id every time (neighbours redial it, remembered addresses keep working) and
//! another network an unrelated one: nobody can tell, from what it shows, that the phone at the
//! café is the one from the building's LAN. Who a device is, members learn inside the encrypted
//! session, from a proof bound to it (`partage::session_binding`).

use crate::config::NetConfig;
use crate::error::NetError;
use libp2p::Multiaddr;
use libp2p::identity::Keypair;
use libp2p::multiaddr::Protocol;
use std::net::IpAddr;

/// Labels one network: equal on the same network, unrelated elsewhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NetworkLabel([u8; 32]);

impl NetworkLabel {
    /// The label of the network this device is on now, seen from `config`: the app's hint when
    /// it gives one (it may know the Wi-Fi network), otherwise the subnets it listens on (the
    /// interfaces' own when it listens on every interface, or listens nowhere and only dials).
    pub(crate) fn current(config: &NetConfig) -> NetworkLabel {
        if let Some(hint) = &config.network_hint {
            let mut h = blake3::Hasher::new_derive_key("partage/network-label/v1 hint");
            h.update(hint.as_bytes());
            return NetworkLabel(*h.finalize().as_bytes());
        }
        let mut ips: Vec<IpAddr> = Vec::new();
        let mut everywhere = config.listen.is_empty();
        for addr in &config.listen {
            match ip_of(addr) {
                Some(ip) if ip.is_unspecified() => everywhere = true,
                Some(ip) => ips.push(ip),
                None => {}
            }
        }
        if everywhere {
            ips.extend(interface_ips());
        }
        NetworkLabel::of_ips(&ips)
    }

    /// The label of a set of addresses: their IPv4 /24s and IPv6 /64s, sorted.
    pub(crate) fn of_ips(ips: &[IpAddr]) -> NetworkLabel {
        let mut prefixes: Vec<Vec<u8>> = ips.iter().map(prefix).collect();
        prefixes.sort();
        prefixes.dedup();
        let mut h = blake3::Hasher::new_derive_key("partage/network-label/v1 subnets");
        for p in &prefixes {
            h.update(&[p.len() as u8]);
            h.update(p);
        }
        NetworkLabel(*h.finalize().as_bytes())
    }
}

/// The transport key of this device on the network labelled `label`.
pub(crate) fn transport_keypair(device_secret: &[u8; 32], label: &NetworkLabel) -> Result<Keypair, NetError> {
    let mut h = blake3::Hasher::new_derive_key("partage/transport/v1");
    h.update(device_secret);
    h.update(&label.0);
    crate::identity::keypair(*h.finalize().as_bytes())
}

/// The peer id a node with this device secret shows when started with `config` on the network
/// the device is on now (for a ticket made before the node runs, or a status line).
pub fn transport_peer_id(device_secret: &[u8; 32], config: &NetConfig) -> Result<libp2p::PeerId, NetError> {
    Ok(transport_keypair(device_secret, &NetworkLabel::current(config))?.public().to_peer_id())
}

fn ip_of(addr: &Multiaddr) -> Option<IpAddr> {
    addr.iter().find_map(|p| match p {
        Protocol::Ip4(ip) => Some(IpAddr::V4(ip)),
        Protocol::Ip6(ip) => Some(IpAddr::V6(ip)),
        _ => None,
    })
}

/// The subnet an address is in, as the bytes that name it.
fn prefix(ip: &IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(v4) => v4.octets().get(..3).unwrap_or_default().to_vec(),
        IpAddr::V6(v6) => v6.octets().get(..8).unwrap_or_default().to_vec(),
    }
}

/// Addresses of the interfaces that are up, except loopback and link-local ones (the same on
/// every network, they tell networks apart no better than nothing).
fn interface_ips() -> Vec<IpAddr> {
    match if_addrs::get_if_addrs() {
        Ok(interfaces) => interfaces
            .into_iter()
            .filter(|i| i.is_oper_up() && !i.is_loopback() && !i.is_link_local())
            .map(|i| i.ip())
            .collect(),
        Err(e) => {
            // No list: the label of "no network", the same as a device with no interface up.
            crate::trace!("cannot list network interfaces: {e}");
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn one_network_one_key_another_network_another() {
        let secret = [9; 32];
        let home = NetworkLabel::of_ips(&ips(&["192.168.1.23", "2001:db8:1:2::17"]));
        // A new DHCP lease or IPv6 privacy address on the same network: the same label.
        let home_later = NetworkLabel::of_ips(&ips(&["2001:db8:1:2::99", "192.168.1.57"]));
        let cafe = NetworkLabel::of_ips(&ips(&["10.4.0.12"]));
        assert_eq!(home, home_later);
        assert_ne!(home, cafe);
        let key = |l: &NetworkLabel| transport_keypair(&secret, l).unwrap().public().to_peer_id();
        assert_eq!(key(&home), key(&home_later));
        assert_ne!(key(&home), key(&cafe));
        // Neither is the device key's own peer id, nor another device's on the same network.
        let device = crate::identity::keypair(secret).unwrap().public().to_peer_id();
        assert_ne!(key(&home), device);
        assert_ne!(key(&home), transport_keypair(&[8; 32], &home).unwrap().public().to_peer_id());
    }

    #[test]
    fn the_label_follows_the_listen_addresses_or_the_hint() {
        let at = |a: &str| NetConfig { listen: vec![a.parse().unwrap()], ..NetConfig::default() };
        assert_eq!(
            NetworkLabel::current(&at("/ip4/10.7.0.1/tcp/0")),
            NetworkLabel::current(&at("/ip4/10.7.0.9/tcp/4001"))
        );
        assert_ne!(
            NetworkLabel::current(&at("/ip4/10.7.0.1/tcp/0")),
            NetworkLabel::current(&at("/ip4/10.8.0.1/tcp/0"))
        );
        let hinted = |h: &str| NetConfig { network_hint: Some(h.into()), ..at("/ip4/10.7.0.1/tcp/0") };
        assert_eq!(NetworkLabel::current(&hinted("home")), NetworkLabel::current(&hinted("home")));
        assert_ne!(NetworkLabel::current(&hinted("home")), NetworkLabel::current(&hinted("work")));
        assert_ne!(NetworkLabel::current(&hinted("home")), NetworkLabel::current(&at("/ip4/10.7.0.1/tcp/0")));
    }
}
