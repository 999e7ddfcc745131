//! The single authorization chokepoint.
//!
//! Every operation of [`Hub`](crate::Hub) that acts for someone takes an [`Actor`] (built only
//! by authentication: session or API key) and calls [`scope`] (or [`authorize`] with a
//! [`Target`]) for the [`Action`]. Every store read and write of tenant data takes the
//! [`Scope`] that comes back — and a `Scope` can only be built here — so a handler cannot
//! forget the check: without a scope it cannot even read a row, and with one it only ever
//! sees rows inside it (a single-row getter answers "none" outside it).
//!
//! Scopes that do not come from an actor are made here too, each for one purpose:
//! [`authenticating`] (finding who calls, bootstrap), [`gateway`] (a gateway's own channels,
//! messages and commands, for ingest), [`channel_holder`] (the tenant that holds a channel of
//! that gateway, to route an inbound message) and [`channel_gateway`] (the gateway carrying a
//! channel read in scope, to queue a command for it).
//!
//! Rules:
//! - a resource outside the actor's subtree (its organisation path does not start with the
//!   actor's) is [`Denied::NotFound`] — a foreign id looks exactly like a missing one;
//! - inside the subtree, an action the role may not do is [`Denied::Forbidden`];
//! - agents and plain users see only their own conversations (assigned to them, or in a queue
//!   they belong to, for agents); others are [`Denied::NotFound`].

use uuid::Uuid;

use crate::model::{Channel, Gateway, Org, OrgKind, Role};

/// Who is acting: a logged-in user or a tenant API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    User(Uuid),
    ApiKey(Uuid),
}

/// An authenticated caller. Built only by the hub's authentication functions.
#[derive(Debug, Clone)]
pub struct Actor {
    principal: Principal,
    org: Org,
    role: Role,
    /// SHA-256 of the session token, for session principals.
    session: Option<String>,
}

impl Actor {
    pub(crate) fn new(principal: Principal, org: Org, role: Role) -> Self {
        Self {
            principal,
            org,
            role,
            session: None,
        }
    }
    pub(crate) fn with_session(mut self, token_hash: String) -> Self {
        self.session = Some(token_hash);
        self
    }
    /// The session's token hash (sessions only).
    pub fn session(&self) -> Option<&str> {
        self.session.as_deref()
    }
    pub fn principal(&self) -> Principal {
        self.principal
    }
    pub fn org(&self) -> &Org {
        &self.org
    }
    /// The role; API keys act with the tenant-level `User` role's messaging rights.
    pub fn role(&self) -> Role {
        self.role
    }
    pub fn user_id(&self) -> Option<Uuid> {
        match self.principal {
            Principal::User(id) => Some(id),
            Principal::ApiKey(_) => None,
        }
    }
}

/// Everything the API can do, as far as permission is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ViewOrg,
    /// Create a reseller under the target organisation.
    CreateReseller,
    /// Create a tenant under the target organisation.
    CreateTenant,
    /// Rename, retype or delete a reseller or tenant (resellers and the platform, below them).
    ManageOrg,
    ViewUser,
    ManageUser,
    /// Change one's own name and password (target: [`Target::User`] naming the caller).
    EditSelf,
    ViewGateway,
    ManageGateway,
    ViewChannel,
    /// Create a channel (a SIM on a gateway port): platform operator only.
    CreateChannel,
    /// Hand a channel down (or take it back) within the hierarchy.
    DistributeChannel,
    /// Set a channel's destination.
    ConfigureChannel,
    ViewQueue,
    ManageQueue,
    ViewContact,
    ManageContact,
    ViewInteraction,
    /// Start a new outbound conversation.
    StartConversation,
    /// Reply in an existing conversation.
    Reply,
    /// Transfer a conversation to a team member.
    Transfer,
    /// Pause / close / reopen, mark read.
    ChangeInteraction,
    ViewOptOut,
    ManageOptOut,
    ManageApiKeys,
    WatchEvents,
    /// The live floor: monitor agents and waiting customers, spy, take over, reassign, log an
    /// agent out; set queue strategies' effect (issue 13).
    Supervise,
    /// Notification settings and log.
    ManageNotifications,
    /// Reports and their exports.
    ViewReports,
    /// Canned replies (tenant-wide and per queue).
    ManageCanned,
    /// The audit log of administrative actions.
    ViewAudit,
    /// Campaigns: see them, their dashboards and recipients (issue 12).
    ViewCampaign,
    /// Campaigns: create, edit, import recipients, start/pause/resume/stop, delete; the
    /// do-not-contact list.
    ManageCampaign,
    /// Webhook endpoints: create, edit, rotate their secret, send a test event, read their
    /// delivery log (issue 15). Tenant admins (and the admins above them) only.
    ManageWebhooks,
}

