import type { Signal } from '@preact/signals';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { common } from '../i18n/common';
import type { LiveState } from '../sse/client';

/** The state of the live event stream, with the reconnection countdown. */
export function LiveIndicator({ state }: { state: Signal<LiveState> }): JSX.Element {
  const s = state.value;
  const [, tick] = useState(0);
  useEffect(() => {
    if (s.kind !== 'reconnecting') return;
    const t = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, [s.kind]);
  let text: string;
  switch (s.kind) {
    case 'open':
      text = common.t('live.open');
      break;
    case 'reconnecting':
      text = common.t('live.reconnecting', { seconds: Math.max(0, Math.ceil((s.retryAt - Date.now()) / 1000)) });
      break;
    case 'offline':
      text = common.t('live.offline');
      break;
    default:
      text = common.t('live.connecting');
  }
  return (
    <span class={`live live-${s.kind}`} role="status" data-live={s.kind}>
      <span class="live-dot" aria-hidden="true" />
      <span class={s.kind === 'open' ? 'visually-hidden' : ''}>{text}</span>
    </span>
  );
}
