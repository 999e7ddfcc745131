//! A tenant's contacts as a CSV file, in the columns the import reads
//! (`SMS_NUMBER, FULLNAME, BUSINESS, EMAIL, NOTES`, with a header), so an export can be
//! imported elsewhere as it is. Every export is recorded in the audit log (who, which tenant,
//! how many, which list), in the same transaction as the read's end.

use uuid::Uuid;

use super::Hub;
use super::audit::{self, Audit};
use super::error::{HubError, found};
use crate::authz::{self, Action, Actor};
use crate::store::{ContactFilter, PageRequest};

/// The header of the file (the import's column names).
pub const HEADER: [&str; 5] = ["SMS_NUMBER", "FULLNAME", "BUSINESS", "EMAIL", "NOTES"];

impl Hub {
    /// Every contact of the tenant (the caller's or `org`), or of one of its lists, as CSV;
    /// returns the file name to offer and the bytes.
    pub fn export_contacts(
        &self,
        actor: &Actor,
        org: Option<Uuid>,
        list: Option<Uuid>,
    ) -> Result<(String, Vec<u8>), HubError> {
        let scope = authz::scope(actor, Action::ManageContact)?;
        let mut tx = self.write()?;
        let tenant = self.tenant_or_own(&mut *tx, &scope, actor, org, "contacts")?;
        let list_name = match list {
            Some(l) => {
                let cl = found(
                    tx.contact_list(&scope, l)?
                        .filter(|c| c.org_id == tenant.id),
                )?;
                Some(cl.name)
            }
            None => None,
        };
        let contacts = tx
            .contacts(
                &scope,
                &ContactFilter {
                    org: Some(tenant.id),
                    list,
                    q: None,
                },
                &PageRequest::all(),
            )?
            .items;
        let mut w = csv::Writer::from_writer(Vec::new());
        let fail = |e: csv::Error| HubError::Conflict(format!("writing CSV: {e}"));
        w.write_record(HEADER).map_err(fail)?;
        for c in &contacts {
            w.write_record([&c.number, &c.name, &c.business, &c.email, &c.notes])
                .map_err(fail)?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| HubError::Conflict(format!("writing CSV: {e}")))?;
        let name = format!("contacts-{}.csv", file_stem(&tenant.name));
        audit::record(
            &mut *tx,
            actor,
            Audit::new(tenant.id, "exported", "contacts")
                .id(list.map_or_else(|| tenant.id.to_string(), |l| l.to_string()))
                .detail(match &list_name {
                    Some(n) => format!("{name}: {} contact(s) of the list {n}", contacts.len()),
                    None => format!("{name}: {} contact(s)", contacts.len()),
                }),
            self.now(),
        )?;
        tx.commit()?;
        Ok((name, bytes))
    }
}

/// A file-name-safe form of a name (letters, digits, `-`, `_`).
fn file_stem(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_matches('-');
    if s.is_empty() {
        "tenant".into()
    } else {
        s.to_owned()
    }
}
