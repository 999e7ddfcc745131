/**
 * Campaigns: the list with a "new campaign" form, and one campaign's page (Campaign.tsx):
 * recipients upload with progress and per-line errors, preview, live dashboard, actions.
 */
import { Button } from '@smsgate/shared/components/Button';
import { TextField } from '@smsgate/shared/components/Field';
import { toast } from '@smsgate/shared/components/Toasts';
import { common } from '@smsgate/shared/i18n/common';
import { formatDateTime } from '@smsgate/shared/i18n/core';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Link, useLocation } from 'wouter-preact';
import { api, ApiError, call, type Channel, type Schemas } from '../../api/hub';
import type { ScreenProps } from '../../app/modules';
import { CampaignPage } from './Campaign';
import { DialStringField, ScheduleFields, scheduleBody, TemplateField, type ScheduleForm } from './fields';
import { campaignsText as t } from './messages';

export type CampaignView = Schemas['CampaignView'];

export function errorText(e: unknown): string {
  return e instanceof ApiError ? e.message : common.t('errors.network');
}

export function NewCampaign({ onCreated }: { onCreated: (id: string) => void }): JSX.Element {
  const [channels, setChannels] = useState<Channel[]>([]);
  const [name, setName] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);
  const [dialString, setDialString] = useState('');
  const [template, setTemplate] = useState('');
  const [interval, setInterval] = useState('0');
  const [schedule, setSchedule] = useState<ScheduleForm>(() => ({
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
    from: '09:00',
    to: '18:00',
    days: ['mon', 'tue', 'wed', 'thu', 'fri'],
    startDate: '',
    endDate: '',
  }));
  const [error, setError] = useState<{ field?: string; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    void call(api.GET('/api/v1/channels', {}))
      .then((p) => {
        setChannels(p.items);
        if (p.items[0]) setChosen([p.items[0].id]);
      })
      .catch((e) => toast(errorText(e), 'error'));
  }, []);
  const fieldError = (f: string) => (error?.field?.startsWith(f) ? error.message : undefined);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const v = await call(
        api.POST('/api/v1/campaigns', {
          body: {
            name,
            channels: chosen,
            dial_string: dialString.trim() || null,
            template,
            interval_ms: Number(interval) || 0,
            schedule: scheduleBody(schedule),
          },
        }),
      );
      toast(t.t('form.created'), 'success');
      onCreated(v.campaign.id);
    } catch (err) {
      setError(err instanceof ApiError ? { field: err.field ?? undefined, message: err.message } : { message: errorText(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card campaign-form" onSubmit={submit} aria-labelledby="new-campaign-title">
      <h2 id="new-campaign-title">{t.t('form.title')}</h2>
      {error && !error.field ? <p class="notice notice-error" role="alert">{error.message}</p> : null}
      <TextField label={t.t('form.name')} value={name} required error={fieldError('name')} onInput={(e) => setName(e.currentTarget.value)} />
      {channels.length === 0 ? (
        <p class="notice">{t.t('form.noChannel')}</p>
      ) : (
        <fieldset class="campaign-channels" aria-describedby={fieldError('channels') ? 'channels-error' : undefined}>
          <legend>{t.t('form.channels')}</legend>
          {channels.map((c) => (
            <label key={c.id} class="checkbox">
              <input type="checkbox" checked={chosen.includes(c.id)} onChange={(e) => setChosen(e.currentTarget.checked ? [...chosen, c.id] : chosen.filter((x) => x !== c.id))} />
              {c.name ? `${c.name} · ` : ''}
              {c.sim_number} ({c.port})
            </label>
          ))}
          {fieldError('channels') ? <span class="field-error" id="channels-error" role="alert">{fieldError('channels')}</span> : null}
        </fieldset>
      )}
      {channels.length > 1 ? <DialStringField value={dialString} error={fieldError('dial_string')} onInput={setDialString} /> : null}
      <TemplateField value={template} error={fieldError('template')} onInput={setTemplate} />
      <TextField label={t.t('form.interval')} type="number" min={0} value={interval} error={fieldError('interval_ms')} onInput={(e) => setInterval(e.currentTarget.value)} />
      <ScheduleFields value={schedule} fieldError={fieldError} onChange={setSchedule} />
      <Button type="submit" variant="primary" busy={busy}>
        {t.t('form.submit')}
      </Button>
    </form>
  );
}

function List(): JSX.Element {
  const [list, setList] = useState<CampaignView[] | null>(null);
  const [creating, setCreating] = useState(false);
  const [, go] = useLocation();
  useEffect(() => {
    void call(api.GET('/api/v1/campaigns', {}))
      .then(setList)
      .catch((e) => toast(errorText(e), 'error'));
  }, []);
  return (
    <section class="page campaigns" aria-labelledby="campaigns-title">
      <div class="page-header">
        <h1 id="campaigns-title">{t.t('title')}</h1>
        <Button variant="primary" icon="plus" onClick={() => setCreating(!creating)} aria-expanded={creating}>
          {t.t('create')}
        </Button>
      </div>
      <p>{t.t('intro')}</p>
      {creating ? <NewCampaign onCreated={(id) => go(`/campaigns/${id}`)} /> : null}
      {list && list.length === 0 ? <p class="notice">{t.t('none')}</p> : null}
      {list && list.length > 0 ? (
        <table class="table campaigns-table">
          <thead>
            <tr>
              <th scope="col">{t.t('col.name')}</th>
              <th scope="col">{t.t('col.state')}</th>
              <th scope="col">{t.t('col.progress')}</th>
              <th scope="col">{t.t('col.created')}</th>
            </tr>
          </thead>
          <tbody>
            {list.map((v) => (
              <tr key={v.campaign.id}>
                <td>
                  <Link href={`/campaigns/${v.campaign.id}`}>{v.campaign.name}</Link>
                </td>
                <td data-state={v.campaign.state}>{t.t(`state.${v.campaign.state}`)}</td>
                <td>{t.t('progress', { done: v.counters.total - v.counters.to_process - v.counters.queued, total: v.counters.total })}</td>
                <td>{formatDateTime(v.campaign.created_at, { dateStyle: 'medium', timeStyle: 'short' })}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

export function Campaigns({ params }: ScreenProps): JSX.Element {
  return params.id ? <CampaignPage id={params.id} /> : <List />;
}
