//! Contacts and contact lists of a tenant: create, view, list and search, edit, delete,
//! import a CSV (all or nothing, every bad line named), lists with members.
//! Numbers are stored in E.164, read in the tenant's country when written nationally.

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::error::{HubError, LineProblem, found, invalid};
use super::validate::{MAX_NAME, MAX_NOTE, bounded, non_empty, valid_email};
use super::{Hub, ListKind};
use crate::authz::{self, Action, Actor, Scope, Target};
use crate::csv_import;
use crate::model::*;
use crate::phone;
use crate::store::{ContactFilter, Page, PageRequest, TextFilter};

/// Result of [`Hub::import_contacts`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportReport {
    pub created: usize,
    /// Numbers already present (in the tenant or earlier in the file).
    pub skipped: usize,
    /// Contacts added to the list (imports into a list).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added_to_list: Option<usize>,
}

/// The contact fields a client gives.
#[derive(Debug, Clone, Default)]
pub struct ContactInput {
    pub number: String,
    pub name: String,
    pub business: String,
    pub email: String,
    pub notes: String,
}

impl Hub {
    fn tenant_country(org: &Org) -> Option<smsgate_wire::number::Country> {
        org.country.as_deref().and_then(phone::country)
    }

    fn checked_contact(org: &Org, input: &ContactInput) -> Result<ContactInput, HubError> {
        let number = phone::recipient(&input.number, Self::tenant_country(org))
            .map_err(|e| invalid("number", e.to_string()))?;
        Ok(ContactInput {
            number,
            name: bounded("name", &input.name, MAX_NAME)?,
            business: bounded("business", &input.business, MAX_NAME)?,
            email: valid_email("email", &input.email)?,
            notes: bounded("notes", &input.notes, MAX_NOTE)?,
        })
    }

    pub fn create_contact(
        &self,
        actor: &Actor,
        org_id: Option<Uuid>,
        input: ContactInput,
    ) -> Result<Contact, HubError> {
        let view = authz::scope(actor, Action::ViewOrg)?;
        let mut tx = self.write()?;
        let org = self.tenant_or_own(&mut *tx, &view, actor, org_id, "contacts")?;
        let scope = authz::authorize(actor, Action::ManageContact, Target::Org(&org))?;
        let c = Self::checked_contact(&org, &input)?;
        let contact = Contact {
            id: Uuid::now_v7(),
            org_id: org.id,
            number: c.number,
            name: c.name,
            business: c.business,
            email: c.email,
            notes: c.notes,
            created_at: self.now(),
        };
        tx.insert_contact(&scope, &contact)?;
        tx.commit()?;
        self.list_changed(org.id, ListKind::Contacts);
        Ok(contact)
    }

    pub fn contact(&self, actor: &Actor, id: Uuid) -> Result<Contact, HubError> {
        let scope = authz::scope(actor, Action::ViewContact)?;
        found(self.read()?.contact(&scope, id)?)
    }

    pub fn contacts(&self, actor: &Actor) -> Result<Vec<Contact>, HubError> {
        Ok(self
            .list_contacts(actor, &ContactFilter::default(), &PageRequest::all())?
            .items)
    }

    pub fn list_contacts(
        &self,
        actor: &Actor,
        filter: &ContactFilter,
        page: &PageRequest,
    ) -> Result<Page<Contact>, HubError> {
        let scope = authz::scope(actor, Action::ViewContact)?;
        Ok(self.read()?.contacts(&scope, filter, page)?)
    }

    /// Edits a contact (every field but the tenant).
    pub fn update_contact(
        &self,
        actor: &Actor,
        id: Uuid,
        input: ContactInput,
    ) -> Result<Contact, HubError> {
        let scope = authz::scope(actor, Action::ManageContact)?;
        let mut tx = self.write()?;
        let old = found(tx.contact(&scope, id)?)?;
        let org = found(tx.org(&scope, old.org_id)?)?;
        let c = Self::checked_contact(&org, &input)?;
        let contact = Contact {
            number: c.number,
            name: c.name,
            business: c.business,
            email: c.email,
            notes: c.notes,
            ..old
        };
        tx.update_contact(&scope, &contact)?;
        tx.commit()?;
        self.list_changed(org.id, ListKind::Contacts);
        Ok(contact)
    }

    pub fn delete_contact(&self, actor: &Actor, id: Uuid) -> Result<(), HubError> {
        let scope = authz::scope(actor, Action::ManageContact)?;
        let mut tx = self.write()?;
        let old = found(tx.contact(&scope, id)?)?;
        tx.delete_contact(&scope, id)?;
        tx.commit()?;
        // Its lists' counts changed too.
        self.list_changed(old.org_id, ListKind::Contacts);
        self.list_changed(old.org_id, ListKind::ContactLists);
        Ok(())
    }

