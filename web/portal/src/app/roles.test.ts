import { describe, expect, it } from 'vitest';
import type { Role } from '../api/hub';
import { capabilities, type Capability } from './roles';

const table: Array<[Role, Capability, boolean]> = [
  ['agent', 'startConversation', false],
  ['agent', 'reply', true],
  ['agent', 'transfer', true],
  ['agent', 'viewUsers', false],
  ['agent', 'viewQueues', false],
  ['manager', 'startConversation', false],
  ['manager', 'transfer', true],
  ['manager', 'viewUsers', true],
  ['manager', 'manageUsers', false],
  ['user', 'startConversation', true],
  ['user', 'transfer', false],
  ['tenant_admin', 'startConversation', true],
  ['tenant_admin', 'manageUsers', true],
  ['tenant_admin', 'distributeChannels', false],
  ['tenant_admin', 'manageGateways', false],
  ['reseller_admin', 'distributeChannels', true],
  ['reseller_admin', 'manageTenants', true],
  ['reseller_admin', 'manageGateways', false],
  ['platform_admin', 'manageGateways', true],
  ['agent', 'supervise', false],
  ['user', 'supervise', false],
  ['manager', 'supervise', true],
  ['tenant_admin', 'supervise', true],
  ['tenant_admin', 'manageCampaigns', true],
  ['manager', 'viewCampaigns', true],
  ['manager', 'manageCampaigns', false],
  ['agent', 'viewCampaigns', false],
  ['user', 'viewCampaigns', false],
  // issue 13 (authz.rs `the_floor_actions_table_per_role`)
  ['tenant_admin', 'manageNotifications', true],
  ['tenant_admin', 'viewReports', true],
  ['tenant_admin', 'manageCanned', true],
  ['tenant_admin', 'viewAudit', true],
  ['manager', 'manageNotifications', false],
  ['manager', 'viewReports', true],
  ['manager', 'manageCanned', true],
  ['manager', 'viewAudit', false],
  ['agent', 'viewReports', false],
  ['agent', 'manageCanned', false],
  ['user', 'viewAudit', false],
  ['reseller_admin', 'viewAudit', true],
  // issue 15 (cloud/tests/webhooks.rs `only_admins_of_the_tenant_or_above_manage_its_endpoints`)
  ['tenant_admin', 'manageWebhooks', true],
  ['reseller_admin', 'manageWebhooks', true],
  ['platform_admin', 'manageWebhooks', true],
  ['manager', 'manageWebhooks', false],
  ['agent', 'manageWebhooks', false],
  ['user', 'manageWebhooks', false],
];

describe('capabilities mirror the hub authorization', () => {
  it.each(table)('%s may %s: %s', (role, cap, allowed) => {
    const kind = role === 'platform_admin' ? 'platform' : role === 'reseller_admin' ? 'reseller_l1' : 'tenant';
    expect(capabilities(role, kind).has(cap)).toBe(allowed);
  });
  it('lets only an L1 reseller create resellers', () => {
    expect(capabilities('reseller_admin', 'reseller_l1').has('manageResellers')).toBe(true);
    expect(capabilities('reseller_admin', 'reseller_l2').has('manageResellers')).toBe(false);
  });
});
