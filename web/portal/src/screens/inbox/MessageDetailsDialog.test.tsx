import { setLocale } from '@smsgate/shared/i18n/core';
import { render } from 'preact';
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../api/hub';
import { MessageDetailsDialog } from './MessageDetailsDialog';

const cutByPower: Message = {
  id: '0190a000-0000-7000-8000-000000000001',
  org_id: '0190a000-0000-7000-8000-000000000002',
  interaction_id: '0190a000-0000-7000-8000-000000000003',
  channel_id: '0190a000-0000-7000-8000-000000000004',
  direction: 'outbound',
  from: '+33700000001',
  to: '+33612345678',
  text: 'Your order is ready',
  state: 'unknown',
  error: 'outcome unknown (may have been sent): no answer to AT+CMGS within 60 s after the PDU was written',
  evidence: 'port 0, attempt 1; no part recorded as sent',
  created_at: '2026-12-02T10:00:00Z',
  updated_at: '2026-12-02T10:01:00Z',
};

function shown(m: Message): HTMLElement {
  const root = document.createElement('div');
  document.body.append(root);
  render(<MessageDetailsDialog message={m} onClose={() => {}} />, root);
  return root;
}

describe('the details of a message whose outcome is unknown', () => {
  afterEach(() => {
    setLocale('en');
    document.body.innerHTML = '';
  });

  it('explains to an agent that it may have arrived, what cut it, and what the gateway recorded', () => {
    const root = shown(cutByPower);
    const ev = root.querySelector('[data-testid="unknown-evidence"]');
    expect(ev?.textContent).toContain('It may have reached the customer');
    expect(ev?.textContent).toContain('never sent again automatically');
    expect(ev?.textContent).toContain('What interrupted it: no answer to AT+CMGS within 60 s after the PDU was written');
    const facts = [...(ev?.querySelectorAll('.evidence-facts li') ?? [])].map((li) => li.textContent);
    expect(facts).toEqual(['Attempt 1 on port 0.', 'The network never confirmed any part (no reference was received).']);
    expect(ev?.querySelector('code')?.textContent).toBe('port 0, attempt 1; no part recorded as sent');
  });

  it('says the same in French', () => {
    setLocale('fr');
    const ev = shown(cutByPower).querySelector('[data-testid="unknown-evidence"]');
    expect(ev?.querySelector('h3')?.textContent).toBe('Issue inconnue');
    expect(ev?.textContent).toContain("Le réseau n'a confirmé aucune partie");
  });

  it('shows no evidence block for a delivered message', () => {
    const root = shown({ ...cutByPower, state: 'delivered', error: null, evidence: null });
    expect(root.querySelector('[data-testid="unknown-evidence"]')).toBeNull();
    expect(root.querySelector('[data-testid="message-details"]')?.textContent).toContain('Delivered');
  });

  it('keeps the evidence in view once a delivery report settled the outcome', () => {
    const evidence = 'port 0, attempt 1; part 1 delivered on port 0; report 9 delivered on port 0 (TP-MR 3) settled it';
    const root = shown({ ...cutByPower, state: 'delivered', error: null, evidence });
    expect(root.querySelector('[data-testid="unknown-evidence"]')).toBeNull();
    const ev = root.querySelector('[data-testid="settled-evidence"]');
    expect(ev?.querySelector('h3')?.textContent).toBe('How the outcome is known');
    const facts = [...(ev?.querySelectorAll('.evidence-facts li') ?? [])].map((li) => li.getAttribute('data-fact'));
    expect(facts).toContain('settled');
    expect(ev?.textContent).toContain('A delivery report (delivered) on port 0 with reference 3 settled it.');
    expect(ev?.querySelector('code')?.textContent).toBe(evidence);
  });
});
