/** Port state badge and signal bars. */
import type { JSX } from 'preact';
import { app, bars, stateWords } from '../../app/messages';

export function StateBadge({ state }: { state: string }): JSX.Element {
  return <span class={`state state-${state}`}>{stateWords(state)}</span>;
}

export function Signal({ dbm }: { dbm: number | null | undefined }): JSX.Element {
  const n = bars(dbm);
  const label = n === 0 ? app.t('signal.none') : app.t('signal.bars', { bars: n });
  return (
    <span title={label}>
      <span class="bars" role="img" aria-label={label}>
        {[1, 2, 3, 4, 5].map((i) => <span key={i} class={i <= n ? 'on' : ''} />)}
      </span>
      {dbm === null || dbm === undefined ? app.t('none') : `${dbm} dBm`}
    </span>
  );
}
