import { render } from 'preact';
import { afterEach, describe, expect, it } from 'vitest';
import type { GroupView } from '../../api/box';
import { GroupForm } from './Groups';

const demo: GroupView = {
  name: 'demo',
  ports: '0-3',
  strategy: 'round-robin',
  interval_ms: 2500,
  jitter_ms: 0,
  max_per_hour: null,
  max_per_day: null,
  max_per_month: null,
  sending_hours: null,
  timezone: 'UTC',
  overridden: ['interval_ms'],
  pending_restart: [],
};

const settle = () => new Promise((r) => setTimeout(r, 200));

function typeInto(root: HTMLElement, label: string, value: string): HTMLInputElement {
  const field = [...root.querySelectorAll('label')].find((l) => l.textContent?.startsWith(label));
  const input = root.querySelector<HTMLInputElement>(`#${field?.htmlFor ?? 'missing'}`);
  if (!input) throw new Error(`no field ${label}`);
  input.value = value;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  return input;
}

describe('a group form', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('keeps what was typed before its first effects ran', async () => {
    const root = document.createElement('div');
    document.body.append(root);
    render(<GroupForm group={demo} onSaved={() => undefined} />, root);
    const input = typeInto(root, 'Interval between sends', '100');
    await settle();
    expect(input.value).toBe('100');
  });

  it('shows the server’s values again when a saved group comes back', async () => {
    const root = document.createElement('div');
    document.body.append(root);
    render(<GroupForm group={demo} onSaved={() => undefined} />, root);
    const input = typeInto(root, 'Interval between sends', '100');
    await settle();
    render(<GroupForm group={{ ...demo, interval_ms: 100 }} onSaved={() => undefined} />, root);
    await settle();
    expect(input.value).toBe('100');
    render(<GroupForm group={{ ...demo, interval_ms: 750 }} onSaved={() => undefined} />, root);
    await settle();
    expect(input.value).toBe('750');
  });
});
