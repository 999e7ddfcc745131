/** The live character and part counter under a message box. */
import type { JSX } from 'preact';
import { common } from '../i18n/common';
import { formatNumber } from '../i18n/core';
import { charCount, countSegments } from '../sms/segments';

/** The hub refuses longer texts (`MAX_TEXT` in cloud/src/hub.rs, the legacy 900-character cap). */
export const HUB_MAX_CHARS = 900;
/** From this many parts on, the counter warns about the cost. */
export const MANY_PARTS = 4;

export interface CounterState {
  chars: number;
  parts: number;
  over: number;
  warnParts: boolean;
}

export function counterState(text: string, max: number = HUB_MAX_CHARS): CounterState {
  const c = countSegments(text);
  const chars = charCount(text);
  return { chars, parts: c.parts, over: Math.max(0, chars - max), warnParts: c.parts >= MANY_PARTS };
}

export function SmsCounter({ text, max = HUB_MAX_CHARS, id }: { text: string; max?: number; id?: string }): JSX.Element {
  const c = countSegments(text);
  const over = Math.max(0, c.chars - max);
  return (
    <div id={id} class={`sms-counter${over ? ' sms-counter-over' : ''}`} aria-live="polite">
      <span class="sms-counter-main">
        {common.t('sms.counter', { count: c.chars, chars: c.chars, parts: c.parts, remaining: c.remaining })}
      </span>
      <span class={`badge ${c.encoding === 'gsm7' ? 'badge-neutral' : 'badge-info'}`}>
        {c.encoding === 'gsm7' ? common.t('sms.encodingGsm7') : common.t('sms.encodingUcs2')}
      </span>
      {c.encoding === 'ucs2' && c.nonGsm.length ? (
        <span class="sms-counter-note">{common.t('sms.ucs2Because', { chars: c.nonGsm.slice(0, 5).join(' ') })}</span>
      ) : null}
      {over ? (
        <span class="sms-counter-error" role="alert">{common.t('sms.overLimit', { max: formatNumber(max), over })}</span>
      ) : c.parts >= MANY_PARTS ? (
        <span class="sms-counter-warn">{common.t('sms.manyParts', { parts: c.parts })}</span>
      ) : null}
    </div>
  );
}