/// What the action is about: the organisation owning it, and for conversations whether it is
/// the actor's own (assigned to them or in one of their queues).
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    Org(&'a Org),
    Conversation { org: &'a Org, personal: bool },
    User { org: &'a Org, user_id: Uuid },
}

impl Target<'_> {
    fn org(&self) -> &Org {
        match self {
            Target::Org(o) | Target::Conversation { org: o, .. } | Target::User { org: o, .. } => o,
        }
    }
}

/// Proof that an action was authorized, and the limits of every store query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    path: String,
    personal: Option<Uuid>,
    /// Gateway scopes: only this gateway's channels, messages and commands.
    gateway: Option<Uuid>,
    /// Covers platform-owned records (gateways).
    root: bool,
}

impl Scope {
    /// Limited to one gateway's channels and messages (ingest).
    pub fn gateway_id(&self) -> Option<Uuid> {
        self.gateway
    }
    /// Whether platform-owned records (gateways) are in scope.
    pub fn covers_platform(&self) -> bool {
        self.root
    }
    /// Rows whose organisation path starts with this prefix are in scope.
    pub fn path_prefix(&self) -> &str {
        &self.path
    }
    /// When set, only conversations assigned to this user or in one of their queues.
    pub fn personal_user(&self) -> Option<Uuid> {
        self.personal
    }
    /// Whether an organisation path is inside this scope.
    pub fn contains_path(&self, path: &str) -> bool {
        path.starts_with(&self.path)
    }
}

/// Why an action was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// Outside the caller's reach; indistinguishable from a missing resource.
    #[error("not found")]
    NotFound,
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
}

fn role_allows(actor: &Actor, action: Action) -> bool {
    use Action::*;
    if action == EditSelf {
        return matches!(actor.principal, Principal::User(_));
    }
    if let Principal::ApiKey(_) = actor.principal {
        return plain_user_allows(action);
    }
    match actor.role {
        Role::PlatformAdmin => true,
        Role::ResellerAdmin => match action {
            ManageGateway | CreateChannel | ViewGateway => false,
            CreateReseller => actor.org.kind == OrgKind::ResellerL1,
            _ => true,
        },
        Role::TenantAdmin => !matches!(
            action,
            CreateReseller
                | CreateTenant
                | ManageOrg
                | ViewGateway
                | ManageGateway
                | CreateChannel
                | DistributeChannel
        ),
        Role::Manager => matches!(
            action,
            ViewOrg
                | ViewUser
                | ViewChannel
                | ViewQueue
                | ViewContact
                | ManageContact
                | ViewInteraction
                | Reply
                | Transfer
                | ChangeInteraction
                | ViewOptOut
                | ManageOptOut
                | WatchEvents
                | Supervise
                | ViewReports
                | ManageCanned
                | ViewCampaign
        ),
        Role::Agent => matches!(
            action,
            ViewOrg
                | ViewChannel
                | ViewContact
                | ViewInteraction
                | Reply
                | Transfer
                | ChangeInteraction
                | WatchEvents
        ),
        Role::User => plain_user_allows(action),
    }
}

