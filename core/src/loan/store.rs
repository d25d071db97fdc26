//! Persisted loan records (the loan part of the read model), one table per side.

use super::BorrowerSide;
use super::doc::LenderRecord;
use crate::error::Result;
use crate::ids::{MemberId, NeighbourhoodId};
use crate::store::{Store, Writer, decode, doc_key, encode, prefix_end};
use redb::TableDefinition;

/// Key: neighbourhood ‖ borrower ‖ loan id.
const BORROWING: TableDefinition<&[u8], &[u8]> = TableDefinition::new("loan_borrowing");
/// Key: neighbourhood ‖ lender ‖ borrower ‖ loan id.
const LENDING: TableDefinition<&[u8], &[u8]> = TableDefinition::new("loan_lending");

fn borrowing_key(b: &BorrowerSide) -> Vec<u8> {
    [doc_key(&b.neighbourhood, &b.borrower).as_slice(), &b.id.0].concat()
}

fn lending_key(l: &LenderRecord) -> Vec<u8> {
    [doc_key(&l.neighbourhood, &l.lender).as_slice(), &l.borrower.0, &l.id.0].concat()
}

impl Store {
    /// Every stored borrower side and lender record.
    pub fn loan_sides(&self) -> Result<(Vec<BorrowerSide>, Vec<LenderRecord>)> {
        let borrowing =
            self.rows(BORROWING)?.iter().map(|(_, v)| decode(v, "loan")).collect::<Result<_>>()?;
        let lending = self.rows(LENDING)?.iter().map(|(_, v)| decode(v, "loan")).collect::<Result<_>>()?;
        Ok((borrowing, lending))
    }
}

impl Writer<'_> {
    /// Stores (replaces) a borrower side.
    pub fn put_borrowing(&mut self, b: &BorrowerSide) -> Result<()> {
        self.txn.open_table(BORROWING)?.insert(borrowing_key(b).as_slice(), encode(b)?.as_slice())?;
        Ok(())
    }

    /// Stores (replaces) a lender record.
    pub fn put_lending(&mut self, l: &LenderRecord) -> Result<()> {
        self.txn.open_table(LENDING)?.insert(lending_key(l).as_slice(), encode(l)?.as_slice())?;
        Ok(())
    }

    /// Replaces all loan records of one member document (after an import).
    pub fn replace_loans_of(
        &mut self,
        ns: &NeighbourhoodId,
        owner: &MemberId,
        borrowing: &[BorrowerSide],
        lending: &[LenderRecord],
    ) -> Result<()> {
        let prefix = doc_key(ns, owner);
        let end = prefix_end(&prefix);
        // Each table opened once for the whole document (a full sync brings dozens of records
        // per document), not once per record.
        let mut table = self.txn.open_table(BORROWING)?;
        table.retain_in(prefix.as_slice()..end.as_slice(), |_, _| false)?;
        for b in borrowing {
            table.insert(borrowing_key(b).as_slice(), encode(b)?.as_slice())?;
        }
        drop(table);
        let mut table = self.txn.open_table(LENDING)?;
        table.retain_in(prefix.as_slice()..end.as_slice(), |_, _| false)?;
        for l in lending {
            table.insert(lending_key(l).as_slice(), encode(l)?.as_slice())?;
        }
        Ok(())
    }

    /// Erases every loan record of a neighbourhood (leaving it).
    pub fn delete_loans_in(&mut self, ns: &NeighbourhoodId) -> Result<()> {
        let end = prefix_end(&ns.0);
        for def in [BORROWING, LENDING] {
            self.txn.open_table(def)?.retain_in(ns.0.as_slice()..end.as_slice(), |_, _| false)?;
        }
        Ok(())
    }
}
