/** Passing notices ("Saved", errors), announced politely by screen readers. */
import { signal } from '@preact/signals';
import type { JSX } from 'preact';
import { common } from '../i18n/common';
import { IconButton } from './Button';

export interface Toast {
  id: number;
  kind: 'info' | 'success' | 'error';
  text: string;
}

export const toasts = signal<Toast[]>([]);
let next = 1;

export function toast(text: string, kind: Toast['kind'] = 'info', ms = kind === 'error' ? 8000 : 4000): void {
  const id = next++;
  toasts.value = [...toasts.value, { id, kind, text }];
  setTimeout(() => dismiss(id), ms);
}

export function dismiss(id: number): void {
  toasts.value = toasts.value.filter((t) => t.id !== id);
}

export function Toasts(): JSX.Element {
  return (
    <div class="toasts" role="status" aria-live="polite">
      {toasts.value.map((t) => (
        <div key={t.id} class={`toast toast-${t.kind}`}>
          <span>{t.text}</span>
          <IconButton icon="close" label={common.t('actions.close')} onClick={() => dismiss(t.id)} />
        </div>
      ))}
    </div>
  );
}
