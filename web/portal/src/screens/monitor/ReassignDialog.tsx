/**
 * Reassign a waiting conversation to another agent, from the supervisor monitor: the agents of
 * the floor with their current state (so a supervisor picks someone available), the one it is
 * assigned to left out; the hub's transfer does the rest (and the floor events reload the
 * monitor).
 */
import { Button } from '@smsgate/shared/components/Button';
import { Dialog } from '@smsgate/shared/components/Dialog';
import { SelectField } from '@smsgate/shared/components/Field';
import { toast } from '@smsgate/shared/components/Toasts';
import { common } from '@smsgate/shared/i18n/common';
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, ApiError, call, type Schemas } from '../../api/hub';
import { monitorText as t } from './messages';

type Agent = Schemas['AgentRow'];
type Waiting = Schemas['FloorView']['waiting'][number];

/** Agents the conversation may go to: everyone but its assignee, available ones first. */
export function reassignChoices(agents: readonly Agent[], assignee: string | null | undefined): Agent[] {
  const order: Record<string, number> = { available: 0, busy: 1, away: 2, offline: 3 };
  return agents
    .filter((a) => a.user_id !== assignee)
    .slice()
    .sort((a, b) => (order[a.state] ?? 9) - (order[b.state] ?? 9) || a.name.localeCompare(b.name));
}

export function ReassignDialog({ waiting, agents, onClose, onDone }: {
  waiting: Waiting;
  agents: readonly Agent[];
  onClose: () => void;
  onDone: () => void;
}): JSX.Element {
  const choices = reassignChoices(agents, waiting.assignee_id);
  const [choice, setChoice] = useState(choices[0]?.user_id ?? '');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!choice) return;
    setBusy(true);
    setError(null);
    try {
      await call(api.POST('/api/v1/interactions/{id}/transfer', { params: { path: { id: waiting.interaction_id } }, body: { user: choice } }));
      toast(t.t('reassign.done', { who: waiting.contact_number, name: choices.find((a) => a.user_id === choice)?.name ?? '' }), 'success');
      onDone();
      onClose();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : common.t('errors.network'));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog
      open
      title={t.t('reassign.title', { who: waiting.contact_number })}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>{common.t('actions.cancel')}</Button>
          <Button type="submit" variant="primary" form="reassign-form" busy={busy} disabled={!choice}>{t.t('reassign.submit')}</Button>
        </>
      }
    >
      <form id="reassign-form" onSubmit={submit}>
        {error ? <p class="form-error" role="alert">{error}</p> : null}
        {choices.length === 0 ? (
          <p>{t.t('reassign.none')}</p>
        ) : (
          <SelectField label={t.t('reassign.pick')} value={choice} onChange={(e) => setChoice(e.currentTarget.value)} data-testid="reassign-target">
            {choices.map((a) => (
              <option key={a.user_id} value={a.user_id}>{t.t('reassign.option', { name: a.name, state: t.t(`state.${a.state}`) })}</option>
            ))}
          </SelectField>
        )}
      </form>
    </Dialog>
  );
}
