//! [`Hub`]: the hub's core as a library type. It owns the store, the clock, the password
//! hasher and the event bus; every operation done for someone takes an [`Actor`] and goes
//! through [`authz::authorize`]; gateway traffic enters through [`Hub::ingest`] and
//! [`Hub::gateway_state`] and leaves through the per-gateway command outbox
//! ([`Hub::pending_commands`], notified on [`Hub::subscribe_outbox`]).

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use smsgate_wire as wire;
use tokio::sync::broadcast;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::authz::{self, Action, Actor, Denied, Principal, Scope, Target};
use crate::model::*;
use crate::routing::{self, OptKeyword};
use crate::secrets::{self, PasswordCost, PasswordHasherId, SecretError};
use crate::store::{Store, StoreError, Tx};

mod team;
pub use team::{QueueRef, TeamMember, TransferTargets};

/// The hub's notion of time (injected so tests control it).
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// Wall-clock time.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Settings of the hub core (the `[hub]`/`[api]` parts of `hub.toml` map onto these).
#[derive(Debug, Clone)]
pub struct HubSettings {
    pub password_cost: PasswordCost,
    pub session_ttl: Duration,
    /// Broker URL written into gateway config snippets (e.g. `mqtts://hub.example:8883`).
    pub mqtt_url: String,
    /// Capacity of the live event bus (slow SSE clients lag beyond it and are told so).
    pub event_capacity: usize,
    /// Mark the session cookie `Secure`.
    pub cookie_secure: bool,
}

impl HubSettings {
    /// The settings a `hub.toml` gives.
    pub fn from_config(c: &smsgate_config::hub::HubConfig) -> Self {
        Self {
            password_cost: PasswordCost {
                memory_kib: c.passwords.memory_kib,
                iterations: c.passwords.iterations,
                parallelism: c.passwords.parallelism,
            },
            session_ttl: Duration::hours(i64::from(c.api.session_ttl_hours)),
            mqtt_url: c.mqtt.advertised_url.clone(),
            cookie_secure: c.api.cookie_secure,
            ..Self::default()
        }
    }
}

impl Default for HubSettings {
    fn default() -> Self {
        Self {
            password_cost: PasswordCost::default(),
            session_ttl: Duration::hours(12),
            mqtt_url: "mqtt://127.0.0.1:1883".into(),
            event_capacity: 1024,
            cookie_secure: false,
        }
    }
}

/// Errors of hub operations (mapped to HTTP in one place, `api::ApiError`).
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("authentication required")]
    Unauthenticated,
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("unknown gateway {0:?}")]
    UnknownGateway(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Secret(#[from] SecretError),
}

impl From<Denied> for HubError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::NotFound => HubError::NotFound,
            Denied::Forbidden(why) => HubError::Forbidden(why),
        }
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> HubError {
    HubError::Invalid {
        field,
        reason: reason.into(),
    }
}

fn found<T>(x: Option<T>) -> Result<T, HubError> {
    x.ok_or(HubError::NotFound)
}

/// What changed, for live subscribers (SSE).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    MessageCreated { message: Message },
    MessageUpdated { message: Message },
    InteractionUpdated { interaction: Interaction },
}

/// An event on the bus, with what the chokepoint needs to filter it.
#[derive(Debug, Clone)]
pub struct HubEvent {
    pub org_path: String,
    pub queue_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub kind: EventKind,
}

/// Result of ingesting one up message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestOutcome {
    Applied,
    /// Already processed (same id): nothing changed.
    Duplicate,
    /// Recorded as processed but not routed (e.g. no channel on that port).
    Unrouted(String),
    /// Refused (the link acks it `rejected` with this detail).
    Rejected(String),
}

/// Returned once when a gateway is registered.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProvisionedGateway {
    pub gateway: Gateway,
    pub mqtt_username: String,
    /// Shown once; only its argon2id hash is stored.
    pub mqtt_password: String,
    /// Ready-to-paste gateway configuration (TOML).
    pub config_snippet: String,
}

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

/// Result of [`Hub::import_contacts`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportReport {
    pub created: usize,
    /// Numbers already present (in the tenant or earlier in the file).
    pub skipped: usize,
}

/// Most numbers in one bulk request.
pub const MAX_BULK: usize = 10_000;

/// Input of [`Hub::send_bulk`].
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct BulkRequest {
    /// Channel to send from (default: the caller's channel, or the tenant's first).
    pub channel: Option<Uuid>,
    pub to: Vec<String>,
    pub text: String,
    /// Campaign name (required: bulk sends are campaigns, subject to opt-outs).
    pub campaign: String,
}

/// What happened to one number of a bulk send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum BulkOutcome {
    Queued {
        message_id: Uuid,
    },
    /// The number appeared earlier in the same request ("Ignored").
    Duplicate,
    /// The number sent STOP (or was added by hand) to this tenant.
    OptedOut,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BulkResult {
    pub to: String,
    #[serde(flatten)]
    pub outcome: BulkOutcome,
}

/// Input of [`Hub::send`].
#[derive(Debug, Clone, Default)]
pub struct SendRequest {
    pub channel: Option<Uuid>,
    pub to: String,
    pub text: String,
    /// Marks a campaign (bulk) send: opted-out numbers are refused.
    pub campaign: Option<String>,
    /// Login of a user of the tenant to assign the conversation to.
    pub agent: Option<String>,
}

/// Where to transfer a conversation.
#[derive(Debug, Clone, Copy)]
pub enum TransferTo {
    User(Uuid),
    Queue(Uuid),
}

/// Maximum text length of one message (the portal's limit).
pub const MAX_TEXT: usize = 900;

struct Inner {
    store: Box<dyn Store>,
    clock: Arc<dyn Clock>,
    passwords: PasswordHasherId,
    settings: HubSettings,
    events: broadcast::Sender<HubEvent>,
    outbox: broadcast::Sender<String>,
}

/// The hub core. Cheap to clone (shared handle).
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

