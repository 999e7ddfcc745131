/**
 * A tenant channel's opening hours and the reply sent outside them (a channel's hours come
 * before those of the queue its messages go to).
 */
import { toast } from '@smsgate/shared/components/Toasts';
import { common } from '@smsgate/shared/i18n/common';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, call, type Channel, type Schemas } from '../../api/hub';
import { HoursEditor, hoursReady } from '../kit/hours';
import { FormDialog } from '../kit/kit';
import { kitText } from '../kit/messages';
import { queuesText } from '../queues/messages';
import { refusalOf, type Refusal } from '../queues/RoutingDialog';
import { channelsText as t } from './messages';

type OpeningHours = Schemas['OpeningHours'];

export function HoursDialog({ channel, onClose }: { channel: Channel; onClose: () => void }): JSX.Element {
  const [loaded, setLoaded] = useState(false);
  const [hours, setHours] = useState<OpeningHours | null>(null);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    call(api.GET('/api/v1/channels/{id}/hours', { params: { path: { id: channel.id } } }))
      .then((h) => {
        setHours(h ?? null);
        setLoaded(true);
      })
      .catch((e) => setRefusal(refusalOf(e)));
  }, [channel.id]);
  const fieldError = (f: string) => (refusal?.field === f ? refusal.message : undefined);
  const submit = async () => {
    if (!hoursReady(hours)) return setRefusal({ message: queuesText.t('routing.fixTimes') });
    setBusy(true);
    setRefusal(null);
    try {
      await call(api.PUT('/api/v1/channels/{id}/hours', { params: { path: { id: channel.id } }, body: { hours } }));
      toast(kitText.t('saved'), 'success');
      onClose();
    } catch (e) {
      setRefusal(refusalOf(e));
    } finally {
      setBusy(false);
    }
  };
  const onField = refusal?.field?.startsWith('hours.') ?? false;
  return (
    <FormDialog id="channel-hours-form" wide title={t.t('hoursTitle', { number: channel.sim_number })} submit={common.t('actions.save')} busy={busy || !loaded} error={refusal && !onField ? refusal.message : undefined} onSubmit={() => void submit()} onClose={onClose}>
      <p class="field-hint">{t.t('hoursIntro')}</p>
      <HoursEditor value={hours} fieldError={fieldError} onChange={setHours} />
    </FormDialog>
  );
}
