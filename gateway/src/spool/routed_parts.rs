//! Parts of routed (`+CMT`) multipart messages waiting for the rest of their message.
//!
//! A stored part (`+CMTI`) waits on the SIM and is deleted only after its whole message is
//! committed; a routed part was never stored anywhere but in memory, so it is written here
//! first ([`SpoolDb::hold_routed_part`]), and its row is deleted in the same transaction that
//! stores the whole message ([`SpoolDb::store_inbound_releasing`]). After a crash or a restart
//! the port reads its waiting parts back ([`SpoolDb::routed_parts`]) and the next part
//! completes the message.

use super::ExecCached;
use super::SpoolError;
use super::store::{SpoolDb, store_inbound_in};
use super::types::NewInbound;
use rusqlite::{TransactionBehavior, params};
use smsgate_pdu::reassembly::Part;
use smsgate_pdu::{Concat, Encoding};

fn encoding_name(e: Encoding) -> &'static str {
    e.as_str()
}

fn encoding_of(s: &str) -> Encoding {
    match s {
        "8bit" => Encoding::Eight,
        "ucs2" => Encoding::Ucs2,
        _ => Encoding::Gsm7,
    }
}

impl SpoolDb {
    /// Keeps a routed part of a multipart message on `port` until its message is whole;
    /// returns the row id (what the port's reassembly holds for the part).
    pub fn hold_routed_part(&mut self, port: u16, part: &Part) -> Result<i64, SpoolError> {
        let now = self.now();
        let c = part.concat.unwrap_or(Concat {
            reference: 0,
            total: 1,
            seq: 1,
        });
        self.conn.exec_cached(
            "INSERT INTO routed_parts (port, sender, reference, total, seq, text, data, encoding, sc_time, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                port,
                part.sender,
                c.reference,
                c.total,
                c.seq,
                part.text,
                part.data,
                encoding_name(part.encoding),
                part.timestamp.map(|t| t.to_rfc3339()),
                now
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Drops one held part (a re-delivery of a message already committed).
    pub fn drop_routed_part(&mut self, id: i64) -> Result<(), SpoolError> {
        self.conn
            .exec_cached("DELETE FROM routed_parts WHERE id = ?1", params![id])?;
        Ok(())
    }

    /// The routed parts `port` holds, oldest first, with their row ids.
    pub fn routed_parts(&mut self, port: u16) -> Result<Vec<(i64, Part)>, SpoolError> {
        let mut st = self.conn.prepare_cached(
            "SELECT id, sender, reference, total, seq, text, data, encoding, sc_time
             FROM routed_parts WHERE port = ?1 ORDER BY id",
        )?;
        let rows = st.query_map(params![port], |r| {
            let sc: Option<String> = r.get(8)?;
            Ok((
                r.get::<_, i64>(0)?,
                Part {
                    sender: r.get(1)?,
                    concat: Some(Concat {
                        reference: r.get(2)?,
                        total: r.get(3)?,
                        seq: r.get(4)?,
                    }),
                    text: r.get(5)?,
                    data: r.get(6)?,
                    encoding: encoding_of(&r.get::<_, String>(7)?),
                    timestamp: sc.and_then(|s| chrono::DateTime::parse_from_rfc3339(&s).ok()),
                },
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Stores a whole (or timed-out) inbound message and, in the same transaction, drops the
    /// routed parts it was made of (`parts`: their row ids).
    pub fn store_inbound_releasing(
        &mut self,
        m: &NewInbound,
        parts: &[i64],
    ) -> Result<i64, SpoolError> {
        let now = self.now();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = store_inbound_in(&tx, m, now)?;
        for p in parts {
            tx.exec_cached("DELETE FROM routed_parts WHERE id = ?1", params![p])?;
        }
        tx.commit()?;
        Ok(id)
    }
}