/// The tenant-level `User` role's messaging rights, which API keys act with too.
fn plain_user_allows(action: Action) -> bool {
    use Action::*;
    matches!(
        action,
        ViewOrg
            | ViewChannel
            | ViewContact
            | ManageContact
            | ViewInteraction
            | StartConversation
            | Reply
            | ChangeInteraction
            | ViewOptOut
            | ManageOptOut
            | WatchEvents
    )
}

/// Conversations of agents and plain users are limited to their own.
fn limited_to_own_conversations(actor: &Actor) -> bool {
    matches!(actor.principal, Principal::User(_)) && matches!(actor.role, Role::Agent | Role::User)
}

/// The chokepoint. See the module documentation for the rules.
pub fn authorize(actor: &Actor, action: Action, target: Target<'_>) -> Result<Scope, Denied> {
    let org = target.org();
    if !org.path.starts_with(&actor.org.path) {
        return Err(Denied::NotFound);
    }
    if !role_allows(actor, action) {
        return Err(Denied::Forbidden("your role may not do this"));
    }
    if action == Action::EditSelf {
        match target {
            Target::User { user_id, .. } if actor.user_id() == Some(user_id) => {}
            _ => return Err(Denied::Forbidden("only your own profile")),
        }
    }
    let personal = if limited_to_own_conversations(actor) {
        if let Target::Conversation {
            personal: false, ..
        } = target
        {
            return Err(Denied::NotFound);
        }
        actor.user_id()
    } else {
        None
    };
    Ok(Scope {
        path: org.path.clone(),
        personal,
        gateway: None,
        root: org.kind == OrgKind::Platform,
    })
}

/// The scope of `action` over the caller's own subtree (what listings and single-row getters
/// take): a row outside it is simply not found.
pub fn scope(actor: &Actor, action: Action) -> Result<Scope, Denied> {
    authorize(actor, action, Target::Org(actor.org()))
}

/// Everything, for authentication (finding the caller by a secret) and bootstrap.
pub(crate) fn authenticating() -> Scope {
    Scope {
        path: "/".into(),
        personal: None,
        gateway: None,
        root: true,
    }
}

/// A gateway's own records: its gateway row, its channels, the messages on them, its commands.
/// The gateway was authenticated by the broker (its login owns the topic).
pub(crate) fn gateway(g: &Gateway) -> Scope {
    Scope {
        path: "/".into(),
        personal: None,
        gateway: Some(g.id),
        root: false,
    }
}

/// The tenant holding `channel`, for routing what `gateway_scope`'s gateway received on it;
/// `None` when the channel is not on that gateway or `holder` is not its holder.
pub(crate) fn channel_holder(
    gateway_scope: &Scope,
    channel: &Channel,
    holder: &Org,
) -> Option<Scope> {
    (gateway_scope.gateway == Some(channel.gateway_id) && holder.id == channel.holder_id).then(
        || Scope {
            path: holder.path.clone(),
            personal: None,
            gateway: None,
            root: false,
        },
    )
}

/// The hub itself acting inside one tenant (the dispatcher handing out queued conversations,
/// the notification scheduler): the tenant's subtree, no personal limit.
pub(crate) fn tenant_system(org: &Org) -> Scope {
    Scope {
        path: org.path.clone(),
        personal: None,
        gateway: None,
        root: false,
    }
}

