/**
 * What each role may do, as the hub's authorization chokepoint decides (`cloud/src/authz.rs`,
 * `role_allows`). The portal uses it only to show or hide: the hub still refuses. A unit test
 * table pins it per role.
 */
import type { OrgKind, Role } from '../api/hub';

export type Capability =
  | 'viewInbox'
  | 'startConversation'
  | 'reply'
  | 'transfer'
  | 'changeInteraction'
  | 'viewUsers'
  | 'manageUsers'
  | 'viewQueues'
  | 'manageQueues'
  | 'viewContacts'
  | 'manageContacts'
  | 'viewOptOuts'
  | 'manageOptOuts'
  | 'manageApiKeys'
  // issue 15: webhook endpoints (Action::ManageWebhooks)
  | 'manageWebhooks'
  | 'viewChannels'
  | 'configureChannels'
  | 'distributeChannels'
  | 'manageTenants'
  | 'manageResellers'
  | 'manageGateways'
  | 'supervise'
  | 'viewCampaigns'
  | 'manageCampaigns'
  // issue 13: notifications, reports, canned replies, audit log
  | 'manageNotifications'
  | 'viewReports'
  | 'manageCanned'
  | 'viewAudit';

const ALL: readonly Capability[] = [
  'viewInbox',
  'startConversation',
  'reply',
  'transfer',
  'changeInteraction',
  'viewUsers',
  'manageUsers',
  'viewQueues',
  'manageQueues',
  'viewContacts',
  'manageContacts',
  'viewOptOuts',
  'manageOptOuts',
  'manageApiKeys',
  'manageWebhooks',
  'viewChannels',
  'configureChannels',
  'distributeChannels',
  'manageTenants',
  'manageResellers',
  'manageGateways',
  'supervise',
  'viewCampaigns',
  'manageCampaigns',
  'manageNotifications',
  'viewReports',
  'manageCanned',
  'viewAudit',
];

const without = (...no: Capability[]) => ALL.filter((c) => !no.includes(c));

const BY_ROLE: Record<Role, readonly Capability[]> = {
  platform_admin: ALL,
  reseller_admin: without('manageGateways'),
  tenant_admin: without('manageTenants', 'manageResellers', 'manageGateways', 'distributeChannels'),
  manager: [
    'viewInbox',
    'reply',
    'transfer',
    'changeInteraction',
    'viewUsers',
    'viewQueues',
    'viewContacts',
    'manageContacts',
    'viewOptOuts',
    'manageOptOuts',
    'viewChannels',
    'supervise',
    'viewCampaigns',
    'viewReports',
    'manageCanned',
  ],
  agent: ['viewInbox', 'reply', 'transfer', 'changeInteraction', 'viewContacts', 'viewChannels'],
  user: ['viewInbox', 'startConversation', 'reply', 'changeInteraction', 'viewContacts', 'manageContacts', 'viewOptOuts', 'manageOptOuts', 'viewChannels'],
};

export function capabilities(role: Role, orgKind: OrgKind): ReadonlySet<Capability> {
  const caps = new Set(BY_ROLE[role]);
  // Only an L1 reseller (or the platform) creates resellers.
  if (role === 'reseller_admin' && orgKind !== 'reseller_l1') caps.delete('manageResellers');
  return caps;
}

/** Roles that see several tenants (a tenant drop-down with the whole subtree). */
export function seesManyTenants(role: Role): boolean {
  return role === 'platform_admin' || role === 'reseller_admin';
}
