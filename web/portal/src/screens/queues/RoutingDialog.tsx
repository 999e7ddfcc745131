/**
 * How a queue hands out its conversations (manual take-over, round robin, least busy), how many
 * one agent holds at most, and its opening hours with the out-of-hours reply.
 */
import { SelectField, TextField } from '@smsgate/shared/components/Field';
import { toast } from '@smsgate/shared/components/Toasts';
import { common } from '@smsgate/shared/i18n/common';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, call, type Queue, type Schemas } from '../../api/hub';
import { HoursEditor, hoursReady } from '../kit/hours';
import { errorText, FormDialog } from '../kit/kit';
import { kitText } from '../kit/messages';
import { queuesText as t } from './messages';

type Strategy = Schemas['Strategy'];
type OpeningHours = Schemas['OpeningHours'];
const STRATEGIES: readonly Strategy[] = ['manual', 'round_robin', 'least_busy'];

/** The hub's refusal, on the field it names (`hours.intervals[1].close`), or for the form. */
export interface Refusal {
  field?: string | undefined;
  message: string;
}

export function refusalOf(e: unknown): Refusal {
  return e instanceof ApiError ? { field: e.field ?? undefined, message: e.message } : { message: errorText(e) };
}

export function RoutingDialog({ queue, onClose }: { queue: Queue; onClose: () => void }): JSX.Element {
  const [loaded, setLoaded] = useState(false);
  const [strategy, setStrategy] = useState<Strategy>('manual');
  const [maxActive, setMaxActive] = useState('');
  const [hours, setHours] = useState<OpeningHours | null>(null);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    call(api.GET('/api/v1/queues/{id}/routing', { params: { path: { id: queue.id } } }))
      .then((r) => {
        setStrategy(r.strategy ?? 'manual');
        setMaxActive(r.max_active == null ? '' : String(r.max_active));
        setHours(r.hours ?? null);
        setLoaded(true);
      })
      .catch((e) => setRefusal(refusalOf(e)));
  }, [queue.id]);
  const fieldError = (f: string) => (refusal?.field === f ? refusal.message : undefined);
  const submit = async () => {
    const limit = maxActive.trim();
    if (limit !== '' && !/^[1-9]\d*$/.test(limit)) return setRefusal({ field: 'max_active', message: t.t('routing.maxActiveBad') });
    if (!hoursReady(hours)) return setRefusal({ message: t.t('routing.fixTimes') });
    setBusy(true);
    setRefusal(null);
    try {
      await call(api.PUT('/api/v1/queues/{id}/routing', { params: { path: { id: queue.id } }, body: { strategy, max_active: limit === '' ? null : Number(limit), hours } }));
      toast(kitText.t('saved'), 'success');
      onClose();
    } catch (e) {
      setRefusal(refusalOf(e));
    } finally {
      setBusy(false);
    }
  };
  const formError = refusal && (!refusal.field || !['strategy', 'max_active', 'hours.timezone', 'hours.reply'].includes(refusal.field) && !refusal.field.startsWith('hours.intervals[')) ? refusal.message : undefined;
  return (
    <FormDialog id="queue-routing-form" wide title={t.t('routing.title', { name: queue.name })} submit={common.t('actions.save')} busy={busy || !loaded} error={formError} onSubmit={() => void submit()} onClose={onClose}>
      <SelectField label={t.t('routing.strategy')} hint={t.t(`routing.hint.${strategy}`)} value={strategy} error={fieldError('strategy')} onChange={(e) => setStrategy(e.currentTarget.value as Strategy)}>
        {STRATEGIES.map((s) => (
          <option key={s} value={s}>
            {t.t(`routing.strategies.${s}`)}
          </option>
        ))}
      </SelectField>
      <TextField label={t.t('routing.maxActive')} hint={t.t('routing.maxActiveHint')} inputMode="numeric" value={maxActive} error={fieldError('max_active')} onInput={(e) => setMaxActive(e.currentTarget.value)} autoComplete="off" />
      <HoursEditor value={hours} fieldError={fieldError} onChange={setHours} />
    </FormDialog>
  );
}
