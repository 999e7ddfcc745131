//! Users: create, view (with presence), list, edit, disconnect, deactivate / archive / restore.
//! Every change that ends sessions also ends the user's event streams at once.

use uuid::Uuid;

use super::error::{HubError, found, invalid};
use super::validate::{non_empty, valid_login, valid_password};
use super::{Hub, ListKind, Revocation};
use crate::authz::{self, Action, Actor, Target};
use crate::model::*;
use crate::store::{Page, PageRequest, UserFilter};

/// Input of [`Hub::create_user`].
#[derive(Debug, Clone)]
pub struct NewUser {
    pub org_id: Option<Uuid>,
    pub login: String,
    pub name: String,
    pub role: Role,
    pub password: String,
}

/// Input of [`Hub::update_user`]: only the given fields change.
#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    pub name: Option<String>,
    pub password: Option<String>,
    pub role: Option<Role>,
}

fn role_fits(role: Role, org: &Org) -> Result<(), HubError> {
    if role.fits(org.kind) {
        Ok(())
    } else {
        Err(invalid(
            "role",
            format!(
                "a {} cannot belong to a {}",
                role.as_str(),
                org.kind.as_str()
            ),
        ))
    }
}

impl Hub {
    pub fn create_user(&self, actor: &Actor, new: NewUser) -> Result<User, HubError> {
        let login = valid_login(&new.login)?;
        let name = non_empty("name", &new.name)?;
        valid_password("password", &new.password)?;
        // Hash before taking the database (argon2 is deliberately slow).
        let permit = self.hash_permit_blocking()?;
        let password_hash = self.hash_password(&permit, &new.password)?;
        drop(permit);
        let view = authz::scope(actor, Action::ViewOrg)?;
        let mut tx = self.write()?;
        let org = self.org_or_own(&mut *tx, &view, actor, new.org_id)?;
        let scope = authz::authorize(actor, Action::ManageUser, Target::Org(&org))?;
        role_fits(new.role, &org)?;
        let user = User {
            id: Uuid::now_v7(),
            org_id: org.id,
            login,
            name,
            role: new.role,
            state: UserState::Active,
            password_hash,
            created_at: self.now(),
        };
        tx.insert_user(&scope, &user)?;
        super::audit::record(
            &mut *tx,
            actor,
            super::audit::Audit::new(org.id, "created", "user")
                .id(user.id)
                .detail(format!("{} ({})", user.login, user.role.as_str())),
            self.now(),
        )?;
        tx.commit()?;
        self.lists_changed_at(&org.path, &[ListKind::Users]);
        Ok(user)
    }

    pub fn user(&self, actor: &Actor, id: Uuid) -> Result<User, HubError> {
        let scope = authz::scope(actor, Action::ViewUser)?;
        found(self.read()?.user(&scope, id)?)
    }

    /// A user with their presence.
    pub fn user_view(&self, actor: &Actor, id: Uuid) -> Result<UserView, HubError> {
        let scope = authz::scope(actor, Action::ViewUser)?;
        let mut tx = self.read()?;
        let user = found(tx.user(&scope, id)?)?;
        let presence = self.presence_of(&mut *tx, user.id)?;
        Ok(UserView { user, presence })
    }

    /// Every user in the caller's subtree (one large page).
    pub fn users(&self, actor: &Actor) -> Result<Vec<User>, HubError> {
        Ok(self
            .list_users(actor, &UserFilter::default(), &PageRequest::all())?
            .items
            .into_iter()
            .map(|v| v.user)
            .collect())
    }

    pub fn list_users(
        &self,
        actor: &Actor,
        filter: &UserFilter,
        page: &PageRequest,
    ) -> Result<Page<UserView>, HubError> {
        let scope = authz::scope(actor, Action::ViewUser)?;
        let mut tx = self.read()?;
        let p = tx.users(&scope, filter, page)?;
        let items = p
            .items
            .into_iter()
            .map(|user| {
                let presence = self.presence_of(&mut *tx, user.id)?;
                Ok(UserView { user, presence })
            })
            .collect::<Result<_, HubError>>()?;
        Ok(Page {
            items,
            next: p.next,
        })
    }

