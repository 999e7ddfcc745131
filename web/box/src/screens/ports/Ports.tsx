import { TableScroll } from '@smsgate/shared/components/TableScroll';
import { common } from '@smsgate/shared/i18n/common';
import type { JSX } from 'preact';
import { Link } from 'wouter-preact';
import { ports } from '../../app/live';
import { app } from '../../app/messages';
import { Signal, StateBadge } from './Bits';
import { portsMsg } from './messages';

export function Ports(): JSX.Element {
  const list = ports.value;
  return (
    <div class="page">
      <div class="page-header">
        <h1>{portsMsg.t('title')}</h1>
        <span class="muted">{portsMsg.t('live')}</span>
      </div>
      {list === undefined ? (
        <p aria-busy="true">{common.t('state.loading')}</p>
      ) : list.length === 0 ? (
        <p>{portsMsg.t('empty')}</p>
      ) : (
        <TableScroll label={portsMsg.t('title')}>
          <table class="grid" aria-label={portsMsg.t('title')}>
            <thead>
              <tr>
                <th scope="col">{portsMsg.t('col.port')}</th>
                <th scope="col">{portsMsg.t('col.state')}</th>
                <th scope="col">{portsMsg.t('col.signal')}</th>
                <th scope="col">{portsMsg.t('col.operator')}</th>
                <th scope="col">{portsMsg.t('col.sim')}</th>
                <th scope="col">{portsMsg.t('col.modem')}</th>
                <th scope="col">{portsMsg.t('col.counters')}</th>
                <th scope="col">{portsMsg.t('col.reason')}</th>
              </tr>
            </thead>
            <tbody>
              {list.map((p) => (
                <tr key={p.port} data-port={p.port}>
                  <td><Link href={`/ports/${p.port}`}>{portsMsg.t('open', { port: p.port })}</Link></td>
                  <td data-testid="port-state"><StateBadge state={p.state} /></td>
                  <td><Signal dbm={p.signal_dbm} /></td>
                  <td>{p.operator ?? app.t('none')}{p.registration === 'roaming' ? ` (${app.t('state.roaming')})` : ''}</td>
                  <td class="mono wrap-any">{p.sim.iccid ?? p.sim.imsi ?? app.t('none')}</td>
                  <td>{[p.sim.manufacturer, p.sim.model].filter(Boolean).join(' ') || app.t('none')}</td>
                  <td>{`${p.counters.sent} / ${p.counters.failed} / ${p.counters.received}`}</td>
                  <td class="wrap-any">{p.reason ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </div>
  );
}
