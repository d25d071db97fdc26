//! Restoring a whole data directory from verified export data (see `crate::export`).

use super::Node;
use super::replication::verify_bundle;
use crate::error::{Error, Result};
use crate::export::TransferSummary;
use crate::identity::{Identity, SecretKey};
use crate::membership::{RevocationSet, verify_chain};
use crate::node::DocBundle;
use crate::store::{IdentityRecord, MemberRecord, NeighbourhoodRecord};

impl Node {
    /// Identity, neighbourhoods and members, for an export.
    pub(crate) fn export_records(
        &self,
    ) -> Result<(IdentityRecord, Vec<NeighbourhoodRecord>, Vec<MemberRecord>)> {
        let st = self.lock()?;
        let identity = IdentityRecord::from_identity(st.identity()?);
        let neighbourhoods = st.neighbourhoods.values().cloned().collect();
        let mut members: Vec<MemberRecord> = st.members.values().cloned().collect();
        members.sort_by_key(|m| (m.neighbourhood, m.member));
        Ok((identity, neighbourhoods, members))
    }

    /// Verifies everything, then writes it. The data directory must be empty.
    pub(crate) fn restore(
        &self,
        identity: Identity,
        neighbourhoods: Vec<NeighbourhoodRecord>,
        bundles: Vec<DocBundle>,
    ) -> Result<TransferSummary> {
        let mut st = self.lock()?;
        if st.identity.is_some() || !st.neighbourhoods.is_empty() || !st.read.is_empty() {
            return Err(Error::StoreNotEmpty);
        }
        let me = identity.member_id();
        for n in &neighbourhoods {
            let revoked = RevocationSet::from_revocations(&n.id, &n.revocations);
            let proven = verify_chain(&n.chain, &n.id, &revoked)
                .map_err(|e| Error::CorruptExport(format!("membership of \"{}\": {e}", n.name)))?;
            let root_ok = n.root_secret.is_none_or(|s| SecretKey::from_bytes(&s).public() == n.id.0);
            if proven != me || !root_ok {
                return Err(Error::CorruptExport(format!("membership of \"{}\" is not yours", n.name)));
            }
        }
        // Verification needs the identity and neighbourhoods in place; undone on failure.
        st.identity = Some(identity.clone());
        st.neighbourhoods = neighbourhoods.iter().map(|n| (n.id, n.clone())).collect();
        // Admissions first (in memory until everything verified): each bundle carries those of
        // its owner, and together they confirm everyone who was confirmed on the old device.
        for n in &neighbourhoods {
            let carried: Vec<_> = bundles
                .iter()
                .filter(|b| b.neighbourhood == n.id)
                .flat_map(|b| {
                    b.owner_admissions.iter().take(crate::admission::MAX_CARRIED_ADMISSIONS).cloned()
                })
                .collect();
            let mut book = st.admissions.remove(&n.id).unwrap_or_default();
            st.judged(&n.id, |judge, _| judge.learn(&mut book, &carried))?;
            st.admissions.insert(n.id, book);
        }
        let mut verified = Vec::with_capacity(bundles.len());
        let mut documents = 0;
        for b in &bundles {
            match verify_bundle(&mut st, b, None) {
                Ok(v) => {
                    verified.push(v);
                    documents += 1;
                }
                // A member revoked (or never confirmed) before the backup: their document is
                // left out, as any replica that knows it would.
                Err(e) if e.owner_not_standing() => {}
                Err(e) => {
                    st.identity = None;
                    st.neighbourhoods.clear();
                    st.docs.clear();
                    st.admissions.clear();
                    return Err(Error::CorruptExport(format!("document of {}: {e}", b.owner.short())));
                }
            }
        }
        let record = crate::secret_store::record_for(&identity, st.secrets.as_ref())?;
        st.store.write(|w| {
            w.put_identity(&record)?;
            for n in &neighbourhoods {
                w.put_neighbourhood(n)?;
            }
            for book in st.admissions.values() {
                book.all().try_for_each(|a| w.put_admission(a))?;
            }
            Ok(())
        })?;
        for v in verified {
            self.commit_verified(&mut st, v, super::replication::Flush::Now)?;
        }
        Ok(TransferSummary { neighbourhoods: neighbourhoods.len(), documents, items: st.read.len() })
    }
}
