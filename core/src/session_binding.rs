//! A device proves its key inside an encrypted session (ADR 0016).
//!
//! The libp2p identity a device shows on a network is a transport key derived for that network,
//! not its device key, so strangers cannot follow a phone from one network to the next. Once
//! both sides have proven they know a neighbourhood's secret, each signs the session's binding
//! (a hash of the two transport identities and of which side it is) with its device key, and
//! sends that signature with its membership proof: the proof then names the device, and cannot
//! be replayed on any other connection.

use crate::error::Result;
use crate::identity::{SecretKey, hex_bytes, verify};
use crate::ids::DeviceId;
use crate::node::Node;
use serde::{Deserialize, Serialize};

const DOMAIN: &[u8] = b"partage/session-binding/v1\0";

/// A device's signature over one session's binding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BindingSignature(#[serde(with = "hex_bytes")] pub [u8; 64]);

impl BindingSignature {
    /// `key`'s signature over `binding`.
    pub fn sign(key: &SecretKey, binding: &[u8; 32]) -> Self {
        BindingSignature(key.sign(DOMAIN, &[binding]))
    }

    /// Whether `device` signed `binding`.
    pub fn verify(&self, device: &DeviceId, binding: &[u8; 32]) -> bool {
        verify(&device.0, DOMAIN, &[binding], &self.0)
    }
}

impl Node {
    /// Signs a session's binding with this device's key (see the module docs).
    pub fn sign_session_binding(&self, binding: &[u8; 32]) -> Result<BindingSignature> {
        Ok(BindingSignature::sign(&SecretKey::from_bytes(&self.device_secret()?), binding))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_binding_signature_names_one_device_and_one_binding() {
        let key = SecretKey::generate().unwrap();
        let device = DeviceId(key.public());
        let sig = BindingSignature::sign(&key, &[1; 32]);
        assert!(sig.verify(&device, &[1; 32]));
        assert!(!sig.verify(&device, &[2; 32]), "replayed on another session");
        assert!(!sig.verify(&DeviceId(SecretKey::generate().unwrap().public()), &[1; 32]));
        // A signature of the same bytes under another domain (a device certificate) is no binding.
        let other = BindingSignature(key.sign(b"partage/device-cert/v1\0", &[&[1; 32]]));
        assert!(!other.verify(&device, &[1; 32]));
    }
}
