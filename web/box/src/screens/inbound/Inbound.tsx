import { TableScroll } from '@smsgate/shared/components/TableScroll';
import { common } from '@smsgate/shared/i18n/common';
import { defineMessages, formatDateTime } from '@smsgate/shared/i18n/core';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, call, type InboundMessage } from '../../api/box';

export const inboundMsg = defineMessages('box.inbound', {
  en: {
    title: 'Inbound',
    intro: 'The latest SMS received on each port (at most 5 per port).',
    empty: 'No SMS received yet.',
    col: { port: 'Port', from: 'From', text: 'Text', received: 'Received', keyword: 'Keyword' },
  },
  fr: {
    title: 'Reçus',
    intro: 'Les derniers SMS reçus sur chaque port (5 au plus par port).',
    empty: "Aucun SMS reçu pour l'instant.",
    col: { port: 'Port', from: 'Expéditeur', text: 'Texte', received: 'Reçu', keyword: 'Mot-clé' },
  },
});

export function Inbound(): JSX.Element {
  const [rows, setRows] = useState<InboundMessage[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    let alive = true;
    const load = () =>
      call(api.GET('/api/v1/box/inbound/latest'))
        .then((r) => alive && setRows(r.messages))
        .catch((e: Error) => alive && setError(e.message));
    void load();
    const t = setInterval(load, 5000);
    return () => {
      alive = false;
      clearInterval(t);
    };
  }, []);
  return (
    <div class="page">
      <h1>{inboundMsg.t('title')}</h1>
      <p class="muted">{inboundMsg.t('intro')}</p>
      {error ? <p role="alert" class="form-error">{error}</p> : null}
      {rows === undefined ? (
        <p aria-busy="true">{common.t('state.loading')}</p>
      ) : rows.length === 0 ? (
        <p>{inboundMsg.t('empty')}</p>
      ) : (
        <TableScroll label={inboundMsg.t('title')}>
          <table class="grid" aria-label={inboundMsg.t('title')}>
            <thead>
              <tr>
                <th scope="col">{inboundMsg.t('col.port')}</th>
                <th scope="col">{inboundMsg.t('col.from')}</th>
                <th scope="col">{inboundMsg.t('col.text')}</th>
                <th scope="col">{inboundMsg.t('col.received')}</th>
                <th scope="col">{inboundMsg.t('col.keyword')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((m) => (
                <tr key={m.id}>
                  <td>{m.port}</td>
                  <td class="mono">{m.from}</td>
                  <td class="wrap-any">{m.text}</td>
                  <td>{formatDateTime(m.received_at)}</td>
                  <td>{m.keyword ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </div>
  );
}
