import { Button } from '@smsgate/shared/components/Button';
import { SelectField, TextField } from '@smsgate/shared/components/Field';
import { toast } from '@smsgate/shared/components/Toasts';
import { common } from '@smsgate/shared/i18n/common';
import type { JSX } from 'preact';
import { useFormFrom } from '@smsgate/shared/components/useFormFrom';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, call, type GroupView } from '../../api/box';
import { groupsMsg } from './messages';

type Form = Record<'ports' | 'strategy' | 'interval_ms' | 'jitter_ms' | 'max_per_hour' | 'max_per_day' | 'max_per_month' | 'sending_hours' | 'timezone', string>;

function formOf(g: GroupView): Form {
  const s = (v: number | string | null | undefined) => (v === null || v === undefined ? '' : String(v));
  return {
    ports: g.ports,
    strategy: g.strategy,
    interval_ms: s(g.interval_ms),
    jitter_ms: s(g.jitter_ms),
    max_per_hour: s(g.max_per_hour),
    max_per_day: s(g.max_per_day),
    max_per_month: s(g.max_per_month),
    sending_hours: s(g.sending_hours),
    timezone: g.timezone,
  };
}

const NUMBERS = new Set(['interval_ms', 'jitter_ms', 'max_per_hour', 'max_per_day', 'max_per_month']);
const NULLABLE = new Set(['max_per_hour', 'max_per_day', 'max_per_month', 'sending_hours']);

/** The changed fields as the API takes them: numbers as numbers (a non-number is sent as typed,
 * so the gateway names it), empty optional fields as null. */
export function patchOf(before: Form, after: Form): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(after) as Array<keyof Form>) {
    if (after[k] === before[k]) continue;
    const v = after[k].trim();
    if (v === '' && NULLABLE.has(k)) out[k] = null;
    else if (NUMBERS.has(k) && /^\d+$/.test(v)) out[k] = Number(v);
    else out[k] = v;
  }
  return out;
}

export function GroupForm({ group, onSaved }: { group: GroupView; onSaved: (g: GroupView[]) => void }): JSX.Element {
  const initial = formOf(group);
  const [form, setForm] = useFormFrom(group, formOf);
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<Array<{ field?: string; message: string }>>([]);
  const set = (k: keyof Form) => (e: { currentTarget: { value: string } }) => setForm({ ...form, [k]: e.currentTarget.value });
  const err = (k: keyof Form) => problems.find((p) => p.field === k)?.message;
  const save = async (e: Event) => {
    e.preventDefault();
    const patch = patchOf(initial, form);
    if (Object.keys(patch).length === 0) {
      toast(groupsMsg.t('nothing'));
      return;
    }
    setBusy(true);
    setProblems([]);
    try {
      const r = await call(api.PATCH('/api/v1/box/groups/{name}', { params: { path: { name: group.name } }, body: patch as never }));
      toast(groupsMsg.t('saved', { name: group.name }), 'success');
      onSaved(r.groups);
    } catch (err) {
      if (err instanceof ApiError && err.details.length) setProblems([...err.details]);
      else setProblems([{ message: err instanceof Error ? err.message : String(err) }]);
    } finally {
      setBusy(false);
    }
  };
  const id = `group-${group.name}`;
  return (
    <section class="panel" aria-labelledby={id}>
      <h2 id={id}>{groupsMsg.t('group', { name: group.name })}</h2>
      {group.overridden.length ? <p class="muted">{groupsMsg.t('overridden', { fields: group.overridden.join(', ') })}</p> : null}
      {group.pending_restart.length ? <p class="notice">{groupsMsg.t('pending', { fields: group.pending_restart.join(', ') })}</p> : null}
      <form onSubmit={save} noValidate>
        {problems.length ? (
          <div role="alert">
            <p class="form-error">{groupsMsg.t('refused')}</p>
            <ul class="problems">
              {problems.map((p, i) => <li key={i}>{p.field ? `${p.field}: ${p.message}` : p.message}</li>)}
            </ul>
          </div>
        ) : null}
        <div class="form-grid">
          <TextField label={groupsMsg.t('ports')} hint={groupsMsg.t('portsHint')} value={form.ports} onInput={set('ports')} error={err('ports')} />
          <SelectField label={groupsMsg.t('strategy')} hint={groupsMsg.t('strategyHint')} value={form.strategy} onChange={set('strategy')} error={err('strategy')}>
            <option value="round-robin">{groupsMsg.t('roundRobin')}</option>
            <option value="least-used">{groupsMsg.t('leastUsed')}</option>
            <option value="sticky">{groupsMsg.t('sticky')}</option>
          </SelectField>
          <TextField label={groupsMsg.t('interval')} inputMode="numeric" value={form.interval_ms} onInput={set('interval_ms')} error={err('interval_ms')} />
          <TextField label={groupsMsg.t('jitter')} inputMode="numeric" value={form.jitter_ms} onInput={set('jitter_ms')} error={err('jitter_ms')} />
          <TextField label={groupsMsg.t('perHour')} hint={groupsMsg.t('capHint')} inputMode="numeric" value={form.max_per_hour} onInput={set('max_per_hour')} error={err('max_per_hour')} />
          <TextField label={groupsMsg.t('perDay')} hint={groupsMsg.t('capHint')} inputMode="numeric" value={form.max_per_day} onInput={set('max_per_day')} error={err('max_per_day')} />
          <TextField label={groupsMsg.t('perMonth')} hint={groupsMsg.t('capHint')} inputMode="numeric" value={form.max_per_month} onInput={set('max_per_month')} error={err('max_per_month')} />
          <TextField label={groupsMsg.t('hours')} hint={groupsMsg.t('hoursHint')} value={form.sending_hours} onInput={set('sending_hours')} error={err('sending_hours')} />
          <TextField label={groupsMsg.t('timezone')} hint={groupsMsg.t('timezoneHint')} value={form.timezone} onInput={set('timezone')} error={err('timezone')} />
        </div>
        <div class="actions">
          <Button type="submit" variant="primary" busy={busy}>{groupsMsg.t('save', { name: group.name })}</Button>
        </div>
      </form>
    </section>
  );
}

export function Groups(): JSX.Element {
  const [groups, setGroups] = useState<GroupView[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    call(api.GET('/api/v1/box/groups'))
      .then((r) => setGroups(r.groups))
      .catch((e: Error) => setError(e.message));
  }, []);
  return (
    <div class="page">
      <h1>{groupsMsg.t('title')}</h1>
      <p class="muted">{groupsMsg.t('intro')}</p>
      {error ? <p role="alert" class="form-error">{error}</p> : null}
      {groups === undefined ? <p aria-busy="true">{common.t('state.loading')}</p> : groups.length === 0 ? <p>{groupsMsg.t('empty')}</p> : groups.map((g) => <GroupForm key={g.name} group={g} onSaved={setGroups} />)}
    </div>
  );
}
