//! Tenant API keys: create (the secret is shown once; only its SHA-256 is stored), list with
//! last use, revoke (the key stops authenticating at once, its event streams end).

use uuid::Uuid;

use super::error::{HubError, found};
use super::validate::non_empty;
use super::{Hub, ListKind, Revocation};
use crate::authz::{self, Action, Actor, Target};
use crate::model::*;
use crate::secrets;
use crate::store::{Page, PageRequest, TextFilter};

impl Hub {
    /// Creates a tenant API key; the secret (`sgk_…`) is returned once.
    pub fn create_api_key(
        &self,
        actor: &Actor,
        org_id: Option<Uuid>,
        name: &str,
    ) -> Result<(ApiKey, String), HubError> {
        let name = non_empty("name", name)?;
        let view = authz::scope(actor, Action::ViewOrg)?;
        let mut tx = self.write()?;
        let org = self.tenant_or_own(&mut *tx, &view, actor, org_id, "API keys")?;
        let scope = authz::authorize(actor, Action::ManageApiKeys, Target::Org(&org))?;
        let secret = secrets::random_token("sgk_");
        let key = ApiKey {
            id: Uuid::now_v7(),
            org_id: org.id,
            name,
            prefix: secret.chars().take(10).collect(),
            created_at: self.now(),
            last_used_at: None,
            revoked_at: None,
        };
        tx.insert_api_key(&scope, &key, &secrets::digest(&secret))?;
        super::audit::record(
            &mut *tx,
            actor,
            super::audit::Audit::new(org.id, "created", "api_key")
                .id(key.id)
                .detail(key.name.clone()),
            self.now(),
        )?;
        tx.commit()?;
        self.lists_changed_at(&org.path, &[ListKind::ApiKeys]);
        Ok((key, secret))
    }

    pub fn api_keys(&self, actor: &Actor) -> Result<Vec<ApiKey>, HubError> {
        Ok(self
            .list_api_keys(actor, &TextFilter::default(), &PageRequest::all())?
            .items)
    }

    pub fn list_api_keys(
        &self,
        actor: &Actor,
        filter: &TextFilter,
        page: &PageRequest,
    ) -> Result<Page<ApiKey>, HubError> {
        let scope = authz::scope(actor, Action::ManageApiKeys)?;
        Ok(self.read()?.api_keys(&scope, filter, page)?)
    }

    /// Revokes a key (kept in the list, marked revoked).
    pub fn revoke_api_key(&self, actor: &Actor, id: Uuid) -> Result<ApiKey, HubError> {
        let scope = authz::scope(actor, Action::ManageApiKeys)?;
        let mut tx = self.write()?;
        let mut key = found(tx.api_key(&scope, id)?)?;
        if key.revoked_at.is_none() {
            key.revoked_at = Some(self.now());
            tx.update_api_key(&scope, &key)?;
            super::audit::record(
                &mut *tx,
                actor,
                super::audit::Audit::new(key.org_id, "revoked", "api_key")
                    .id(key.id)
                    .detail(key.name.clone()),
                self.now(),
            )?;
            tx.commit()?;
            self.list_changed(key.org_id, ListKind::ApiKeys);
            self.revoke(Revocation::ApiKey(id));
        }
        Ok(key)
    }
}
