/**
 * The report's charts: an SVG bar chart of messages per day (received and sent side by side),
 * and a table whose rows carry a proportional bar. Colours come from CSS classes and sizes from
 * SVG attributes or the CSSOM, so the strict CSP (no inline style) holds.
 */
import { formatNumber } from '@smsgate/shared/i18n/core';
import type { JSX } from 'preact';
import type { Schemas } from '../../api/hub';
import { reportsText as t } from './messages';
import { scaleMax } from './query';

type DayRow = Schemas['DayRow'];

const H = 160;
const PAD = 22;

export function DaysChart({ days }: { days: readonly DayRow[] }): JSX.Element {
  const max = scaleMax(days.flatMap((d) => [d.received, d.sent]));
  const slot = 28;
  const width = Math.max(300, PAD + days.length * slot);
  const bar = 10;
  const y = (v: number) => H - PAD - ((H - 2 * PAD) * v) / max;
  const everyNth = Math.ceil(days.length / 10);
  return (
    <figure class="chart">
      <div class="chart-scroll">
        <svg class="chart-svg" viewBox={`0 0 ${width} ${H}`} width={width} height={H} role="img" aria-label={t.t('days.chart')}>
          <line class="chart-axis" x1={PAD} y1={H - PAD} x2={width} y2={H - PAD} />
          <text class="chart-tick" x={2} y={PAD}>{formatNumber(max)}</text>
          {days.map((d, i) => {
            const x = PAD + i * slot + 4;
            return (
              <g key={d.day} data-day={d.day}>
                <rect class="bar-received" x={x} y={y(d.received)} width={bar} height={H - PAD - y(d.received)}>
                  <title>{`${d.day}: ${t.t('legend.received')} ${d.received}`}</title>
                </rect>
                <rect class="bar-sent" x={x + bar} y={y(d.sent)} width={bar} height={H - PAD - y(d.sent)}>
                  <title>{`${d.day}: ${t.t('legend.sent')} ${d.sent}`}</title>
                </rect>
                {i % everyNth === 0 ? <text class="chart-tick" x={x} y={H - 6}>{d.day.slice(5)}</text> : null}
              </g>
            );
          })}
        </svg>
      </div>
      <figcaption class="chart-legend">
        <span class="legend legend-received">{t.t('legend.received')}</span>
        <span class="legend legend-sent">{t.t('legend.sent')}</span>
      </figcaption>
    </figure>
  );
}

/** A horizontal bar in a table cell, its width proportional to `value / max`. */
export function Bar({ value, max, kind }: { value: number; max: number; kind: 'received' | 'sent' | 'failed' }): JSX.Element {
  return (
    <span class="cell-bar">
      <span
        class={`cell-bar-fill bar-${kind}`}
        aria-hidden="true"
        ref={(el) => {
          if (el) el.style.width = `${Math.round((100 * value) / Math.max(1, max))}%`;
        }}
      />
      <span class="cell-bar-value">{formatNumber(value)}</span>
    </span>
  );
}
