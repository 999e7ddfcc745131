import { setLocale } from '@smsgate/shared/i18n/core';
import { render } from 'preact';
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../api/hub';
import { Ticks } from './Ticks';

function message(state: Message['state'], error: string | null = null, direction: Message['direction'] = 'outbound'): Message {
  return {
    id: 'm-1',
    interaction_id: 'i-1',
    direction,
    text: 'Your parcel ships today.',
    state,
    error,
    created_at: '2026-12-03T10:00:00Z',
    updated_at: '2026-12-03T10:00:05Z',
  } as Message;
}

function shown(m: Message): HTMLElement {
  const root = document.createElement('div');
  document.body.append(root);
  render(<Ticks message={m} />, root);
  return root;
}

describe('the delivery mark of a message', () => {
  afterEach(() => {
    setLocale('en');
    document.body.innerHTML = '';
  });

  it('says one tick for sent and two for delivered, in words for a screen reader, with no reason line', () => {
    const sent = shown(message('sent'));
    expect(sent.querySelector('[data-state="sent"]')).not.toBeNull();
    expect(sent.querySelector('[role="img"], svg')?.getAttribute('aria-label')).toBe('Sent to the operator');
    expect(sent.querySelector('.ticks-reason')).toBeNull();
    const delivered = shown(message('delivered'));
    expect(delivered.querySelector('svg')?.getAttribute('aria-label')).toBe('Delivered');
  });

  it('marks a failed message and writes its reason out, in French too', () => {
    const failed = shown(message('failed', 'CMS ERROR 38: network out of order'));
    expect(failed.querySelector('.ticks-reason')?.textContent).toBe('Not sent: CMS ERROR 38: network out of order');
    expect(failed.querySelector('[data-state="failed"]')).not.toBeNull();
    setLocale('fr');
    const fr = shown(message('failed', null));
    expect(fr.querySelector('.ticks-reason')?.textContent).toBe('Non envoyé : raison inconnue');
  });

  it('shows nothing on a message the customer sent', () => {
    const inbound = shown(message('received', null, 'inbound'));
    expect(inbound.textContent).toBe('');
    expect(inbound.querySelector('svg')).toBeNull();
  });
});