/// The gateway carrying `channel` (read in the caller's scope), to queue a command for it.
pub(crate) fn channel_gateway(channel: &Channel) -> Scope {
    Scope {
        path: "/".into(),
        personal: None,
        gateway: Some(channel.gateway_id),
        root: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn org(kind: OrgKind, path: &str) -> Org {
        Org {
            id: Uuid::now_v7(),
            kind,
            name: "x".into(),
            parent_id: None,
            path: path.into(),
            country: None,
            org_type: None,
            created_at: Utc::now(),
        }
    }

    fn actor(role: Role, o: &Org) -> Actor {
        Actor::new(Principal::User(Uuid::now_v7()), o.clone(), role)
    }

    #[test]
    fn a_foreign_tenant_is_not_found_for_every_tenant_role_and_action() {
        let mine = org(OrgKind::Tenant, "/p/a/");
        let theirs = org(OrgKind::Tenant, "/p/b/");
        for role in [Role::TenantAdmin, Role::Manager, Role::Agent, Role::User] {
            for action in [Action::ViewOrg, Action::ViewInteraction, Action::ManageUser] {
                assert_eq!(
                    authorize(&actor(role, &mine), action, Target::Org(&theirs)),
                    Err(Denied::NotFound)
                );
            }
        }
    }

    #[test]
    fn a_reseller_reaches_its_subtree_but_not_its_sibling_or_parent() {
        let l1 = org(OrgKind::ResellerL1, "/p/r1/");
        let child = org(OrgKind::Tenant, "/p/r1/t/");
        let sibling = org(OrgKind::Tenant, "/p/r2/t/");
        let parent = org(OrgKind::Platform, "/p/");
        let a = actor(Role::ResellerAdmin, &l1);
        assert!(authorize(&a, Action::ManageUser, Target::Org(&child)).is_ok());
        assert_eq!(
            authorize(&a, Action::ViewOrg, Target::Org(&sibling)),
            Err(Denied::NotFound)
        );
        assert_eq!(
            authorize(&a, Action::ViewOrg, Target::Org(&parent)),
            Err(Denied::NotFound)
        );
    }

    #[test]
    fn agents_and_managers_cannot_start_conversations_but_may_reply() {
        let t = org(OrgKind::Tenant, "/p/t/");
        for role in [Role::Agent, Role::Manager] {
            assert!(matches!(
                authorize(&actor(role, &t), Action::StartConversation, Target::Org(&t)),
                Err(Denied::Forbidden(_))
            ));
            assert!(
                authorize(
                    &actor(role, &t),
                    Action::Reply,
                    Target::Conversation {
                        org: &t,
                        personal: true
                    }
                )
                .is_ok()
            );
        }
    }

    #[test]
    fn an_agent_does_not_see_a_colleagues_conversation() {
        let t = org(OrgKind::Tenant, "/p/t/");
        assert_eq!(
            authorize(
                &actor(Role::Agent, &t),
                Action::ViewInteraction,
                Target::Conversation {
                    org: &t,
                    personal: false
                }
            ),
            Err(Denied::NotFound)
        );
    }

    #[test]
    fn only_an_l1_reseller_may_create_resellers() {
        let l1 = org(OrgKind::ResellerL1, "/p/r1/");
        let l2 = org(OrgKind::ResellerL2, "/p/r1/r2/");
        assert!(
            authorize(
                &actor(Role::ResellerAdmin, &l1),
                Action::CreateReseller,
                Target::Org(&l1)
            )
            .is_ok()
        );
        assert!(matches!(
            authorize(
                &actor(Role::ResellerAdmin, &l2),
                Action::CreateReseller,
                Target::Org(&l2)
            ),
            Err(Denied::Forbidden(_))
        ));
        assert!(
            authorize(
                &actor(Role::ResellerAdmin, &l2),
                Action::CreateTenant,
                Target::Org(&l2)
            )
            .is_ok()
        );
    }

    #[test]
    fn anyone_may_edit_their_own_profile_but_not_a_colleagues() {
        let t = org(OrgKind::Tenant, "/p/t/");
        let me = actor(Role::Agent, &t);
        let Some(my_id) = me.user_id() else { panic!() };
        assert!(
            authorize(
                &me,
                Action::EditSelf,
                Target::User {
                    org: &t,
                    user_id: my_id
                }
            )
            .is_ok()
        );
        assert!(matches!(
            authorize(
                &me,
                Action::EditSelf,
                Target::User {
                    org: &t,
                    user_id: Uuid::now_v7()
                }
            ),
            Err(Denied::Forbidden(_))
        ));
        let other = org(OrgKind::Tenant, "/p/u/");
        assert_eq!(
            authorize(
                &me,
                Action::EditSelf,
                Target::User {
                    org: &other,
                    user_id: my_id
                }
            ),
            Err(Denied::NotFound)
        );
    }

    #[test]
    fn a_scope_of_ones_own_subtree_is_personal_for_agents_only() {
        let t = org(OrgKind::Tenant, "/p/t/");
        let agent = actor(Role::Agent, &t);
        let s = scope(&agent, Action::ViewInteraction).unwrap();
        assert_eq!(s.personal_user(), agent.user_id());
        let s = scope(&actor(Role::Manager, &t), Action::ViewInteraction).unwrap();
        assert_eq!(s.personal_user(), None);
        assert!(!s.covers_platform());
    }

    #[test]
    fn a_gateway_reaches_the_tenant_of_its_own_channel_only() {
        let t = org(OrgKind::Tenant, "/p/t/");
        let g = Gateway {
            id: Uuid::now_v7(),
            name: "g".into(),
            mqtt_username: "gw-x".into(),
            mqtt_password_hash: String::new(),
            online: false,
            versions: vec![],
            last_seen: None,
            ports: vec![],
            created_at: Utc::now(),
        };
        let mut c = Channel {
            id: Uuid::now_v7(),
            gateway_id: g.id,
            port: "0".into(),
            sim_number: "+33700000001".into(),
            name: None,
            state: crate::model::ChannelState::Active,
            retired_at: None,
            holder_id: t.id,
            destination: crate::model::Destination::Tenant,
            country: None,
            created_at: Utc::now(),
        };
        let gs = gateway(&g);
        assert_eq!(channel_holder(&gs, &c, &t).unwrap().path_prefix(), "/p/t/");
        c.gateway_id = Uuid::now_v7();
        assert!(
            channel_holder(&gs, &c, &t).is_none(),
            "another gateway's channel"
        );
    }

    #[test]
    fn the_floor_actions_table_per_role() {
        use Action::*;
        let t = org(OrgKind::Tenant, "/p/t/");
        let r1 = org(OrgKind::ResellerL1, "/p/");
        // (role, org, [Supervise, ManageNotifications, ViewReports, ManageCanned, ViewAudit])
        let table = [
            (Role::ResellerAdmin, &r1, [true, true, true, true, true]),
            (Role::TenantAdmin, &t, [true, true, true, true, true]),
            (Role::Manager, &t, [true, false, true, true, false]),
            (Role::Agent, &t, [false, false, false, false, false]),
            (Role::User, &t, [false, false, false, false, false]),
        ];
        for (role, o, expected) in table {
            let a = actor(role, o);
            for (action, want) in [
                Supervise,
                ManageNotifications,
                ViewReports,
                ManageCanned,
                ViewAudit,
            ]
            .into_iter()
            .zip(expected)
            {
                assert_eq!(
                    authorize(&a, action, Target::Org(&t)).is_ok(),
                    want,
                    "{role:?} {action:?}"
                );
            }
        }
        let key = Actor::new(Principal::ApiKey(Uuid::now_v7()), t.clone(), Role::User);
        assert!(authorize(&key, ViewReports, Target::Org(&t)).is_err());
        let other = org(OrgKind::Tenant, "/p/u/");
        assert_eq!(
            authorize(&actor(Role::Manager, &t), Supervise, Target::Org(&other)),
            Err(Denied::NotFound)
        );
    }

    #[test]
    fn api_keys_may_send_but_not_manage_users() {
        let t = org(OrgKind::Tenant, "/p/t/");
        let key = Actor::new(Principal::ApiKey(Uuid::now_v7()), t.clone(), Role::User);
        assert!(authorize(&key, Action::StartConversation, Target::Org(&t)).is_ok());
        assert!(matches!(
            authorize(&key, Action::ManageUser, Target::Org(&t)),
            Err(Denied::Forbidden(_))
        ));
    }
}
