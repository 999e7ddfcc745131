import { setLocale } from '@smsgate/shared/i18n/core';
import { render } from 'preact';
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../api/box';
import { MessageFacts } from './Details';

const base: Message = {
  id: 41,
  to: '+447700900123',
  text: 'hello',
  group: 'demo',
  priority: 1,
  state: 'delivered',
  attempts: 1,
  port: 1,
  created_at: '2026-12-02T10:00:00Z',
  updated_at: '2026-12-02T10:01:00Z',
  parts: [{ seq: 1, port: 1, reference: 12, state: 'delivered', updated_at: '2026-12-02T10:01:00Z' }],
  ambiguous_reports: [],
  evidence: {
    report_id: 7,
    port: 1,
    reference: 12,
    recipient: '+447700900123',
    status: 'delivered',
    received_at: '2026-12-02T10:00:40Z',
    rule: 'only_candidate',
    settled_at: '2026-12-02T10:00:40Z',
  },
};

function shown(m: Message): HTMLElement {
  const root = document.createElement('div');
  document.body.append(root);
  render(<MessageFacts m={m} />, root);
  return root;
}

describe('a spooled message in full', () => {
  afterEach(() => {
    setLocale('en');
    document.body.innerHTML = '';
  });

  it('names the report that settled an unknown outcome and the rule that matched it', () => {
    const ev = shown(base).querySelector('[data-testid="spool-evidence"]');
    expect(ev?.textContent).toContain('Delivery report #7 (delivered) from +447700900123 on port 1, reference 12');
    expect(ev?.textContent).toContain('the only message that could fit');
  });

  it('lists the reports it could not attribute with every candidate, for the operator', () => {
    const root = shown({
      ...base,
      state: 'unknown',
      evidence: null,
      parts: [],
      ambiguous_reports: [{ report_id: 9, port: 1, reference: 3, recipient: '+447700900123', status: 'pending', received_at: '2026-12-02T10:00:40Z', candidates: [41, 42] }],
    });
    expect(root.querySelector('[data-testid="unknown-note"]')?.textContent).toContain('never sent again by itself');
    expect(root.textContent).toContain('No part was recorded as sent.');
    const amb = root.querySelector('[data-testid="spool-ambiguous"]');
    expect(amb?.textContent).toContain('(still trying)');
    expect(amb?.textContent).toContain('fits messages #41, #42');
  });

  it('says it in French', () => {
    setLocale('fr');
    const ev = shown(base).querySelector('[data-testid="spool-evidence"]');
    expect(ev?.querySelector('h3')?.textContent).toBe("Comment l'issue est connue");
    expect(ev?.textContent).toContain('le seul message possible');
  });
});