    /// Imports contacts from a CSV file ([`csv_import`] says which shapes). All or nothing:
    /// every bad line (shape, number, e-mail, length) is reported and nothing is imported.
    /// Numbers already in the tenant (or repeated in the file) are skipped and counted; with
    /// `list`, every contact of the file (new or existing) joins that list.
    pub fn import_contacts(
        &self,
        actor: &Actor,
        org_id: Option<Uuid>,
        file: &[u8],
    ) -> Result<ImportReport, HubError> {
        self.import_into(actor, org_id, None, file)
    }

    pub fn import_into(
        &self,
        actor: &Actor,
        org_id: Option<Uuid>,
        list: Option<Uuid>,
        file: &[u8],
    ) -> Result<ImportReport, HubError> {
        let view = authz::scope(actor, Action::ViewOrg)?;
        let mut tx = self.write()?;
        let org = match list {
            Some(l) => {
                let scope = authz::scope(actor, Action::ManageContact)?;
                let list = found(tx.contact_list(&scope, l)?)?;
                found(tx.org(&scope, list.org_id)?)?
            }
            None => self.tenant_or_own(&mut *tx, &view, actor, org_id, "contacts")?,
        };
        let scope = authz::authorize(actor, Action::ManageContact, Target::Org(&org))?;
        let rows = csv_import::parse(file).map_err(|problems| HubError::InvalidFile {
            field: "file".into(),
            problems,
        })?;
        let mut problems = Vec::new();
        let mut checked = Vec::with_capacity(rows.len());
        for row in rows {
            let [number, name, business, email, notes] = row.fields;
            let input = ContactInput {
                number,
                name,
                business,
                email,
                notes,
            };
            match Self::checked_contact(&org, &input) {
                Ok(c) => checked.push(c),
                Err(HubError::Invalid { field, reason }) => {
                    let column = match field.as_str() {
                        "number" => "SMS_NUMBER",
                        "name" => "FULLNAME",
                        "business" => "BUSINESS",
                        "email" => "EMAIL",
                        _ => "NOTES",
                    };
                    problems.push(LineProblem {
                        line: row.line,
                        field: column.into(),
                        message: reason,
                    });
                }
                Err(e) => return Err(e),
            }
            if problems.len() >= csv_import::MAX_PROBLEMS {
                break;
            }
        }
        if !problems.is_empty() {
            return Err(HubError::InvalidFile {
                field: "file".into(),
                problems,
            });
        }
        let now = self.now();
        let mut report = ImportReport {
            added_to_list: list.map(|_| 0),
            ..ImportReport::default()
        };
        for c in checked {
            let id = match tx.contact_by_number(&scope, org.id, &c.number)? {
                Some(existing) => {
                    report.skipped += 1;
                    existing.id
                }
                None => {
                    let contact = Contact {
                        id: Uuid::now_v7(),
                        org_id: org.id,
                        number: c.number,
                        name: c.name,
                        business: c.business,
                        email: c.email,
                        notes: c.notes,
                        created_at: now,
                    };
                    tx.insert_contact(&scope, &contact)?;
                    report.created += 1;
                    contact.id
                }
            };
            if let (Some(l), Some(n)) = (list, report.added_to_list.as_mut())
                && tx.add_list_member(&scope, l, id)?
            {
                *n += 1;
            }
        }
        tx.commit()?;
        self.list_changed(org.id, ListKind::Contacts);
        if list.is_some() {
            self.list_changed(org.id, ListKind::ContactLists);
        }
        Ok(report)
    }

    // ------------------------------------------------------------------ lists

    pub fn create_contact_list(
        &self,
        actor: &Actor,
        org_id: Option<Uuid>,
        name: &str,
        description: &str,
    ) -> Result<ContactList, HubError> {
        let name = non_empty("name", name)?;
        let description = bounded("description", description, MAX_NOTE)?;
        let view = authz::scope(actor, Action::ViewOrg)?;
        let mut tx = self.write()?;
        let org = self.tenant_or_own(&mut *tx, &view, actor, org_id, "contact lists")?;
        let scope = authz::authorize(actor, Action::ManageContact, Target::Org(&org))?;
        let list = ContactList {
            id: Uuid::now_v7(),
            org_id: org.id,
            name,
            description,
            members: 0,
            created_at: self.now(),
        };
        tx.insert_contact_list(&scope, &list)?;
        tx.commit()?;
        self.list_changed(org.id, ListKind::ContactLists);
        Ok(list)
    }

    pub fn contact_list(&self, actor: &Actor, id: Uuid) -> Result<ContactList, HubError> {
        let scope = authz::scope(actor, Action::ViewContact)?;
        found(self.read()?.contact_list(&scope, id)?)
    }

