import { Button } from '@smsgate/shared/components/Button';
import { Dialog } from '@smsgate/shared/components/Dialog';
import { SelectField } from '@smsgate/shared/components/Field';
import { toast } from '@smsgate/shared/components/Toasts';
import { common } from '@smsgate/shared/i18n/common';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'wouter-preact';
import { api, ApiError, call, type Interaction, type Schemas } from '../../api/hub';
import { shell } from '../../app/messages';
import { me } from '../../app/session';
import { inboxText as t } from './messages';
import { recheckConversation, upsertConversation } from './store';

type Targets = Schemas['TransferTargets'];

/** Transfer to a team member or a queue of the conversation's tenant. */
export function TransferDialog({ conversation, onClose }: { conversation: Interaction; onClose: () => void }): JSX.Element {
  const [targets, setTargets] = useState<Targets | null>(null);
  const [kind, setKind] = useState<'user' | 'queue'>('user');
  const [choice, setChoice] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [location, navigate] = useLocation();
  useEffect(() => {
    call(api.GET('/api/v1/interactions/{id}/transfer-targets', { params: { path: { id: conversation.id } } }))
      .then((tg) => {
        const users = tg.users.filter((u) => u.id !== me.value?.user?.id && u.id !== conversation.assignee_id);
        setTargets({ ...tg, users });
        if (!users.length && tg.queues.length) setKind('queue');
      })
      .catch((e) => setError(e instanceof ApiError ? e.message : String(e)));
  }, [conversation.id]);
  const options = kind === 'user' ? (targets?.users ?? []).map((u) => ({ id: u.id, label: `${u.name} (${shell.t(`roles.${u.role}`)})` })) : (targets?.queues ?? []).map((q) => ({ id: q.id, label: q.name }));
  useEffect(() => setChoice(options[0]?.id ?? ''), [kind, targets]);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!choice) return;
    setBusy(true);
    setError(null);
    try {
      const body = kind === 'user' ? { user: choice } : { queue: choice };
      upsertConversation(await call(api.POST('/api/v1/interactions/{id}/transfer', { params: { path: { id: conversation.id } }, body })));
      toast(t.t('actions.transferred', { name: options.find((o) => o.id === choice)?.label ?? '' }), 'success');
      onClose();
      // Handed to a queue or a colleague out of the user's sight: it leaves their list.
      if (!(await recheckConversation(conversation.id))) navigate(location.startsWith('/interactions') ? '/interactions' : '/inbox');
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  const empty = targets && !targets.users.length && !targets.queues.length;
  return (
    <Dialog
      open
      title={t.t('transfer.title')}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>{common.t('actions.cancel')}</Button>
          <Button type="submit" variant="primary" form="transfer-form" busy={busy} disabled={!choice}>{t.t('transfer.submit')}</Button>
        </>
      }
    >
      <form id="transfer-form" onSubmit={submit}>
        {error ? <p class="form-error" role="alert">{error}</p> : null}
        {!targets && !error ? <span class="spinner" aria-hidden="true" /> : null}
        {empty ? <p>{t.t('transfer.none')}</p> : null}
        {targets && !empty ? (
          <>
            <fieldset class="radio-group">
              <legend>{t.t('transfer.to')}</legend>
              <label class="check">
                <input type="radio" name="kind" value="user" checked={kind === 'user'} disabled={!targets.users.length} onChange={() => setKind('user')} />
                <span>{t.t('transfer.user')}</span>
              </label>
              <label class="check">
                <input type="radio" name="kind" value="queue" checked={kind === 'queue'} disabled={!targets.queues.length} onChange={() => setKind('queue')} />
                <span>{t.t('transfer.queue')}</span>
              </label>
            </fieldset>
            <SelectField label={kind === 'user' ? t.t('transfer.pickUser') : t.t('transfer.pickQueue')} value={choice} onChange={(e) => setChoice(e.currentTarget.value)} data-testid="transfer-target">
              {options.map((o) => (
                <option key={o.id} value={o.id}>{o.label}</option>
              ))}
            </SelectField>
          </>
        ) : null}
      </form>
    </Dialog>
  );
}
