//! Live administration lists: once a change to one of an organisation's lists has committed,
//! the hub announces [`EventKind::ListChanged`] naming the list ([`ListKind`]), and portal
//! screens showing that list reload it.
//!
//! An announcement is filtered at its source like every event ([`super::events`]): a stream
//! hears it only when the organisation whose list changed is in its scope, it is not a personal
//! stream (agents and plain users manage no list), and its role may view that list
//! ([`ListKind::view_action`]). So a tenant never hears of another tenant's changes, a manager
//! never of API keys, and only the platform of gateways.
//!
//! Whose list is it: the holder's for channels, the platform's for gateways, the parent's for
//! organisations (a reseller or tenant created, edited or deleted changes the list of its
//! parent, which its parent's streams and its ancestors' hear; its own people do not).

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::Hub;
use super::events::{EventKind, HubEvent};
use crate::authz::{self, Action, Actor};

/// Which administration list changed ([`EventKind::ListChanged`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListKind {
    OptOuts,
    Contacts,
    ContactLists,
    Users,
    Queues,
    Channels,
    /// Resellers and tenants (the list of an organisation's children).
    Organisations,
    Gateways,
    ApiKeys,
}

impl ListKind {
    pub const ALL: [ListKind; 9] = [
        ListKind::OptOuts,
        ListKind::Contacts,
        ListKind::ContactLists,
        ListKind::Users,
        ListKind::Queues,
        ListKind::Channels,
        ListKind::Organisations,
        ListKind::Gateways,
        ListKind::ApiKeys,
    ];

    /// What a caller must be allowed to do to see this list (and hear that it changed).
    pub fn view_action(self) -> Action {
        match self {
            ListKind::OptOuts => Action::ViewOptOut,
            ListKind::Contacts | ListKind::ContactLists => Action::ViewContact,
            ListKind::Users => Action::ViewUser,
            ListKind::Queues => Action::ViewQueue,
            ListKind::Channels => Action::ViewChannel,
            ListKind::Organisations => Action::ViewOrg,
            ListKind::Gateways => Action::ViewGateway,
            ListKind::ApiKeys => Action::ManageApiKeys,
        }
    }

    /// The lists `actor` may view.
    pub(crate) fn viewable_by(actor: &Actor) -> Vec<ListKind> {
        ListKind::ALL
            .into_iter()
            .filter(|k| authz::scope(actor, k.view_action()).is_ok())
            .collect()
    }
}

impl Hub {
    /// [`EventKind::ListChanged`] for the organisation at `org_path`.
    pub(crate) fn list_event(org_path: &str, list: ListKind) -> HubEvent {
        HubEvent {
            org_path: org_path.to_owned(),
            queue_id: None,
            assignee_id: None,
            kind: EventKind::ListChanged { list },
        }
    }

    /// Announces (after the change committed) that the organisation at `org_path` has these
    /// lists changed.
    pub(crate) fn lists_changed_at(&self, org_path: &str, lists: &[ListKind]) {
        self.publish(
            lists
                .iter()
                .map(|l| Hub::list_event(org_path, *l))
                .collect(),
        );
    }

