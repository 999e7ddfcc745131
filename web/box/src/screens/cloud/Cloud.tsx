import { common } from '@smsgate/shared/i18n/common';
import { defineMessages } from '@smsgate/shared/i18n/core';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, call, type Dashboard } from '../../api/box';
import { app } from '../../app/messages';
import { cloudStateWords } from '../dashboard/messages';

export const cloudMsg = defineMessages('box.cloud', {
  en: {
    title: 'Cloud',
    state: 'Link state',
    detail: 'Last problem',
    connections: 'Connections since start',
    backlog: 'Events waiting for the hub',
    url: 'Hub address',
    gateway: 'Gateway id',
    how: 'To connect this box to a hub, paste the [cloud] snippet the hub gives for this gateway into gateway.toml and restart the gateway.',
  },
  fr: {
    title: 'Cloud',
    state: 'État de la liaison',
    detail: 'Dernier problème',
    connections: 'Connexions depuis le démarrage',
    backlog: 'Événements en attente du hub',
    url: 'Adresse du hub',
    gateway: 'Identifiant de la passerelle',
    how: 'Pour relier ce boîtier à un hub, collez dans gateway.toml la section [cloud] que le hub donne pour cette passerelle, puis redémarrez la passerelle.',
  },
});

export function Cloud(): JSX.Element {
  const [d, setD] = useState<Dashboard | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    let alive = true;
    const load = () =>
      call(api.GET('/api/v1/box/dashboard'))
        .then((v) => alive && setD(v))
        .catch((e: Error) => alive && setError(e.message));
    void load();
    const t = setInterval(load, 3000);
    return () => {
      alive = false;
      clearInterval(t);
    };
  }, []);
  const none = app.t('none');
  return (
    <div class="page">
      <h1>{cloudMsg.t('title')}</h1>
      {error ? <p role="alert" class="form-error">{error}</p> : null}
      {!d ? (
        <p aria-busy="true">{common.t('state.loading')}</p>
      ) : (
        <section class="panel" aria-labelledby="cloud-state">
          <h2 id="cloud-state">{cloudMsg.t('state')}</h2>
          <dl class="facts">
            <dt>{cloudMsg.t('state')}</dt><dd data-testid="cloud-state">{cloudStateWords(d.cloud.state)}</dd>
            <dt>{cloudMsg.t('detail')}</dt><dd class="wrap-any">{d.cloud.detail ?? none}</dd>
            <dt>{cloudMsg.t('connections')}</dt><dd>{d.cloud.connections}</dd>
            <dt>{cloudMsg.t('backlog')}</dt><dd>{d.cloud.outbox_backlog}</dd>
            <dt>{cloudMsg.t('url')}</dt><dd class="mono wrap-any">{d.cloud.url ?? none}</dd>
            <dt>{cloudMsg.t('gateway')}</dt><dd class="mono wrap-any">{d.cloud.gateway_id ?? none}</dd>
          </dl>
          <p class="muted">{cloudMsg.t('how')}</p>
        </section>
      )}
    </div>
  );
}
