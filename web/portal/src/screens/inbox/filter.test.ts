import { describe, expect, it } from 'vitest';
import type { Interaction } from '../../api/hub';
import { applyFilter, awaitsAssignee, DEFAULT_FILTER, type ConversationFilter } from './filter';

let n = 0;
function conv(p: Partial<Interaction> = {}): Interaction {
  n += 1;
  return {
    id: `00000000-0000-0000-0000-${String(n).padStart(12, '0')}`,
    org_id: 'tenant-a',
    channel_id: 'ch-1',
    contact_number: `+4477009${String(n).padStart(5, '0')}`,
    status: 'waiting',
    read: false,
    created_at: '2024-03-01T10:00:00Z',
    updated_at: `2024-03-01T10:${String(n % 60).padStart(2, '0')}:00Z`,
    ...p,
  };
}

const f = (p: Partial<ConversationFilter> = {}): ConversationFilter => ({ ...DEFAULT_FILTER, ...p });

describe('conversation filters', () => {
  const list = [
    conv({ status: 'waiting', contact_number: '+33612345678' }),
    conv({ status: 'open', read: true, assignee_id: 'u-1' }),
    conv({ status: 'paused', org_id: 'tenant-b' }),
    conv({ status: 'closed', read: true, channel_id: 'ch-2' }),
  ];
  const names = (i: Interaction) => (i.contact_number === '+33612345678' ? 'Élodie Martin' : undefined);

  it('the inbox shows every live conversation, not the closed ones', () => {
    expect(applyFilter(list, f(), names).map((i) => i.status).sort()).toEqual(['open', 'paused', 'waiting']);
  });
  it('the interactions page shows closed ones too', () => {
    expect(applyFilter(list, f({ status: 'all' }), names)).toHaveLength(4);
    expect(applyFilter(list, f({ status: 'closed' }), names)).toHaveLength(1);
  });
  it('finds the conversations that answered a campaign by its name, ignoring accents and case', () => {
    const withCampaign = [...list, conv({ campaign: { id: 'c-1', name: 'Soldes d’été' } }), conv()];
    const found = applyFilter(withCampaign, f({ search: 'soldes d’ETE' }), names);
    expect(found.map((i) => i.campaign?.name)).toEqual(['Soldes d’été']);
  });
  it('searches numbers ignoring spaces and names ignoring accents and case', () => {
    expect(applyFilter(list, f({ search: '6 12 34' }), names)).toHaveLength(1);
    expect(applyFilter(list, f({ search: 'elodie' }), names)).toHaveLength(1);
    expect(applyFilter(list, f({ search: 'nobody' }), names)).toHaveLength(0);
  });
  it('filters unread, mine, channel and the tenant context', () => {
    expect(applyFilter(list, f({ unreadOnly: true }), names)).toHaveLength(2);
    expect(applyFilter(list, f({ assignee: 'u-1' }), names)).toHaveLength(1);
    expect(applyFilter(list, f({ status: 'all', channel: 'ch-2' }), names)).toHaveLength(1);
    expect(applyFilter(list, f({ tenant: 'tenant-b' }), names).map((i) => i.org_id)).toEqual(['tenant-b']);
  });
  it('filters by last-activity dates, both bounds inclusive', () => {
    const a = conv({ updated_at: '2024-01-10T12:00:00Z' });
    const b = conv({ updated_at: '2024-02-10T12:00:00Z' });
    expect(applyFilter([a, b], f({ from: '2024-02-01' }), names)).toEqual([b]);
    expect(applyFilter([a, b], f({ to: '2024-01-10' }), names)).toEqual([a]);
  });
  it('orders by most recent activity, stably', () => {
    const out = applyFilter(list, f({ status: 'all' }), names);
    for (let i = 1; i < out.length; i++) expect((out[i - 1]?.updated_at ?? '') >= (out[i]?.updated_at ?? '')).toBe(true);
  });
  it('marks a transferred, unread conversation with the red dot', () => {
    expect(awaitsAssignee(conv({ assignee_id: 'u', read: false }))).toBe(true);
    expect(awaitsAssignee(conv({ assignee_id: 'u', read: true }))).toBe(false);
    expect(awaitsAssignee(conv({ read: false }))).toBe(false);
  });
  it('filters 10,000 conversations', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => conv({ status: i % 4 === 0 ? 'closed' : 'waiting', read: i % 3 === 0 }));
    expect(applyFilter(many, f(), () => undefined)).toHaveLength(7_500);
    expect(applyFilter(many, f({ unreadOnly: true, search: '77009' }), () => undefined).length).toBeGreaterThan(4_000);
  });
  it('keeps only the conversations the hub says carry the filtered label, none while unknown', () => {
    const a = conv();
    const b = conv();
    expect(applyFilter([a, b], f({ label: 'vip' }), names, new Set([b.id]))).toEqual([b]);
    expect(applyFilter([a, b], f({ label: 'vip' }), names, undefined)).toEqual([]);
    expect(applyFilter([a, b], f(), names, new Set([b.id]))).toHaveLength(2);
  });
});