    /// Edits a user: name, password, role. Anyone may change their own name and password;
    /// other changes (and any role change) need the right to manage users. A password or role
    /// change ends the user's sessions and streams.
    pub fn update_user(
        &self,
        actor: &Actor,
        id: Uuid,
        update: UserUpdate,
    ) -> Result<User, HubError> {
        let name = update
            .name
            .as_deref()
            .map(|n| non_empty("name", n))
            .transpose()?;
        let new_hash = match update.password.as_deref() {
            Some(p) => {
                valid_password("password", p)?;
                let permit = self.hash_permit_blocking()?;
                Some(self.hash_password(&permit, p)?)
            }
            None => None,
        };
        let is_self = actor.user_id() == Some(id);
        let scope = if is_self && update.role.is_none() {
            authz::authorize(
                actor,
                Action::EditSelf,
                Target::User {
                    org: actor.org(),
                    user_id: id,
                },
            )?
        } else {
            authz::scope(actor, Action::ManageUser)?
        };
        let mut tx = self.write()?;
        let mut user = found(tx.user(&scope, id)?)?;
        if let Some(name) = name {
            user.name = name;
        }
        let mut revoke = false;
        if let Some(role) = update.role {
            let org = found(tx.org(&scope, user.org_id)?)?;
            role_fits(role, &org)?;
            if is_self {
                return Err(invalid("role", "you cannot change your own role"));
            }
            revoke |= user.role != role;
            user.role = role;
        }
        if let Some(hash) = new_hash {
            user.password_hash = hash;
            tx.delete_sessions_of(&scope, id)?;
            revoke = true;
        }
        tx.update_user(&scope, &user)?;
        super::audit::record(
            &mut *tx,
            actor,
            super::audit::Audit::new(user.org_id, "changed", "user")
                .id(user.id)
                .detail(user.login.clone()),
            self.now(),
        )?;
        tx.commit()?;
        self.list_changed(user.org_id, ListKind::Users);
        if revoke {
            self.revoke(Revocation::User(id));
        }
        Ok(user)
    }

    /// Ends every session of a user ("disconnect") and their event streams.
    pub fn disconnect_user(&self, actor: &Actor, id: Uuid) -> Result<(), HubError> {
        let scope = authz::scope(actor, Action::ManageUser)?;
        let mut tx = self.write()?;
        let u = found(tx.user(&scope, id)?)?;
        let org_id = u.org_id;
        tx.delete_sessions_of(&scope, id)?;
        super::audit::record(
            &mut *tx,
            actor,
            super::audit::Audit::new(u.org_id, "disconnected", "user")
                .id(id)
                .detail(u.login),
            self.now(),
        )?;
        tx.commit()?;
        // Their presence changes (no session left).
        self.list_changed(org_id, ListKind::Users);
        self.revoke(Revocation::User(id));
        Ok(())
    }

    /// Deactivate, archive ("delete") or restore (to active) a user; ends their sessions and
    /// streams unless active.
    pub fn set_user_state(
        &self,
        actor: &Actor,
        id: Uuid,
        state: UserState,
    ) -> Result<User, HubError> {
        let scope = authz::scope(actor, Action::ManageUser)?;
        let mut tx = self.write()?;
        let mut user = found(tx.user(&scope, id)?)?;
        if actor.user_id() == Some(id) && state != UserState::Active {
            return Err(invalid(
                "state",
                "you cannot deactivate or archive yourself",
            ));
        }
        user.state = state;
        tx.update_user(&scope, &user)?;
        if state != UserState::Active {
            tx.delete_sessions_of(&scope, id)?;
        }
        super::audit::record(
            &mut *tx,
            actor,
            super::audit::Audit::new(user.org_id, "changed", "user_state")
                .id(id)
                .detail(format!("{}: {}", user.login, state.as_str())),
            self.now(),
        )?;
        tx.commit()?;
        self.list_changed(user.org_id, ListKind::Users);
        if state != UserState::Active {
            self.revoke(Revocation::User(id));
        }
        Ok(user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::testkit::*;

    #[tokio::test]
    async fn deactivating_a_user_ends_their_sessions_and_streams() {
        let w = world();
        let agent = w.actor("agent");
        let id = agent.user_id().unwrap();
        let mut stream = w.hub.events(&agent).unwrap();
        w.hub
            .set_user_state(&w.admin, id, UserState::Deactivated)
            .unwrap();
        assert!(stream.next().await.is_none());
        assert!(matches!(
            w.hub.login("agent", PW),
            Err(HubError::Unauthenticated)
        ));
        let err = w
            .hub
            .update_user(
                &w.admin,
                id,
                UserUpdate {
                    role: Some(Role::ResellerAdmin),
                    ..Default::default()
                },
            )
            .unwrap_err()
            .to_string();
        assert_eq!(err, "role: a reseller_admin cannot belong to a tenant");
    }
}