    pub fn list_contact_lists(
        &self,
        actor: &Actor,
        filter: &TextFilter,
        page: &PageRequest,
    ) -> Result<Page<ContactList>, HubError> {
        let scope = authz::scope(actor, Action::ViewContact)?;
        Ok(self.read()?.contact_lists(&scope, filter, page)?)
    }

    pub fn update_contact_list(
        &self,
        actor: &Actor,
        id: Uuid,
        name: Option<&str>,
        description: Option<&str>,
    ) -> Result<ContactList, HubError> {
        let scope = authz::scope(actor, Action::ManageContact)?;
        let mut tx = self.write()?;
        let mut l = found(tx.contact_list(&scope, id)?)?;
        if let Some(n) = name {
            l.name = non_empty("name", n)?;
        }
        if let Some(d) = description {
            l.description = bounded("description", d, MAX_NOTE)?;
        }
        tx.update_contact_list(&scope, &l)?;
        tx.commit()?;
        self.list_changed(l.org_id, ListKind::ContactLists);
        Ok(l)
    }

    /// Deletes a list (its contacts stay).
    pub fn delete_contact_list(&self, actor: &Actor, id: Uuid) -> Result<(), HubError> {
        let scope = authz::scope(actor, Action::ManageContact)?;
        let mut tx = self.write()?;
        let l = found(tx.contact_list(&scope, id)?)?;
        tx.delete_contact_list(&scope, id)?;
        tx.commit()?;
        self.list_changed(l.org_id, ListKind::ContactLists);
        Ok(())
    }

    /// Adds contacts of the list's tenant; returns the list (with its new count).
    pub fn add_list_members(
        &self,
        actor: &Actor,
        id: Uuid,
        contacts: &[Uuid],
    ) -> Result<ContactList, HubError> {
        let scope = authz::scope(actor, Action::ManageContact)?;
        let mut tx = self.write()?;
        let list = found(tx.contact_list(&scope, id)?)?;
        for (i, c) in contacts.iter().enumerate() {
            if tx
                .contact(&scope, *c)?
                .is_none_or(|c| c.org_id != list.org_id)
            {
                return Err(invalid(
                    format!("contacts[{i}]"),
                    "no such contact in the list's tenant",
                ));
            }
            tx.add_list_member(&scope, id, *c)?;
        }
        let list = found(tx.contact_list(&scope, id)?)?;
        tx.commit()?;
        self.list_changed(list.org_id, ListKind::ContactLists);
        Ok(list)
    }

    pub fn remove_list_member(
        &self,
        actor: &Actor,
        id: Uuid,
        contact: Uuid,
    ) -> Result<(), HubError> {
        let scope = authz::scope(actor, Action::ManageContact)?;
        let mut tx = self.write()?;
        let l = found(tx.contact_list(&scope, id)?)?;
        if !tx.remove_list_member(&scope, id, contact)? {
            return Err(HubError::NotFound);
        }
        tx.commit()?;
        self.list_changed(l.org_id, ListKind::ContactLists);
        Ok(())
    }

    /// The numbers of a list's members (for bulk sends), in scope.
    pub(crate) fn list_numbers(
        &self,
        scope: &Scope,
        tx: &mut dyn crate::store::ReadTx,
        list: Uuid,
        limit: usize,
    ) -> Result<Vec<String>, HubError> {
        found(tx.contact_list(scope, list)?)?;
        Ok(tx.list_numbers(scope, list, limit)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::testkit::*;

    #[test]
    fn a_bad_email_refuses_the_file_naming_the_line_and_a_good_file_fills_a_list() {
        let w = world();
        let bad = b"SMS_NUMBER, FULLNAME, BUSINESS, EMAIL, NOTES\n+33620000001, Bob, , bob@example.com\n+33620000002, Eve, , not-an-email\n";
        match w.hub.import_contacts(&w.admin, None, bad) {
            Err(HubError::InvalidFile { problems, .. }) => {
                assert_eq!(problems.len(), 1);
                assert_eq!((problems[0].line, problems[0].field.as_str()), (3, "EMAIL"));
            }
            other => panic!("{other:?}"),
        }
        assert!(
            w.hub.contacts(&w.admin).unwrap().is_empty(),
            "nothing imported"
        );
        let list = w
            .hub
            .create_contact_list(&w.admin, None, "VIP", "")
            .unwrap();
        let good = b"+33620000001, \"Smith, John\"\n0033620000002, Carol\n";
        let r = w
            .hub
            .import_into(&w.admin, None, Some(list.id), good)
            .unwrap();
        assert_eq!((r.created, r.added_to_list), (2, Some(2)));
        assert_eq!(w.hub.contact_list(&w.admin, list.id).unwrap().members, 2);
        let page = w
            .hub
            .list_contacts(
                &w.admin,
                &ContactFilter {
                    q: Some("smith".into()),
                    ..Default::default()
                },
                &PageRequest::default(),
            )
            .unwrap();
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.items[0].name, "Smith, John");
    }
}
