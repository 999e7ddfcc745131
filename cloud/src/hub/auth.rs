//! Bootstrap, login, sessions and authentication.
//!
//! Logins hold against abuse: [`Hub::login_guarded`] (what the API calls) refuses a throttled
//! account/source before any hashing (429 with the wait), then takes one of a bounded number of
//! hashing permits (waiting at most `hash_wait`, else 429), so a storm of failed logins costs a
//! fixed amount of memory; an unknown login name is verified against a dummy hash, so it costs
//! what a real one costs; an over-long password is refused before hashing.

use std::net::IpAddr;

use chrono::Duration;
use uuid::Uuid;

use super::Hub;
use super::error::{HubError, found, invalid};
use super::validate::{non_empty, valid_login, valid_password};
use crate::authz::{self, Action, Actor, Principal, Target};
use crate::model::*;
use crate::secrets;

/// API key uses are recorded at most this often (a read stays a read).
const LAST_USE_RESOLUTION: Duration = Duration::minutes(1);

/// Proof that a password-hashing permit is held.
pub struct HashPermit(#[allow(dead_code)] tokio::sync::OwnedSemaphorePermit);

impl Hub {
    /// Creates the platform organisation and its first admin when the store is empty;
    /// returns the existing platform otherwise (the admin is then left untouched).
    pub fn bootstrap(
        &self,
        platform_name: &str,
        admin_login: &str,
        admin_password: &str,
    ) -> Result<Org, HubError> {
        let scope = authz::authenticating();
        let mut tx = self.write()?;
        if let Some(p) = tx.platform()? {
            return Ok(p);
        }
        let now = self.now();
        let id = Uuid::now_v7();
        let org = Org {
            id,
            kind: OrgKind::Platform,
            name: non_empty("name", platform_name)?,
            parent_id: None,
            path: format!("/{id}/"),
            country: None,
            org_type: None,
            created_at: now,
        };
        tx.insert_org(&scope, &org)?;
        valid_password("password", admin_password)?;
        let permit = self.hash_permit_blocking()?;
        let user = User {
            id: Uuid::now_v7(),
            org_id: id,
            login: valid_login(admin_login)?,
            name: "Platform administrator".into(),
            role: Role::PlatformAdmin,
            state: UserState::Active,
            password_hash: self.hash_password(&permit, admin_password)?,
            created_at: now,
        };
        tx.insert_user(&scope, &user)?;
        tx.commit()?;
        Ok(org)
    }

    /// Waits (on the async side) for a hashing permit, at most the configured wait.
    pub async fn hash_permit(&self) -> Result<HashPermit, HubError> {
        let sem = self.inner.hashes.clone();
        match tokio::time::timeout(self.inner.settings.hash_wait, sem.acquire_owned()).await {
            Ok(Ok(p)) => Ok(HashPermit(p)),
            _ => {
                self.inner.metrics.record_login("busy");
                Err(HubError::TooManyRequests {
                    retry_after_s: 1,
                    reason: "too many logins at once".into(),
                })
            }
        }
    }

    /// A hashing permit for synchronous callers (on a blocking thread).
    pub(crate) fn hash_permit_blocking(&self) -> Result<HashPermit, HubError> {
        let sem = self.inner.hashes.clone();
        futures::executor::block_on(sem.acquire_owned())
            .map(HashPermit)
            .map_err(|_| HubError::Conflict("the hub is shutting down".into()))
    }

    pub(crate) fn hash_password(
        &self,
        _permit: &HashPermit,
        password: &str,
    ) -> Result<String, HubError> {
        valid_password("password", password)?;
        Ok(self.inner.passwords.hash(password)?)
    }

    /// Checks a login and password (same cost and answer for an unknown login, a wrong
    /// password and an inactive account); returns a new session token and the user.
    pub fn login_with(
        &self,
        _permit: &HashPermit,
        login: &str,
        password: &str,
    ) -> Result<(String, User), HubError> {
        if password.chars().count() > super::validate::MAX_PASSWORD {
            return Err(HubError::Unauthenticated);
        }
        let user = self.read()?.user_by_login(&login.trim().to_lowercase())?;
        let hash = user
            .as_ref()
            .map_or(self.inner.dummy_hash.as_str(), |u| u.password_hash.as_str());
        let ok = self.inner.passwords.verify(password, hash);
        let Some(user) = user.filter(|u| ok && u.state == UserState::Active) else {
            return Err(HubError::Unauthenticated);
        };
        let token = secrets::random_token("sgs_");
        let mut tx = self.write()?;
        tx.insert_session(
            &secrets::digest(&token),
            &Session {
                user_id: user.id,
                expires_at: self.now() + self.inner.settings.session_ttl,
            },
        )?;
        tx.commit()?;
        Ok((token, user))
    }

    /// [`Hub::login_with`] for trusted synchronous callers (tests, the demo): waits for a
    /// hashing permit, no throttling.
    pub fn login(&self, login: &str, password: &str) -> Result<(String, User), HubError> {
        let permit = self.hash_permit_blocking()?;
        self.login_with(&permit, login, password)
    }

    /// The API's login: throttled per account and source, bounded hashing (module docs).
    pub async fn login_guarded(
        &self,
        source: IpAddr,
        login: String,
        password: String,
    ) -> Result<(String, User), HubError> {
        let begun = self
            .inner
            .throttle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .begin(&login, source, self.now());
        if let Err(wait) = begun {
            self.inner.metrics.record_login("throttled");
            return Err(HubError::TooManyRequests {
                retry_after_s: wait.as_secs().max(1),
                reason: "too many login attempts".into(),
            });
        }
        // Ends the attempt however this returns (also if the caller goes away).
        struct InFlight<'a>(&'a Hub, IpAddr);
        impl Drop for InFlight<'_> {
            fn drop(&mut self) {
                self.0
                    .inner
                    .throttle
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .end(self.1);
            }
        }
        let _in_flight = InFlight(self, source);
        let permit = self.hash_permit().await?;
        let hub = self.clone();
        let l = login.clone();
        let result = tokio::task::spawn_blocking(move || hub.login_with(&permit, &l, &password))
            .await
            .map_err(|e| HubError::Conflict(format!("login task: {e}")))?;
        let mut throttle = self
            .inner
            .throttle
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        match &result {
            Ok(_) => {
                throttle.succeeded(&login, source);
                self.inner.metrics.record_login("ok");
            }
            Err(HubError::Unauthenticated) => {
                throttle.failed(&login, source, self.now());
                self.inner.metrics.record_login("failed");
            }
            Err(_) => {}
        }
        result
    }

    /// Ends a session (its event streams end at once).
    pub fn logout(&self, token: &str) -> Result<(), HubError> {
        let hash = secrets::digest(token);
        let mut tx = self.write()?;
        tx.delete_session(&hash)?;
        tx.commit()?;
        self.revoke(super::Revocation::Session(hash));
        Ok(())
    }

    /// The actor of a session token (`sgs_…`) or a live API key (`sgk_…`).
    pub fn authenticate(&self, bearer: &str) -> Result<Actor, HubError> {
        let hash = secrets::digest(bearer);
        let auth = authz::authenticating();
        let now = self.now();
        let mut tx = self.read()?;
        if bearer.starts_with("sgk_") {
            let key = tx
                .api_key_by_hash(&hash)?
                .filter(|k| k.revoked_at.is_none())
                .ok_or(HubError::Unauthenticated)?;
            let org = tx
                .org(&auth, key.org_id)?
                .ok_or(HubError::Unauthenticated)?;
            drop(tx);
            if key
                .last_used_at
                .is_none_or(|at| now - at >= LAST_USE_RESOLUTION)
            {
                let mut w = self.write()?;
                let mut k = key.clone();
                k.last_used_at = Some(now);
                w.update_api_key(&auth, &k)?;
                w.commit()?;
            }
            return Ok(Actor::new(Principal::ApiKey(key.id), org, Role::User));
        }
        let session = tx.session(&hash)?.ok_or(HubError::Unauthenticated)?;
        if session.expires_at <= now {
            drop(tx);
            let mut w = self.write()?;
            w.delete_session(&hash)?;
            w.commit()?;
            return Err(HubError::Unauthenticated);
        }
        let user = tx
            .user(&auth, session.user_id)?
            .filter(|u| u.state == UserState::Active)
            .ok_or(HubError::Unauthenticated)?;
        let org = tx
            .org(&auth, user.org_id)?
            .ok_or(HubError::Unauthenticated)?;
        Ok(Actor::new(Principal::User(user.id), org, user.role).with_session(hash))
    }

    /// The caller's own user record (None for API keys).
    pub fn me(&self, actor: &Actor) -> Result<Option<User>, HubError> {
        let Some(id) = actor.user_id() else {
            return Ok(None);
        };
        let scope = authz::authorize(
            actor,
            Action::EditSelf,
            Target::User {
                org: actor.org(),
                user_id: id,
            },
        )?;
        Ok(Some(found(self.read()?.user(&scope, id)?)?))
    }

    /// Logout for a caller: an API key is not a session and is refused (revoke it instead).
    pub fn logout_actor(&self, actor: &Actor, token: &str) -> Result<(), HubError> {
        match actor.principal() {
            Principal::ApiKey(id) => Err(invalid(
                "Authorization",
                format!("an API key is not a session: revoke it with DELETE /api/v1/api-keys/{id}"),
            )),
            Principal::User(_) => self.logout(token),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::testkit::*;

    #[test]
    fn an_unknown_login_is_verified_against_a_dummy_hash_like_a_real_one() {
        let w = world();
        let before = w.hub.inner.passwords.verifications();
        assert!(matches!(
            w.hub.login("nobody", PW),
            Err(HubError::Unauthenticated)
        ));
        assert!(matches!(
            w.hub.login("admin", "wrong-password"),
            Err(HubError::Unauthenticated)
        ));
        assert_eq!(w.hub.inner.passwords.verifications() - before, 2);
    }

    #[tokio::test]
    async fn a_throttled_source_gets_a_429_before_any_hashing() {
        let w = world();
        let ip: IpAddr = "127.0.0.9".parse().unwrap();
        for _ in 0..5 {
            let r = w
                .hub
                .login_guarded(ip, "admin".into(), "bad-password".into())
                .await;
            assert!(matches!(r, Err(HubError::Unauthenticated)));
        }
        let r = w
            .hub
            .login_guarded(ip, "admin".into(), "bad-password".into())
            .await;
        assert!(matches!(r, Err(HubError::Unauthenticated)));
        let before = w.hub.inner.passwords.verifications();
        let r = w.hub.login_guarded(ip, "admin".into(), PW.into()).await;
        assert!(matches!(r, Err(HubError::TooManyRequests { .. })), "{r:?}");
        assert_eq!(w.hub.inner.passwords.verifications(), before);
        let other: IpAddr = "127.0.0.10".parse().unwrap();
        w.hub
            .login_guarded(other, "admin".into(), PW.into())
            .await
            .unwrap();
    }

    #[test]
    fn logout_with_an_api_key_is_refused_and_a_revoked_key_no_longer_authenticates() {
        let w = world();
        let (key, secret) = w.hub.create_api_key(&w.admin, None, "crm").unwrap();
        let actor = w.hub.authenticate(&secret).unwrap();
        assert!(matches!(
            w.hub.logout_actor(&actor, &secret),
            Err(HubError::Invalid { .. })
        ));
        let listed = w.hub.api_keys(&w.admin).unwrap();
        assert!(listed[0].last_used_at.is_some(), "last use recorded");
        w.hub.revoke_api_key(&w.admin, key.id).unwrap();
        assert!(matches!(
            w.hub.authenticate(&secret),
            Err(HubError::Unauthenticated)
        ));
    }
}