impl Hub {
    pub fn new(
        store: Box<dyn Store>,
        clock: Arc<dyn Clock>,
        settings: HubSettings,
    ) -> Result<Self, HubError> {
        let passwords = PasswordHasherId::new(settings.password_cost)?;
        let (events, _) = broadcast::channel(settings.event_capacity.max(16));
        let (outbox, _) = broadcast::channel(1024);
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                clock,
                passwords,
                settings,
                events,
                outbox,
            }),
        })
    }

    fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    fn begin(&self) -> Result<Box<dyn Tx + '_>, HubError> {
        Ok(self.inner.store.begin()?)
    }

    fn publish(&self, events: Vec<HubEvent>) {
        for e in events {
            // No subscriber is fine.
            let _ = self.inner.events.send(e);
        }
    }

    pub fn settings(&self) -> &HubSettings {
        &self.inner.settings
    }

    /// Live events (filter them with [`Hub::event_filter`]).
    pub fn subscribe_events(&self) -> broadcast::Receiver<HubEvent> {
        self.inner.events.subscribe()
    }

    /// Gateway ids (topic ids) whose outbox got new commands.
    pub fn subscribe_outbox(&self) -> broadcast::Receiver<String> {
        self.inner.outbox.subscribe()
    }

    // ---------------------------------------------------------------- bootstrap and auth

    /// Creates the platform organisation and its first admin when the store is empty;
    /// returns the existing platform otherwise (the admin is then left untouched).
    pub fn bootstrap(
        &self,
        platform_name: &str,
        admin_login: &str,
        admin_password: &str,
    ) -> Result<Org, HubError> {
        let mut tx = self.begin()?;
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
            created_at: now,
        };
        tx.insert_org(&org)?;
        let user = User {
            id: Uuid::now_v7(),
            org_id: id,
            login: valid_login(admin_login)?,
            name: "Platform administrator".into(),
            role: Role::PlatformAdmin,
            state: UserState::Active,
            password_hash: self.hash_password(admin_password)?,
            created_at: now,
        };
        tx.insert_user(&user)?;
        tx.commit()?;
        Ok(org)
    }

    fn hash_password(&self, password: &str) -> Result<String, HubError> {
        if password.chars().count() < 8 {
            return Err(invalid("password", "must be at least 8 characters"));
        }
        Ok(self.inner.passwords.hash(password)?)
    }

    /// Checks a login and password; returns a new session token and the user.
    pub fn login(&self, login: &str, password: &str) -> Result<(String, User), HubError> {
        let user = {
            let mut tx = self.begin()?;
            tx.user_by_login(&login.trim().to_lowercase())?
        };
        // Same answer for unknown login, wrong password and inactive account.
        let Some(user) = user else {
            return Err(HubError::Unauthenticated);
        };
        if user.state != UserState::Active
            || !self.inner.passwords.verify(password, &user.password_hash)
        {
            return Err(HubError::Unauthenticated);
        }
        let token = secrets::random_token("sgs_");
        let mut tx = self.begin()?;
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

    pub fn logout(&self, token: &str) -> Result<(), HubError> {
        let mut tx = self.begin()?;
        tx.delete_session(&secrets::digest(token))?;
        tx.commit()?;
        Ok(())
    }

    /// The actor of a session token (`sgs_…`) or an API key (`sgk_…`).
    pub fn authenticate(&self, bearer: &str) -> Result<Actor, HubError> {
        let hash = secrets::digest(bearer);
        let mut tx = self.begin()?;
        if bearer.starts_with("sgk_") {
            let key = tx
                .api_key_by_hash(&hash)?
                .ok_or(HubError::Unauthenticated)?;
            let org = tx.org(key.org_id)?.ok_or(HubError::Unauthenticated)?;
            return Ok(Actor::new(Principal::ApiKey(key.id), org, Role::User));
        }
        let session = tx.session(&hash)?.ok_or(HubError::Unauthenticated)?;
        if session.expires_at <= self.now() {
            tx.delete_session(&hash)?;
            tx.commit()?;
            return Err(HubError::Unauthenticated);
        }
        let user = tx.user(session.user_id)?.ok_or(HubError::Unauthenticated)?;
        if user.state != UserState::Active {
            return Err(HubError::Unauthenticated);
        }
        let org = tx.org(user.org_id)?.ok_or(HubError::Unauthenticated)?;
        Ok(Actor::new(Principal::User(user.id), org, user.role))
    }

    /// The caller's own user record (None for API keys).
    pub fn me(&self, actor: &Actor) -> Result<Option<User>, HubError> {
        let Some(id) = actor.user_id() else {
            return Ok(None);
        };
        let mut tx = self.begin()?;
        let user = found(tx.user(id)?)?;
        let org = found(tx.org(user.org_id)?)?;
        authz::authorize(
            actor,
            Action::ViewOrg,
            Target::User {
                org: &org,
                user_id: id,
            },
        )?;
        Ok(Some(user))
    }

    // ---------------------------------------------------------------- organisations

    fn org_or_own(
        &self,
        tx: &mut dyn Tx,
        actor: &Actor,
        id: Option<Uuid>,
    ) -> Result<Org, HubError> {
        match id {
            Some(id) => found(tx.org(id)?),
            None => Ok(actor.org().clone()),
        }
    }

    /// Creates a reseller (L1 under the platform, L2 under an L1) or a tenant under `parent`
    /// (default: the caller's organisation).
    pub fn create_org(
        &self,
        actor: &Actor,
        parent: Option<Uuid>,
        kind: OrgKind,
        name: &str,
    ) -> Result<Org, HubError> {
        let mut tx = self.begin()?;
        let parent = self.org_or_own(&mut *tx, actor, parent)?;
        let action = match kind {
            OrgKind::Tenant => Action::CreateTenant,
            OrgKind::ResellerL1 | OrgKind::ResellerL2 => Action::CreateReseller,
            OrgKind::Platform => return Err(invalid("kind", "there is only one platform")),
        };
        authz::authorize(actor, action, Target::Org(&parent))?;
        if !parent.kind.may_parent(kind) {
            return Err(invalid(
                "kind",
                format!("a {:?} cannot be created under a {:?}", kind, parent.kind),
            ));
        }
        let id = Uuid::now_v7();
        let org = Org {
            id,
            kind,
            name: non_empty("name", name)?,
            parent_id: Some(parent.id),
            path: format!("{}{id}/", parent.path),
            created_at: self.now(),
        };
        tx.insert_org(&org)?;
        tx.commit()?;
        Ok(org)
    }

    pub fn org(&self, actor: &Actor, id: Uuid) -> Result<Org, HubError> {
        let mut tx = self.begin()?;
        let org = found(tx.org(id)?)?;
        authz::authorize(actor, Action::ViewOrg, Target::Org(&org))?;
        Ok(org)
    }

    pub fn orgs(&self, actor: &Actor, kind: Option<OrgKind>) -> Result<Vec<Org>, HubError> {
        let scope = authz::authorize(actor, Action::ViewOrg, Target::Org(actor.org()))?;
        let mut tx = self.begin()?;
        Ok(tx.orgs(&scope, kind)?)
    }

    // ---------------------------------------------------------------- users

    pub fn create_user(&self, actor: &Actor, new: NewUser) -> Result<User, HubError> {
        // Hash before taking the database (argon2 is deliberately slow).
        let password_hash = self.hash_password(&new.password)?;
        let mut tx = self.begin()?;
        let org = self.org_or_own(&mut *tx, actor, new.org_id)?;
        authz::authorize(actor, Action::ManageUser, Target::Org(&org))?;
        if !new.role.fits(org.kind) {
            return Err(invalid(
                "role",
                format!("a {:?} cannot belong to a {:?}", new.role, org.kind),
            ));
        }
        let user = User {
            id: Uuid::now_v7(),
            org_id: org.id,
            login: valid_login(&new.login)?,
            name: non_empty("name", &new.name)?,
            role: new.role,
            state: UserState::Active,
            password_hash,
            created_at: self.now(),
        };
        tx.insert_user(&user)?;
        tx.commit()?;
        Ok(user)
    }

    fn authorized_user(
        &self,
        tx: &mut dyn Tx,
        actor: &Actor,
        action: Action,
        id: Uuid,
    ) -> Result<User, HubError> {
        let user = found(tx.user(id)?)?;
        let org = found(tx.org(user.org_id)?)?;
        authz::authorize(actor, action, Target::Org(&org))?;
        Ok(user)
    }

    pub fn user(&self, actor: &Actor, id: Uuid) -> Result<User, HubError> {
        let mut tx = self.begin()?;
        self.authorized_user(&mut *tx, actor, Action::ViewUser, id)
    }

    pub fn users(&self, actor: &Actor) -> Result<Vec<User>, HubError> {
        let scope = authz::authorize(actor, Action::ViewUser, Target::Org(actor.org()))?;
        let mut tx = self.begin()?;
        Ok(tx.users(&scope)?)
    }

    /// Edits a user: name, password, role. Anyone may change their own name and password;
    /// other changes (and any role change) need the right to manage users. A password change
    /// ends the user's other sessions.
    pub fn update_user(
        &self,
        actor: &Actor,
        id: Uuid,
        update: UserUpdate,
    ) -> Result<User, HubError> {
        let new_hash = update
            .password
            .as_deref()
            .map(|p| self.hash_password(p))
            .transpose()?;
        let mut tx = self.begin()?;
        let is_self = actor.user_id() == Some(id);
        let mut user = if is_self && update.role.is_none() {
            let user = found(tx.user(id)?)?;
            let org = found(tx.org(user.org_id)?)?;
            authz::authorize(
                actor,
                Action::EditSelf,
                Target::User {
                    org: &org,
                    user_id: id,
                },
            )?;
            user
        } else {
            self.authorized_user(&mut *tx, actor, Action::ManageUser, id)?
        };
        if let Some(name) = &update.name {
            user.name = non_empty("name", name)?;
        }
        if let Some(role) = update.role {
            let org = found(tx.org(user.org_id)?)?;
            if !role.fits(org.kind) {
                return Err(invalid(
                    "role",
                    format!("a {:?} cannot belong to a {:?}", role, org.kind),
                ));
            }
            if is_self {
                return Err(invalid("role", "you cannot change your own role"));
            }
            user.role = role;
        }
        if let Some(hash) = new_hash {
            user.password_hash = hash;
            tx.delete_sessions_of(id)?;
        }
        tx.update_user(&user)?;
        tx.commit()?;
        Ok(user)
    }

    /// Ends every session of a user ("disconnect").
    pub fn disconnect_user(&self, actor: &Actor, id: Uuid) -> Result<(), HubError> {
        let mut tx = self.begin()?;
        self.authorized_user(&mut *tx, actor, Action::ManageUser, id)?;
        tx.delete_sessions_of(id)?;
        tx.commit()?;
        Ok(())
    }

    /// Deactivate, archive ("delete") or restore (to active) a user; ends their sessions
    /// unless active.
    pub fn set_user_state(
        &self,
        actor: &Actor,
        id: Uuid,
        state: UserState,
    ) -> Result<User, HubError> {
        let mut tx = self.begin()?;
        let mut user = self.authorized_user(&mut *tx, actor, Action::ManageUser, id)?;
        if actor.user_id() == Some(id) && state != UserState::Active {
            return Err(invalid(
                "state",
                "you cannot deactivate or archive yourself",
            ));
        }
        user.state = state;
        tx.update_user(&user)?;
        if state != UserState::Active {
            tx.delete_sessions_of(id)?;
        }
        tx.commit()?;
        Ok(user)
    }

    // ---------------------------------------------------------------- gateways

    fn platform_org(&self, tx: &mut dyn Tx) -> Result<Org, HubError> {
        tx.platform()?
            .ok_or_else(|| HubError::Conflict("the hub is not bootstrapped".into()))
    }

    /// Registers a gateway: a fresh id, MQTT credentials and a config snippet.
    pub fn create_gateway(
        &self,
        actor: &Actor,
        name: &str,
    ) -> Result<ProvisionedGateway, HubError> {
        let mut tx = self.begin()?;
        let platform = self.platform_org(&mut *tx)?;
        authz::authorize(actor, Action::ManageGateway, Target::Org(&platform))?;
        let id = Uuid::now_v7();
        let username = format!("gw-{}", id.simple());
        let password = secrets::random_token("");
        let gateway = Gateway {
            id,
            name: non_empty("name", name)?,
            mqtt_username: username.clone(),
            // A 256-bit random secret needs no slow hash (and the broker checks it on every
            // connect): SHA-256, like API keys.
            mqtt_password_hash: secrets::digest(&password),
            online: false,
            versions: Vec::new(),
            last_seen: None,
            ports: Vec::new(),
            created_at: self.now(),
        };
        tx.insert_gateway(&gateway)?;
        tx.commit()?;
        let config_snippet = gateway_config_snippet(
            &gateway.name,
            &self.inner.settings.mqtt_url,
            &username,
            &password,
        );
        Ok(ProvisionedGateway {
            gateway,
            mqtt_username: username,
            mqtt_password: password,
            config_snippet,
        })
    }

    pub fn gateway(&self, actor: &Actor, id: Uuid) -> Result<Gateway, HubError> {
        let mut tx = self.begin()?;
        let platform = self.platform_org(&mut *tx)?;
        authz::authorize(actor, Action::ViewGateway, Target::Org(&platform))?;
        found(tx.gateway(id)?)
    }

    pub fn gateways(&self, actor: &Actor) -> Result<Vec<Gateway>, HubError> {
        let mut tx = self.begin()?;
        let platform = self.platform_org(&mut *tx)?;
        authz::authorize(actor, Action::ViewGateway, Target::Org(&platform))?;
        Ok(tx.gateways()?)
    }

    /// Checks a gateway's MQTT credentials (for the broker's authentication hook).
    pub fn check_gateway_credentials(
        &self,
        username: &str,
        password: &str,
    ) -> Result<bool, HubError> {
        let mut tx = self.begin()?;
        Ok(tx
            .gateway_by_username(username)?
            .is_some_and(|g| secrets::digest(password) == g.mqtt_password_hash))
    }

    // ---------------------------------------------------------------- channels

    /// Declares a channel (a SIM number on a gateway port), held by the platform.
    pub fn create_channel(
        &self,
        actor: &Actor,
        gateway_id: Uuid,
        port: &str,
        sim_number: &str,
    ) -> Result<Channel, HubError> {
        let mut tx = self.begin()?;
        let platform = self.platform_org(&mut *tx)?;
        authz::authorize(actor, Action::CreateChannel, Target::Org(&platform))?;
        if tx.gateway(gateway_id)?.is_none() {
            return Err(invalid("gateway", "no such gateway"));
        }
        if !routing::valid_number(sim_number) {
            return Err(invalid("sim_number", "expected + and digits"));
        }
        let channel = Channel {
            id: Uuid::now_v7(),
            gateway_id,
            port: non_empty("port", port)?,
            sim_number: sim_number.to_owned(),
            holder_id: platform.id,
            destination: Destination::Tenant,
            created_at: self.now(),
        };
        tx.insert_channel(&channel)?;
        tx.commit()?;
        Ok(channel)
    }

    fn authorized_channel(
        &self,
        tx: &mut dyn Tx,
        actor: &Actor,
        action: Action,
        id: Uuid,
    ) -> Result<(Channel, Org), HubError> {
        let channel = found(tx.channel(id)?)?;
        let holder = found(tx.org(channel.holder_id)?)?;
        authz::authorize(actor, action, Target::Org(&holder))?;
        Ok((channel, holder))
    }

    pub fn channel(&self, actor: &Actor, id: Uuid) -> Result<Channel, HubError> {
        let mut tx = self.begin()?;
        Ok(self
            .authorized_channel(&mut *tx, actor, Action::ViewChannel, id)?
            .0)
    }

    pub fn channels(&self, actor: &Actor) -> Result<Vec<Channel>, HubError> {
        let scope = authz::authorize(actor, Action::ViewChannel, Target::Org(actor.org()))?;
        let mut tx = self.begin()?;
        Ok(tx.channels(&scope)?)
    }

    /// Hands a channel to another organisation of the caller's subtree (down to a reseller or
    /// tenant, or back up to the caller). Refused while the channel has live interactions
    /// unless `force`, which closes them. The destination resets to the new holder's inbox.
    pub fn distribute_channel(
        &self,
        actor: &Actor,
        id: Uuid,
        to_org: Uuid,
        force: bool,
    ) -> Result<Channel, HubError> {
        let mut tx = self.begin()?;
        let (mut channel, _holder) =
            self.authorized_channel(&mut *tx, actor, Action::DistributeChannel, id)?;
        let to = found(tx.org(to_org)?)?;
        authz::authorize(actor, Action::DistributeChannel, Target::Org(&to))?;
        let live = tx.live_interactions_of_channel(id)?;
        let now = self.now();
        let mut events = Vec::new();
        if !live.is_empty() {
            if !force {
                return Err(HubError::Conflict(format!(
                    "the channel has {} live interaction(s); use force to end them",
                    live.len()
                )));
            }
            for mut i in live {
                i.status = InteractionStatus::Closed;
                i.updated_at = now;
                tx.update_interaction(&i)?;
                events.push(self.interaction_event(&mut *tx, &i)?);
            }
        }
        channel.holder_id = to.id;
        channel.destination = Destination::Tenant;
        tx.update_channel(&channel)?;
        tx.commit()?;
        self.publish(events);
        Ok(channel)
    }

    /// Sets where a tenant channel's inbound messages go.
    pub fn set_destination(
        &self,
        actor: &Actor,
        id: Uuid,
        destination: Destination,
    ) -> Result<Channel, HubError> {
        let mut tx = self.begin()?;
        let (mut channel, holder) =
            self.authorized_channel(&mut *tx, actor, Action::ConfigureChannel, id)?;
        if holder.kind != OrgKind::Tenant {
            return Err(invalid(
                "destination",
                "assign the channel to a tenant before choosing its destination",
            ));
        }
        match destination {
            Destination::Tenant => {}
            Destination::Queue(q) => {
                if tx.queue(q)?.is_none_or(|q| q.org_id != holder.id) {
                    return Err(invalid(
                        "destination",
                        "no such queue in the channel's tenant",
                    ));
                }
            }
            Destination::User(u) => {
                if tx
                    .user(u)?
                    .is_none_or(|u| u.org_id != holder.id || u.state != UserState::Active)
                {
                    return Err(invalid(
                        "destination",
                        "no such active user in the channel's tenant",
                    ));
                }
            }
        }
        channel.destination = destination;
        tx.update_channel(&channel)?;
        tx.commit()?;
        Ok(channel)
    }

    // ---------------------------------------------------------------- queues

    fn check_members(
        &self,
        tx: &mut dyn Tx,
        org: &Org,
        members: &[QueueMember],
    ) -> Result<(), HubError> {
        for m in members {
            let ok = tx.user(m.user_id)?.is_some_and(|u| {
                u.org_id == org.id
                    && matches!(
                        (m.role, u.role),
                        (
                            QueueRole::Agent,
                            Role::Agent | Role::Manager | Role::TenantAdmin
                        ) | (QueueRole::Manager, Role::Manager | Role::TenantAdmin)
                    )
            });
            if !ok {
                return Err(invalid(
                    "members",
                    format!("user {} is not a suitable member of this tenant", m.user_id),
                ));
            }
        }
        Ok(())
    }

    pub fn create_queue(
        &self,
        actor: &Actor,
        org_id: Option<Uuid>,
        name: &str,
        description: &str,
        members: Vec<QueueMember>,
    ) -> Result<Queue, HubError> {
        let mut tx = self.begin()?;
        let org = self.org_or_own(&mut *tx, actor, org_id)?;
        authz::authorize(actor, Action::ManageQueue, Target::Org(&org))?;
        if org.kind != OrgKind::Tenant {
            return Err(invalid("org", "queues belong to tenants"));
        }
        self.check_members(&mut *tx, &org, &members)?;
        let queue = Queue {
            id: Uuid::now_v7(),
            org_id: org.id,
            name: non_empty("name", name)?,
            description: description.to_owned(),
            members,
            created_at: self.now(),
        };
        tx.insert_queue(&queue)?;
        tx.commit()?;
        Ok(queue)
    }

    fn authorized_queue(
        &self,
        tx: &mut dyn Tx,
        actor: &Actor,
        action: Action,
        id: Uuid,
    ) -> Result<(Queue, Org), HubError> {
        let queue = found(tx.queue(id)?)?;
        let org = found(tx.org(queue.org_id)?)?;
        authz::authorize(actor, action, Target::Org(&org))?;
        Ok((queue, org))
    }

    pub fn queue(&self, actor: &Actor, id: Uuid) -> Result<Queue, HubError> {
        let mut tx = self.begin()?;
        Ok(self
            .authorized_queue(&mut *tx, actor, Action::ViewQueue, id)?
            .0)
    }

    pub fn queues(&self, actor: &Actor) -> Result<Vec<Queue>, HubError> {
        let scope = authz::authorize(actor, Action::ViewQueue, Target::Org(actor.org()))?;
        let mut tx = self.begin()?;
        Ok(tx.queues(&scope)?)
    }

    pub fn set_queue_members(
        &self,
        actor: &Actor,
        id: Uuid,
        members: Vec<QueueMember>,
    ) -> Result<Queue, HubError> {
        let mut tx = self.begin()?;
        let (mut queue, org) = self.authorized_queue(&mut *tx, actor, Action::ManageQueue, id)?;
        self.check_members(&mut *tx, &org, &members)?;
        queue.members = members;
        tx.update_queue(&queue)?;
        tx.commit()?;
        Ok(queue)
    }

    // ---------------------------------------------------------------- contacts

    pub fn create_contact(
        &self,
        actor: &Actor,
        org_id: Option<Uuid>,
        mut contact: Contact,
    ) -> Result<Contact, HubError> {
        let mut tx = self.begin()?;
        let org = self.org_or_own(&mut *tx, actor, org_id)?;
        authz::authorize(actor, Action::ManageContact, Target::Org(&org))?;
        if org.kind != OrgKind::Tenant {
            return Err(invalid("org", "contacts belong to tenants"));
        }
        if !routing::valid_number(&contact.number) {
            return Err(invalid("number", "expected + and digits"));
        }
        contact.id = Uuid::now_v7();
        contact.org_id = org.id;
        contact.created_at = self.now();
        tx.insert_contact(&contact)?;
        tx.commit()?;
        Ok(contact)
    }

    fn authorized_contact(
        &self,
        tx: &mut dyn Tx,
        actor: &Actor,
        action: Action,
        id: Uuid,
    ) -> Result<Contact, HubError> {
        let contact = found(tx.contact(id)?)?;
        let org = found(tx.org(contact.org_id)?)?;
        authz::authorize(actor, action, Target::Org(&org))?;
        Ok(contact)
    }

    pub fn contact(&self, actor: &Actor, id: Uuid) -> Result<Contact, HubError> {
        let mut tx = self.begin()?;
        self.authorized_contact(&mut *tx, actor, Action::ViewContact, id)
    }

    pub fn contacts(&self, actor: &Actor) -> Result<Vec<Contact>, HubError> {
        let scope = authz::authorize(actor, Action::ViewContact, Target::Org(actor.org()))?;
        let mut tx = self.begin()?;
        Ok(tx.contacts(&scope)?)
    }

    /// Imports contacts from CSV in the portal's format: `SMS_NUMBER, FULLNAME, BUSINESS,
    /// EMAIL, NOTES` (a header line is ignored; trailing columns may be left out). All or
    /// nothing: any bad line refuses the whole file, naming the line. Numbers already in the
    /// tenant (or repeated in the file) are skipped and counted.
    pub fn import_contacts(
        &self,
        actor: &Actor,
        org_id: Option<Uuid>,
        csv_text: &str,
    ) -> Result<ImportReport, HubError> {
        let mut tx = self.begin()?;
        let org = self.org_or_own(&mut *tx, actor, org_id)?;
        authz::authorize(actor, Action::ManageContact, Target::Org(&org))?;
        if org.kind != OrgKind::Tenant {
            return Err(invalid("org", "contacts belong to tenants"));
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(csv_text.as_bytes());
        let mut rows = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let line = i + 1;
            let record = record.map_err(|e| invalid("csv", format!("line {line}: {e}")))?;
            let field = |n: usize| record.get(n).unwrap_or("").to_owned();
            let number = field(0);
            if line == 1 && !routing::valid_number(&number) {
                continue; // the header
            }
            if record.iter().all(str::is_empty) {
                continue;
            }
            if !routing::valid_number(&number) {
                return Err(invalid(
                    "csv",
                    format!("line {line}: SMS_NUMBER {number:?} is not a phone number"),
                ));
            }
            if record.len() > 5 {
                return Err(invalid(
                    "csv",
                    format!(
                        "line {line}: expected at most 5 columns (SMS_NUMBER, FULLNAME, BUSINESS, EMAIL, NOTES)"
                    ),
                ));
            }
            rows.push((number, field(1), field(2), field(3), field(4)));
        }
        let now = self.now();
        let mut report = ImportReport::default();
        for (number, name, business, email, notes) in rows {
            if tx.contact_by_number(org.id, &number)?.is_some() {
                report.skipped += 1;
                continue;
            }
            tx.insert_contact(&Contact {
                id: Uuid::now_v7(),
                org_id: org.id,
                number,
                name,
                business,
                email,
                notes,
                created_at: now,
            })?;
            report.created += 1;
        }
        tx.commit()?;
        Ok(report)
    }

    /// Edits a contact (every field but the tenant).
    pub fn update_contact(
        &self,
        actor: &Actor,
        id: Uuid,
        mut contact: Contact,
    ) -> Result<Contact, HubError> {
        let mut tx = self.begin()?;
        let old = self.authorized_contact(&mut *tx, actor, Action::ManageContact, id)?;
        if !routing::valid_number(&contact.number) {
            return Err(invalid("number", "expected + and digits"));
        }
        contact.id = old.id;
        contact.org_id = old.org_id;
        contact.created_at = old.created_at;
        tx.update_contact(&contact)?;
        tx.commit()?;
        Ok(contact)
    }

    pub fn delete_contact(&self, actor: &Actor, id: Uuid) -> Result<(), HubError> {
        let mut tx = self.begin()?;
        self.authorized_contact(&mut *tx, actor, Action::ManageContact, id)?;
        tx.delete_contact(id)?;
        tx.commit()?;
        Ok(())
    }

    // ---------------------------------------------------------------- interactions

    fn personal(&self, tx: &mut dyn Tx, actor: &Actor, i: &Interaction) -> Result<bool, HubError> {
        let Some(uid) = actor.user_id() else {
            return Ok(true);
        };
        if i.assignee_id == Some(uid) {
            return Ok(true);
        }
        Ok(match i.queue_id {
            Some(q) => tx.queues_of_user(uid)?.contains(&q),
            None => false,
        })
    }

    fn authorized_interaction(
        &self,
        tx: &mut dyn Tx,
        actor: &Actor,
        action: Action,
        id: Uuid,
    ) -> Result<(Interaction, Org), HubError> {
        let i = found(tx.interaction(id)?)?;
        let org = found(tx.org(i.org_id)?)?;
        let personal = self.personal(tx, actor, &i)?;
        authz::authorize(
            actor,
            action,
            Target::Conversation {
                org: &org,
                personal,
            },
        )?;
        Ok((i, org))
    }

    pub fn interaction(&self, actor: &Actor, id: Uuid) -> Result<Interaction, HubError> {
        let mut tx = self.begin()?;
        Ok(self
            .authorized_interaction(&mut *tx, actor, Action::ViewInteraction, id)?
            .0)
    }

    pub fn interactions(
        &self,
        actor: &Actor,
        status: Option<InteractionStatus>,
    ) -> Result<Vec<Interaction>, HubError> {
        let scope = authz::authorize(actor, Action::ViewInteraction, Target::Org(actor.org()))?;
        let mut tx = self.begin()?;
        Ok(tx.interactions(&scope, status)?)
    }

    pub fn interaction_messages(&self, actor: &Actor, id: Uuid) -> Result<Vec<Message>, HubError> {
        let mut tx = self.begin()?;
        self.authorized_interaction(&mut *tx, actor, Action::ViewInteraction, id)?;
        Ok(tx.messages_of(id)?)
    }

    fn interaction_event(&self, tx: &mut dyn Tx, i: &Interaction) -> Result<HubEvent, HubError> {
        let org = found(tx.org(i.org_id)?)?;
        Ok(HubEvent {
            org_path: org.path,
            queue_id: i.queue_id,
            assignee_id: i.assignee_id,
            kind: EventKind::InteractionUpdated {
                interaction: i.clone(),
            },
        })
    }

    fn message_event(org: &Org, i: &Interaction, m: &Message, created: bool) -> HubEvent {
        HubEvent {
            org_path: org.path.clone(),
            queue_id: i.queue_id,
            assignee_id: i.assignee_id,
            kind: if created {
                EventKind::MessageCreated { message: m.clone() }
            } else {
                EventKind::MessageUpdated { message: m.clone() }
            },
        }
    }

    /// Pause, close or reopen (`open`/`waiting`) a conversation. Closing removes it from
    /// the inbox; a closed conversation cannot be reopened while the contact already has a
    /// newer live one on that channel.
    pub fn set_interaction_status(
        &self,
        actor: &Actor,
        id: Uuid,
        status: InteractionStatus,
    ) -> Result<Interaction, HubError> {
        let mut tx = self.begin()?;
        let (mut i, _) =
            self.authorized_interaction(&mut *tx, actor, Action::ChangeInteraction, id)?;
        if !i.status.is_live()
            && status.is_live()
            && tx
                .live_interaction(i.channel_id, &i.contact_number)?
                .is_some()
        {
            return Err(HubError::Conflict(
                "the contact already has a live interaction on this channel".into(),
            ));
        }
        i.status = status;
        i.updated_at = self.now();
        tx.update_interaction(&i)?;
        let ev = self.interaction_event(&mut *tx, &i)?;
        tx.commit()?;
        self.publish(vec![ev]);
        Ok(i)
    }

    pub fn mark_read(&self, actor: &Actor, id: Uuid, read: bool) -> Result<Interaction, HubError> {
        let mut tx = self.begin()?;
        let (mut i, _) =
            self.authorized_interaction(&mut *tx, actor, Action::ChangeInteraction, id)?;
        i.read = read;
        i.updated_at = self.now();
        tx.update_interaction(&i)?;
        let ev = self.interaction_event(&mut *tx, &i)?;
        tx.commit()?;
        self.publish(vec![ev]);
        Ok(i)
    }

    /// Transfers a conversation to a user of the same tenant or to one of its queues.
    pub fn transfer(
        &self,
        actor: &Actor,
        id: Uuid,
        to: TransferTo,
    ) -> Result<Interaction, HubError> {
        let mut tx = self.begin()?;
        let (mut i, org) = self.authorized_interaction(&mut *tx, actor, Action::Transfer, id)?;
        match to {
            TransferTo::User(u) => {
                if tx
                    .user(u)?
                    .is_none_or(|u| u.org_id != org.id || u.state != UserState::Active)
                {
                    return Err(invalid("to", "no such active user in this tenant"));
                }
                i.assignee_id = Some(u);
            }
            TransferTo::Queue(q) => {
                if tx.queue(q)?.is_none_or(|q| q.org_id != org.id) {
                    return Err(invalid("to", "no such queue in this tenant"));
                }
                i.queue_id = Some(q);
                i.assignee_id = None;
            }
        }
        i.read = false;
        i.updated_at = self.now();
        tx.update_interaction(&i)?;
        let ev = self.interaction_event(&mut *tx, &i)?;
        tx.commit()?;
        self.publish(vec![ev]);
        Ok(i)
    }

    // ---------------------------------------------------------------- outbound messages

    /// Sends a message from a tenant channel: a reply when the contact has a live
    /// conversation on that channel (agents and managers may), otherwise a new conversation
    /// (they may not). Queues a `send` command for the channel's gateway.
    pub fn send(&self, actor: &Actor, req: SendRequest) -> Result<Message, HubError> {
        let text = valid_text(&req.text)?;
        if !routing::valid_number(&req.to) {
            return Err(invalid("to", "expected + and digits"));
        }
        let mut tx = self.begin()?;
        let channel = match req.channel {
            Some(id) => {
                self.authorized_channel(&mut *tx, actor, Action::ViewChannel, id)?
                    .0
            }
            None => self.default_channel(&mut *tx, actor)?,
        };
        let org = found(tx.org(channel.holder_id)?)?;
        if org.kind != OrgKind::Tenant {
            return Err(invalid(
                "channel",
                "the channel is not assigned to a tenant",
            ));
        }
        let live = tx.live_interaction(channel.id, &req.to)?;
        let interaction = match live {
            Some(i) => {
                let personal = self.personal(&mut *tx, actor, &i)?;
                authz::authorize(
                    actor,
                    Action::Reply,
                    Target::Conversation {
                        org: &org,
                        personal,
                    },
                )?;
                Some(i)
            }
            None => {
                authz::authorize(actor, Action::StartConversation, Target::Org(&org))?;
                None
            }
        };
        if req.campaign.is_some() && tx.is_opted_out(org.id, &req.to)? {
            return Err(HubError::Conflict(format!(
                "{} opted out of bulk messages (STOP); live replies remain possible",
                req.to
            )));
        }
        let assignee = match &req.agent {
            Some(login) => Some(
                tx.user_by_login(&login.trim().to_lowercase())?
                    .filter(|u| u.org_id == org.id && u.state == UserState::Active)
                    .ok_or_else(|| invalid("agent", "no such active user in this tenant"))?
                    .id,
            ),
            None => None,
        };
        let outcome = self.queue_outbound(
            &mut *tx,
            actor,
            &org,
            &channel,
            interaction,
            &req,
            text,
            assignee,
        )?;
        tx.commit()?;
        self.after_outbound(outcome)
    }

    /// A bulk send (the seed's "Bulk Messages"): one text to many numbers from one tenant
    /// channel, for callers who may start conversations. Input is checked whole first (a bad
    /// number is refused naming its index); then duplicates are ignored and numbers on the
    /// tenant's opt-out list are skipped; everything else is queued in one transaction.
    pub fn send_bulk(&self, actor: &Actor, req: BulkRequest) -> Result<Vec<BulkResult>, HubError> {
        let text = valid_text(&req.text)?;
        if req.to.is_empty() {
            return Err(invalid("to", "give at least one number"));
        }
        if req.to.len() > MAX_BULK {
            return Err(invalid(
                "to",
                format!("at most {MAX_BULK} numbers per request"),
            ));
        }
        if let Some((i, n)) = req
            .to
            .iter()
            .enumerate()
            .find(|(_, n)| !routing::valid_number(n))
        {
            return Err(HubError::Invalid {
                field: "to",
                reason: format!("to[{i}] = {n:?} is not a phone number"),
            });
        }
        let campaign = non_empty("campaign", &req.campaign)?;
        let mut tx = self.begin()?;
        let channel = match req.channel {
            Some(id) => {
                self.authorized_channel(&mut *tx, actor, Action::ViewChannel, id)?
                    .0
            }
            None => self.default_channel(&mut *tx, actor)?,
        };
        let org = found(tx.org(channel.holder_id)?)?;
        if org.kind != OrgKind::Tenant {
            return Err(invalid(
                "channel",
                "the channel is not assigned to a tenant",
            ));
        }
        authz::authorize(actor, Action::StartConversation, Target::Org(&org))?;
        let mut seen = std::collections::HashSet::new();
        let mut results = Vec::with_capacity(req.to.len());
        let mut events = Vec::new();
        let mut gateway = None;
        for to in req.to {
            let outcome = if !seen.insert(to.clone()) {
                BulkOutcome::Duplicate
            } else if tx.is_opted_out(org.id, &to)? {
                BulkOutcome::OptedOut
            } else {
                let single = SendRequest {
                    channel: Some(channel.id),
                    to: to.clone(),
                    text: text.clone(),
                    campaign: Some(campaign.clone()),
                    agent: None,
                };
                let live = tx.live_interaction(channel.id, &to)?;
                let (evs, gw) = self.queue_outbound(
                    &mut *tx,
                    actor,
                    &org,
                    &channel,
                    live,
                    &single,
                    text.clone(),
                    None,
                )?;
                let message_id = evs.iter().find_map(|e| match &e.kind {
                    EventKind::MessageCreated { message } => Some(message.id),
                    _ => None,
                });
                events.extend(evs);
                gateway = Some(gw);
                match message_id {
                    Some(id) => BulkOutcome::Queued { message_id: id },
                    None => return Err(HubError::Conflict("no message was created".into())),
                }
            };
            results.push(BulkResult { to, outcome });
        }
        tx.commit()?;
        self.publish(events);
        if let Some(gw) = gateway {
            let _ = self.inner.outbox.send(gw);
        }
        Ok(results)
    }

    /// Replies in a conversation.
    pub fn reply(
        &self,
        actor: &Actor,
        interaction_id: Uuid,
        text: &str,
    ) -> Result<Message, HubError> {
        let text = valid_text(text)?;
        let mut tx = self.begin()?;
        let (i, org) =
            self.authorized_interaction(&mut *tx, actor, Action::Reply, interaction_id)?;
        if !i.status.is_live() {
            return Err(HubError::Conflict("the interaction is closed".into()));
        }
        let channel = found(tx.channel(i.channel_id)?)?;
        if channel.holder_id != org.id {
            return Err(HubError::Conflict(
                "the channel no longer belongs to this tenant".into(),
            ));
        }
        let req = SendRequest {
            channel: Some(channel.id),
            to: i.contact_number.clone(),
            text: text.clone(),
            campaign: None,
            agent: None,
        };
        let outcome =
            self.queue_outbound(&mut *tx, actor, &org, &channel, Some(i), &req, text, None)?;
        tx.commit()?;
        self.after_outbound(outcome)
    }

    fn default_channel(&self, tx: &mut dyn Tx, actor: &Actor) -> Result<Channel, HubError> {
        if actor.org().kind != OrgKind::Tenant {
            return Err(invalid("channel", "required for callers above a tenant"));
        }
        let scope: Scope = authz::authorize(actor, Action::ViewChannel, Target::Org(actor.org()))?;
        let channels = tx.channels(&scope)?;
        let mine = actor.user_id().and_then(|u| {
            channels
                .iter()
                .find(|c| c.destination == Destination::User(u))
        });
        mine.or(channels.first())
            .cloned()
            .ok_or_else(|| invalid("channel", "the tenant has no channel"))
    }

    #[allow(clippy::too_many_arguments)]
    fn queue_outbound(
        &self,
        tx: &mut dyn Tx,
        actor: &Actor,
        org: &Org,
        channel: &Channel,
        interaction: Option<Interaction>,
        req: &SendRequest,
        text: String,
        assignee: Option<Uuid>,
    ) -> Result<(Vec<HubEvent>, String), HubError> {
        let gateway = found(tx.gateway(channel.gateway_id)?)?;
        let versions = if gateway.versions.is_empty() {
            vec![1]
        } else {
            gateway.versions.clone()
        };
        let v = wire::negotiate(wire::SUPPORTED_VERSIONS, &versions).ok_or_else(|| {
            HubError::Conflict(
                "the channel's gateway speaks no contract version of this hub".into(),
            )
        })?;
        let now = self.now();
        let mut interaction = match interaction {
            Some(i) => i,
            None => {
                let i = Interaction {
                    id: Uuid::now_v7(),
                    org_id: org.id,
                    channel_id: channel.id,
                    contact_number: req.to.clone(),
                    status: InteractionStatus::Open,
                    queue_id: None,
                    assignee_id: actor.user_id(),
                    read: true,
                    created_at: now,
                    updated_at: now,
                };
                tx.insert_interaction(&i)?;
                i
            }
        };
        interaction.status = routing::status_after_outbound(interaction.status);
        interaction.read = true;
        if assignee.is_some() {
            interaction.assignee_id = assignee;
        }
        interaction.updated_at = now;
        tx.update_interaction(&interaction)?;
        let message = Message {
            id: Uuid::now_v7(),
            org_id: org.id,
            interaction_id: interaction.id,
            channel_id: channel.id,
            direction: MessageDirection::Outbound,
            from: channel.sim_number.clone(),
            to: req.to.clone(),
            text: text.clone(),
            state: MessageState::Queued,
            error: None,
            author_id: actor.user_id(),
            campaign: req.campaign.clone(),
            created_at: now,
            updated_at: now,
        };
        tx.insert_message(&message)?;
        let down = wire::Down::Send(wire::Send {
            id: Uuid::now_v7(),
            v,
            message_id: message.id,
            port: channel.port.clone(),
            to: req.to.clone(),
            text,
            request_dlr: true,
        });
        tx.enqueue_command(&OutboxEntry {
            id: down.id(),
            gateway_id: gateway.id,
            kind: down.kind().as_str().to_owned(),
            payload: down.encode(),
            message_id: Some(message.id),
            created_at: now,
        })?;
        let events = vec![
            Self::message_event(org, &interaction, &message, true),
            HubEvent {
                org_path: org.path.clone(),
                queue_id: interaction.queue_id,
                assignee_id: interaction.assignee_id,
                kind: EventKind::InteractionUpdated { interaction },
            },
        ];
        Ok((events, gateway.mqtt_username))
    }

    fn after_outbound(
        &self,
        (events, gateway): (Vec<HubEvent>, String),
    ) -> Result<Message, HubError> {
        let message = events.iter().find_map(|e| match &e.kind {
            EventKind::MessageCreated { message } => Some(message.clone()),
            _ => None,
        });
        self.publish(events);
        let _ = self.inner.outbox.send(gateway);
        message.ok_or_else(|| HubError::Conflict("no message was created".into()))
    }

    /// Queues a run-time configuration patch (`Down::Config`, keys as the gateway documents:
    /// `groups.{name}.{field}`) for gateway `id` (platform operator: [`Action::ManageGateway`]);
    /// returns the command id. The gateway applies it whole or refuses it whole (its ack).
    pub fn configure_gateway(
        &self,
        actor: &Actor,
        id: Uuid,
        settings: serde_json::Map<String, serde_json::Value>,
    ) -> Result<Uuid, HubError> {
        if settings.is_empty() {
            return Err(invalid("settings", "empty patch: nothing to change"));
        }
        let mut tx = self.begin()?;
        let platform = self.platform_org(&mut *tx)?;
        authz::authorize(actor, Action::ManageGateway, Target::Org(&platform))?;
        let gateway = found(tx.gateway(id)?)?;
        let versions = if gateway.versions.is_empty() {
            vec![1]
        } else {
            gateway.versions.clone()
        };
        let v = wire::negotiate(wire::SUPPORTED_VERSIONS, &versions).ok_or_else(|| {
            HubError::Conflict("the gateway speaks no contract version of this hub".into())
        })?;
        let down = wire::Down::Config(wire::ConfigPatch {
            id: Uuid::now_v7(),
            v,
            settings,
        });
        tx.enqueue_command(&OutboxEntry {
            id: down.id(),
            gateway_id: gateway.id,
            kind: down.kind().as_str().to_owned(),
            payload: down.encode(),
            message_id: None,
            created_at: self.now(),
        })?;
        tx.commit()?;
        let _ = self.inner.outbox.send(gateway.mqtt_username);
        Ok(down.id())
    }

    /// Asks the message's gateway to cancel outbound message `id` (anyone who may reply in its
    /// conversation may): queues `Down::Cancel`; the message becomes `cancelled` when the
    /// gateway applies it (its ack or its status). A message the hub already knows as sent or
    /// final is refused here; one the gateway has already started sending is refused by the
    /// gateway, and the refusal is recorded as the message's `error` (its state is unchanged).
    pub fn cancel_message(&self, actor: &Actor, id: Uuid) -> Result<Message, HubError> {
        let mut tx = self.begin()?;
        let m = found(tx.message(id)?)?;
        self.authorized_interaction(&mut *tx, actor, Action::Reply, m.interaction_id)?;
        if m.direction != MessageDirection::Outbound {
            return Err(HubError::Conflict(format!(
                "message {id} is inbound; only outbound messages can be cancelled"
            )));
        }
        if !matches!(m.state, MessageState::Queued | MessageState::Accepted) {
            return Err(HubError::Conflict(format!(
                "too late to cancel: message {id} is {}",
                serde_json::to_value(m.state)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_else(|| format!("{:?}", m.state))
            )));
        }
        let channel = found(tx.channel(m.channel_id)?)?;
        let gateway = found(tx.gateway(channel.gateway_id)?)?;
        let versions = if gateway.versions.is_empty() {
            vec![1]
        } else {
            gateway.versions.clone()
        };
        let v = wire::negotiate(wire::SUPPORTED_VERSIONS, &versions).ok_or_else(|| {
            HubError::Conflict(
                "the message's gateway speaks no contract version of this hub".into(),
            )
        })?;
        let down = wire::Down::Cancel(wire::Cancel {
            id: Uuid::now_v7(),
            v,
            message_id: m.id,
        });
        tx.enqueue_command(&OutboxEntry {
            id: down.id(),
            gateway_id: gateway.id,
            kind: down.kind().as_str().to_owned(),
            payload: down.encode(),
            message_id: Some(m.id),
            created_at: self.now(),
        })?;
        tx.commit()?;
        let _ = self.inner.outbox.send(gateway.mqtt_username);
        Ok(m)
    }

    pub fn message(&self, actor: &Actor, id: Uuid) -> Result<Message, HubError> {
        let mut tx = self.begin()?;
        let m = found(tx.message(id)?)?;
        self.authorized_interaction(&mut *tx, actor, Action::ViewInteraction, m.interaction_id)?;
        Ok(m)
    }

    // ---------------------------------------------------------------- opt-outs

    pub fn opt_outs(&self, actor: &Actor) -> Result<Vec<OptOut>, HubError> {
        let scope = authz::authorize(actor, Action::ViewOptOut, Target::Org(actor.org()))?;
        let mut tx = self.begin()?;
        Ok(tx.opt_outs(&scope)?)
    }

    pub fn add_opt_out(
        &self,
        actor: &Actor,
        org_id: Option<Uuid>,
        number: &str,
        channel: Option<Uuid>,
    ) -> Result<OptOut, HubError> {
        let mut tx = self.begin()?;
        let org = self.org_or_own(&mut *tx, actor, org_id)?;
        authz::authorize(actor, Action::ManageOptOut, Target::Org(&org))?;
        if org.kind != OrgKind::Tenant {
            return Err(invalid("org", "opt-out lists belong to tenants"));
        }
        if !routing::valid_number(number) {
            return Err(invalid("number", "expected + and digits"));
        }
        if let Some(c) = channel
            && tx.channel(c)?.is_none_or(|c| c.holder_id != org.id)
        {
            return Err(invalid("channel", "no such channel in this tenant"));
        }
        let o = OptOut {
            id: Uuid::now_v7(),
            org_id: org.id,
            number: number.to_owned(),
            channel_id: channel,
            source: "manual".into(),
            created_at: self.now(),
        };
        if !tx.insert_opt_out(&o)? {
            return Err(HubError::Conflict(format!("{number} is already opted out")));
        }
        tx.commit()?;
        Ok(o)
    }

    pub fn remove_opt_out(&self, actor: &Actor, id: Uuid) -> Result<(), HubError> {
        let mut tx = self.begin()?;
        let o = found(tx.opt_out(id)?)?;
        let org = found(tx.org(o.org_id)?)?;
        authz::authorize(actor, Action::ManageOptOut, Target::Org(&org))?;
        tx.delete_opt_out(o.org_id, &o.number)?;
        tx.commit()?;
        Ok(())
    }

    // ---------------------------------------------------------------- API keys

    /// Creates a tenant API key; the secret (`sgk_…`) is returned once.
    pub fn create_api_key(
        &self,
        actor: &Actor,
        org_id: Option<Uuid>,
        name: &str,
    ) -> Result<(ApiKey, String), HubError> {
        let mut tx = self.begin()?;
        let org = self.org_or_own(&mut *tx, actor, org_id)?;
        authz::authorize(actor, Action::ManageApiKeys, Target::Org(&org))?;
        if org.kind != OrgKind::Tenant {
            return Err(invalid("org", "API keys belong to tenants"));
        }
        let secret = secrets::random_token("sgk_");
        let key = ApiKey {
            id: Uuid::now_v7(),
            org_id: org.id,
            name: non_empty("name", name)?,
            prefix: secret.chars().take(10).collect(),
            created_at: self.now(),
        };
        tx.insert_api_key(&key, &secrets::digest(&secret))?;
        tx.commit()?;
        Ok((key, secret))
    }

    pub fn api_keys(&self, actor: &Actor) -> Result<Vec<ApiKey>, HubError> {
        let scope = authz::authorize(actor, Action::ManageApiKeys, Target::Org(actor.org()))?;
        let mut tx = self.begin()?;
        Ok(tx.api_keys(&scope)?)
    }

    // ---------------------------------------------------------------- live events

    /// The filter an SSE stream applies to bus events for this actor (through the chokepoint).
    pub fn event_filter(&self, actor: &Actor) -> Result<EventFilter, HubError> {
        let scope = authz::authorize(actor, Action::WatchEvents, Target::Org(actor.org()))?;
        let queues = match scope.personal_user() {
            Some(u) => {
                let mut tx = self.begin()?;
                tx.queues_of_user(u)?
            }
            None => Vec::new(),
        };
        Ok(EventFilter { scope, queues })
    }

    // ---------------------------------------------------------------- gateway link

    fn gateway_by_topic_id(
        &self,
        tx: &mut dyn Tx,
        gw: &wire::GatewayId,
    ) -> Result<Gateway, HubError> {
        tx.gateway_by_username(gw.as_str())?
            .ok_or_else(|| HubError::UnknownGateway(gw.to_string()))
    }

    /// Applies a gateway's retained presence (not de-duplicated: it is idempotent).
    pub fn gateway_state(&self, gw: &wire::GatewayId, state: &wire::State) -> Result<(), HubError> {
        let mut tx = self.begin()?;
        let mut g = self.gateway_by_topic_id(&mut *tx, gw)?;
        g.online = state.online;
        if !state.versions.is_empty() {
            g.versions = state.versions.clone();
        }
        g.last_seen = Some(self.now());
        tx.update_gateway(&g)?;
        tx.commit()?;
        Ok(())
    }

    /// Commands waiting for a gateway, oldest first (publish them; they stay until acked).
    pub fn pending_commands(&self, gw: &wire::GatewayId) -> Result<Vec<wire::Down>, HubError> {
        let mut tx = self.begin()?;
        let g = self.gateway_by_topic_id(&mut *tx, gw)?;
        let entries = tx.pending_commands(g.id)?;
        entries
            .into_iter()
            .map(|e| {
                wire::Down::decode(&wire::DownKind::from_level(&e.kind), &e.payload).map_err(
                    |err| {
                        StoreError::Corrupt {
                            what: "outbox",
                            detail: err.to_string(),
                        }
                        .into()
                    },
                )
            })
            .collect()
    }

    /// The MQTT link's entry point: one message as received (the broker has already checked
    /// that the publishing gateway owns the topic). Returns the `down/ack` to publish back,
    /// if any: `unsupported` for a kind this hub does not know, `rejected` for a message it
    /// refused.
    pub fn receive(
        &self,
        topic: &str,
        payload: &[u8],
    ) -> Result<Option<(wire::Topic, wire::Down)>, HubError> {
        let topic = wire::Topic::parse(topic).map_err(|e| invalid("topic", e.to_string()))?;
        let v = wire::SUPPORTED_VERSIONS.first().copied().unwrap_or(1);
        let ack = |ack: wire::Ack| {
            let down = wire::Down::Ack(ack);
            Some((down.topic(&topic.gateway), down))
        };
        match &topic.kind {
            wire::TopicKind::State => {
                let state =
                    wire::State::decode(payload).map_err(|e| invalid("payload", e.to_string()))?;
                self.gateway_state(&topic.gateway, &state)?;
                Ok(None)
            }
            wire::TopicKind::Down(_) => Err(invalid("topic", "the hub does not take down topics")),
            wire::TopicKind::Up(kind) => match wire::Up::decode(kind, payload) {
                Err(e @ wire::DecodeError::UnsupportedKind { .. }) => {
                    Ok(e.unsupported_ack(v).and_then(ack))
                }
                Err(e) => Err(invalid("payload", e.to_string())),
                Ok(up) => {
                    let id = up.id();
                    match self.ingest(&topic.gateway, up)? {
                        IngestOutcome::Rejected(detail) => Ok(ack(wire::Ack {
                            id: Uuid::now_v7(),
                            v,
                            ack_of: id,
                            outcome: wire::AckOutcome::Rejected,
                            detail: Some(detail),
                        })),
                        _ => Ok(None),
                    }
                }
            },
        }
    }

    /// Ingests one up message from a gateway, exactly once per message id: the id is recorded
    /// in the same transaction as the state change it causes.
    pub fn ingest(&self, gw: &wire::GatewayId, up: wire::Up) -> Result<IngestOutcome, HubError> {
        self.ingest_batch(gw, vec![up])?
            .into_iter()
            .next()
            .ok_or_else(|| HubError::Conflict("empty ingest batch".into()))
    }

    /// Ingests several up messages of one gateway in one transaction (one disk sync for the
    /// batch: the MQTT link batches what arrived together). All or nothing: on an error
    /// nothing of the batch is applied and the caller retries it whole; duplicates (also
    /// within the batch) come back as [`IngestOutcome::Duplicate`].
    pub fn ingest_batch(
        &self,
        gw: &wire::GatewayId,
        ups: Vec<wire::Up>,
    ) -> Result<Vec<IngestOutcome>, HubError> {
        let mut tx = self.begin()?;
        let now = self.now();
        let mut events = Vec::new();
        let mut outcomes = Vec::with_capacity(ups.len());
        for up in ups {
            // Re-read per event: heartbeats and port reports update the gateway record.
            let gateway = self.gateway_by_topic_id(&mut *tx, gw)?;
            outcomes.push(self.ingest_one(&mut *tx, gateway, up, now, &mut events)?);
        }
        tx.commit()?;
        self.publish(events);
        Ok(outcomes)
    }

    fn ingest_one(
        &self,
        tx: &mut dyn Tx,
        gateway: Gateway,
        up: wire::Up,
        now: DateTime<Utc>,
        events: &mut Vec<HubEvent>,
    ) -> Result<IngestOutcome, HubError> {
        if !tx.mark_processed(up.id(), gateway.id, now)? {
            return Ok(IngestOutcome::Duplicate);
        }
        let outcome = match up {
            wire::Up::Inbound(m) => self.ingest_inbound(tx, &gateway, m, now, events)?,
            wire::Up::Status(s) => self.update_outbound(
                tx,
                &gateway,
                s.message_id,
                routing::from_send_state(s.state),
                s.error,
                now,
                events,
            )?,
            wire::Up::Dlr(d) => self.update_outbound(
                tx,
                &gateway,
                d.message_id,
                routing::from_delivery_state(d.state),
                None,
                now,
                events,
            )?,
            wire::Up::Ack(a) => self.ingest_ack(tx, &gateway, a, now, events)?,
            wire::Up::Heartbeat(h) => {
                let mut g = gateway;
                g.versions = h.versions;
                g.online = true;
                g.last_seen = Some(now);
                tx.update_gateway(&g)?;
                IngestOutcome::Applied
            }
            wire::Up::Ports(p) => {
                let mut g = gateway;
                g.last_seen = Some(now);
                g.ports = p
                    .ports
                    .into_iter()
                    .map(|p| GatewayPort {
                        port: p.port,
                        sim_number: p.sim_number,
                        operator: p.operator,
                        signal: p.signal,
                        registered: p.registered,
                    })
                    .collect();
                tx.update_gateway(&g)?;
                IngestOutcome::Applied
            }
        };
        Ok(outcome)
    }

    fn ingest_inbound(
        &self,
        tx: &mut dyn Tx,
        gateway: &Gateway,
        m: wire::Inbound,
        now: DateTime<Utc>,
        events: &mut Vec<HubEvent>,
    ) -> Result<IngestOutcome, HubError> {
        let channel = match tx.channel_by_port(gateway.id, &m.port)? {
            Some(c) => Some(c),
            None => match &m.sim_number {
                Some(n) => tx
                    .channel_by_number(n)?
                    .filter(|c| c.gateway_id == gateway.id),
                None => None,
            },
        };
        let Some(channel) = channel else {
            return Ok(IngestOutcome::Unrouted(format!(
                "no channel on port {:?}",
                m.port
            )));
        };
        let org = found(tx.org(channel.holder_id)?)?;
        if org.kind != OrgKind::Tenant {
            return Ok(IngestOutcome::Unrouted(format!(
                "channel {} is not assigned to a tenant",
                channel.sim_number
            )));
        }
        match routing::opt_keyword(&m.text) {
            Some(OptKeyword::Stop) => {
                tx.insert_opt_out(&OptOut {
                    id: Uuid::now_v7(),
                    org_id: org.id,
                    number: m.from.clone(),
                    channel_id: Some(channel.id),
                    source: "keyword".into(),
                    created_at: now,
                })?;
            }
            Some(OptKeyword::Start) => {
                tx.delete_opt_out(org.id, &m.from)?;
            }
            None => {}
        }
        let interaction = match tx.live_interaction(channel.id, &m.from)? {
            Some(mut i) => {
                i.status = routing::status_after_inbound(i.status);
                i.read = false;
                i.updated_at = now;
                tx.update_interaction(&i)?;
                i
            }
            None => {
                let (queue_id, assignee_id) = routing::placement(channel.destination);
                let i = Interaction {
                    id: Uuid::now_v7(),
                    org_id: org.id,
                    channel_id: channel.id,
                    contact_number: m.from.clone(),
                    status: InteractionStatus::Waiting,
                    queue_id,
                    assignee_id,
                    read: false,
                    created_at: now,
                    updated_at: now,
                };
                tx.insert_interaction(&i)?;
                i
            }
        };
        let message = Message {
            id: Uuid::now_v7(),
            org_id: org.id,
            interaction_id: interaction.id,
            channel_id: channel.id,
            direction: MessageDirection::Inbound,
            from: m.from,
            to: channel.sim_number.clone(),
            text: m.text,
            state: MessageState::Received,
            error: None,
            author_id: None,
            campaign: None,
            created_at: m.received_at,
            updated_at: now,
        };
        tx.insert_message(&message)?;
        events.push(Self::message_event(&org, &interaction, &message, true));
        events.push(HubEvent {
            org_path: org.path.clone(),
            queue_id: interaction.queue_id,
            assignee_id: interaction.assignee_id,
            kind: EventKind::InteractionUpdated { interaction },
        });
        Ok(IngestOutcome::Applied)
    }

    #[allow(clippy::too_many_arguments)]
    fn update_outbound(
        &self,
        tx: &mut dyn Tx,
        gateway: &Gateway,
        message_id: Uuid,
        state: MessageState,
        error: Option<String>,
        now: DateTime<Utc>,
        events: &mut Vec<HubEvent>,
    ) -> Result<IngestOutcome, HubError> {
        let Some(mut m) = tx.message(message_id)? else {
            return Ok(IngestOutcome::Rejected(format!(
                "unknown message {message_id}"
            )));
        };
        // A gateway may only report on messages sent through its own channels.
        let channel = found(tx.channel(m.channel_id)?)?;
        if channel.gateway_id != gateway.id || m.direction != MessageDirection::Outbound {
            return Ok(IngestOutcome::Rejected(format!(
                "unknown message {message_id}"
            )));
        }
        if let Some(next) = routing::advance(m.state, state) {
            m.state = next;
            if error.is_some() {
                m.error = error;
            }
            m.updated_at = now;
            tx.update_message(&m)?;
            let i = found(tx.interaction(m.interaction_id)?)?;
            let org = found(tx.org(m.org_id)?)?;
            events.push(Self::message_event(&org, &i, &m, false));
        }
        Ok(IngestOutcome::Applied)
    }

    /// Records `error` on outbound message `message_id` of `gateway` without changing its state.
    fn note_outbound_error(
        &self,
        tx: &mut dyn Tx,
        gateway: &Gateway,
        message_id: Uuid,
        error: String,
        now: DateTime<Utc>,
        events: &mut Vec<HubEvent>,
    ) -> Result<(), HubError> {
        let Some(mut m) = tx.message(message_id)? else {
            return Ok(());
        };
        let channel = found(tx.channel(m.channel_id)?)?;
        if channel.gateway_id != gateway.id || m.direction != MessageDirection::Outbound {
            return Ok(());
        }
        m.error = Some(error);
        m.updated_at = now;
        tx.update_message(&m)?;
        let i = found(tx.interaction(m.interaction_id)?)?;
        let org = found(tx.org(m.org_id)?)?;
        events.push(Self::message_event(&org, &i, &m, false));
        Ok(())
    }

    fn ingest_ack(
        &self,
        tx: &mut dyn Tx,
        gateway: &Gateway,
        a: wire::Ack,
        now: DateTime<Utc>,
        events: &mut Vec<HubEvent>,
    ) -> Result<IngestOutcome, HubError> {
        let outcome = match a.outcome {
            wire::AckOutcome::Applied => "applied",
            wire::AckOutcome::Duplicate => "duplicate",
            wire::AckOutcome::Rejected => "rejected",
            wire::AckOutcome::Unsupported => "unsupported",
        };
        let Some(entry) = tx.ack_command(gateway.id, a.ack_of, outcome, now)? else {
            // Acked before (or not ours): nothing to do.
            return Ok(IngestOutcome::Applied);
        };
        if entry.kind == wire::DownKind::Cancel.as_str()
            && let Some(message_id) = entry.message_id
        {
            // Applied: the message is cancelled (its status follows too). Refused: it keeps its
            // state (it is being or was sent); the refusal is recorded as its error.
            let (state, error) = match a.outcome {
                wire::AckOutcome::Applied | wire::AckOutcome::Duplicate => {
                    (MessageState::Cancelled, None)
                }
                wire::AckOutcome::Rejected | wire::AckOutcome::Unsupported => {
                    let why = a
                        .detail
                        .unwrap_or_else(|| format!("gateway answered {outcome}"));
                    return self
                        .note_outbound_error(
                            tx,
                            gateway,
                            message_id,
                            format!("cancel refused: {why}"),
                            now,
                            events,
                        )
                        .map(|()| IngestOutcome::Applied);
                }
            };
            self.update_outbound(tx, gateway, message_id, state, error, now, events)?;
        } else if let Some(message_id) = entry.message_id {
            let (state, error) = match a.outcome {
                wire::AckOutcome::Applied | wire::AckOutcome::Duplicate => {
                    (MessageState::Accepted, None)
                }
                wire::AckOutcome::Rejected | wire::AckOutcome::Unsupported => (
                    MessageState::Failed,
                    Some(
                        a.detail
                            .unwrap_or_else(|| format!("gateway answered {outcome}")),
                    ),
                ),
            };
            self.update_outbound(tx, gateway, message_id, state, error, now, events)?;
        }
        Ok(IngestOutcome::Applied)
    }
}

