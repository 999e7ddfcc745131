//! Stored forms that differ from the API forms (secrets kept), outbox rows, and the code
//! migration that brings numbers of an existing database to E.164.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::Serialize;

use super::parse_uuid;
use crate::model::*;
use crate::phone;
use crate::store::StoreError;

/// Users are stored with their password hash, which the API form never serialises.
#[derive(Serialize, serde::Deserialize)]
pub(crate) struct StoredUser(#[serde(with = "user_with_secret")] pub User);

/// Gateways are stored with their MQTT password hash.
#[derive(Serialize, serde::Deserialize)]
pub(crate) struct StoredGateway(#[serde(with = "gateway_with_secret")] pub Gateway);

mod user_with_secret {
    use super::*;
    #[derive(Serialize, serde::Deserialize)]
    struct Doc {
        #[serde(flatten)]
        user: User,
        password_hash: String,
    }
    pub fn serialize<S: serde::Serializer>(u: &User, s: S) -> Result<S::Ok, S::Error> {
        Doc {
            user: u.clone(),
            password_hash: u.password_hash.clone(),
        }
        .serialize(s)
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<User, D::Error> {
        let doc = <Doc as serde::Deserialize>::deserialize(d)?;
        Ok(User {
            password_hash: doc.password_hash,
            ..doc.user
        })
    }
}

mod gateway_with_secret {
    use super::*;
    #[derive(Serialize, serde::Deserialize)]
    struct Doc {
        #[serde(flatten)]
        gateway: Gateway,
        mqtt_password_hash: String,
    }
    pub fn serialize<S: serde::Serializer>(g: &Gateway, s: S) -> Result<S::Ok, S::Error> {
        Doc {
            gateway: g.clone(),
            mqtt_password_hash: g.mqtt_password_hash.clone(),
        }
        .serialize(s)
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Gateway, D::Error> {
        let doc = <Doc as serde::Deserialize>::deserialize(d)?;
        Ok(Gateway {
            mqtt_password_hash: doc.mqtt_password_hash,
            ..doc.gateway
        })
    }
}

pub(crate) struct OutboxRow(
    pub String,
    pub String,
    pub String,
    pub Vec<u8>,
    pub Option<String>,
    pub DateTime<Utc>,
);

pub(crate) fn outbox_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxRow> {
    Ok(OutboxRow(
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

impl OutboxRow {
    pub(crate) fn into_entry(self) -> Result<OutboxEntry, StoreError> {
        Ok(OutboxEntry {
            id: parse_uuid("outbox", &self.0)?,
            gateway_id: parse_uuid("outbox", &self.1)?,
            kind: self.2,
            payload: self.3,
            message_id: self
                .4
                .as_deref()
                .map(|m| parse_uuid("outbox", m))
                .transpose()?,
            created_at: self.5,
        })
    }
}

/// Migration 3: every stored number in E.164 (see [`crate::phone`]). Numbers of a channel's
/// conversations are read in the country of the channel's SIM number; contacts and opt-outs
/// (which had no country before) must already be international (`+…`, `00…`, or digits that
/// only read as international) — anything unreadable is kept as it was. Rows that become
/// duplicates keep the oldest contact / opt-out; of two live conversations with the same
/// contact on one channel, the older one is closed.
pub(crate) fn normalise_numbers(tx: &rusqlite::Transaction<'_>) -> Result<(), rusqlite::Error> {
    // Channels.
    let channels: Vec<(String, String)> = tx
        .prepare("SELECT id, sim_number FROM channels")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut sim_of = std::collections::HashMap::new();
    for (id, sim) in channels {
        let n = phone::sender(&sim, None);
        tx.execute(
            "UPDATE channels SET sim_number = ?2, doc = json_set(doc, '$.sim_number', ?2) WHERE id = ?1",
            params![id, n],
        )?;
        sim_of.insert(id, n);
    }
    // Contacts and opt-outs: the oldest of a duplicate stays.
    for table in ["contacts", "opt_outs"] {
        let rows: Vec<(String, String, String)> = tx
            .prepare(&format!(
                "SELECT id, org_id, number FROM {table} ORDER BY created_at, id"
            ))?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        let mut seen = HashSet::new();
        for (id, org, number) in rows {
            let n = phone::sender(&number, None);
            if !seen.insert((org, n.clone())) {
                if table == "contacts" {
                    tx.execute(
                        "DELETE FROM contact_list_members WHERE contact_id = ?1",
                        [&id],
                    )?;
                }
                tx.execute(&format!("DELETE FROM {table} WHERE id = ?1"), [&id])?;
                continue;
            }
            tx.execute(
                &format!(
                    "UPDATE {table} SET number = ?2, doc = json_set(doc, '$.number', ?2) WHERE id = ?1"
                ),
                params![id, n],
            )?;
        }
    }
    tx.execute(
        "UPDATE opt_out_changes SET number = (SELECT o.number FROM opt_outs o
           WHERE o.org_id = opt_out_changes.org_id AND o.created_at = opt_out_changes.at)
         WHERE EXISTS (SELECT 1 FROM opt_outs o WHERE o.org_id = opt_out_changes.org_id
           AND o.created_at = opt_out_changes.at)",
        [],
    )?;
    // Conversations, most recent first: an older live duplicate is closed.
    let rows: Vec<(String, String, String, bool)> = tx
        .prepare(
            "SELECT id, channel_id, contact_number, live FROM interactions ORDER BY updated_at DESC, id",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    let mut live_seen = HashSet::new();
    for (id, channel, number, live) in rows {
        let ctx = sim_of.get(&channel).and_then(|s| phone::country_of(s));
        let n = phone::sender(&number, ctx);
        let still_live = live && live_seen.insert((channel.clone(), n.clone()));
        tx.execute(
            "UPDATE interactions SET contact_number = ?2, live = ?3,
                status = CASE WHEN ?3 = 0 AND live = 1 THEN 'closed' ELSE status END,
                doc = json_set(doc, '$.contact_number', ?2,
                   '$.status', CASE WHEN ?3 = 0 AND live = 1 THEN 'closed' ELSE json_extract(doc, '$.status') END)
             WHERE id = ?1",
            params![id, n, still_live],
        )?;
        // The contact side of each message of the conversation.
        tx.execute(
            "UPDATE messages SET doc = CASE json_extract(doc, '$.direction')
                WHEN 'inbound' THEN json_set(doc, '$.from', ?2) ELSE json_set(doc, '$.to', ?2) END
             WHERE interaction_id = ?1",
            params![id, n],
        )?;
    }
    Ok(())
}
