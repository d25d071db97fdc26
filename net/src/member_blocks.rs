//! Members blocked for misbehaving. A hostile member can mint any number of device identities
//! with their own member key, so blocking the misbehaving device alone would let them come
//! straight back: the member is blocked too, and a fresh device of theirs is turned away as
//! soon as its proof names them. Shared between the event loop (which blocks) and sessions
//! (which check, on a blocking thread); the lock is never held across an `.await`.

use partage::MemberId;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Members blocked at once, at most (beyond it, the block that ends first is lifted).
const MAX_BLOCKED_MEMBERS: usize = 1024;

#[derive(Debug, Default)]
pub(crate) struct MemberBlocks {
    until: Mutex<HashMap<MemberId, Instant>>,
}

impl MemberBlocks {
    pub(crate) fn block(&self, member: MemberId, until: Instant) {
        let Ok(mut map) = self.until.lock() else { return };
        map.insert(member, until);
        while map.len() > MAX_BLOCKED_MEMBERS {
            let Some(first) = map.iter().min_by_key(|(_, u)| **u).map(|(m, _)| *m) else { break };
            map.remove(&first);
        }
    }

    pub(crate) fn is_blocked(&self, member: &MemberId, now: Instant) -> bool {
        let Ok(mut map) = self.until.lock() else { return false };
        match map.get(member) {
            Some(until) if *until > now => true,
            Some(_) => {
                map.remove(member);
                false
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_block_ends_and_the_oldest_goes_beyond_the_cap() {
        let blocks = MemberBlocks::default();
        let now = Instant::now();
        blocks.block(MemberId([1; 32]), now + Duration::from_secs(60));
        assert!(blocks.is_blocked(&MemberId([1; 32]), now));
        assert!(!blocks.is_blocked(&MemberId([1; 32]), now + Duration::from_secs(61)));
        blocks.block(MemberId([1; 32]), now + Duration::from_secs(60 * 60));
        for i in 0..=MAX_BLOCKED_MEMBERS {
            let mut id = [0; 32];
            id[..8].copy_from_slice(&(i as u64).to_le_bytes());
            blocks.block(MemberId(id), now + Duration::from_secs(10 + i as u64));
        }
        assert!(!blocks.is_blocked(&MemberId([0; 32]), now), "the block ending first was lifted");
        assert!(blocks.is_blocked(&MemberId([1; 32]), now));
    }
}