/// Filters bus events for one subscriber; built by [`Hub::event_filter`] through the
/// chokepoint.
#[derive(Debug, Clone)]
pub struct EventFilter {
    scope: Scope,
    queues: Vec<Uuid>,
}

impl EventFilter {
    pub fn admits(&self, e: &HubEvent) -> bool {
        if !self.scope.contains_path(&e.org_path) {
            return false;
        }
        match self.scope.personal_user() {
            None => true,
            Some(u) => {
                e.assignee_id == Some(u) || e.queue_id.is_some_and(|q| self.queues.contains(&q))
            }
        }
    }
}

/// The `[hub]` section a newly registered gateway pastes into its `gateway.toml`.
pub fn gateway_config_snippet(name: &str, url: &str, username: &str, password: &str) -> String {
    #[derive(serde::Serialize)]
    struct Snippet {
        cloud: smsgate_config::gateway::CloudConfig,
    }
    let snippet = Snippet {
        cloud: smsgate_config::gateway::CloudConfig {
            url: Some(url.to_owned()),
            gateway_id: Some(username.to_owned()),
            username: Some(username.to_owned()),
            password: Some(password.to_owned()),
            ..Default::default()
        },
    };
    // Serialising plain strings and integers into TOML cannot fail; keep a readable fallback anyway.
    let body = toml::to_string(&snippet).unwrap_or_else(|e| format!("# cannot render: {e}\n"));
    let name = name.replace(['\n', '\r'], " ");
    format!("# smsgate gateway configuration for {name:?}: paste into gateway.toml\n{body}")
}

fn non_empty(field: &'static str, s: &str) -> Result<String, HubError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if t.chars().count() > 200 {
        return Err(invalid(field, "must be at most 200 characters"));
    }
    Ok(t.to_owned())
}

fn valid_login(s: &str) -> Result<String, HubError> {
    let t = non_empty("login", s)?;
    if t.chars().any(char::is_whitespace) {
        return Err(invalid("login", "must not contain spaces"));
    }
    Ok(t.to_lowercase())
}

fn valid_text(s: &str) -> Result<String, HubError> {
    if s.trim().is_empty() {
        return Err(invalid("text", "must not be empty"));
    }
    if s.chars().count() > MAX_TEXT {
        return Err(invalid(
            "text",
            format!("must be at most {MAX_TEXT} characters"),
        ));
    }
    Ok(s.to_owned())
}