    /// Announces (after the change committed) that organisation `org_id`'s `list` changed.
    pub(crate) fn list_changed(&self, org_id: Uuid, list: ListKind) {
        let org = self
            .read()
            .and_then(|mut tx| Ok(tx.org(&authz::authenticating(), org_id)?));
        match org {
            Ok(Some(org)) => self.lists_changed_at(&org.path, &[list]),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "list change not announced"),
        }
    }

    /// Announces that the platform's gateway list changed.
    pub(crate) fn gateways_changed(&self) {
        let platform = self.read().and_then(|mut tx| Ok(tx.platform()?));
        match platform {
            Ok(Some(p)) => self.lists_changed_at(&p.path, &[ListKind::Gateways]),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "gateway list change not announced"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::hub::NewUser;
    use crate::hub::events::{EventStream, StreamItem};
    use crate::hub::testkit::*;
    use crate::model::*;

    /// The next list change on the stream, skipping other events (none within a second: `None`).
    async fn next_list_change(stream: &mut EventStream) -> Option<ListKind> {
        loop {
            let item = tokio::time::timeout(Duration::from_secs(1), stream.next())
                .await
                .ok()??;
            if let StreamItem::Event(EventKind::ListChanged { list }) = item {
                return Some(list);
            }
        }
    }

    /// Whether the stream has been told `list` changed, among what it has received so far (the
    /// hub publishes before its call returns, so it is all there).
    fn heard(stream: &mut EventStream, list: ListKind) -> bool {
        let mut got = false;
        while let Some(item) = stream.try_next() {
            got |=
                matches!(item, StreamItem::Event(EventKind::ListChanged { list: l }) if l == list);
        }
        got
    }

    fn user_in(w: &World, org: &Org, login: &str, role: Role) -> Uuid {
        w.hub
            .create_user(
                &w.root,
                NewUser {
                    org_id: Some(org.id),
                    login: login.into(),
                    name: login.into(),
                    role,
                    password: PW.into(),
                },
            )
            .unwrap()
            .id
    }

    /// A second tenant with its own admin, whose stream must hear nothing of the first.
    fn other_tenant(w: &World) -> (Org, EventStream) {
        let other = w
            .hub
            .create_org(&w.root, None, OrgKind::Tenant, "other")
            .unwrap();
        user_in(w, &other, "other-admin", Role::TenantAdmin);
        let stream = w.hub.events(&w.actor("other-admin")).unwrap();
        (other, stream)
    }

    #[tokio::test]
    async fn a_stop_a_manual_opt_out_and_a_contact_import_tell_the_admins_streams_their_list_changed()
     {
        let w = world();
        let mut admin = w.hub.events(&w.admin).unwrap();
        w.inbound("+33611111111", "STOP");
        assert_eq!(next_list_change(&mut admin).await, Some(ListKind::OptOuts));
        w.hub
            .add_opt_out(&w.admin, None, "+33622222222", None)
            .unwrap();
        assert_eq!(next_list_change(&mut admin).await, Some(ListKind::OptOuts));
        w.hub
            .import_contacts(&w.admin, None, b"SMS_NUMBER, FULLNAME\n+33633333333, Ada\n")
            .unwrap();
        assert_eq!(next_list_change(&mut admin).await, Some(ListKind::Contacts));
        // An agent's personal stream manages no list and is not told.
        let mut agent = w.hub.events(&w.actor("agent")).unwrap();
        w.inbound("+33644444444", "STOP");
        assert_eq!(next_list_change(&mut agent).await, None);
    }

    #[test]
    fn creating_editing_disconnecting_and_archiving_a_user_tells_its_tenant_and_not_another() {
        let w = world();
        let (_, mut other) = other_tenant(&w);
        let mut admin = w.hub.events(&w.admin).unwrap();
        let id = user_in(&w, &w.tenant, "new-agent", Role::Agent);
        assert!(heard(&mut admin, ListKind::Users), "created");
        w.hub
            .update_user(
                &w.admin,
                id,
                crate::hub::UserUpdate {
                    name: Some("Renamed".into()),
                    ..Default::default()
                },
            )
            .unwrap();
        assert!(heard(&mut admin, ListKind::Users), "edited");
        w.hub.disconnect_user(&w.admin, id).unwrap();
        assert!(heard(&mut admin, ListKind::Users), "disconnected");
        w.hub
            .set_user_state(&w.admin, id, UserState::Archived)
            .unwrap();
        assert!(heard(&mut admin, ListKind::Users), "archived");
        assert!(!heard(&mut other, ListKind::Users));
    }

    #[test]
    fn creating_renaming_staffing_and_deleting_a_queue_tells_its_tenant_and_not_another() {
        let w = world();
        let (_, mut other) = other_tenant(&w);
        let mut admin = w.hub.events(&w.admin).unwrap();
        let q = w
            .hub
            .create_queue(&w.admin, None, "Sales", "", vec![])
            .unwrap();
        assert!(heard(&mut admin, ListKind::Queues), "created");
        w.hub
            .update_queue(&w.admin, q.id, Some("Sales EU"), None)
            .unwrap();
        assert!(heard(&mut admin, ListKind::Queues), "renamed");
        w.hub.set_queue_members(&w.admin, q.id, vec![]).unwrap();
        assert!(heard(&mut admin, ListKind::Queues), "members replaced");
        // Deleting the queue the channel points at also changes the channel list.
        w.hub.delete_queue(&w.admin, w.queue, true).unwrap();
        let mut lists = Vec::new();
        while let Some(StreamItem::Event(e)) = admin.try_next() {
            if let EventKind::ListChanged { list } = e {
                lists.push(list);
            }
        }
        assert!(lists.contains(&ListKind::Queues), "deleted: {lists:?}");
        assert!(lists.contains(&ListKind::Channels), "deleted: {lists:?}");
        assert!(!heard(&mut other, ListKind::Queues));
    }

    #[test]
    fn declaring_handing_down_pointing_and_retiring_a_channel_tells_its_holder_and_not_another() {
        let w = world();
        let (_, mut other) = other_tenant(&w);
        let mut root = w.hub.events(&w.root).unwrap();
        let mut admin = w.hub.events(&w.admin).unwrap();
        let g = w.hub.gateways(&w.root).unwrap().remove(0);
        let c = w
            .hub
            .create_channel(&w.root, g.id, "1", "+33700000002")
            .unwrap();
        assert!(heard(&mut root, ListKind::Channels), "declared");
        assert!(
            !heard(&mut admin, ListKind::Channels),
            "the platform's own channel"
        );
        w.hub
            .distribute_channel(&w.root, c.id, w.tenant.id, false)
            .unwrap();
        assert!(heard(&mut admin, ListKind::Channels), "handed down");
        assert!(heard(&mut root, ListKind::Channels), "handed down");
        w.hub
            .set_destination(&w.admin, c.id, Destination::Queue(w.queue))
            .unwrap();
        assert!(heard(&mut admin, ListKind::Channels), "destination");
        w.hub.set_channel_country(&w.admin, c.id, "FR").unwrap();
        assert!(heard(&mut admin, ListKind::Channels), "country");
        w.hub.retire_channel(&w.root, c.id, true).unwrap();
        assert!(heard(&mut root, ListKind::Channels), "retired");
        assert!(!heard(&mut other, ListKind::Channels));
    }

    #[test]
    fn creating_and_revoking_an_api_key_tells_its_tenants_admins_but_not_its_managers_nor_another_tenant()
     {
        let w = world();
        let (_, mut other) = other_tenant(&w);
        user_in(&w, &w.tenant, "manager", Role::Manager);
        let mut manager = w.hub.events(&w.actor("manager")).unwrap();
        let mut admin = w.hub.events(&w.admin).unwrap();
        let (key, _) = w.hub.create_api_key(&w.admin, None, "crm").unwrap();
        assert!(heard(&mut admin, ListKind::ApiKeys), "created");
        w.hub.revoke_api_key(&w.admin, key.id).unwrap();
        assert!(heard(&mut admin, ListKind::ApiKeys), "revoked");
        assert!(
            !heard(&mut manager, ListKind::ApiKeys),
            "managers see no keys"
        );
        assert!(!heard(&mut other, ListKind::ApiKeys));
        // A manager does hear of the users list, which it may see.
        user_in(&w, &w.tenant, "agent-2", Role::Agent);
        assert!(heard(&mut manager, ListKind::Users));
    }

    #[test]
    fn registering_renaming_and_a_gateway_going_online_or_reporting_ports_tell_the_platform_only() {
        let w = world();
        let mut root = w.hub.events(&w.root).unwrap();
        let mut admin = w.hub.events(&w.admin).unwrap();
        let g = w.hub.create_gateway(&w.root, "second").unwrap();
        assert!(heard(&mut root, ListKind::Gateways), "registered");
        w.hub
            .rename_gateway(&w.root, g.gateway.id, "second box")
            .unwrap();
        assert!(heard(&mut root, ListKind::Gateways), "renamed");
        let ingest = w.hub.gateway_ingest();
        ingest
            .gateway_state(&w.gw, &smsgate_wire::State::online(None))
            .unwrap();
        assert!(heard(&mut root, ListKind::Gateways), "online");
        ingest
            .gateway_state(&w.gw, &smsgate_wire::State::online(None))
            .unwrap();
        assert!(!heard(&mut root, ListKind::Gateways), "no change, no news");
        let ports = |signal| {
            smsgate_wire::Up::Ports(smsgate_wire::Ports {
                id: Uuid::now_v7(),
                v: 1,
                ports: vec![smsgate_wire::PortInfo {
                    port: "0".into(),
                    sim_number: Some("+33700000001".into()),
                    imsi: None,
                    operator: None,
                    signal,
                    registered: true,
                }],
            })
        };
        ingest.ingest(&w.gw, ports(Some(20))).unwrap();
        assert!(heard(&mut root, ListKind::Gateways), "ports reported");
        ingest.ingest(&w.gw, ports(Some(20))).unwrap();
        assert!(!heard(&mut root, ListKind::Gateways), "same ports again");
        ingest
            .gateway_state(&w.gw, &smsgate_wire::State::offline())
            .unwrap();
        assert!(heard(&mut root, ListKind::Gateways), "offline");
        w.hub.delete_gateway(&w.root, g.gateway.id).unwrap();
        assert!(heard(&mut root, ListKind::Gateways), "deleted");
        assert!(
            !heard(&mut admin, ListKind::Gateways),
            "tenants see no gateways"
        );
    }

    #[test]
    fn a_tenant_created_edited_or_deleted_under_a_reseller_tells_that_reseller_not_its_sibling() {
        let w = world();
        let r1 = w
            .hub
            .create_org(&w.root, None, OrgKind::ResellerL1, "r1")
            .unwrap();
        let r2 = w
            .hub
            .create_org(&w.root, None, OrgKind::ResellerL1, "r2")
            .unwrap();
        user_in(&w, &r1, "r1-admin", Role::ResellerAdmin);
        user_in(&w, &r2, "r2-admin", Role::ResellerAdmin);
        let r1_admin = w.actor("r1-admin");
        let mut reseller = w.hub.events(&r1_admin).unwrap();
        let mut sibling = w.hub.events(&w.actor("r2-admin")).unwrap();
        let mut root = w.hub.events(&w.root).unwrap();
        let mut tenant = w.hub.events(&w.admin).unwrap();
        let t = w
            .hub
            .create_org(&r1_admin, None, OrgKind::Tenant, "shop")
            .unwrap();
        assert!(heard(&mut reseller, ListKind::Organisations), "created");
        assert!(heard(&mut root, ListKind::Organisations), "created");
        w.hub
            .update_org(
                &r1_admin,
                t.id,
                crate::hub::organisations::OrgUpdate {
                    name: Some("shop 2".into()),
                    ..Default::default()
                },
            )
            .unwrap();
        assert!(heard(&mut reseller, ListKind::Organisations), "renamed");
        w.hub.delete_org(&r1_admin, t.id, false).unwrap();
        assert!(heard(&mut reseller, ListKind::Organisations), "deleted");
        assert!(!heard(&mut sibling, ListKind::Organisations));
        assert!(!heard(&mut tenant, ListKind::Organisations));
    }
}
