/** A conversation's labels: chips with a remove button, and a small form to add one. */
import { Button, IconButton } from '@smsgate/shared/components/Button';
import { toast } from '@smsgate/shared/components/Toasts';
import type { JSX } from 'preact';
import { useEffect, useId, useState } from 'preact/hooks';
import { errorText } from './errorText';
import { inboxFloorText as t } from './floorMessages';
import { labelsOf, loadLabels, setLabels, tenantLabels } from './floorStore';

export function Labels({ id, editable }: { id: string; editable: boolean }): JSX.Element {
  const list = labelsOf.value.get(id) ?? [];
  const [adding, setAdding] = useState(false);
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const listId = useId();
  useEffect(() => {
    void loadLabels(id).catch(() => {});
    setAdding(false);
  }, [id]);
  const save = async (next: string[]) => {
    setBusy(true);
    setError(null);
    try {
      await setLabels(id, next);
      return true;
    } catch (e) {
      setError(errorText(e));
      return false;
    } finally {
      setBusy(false);
    }
  };
  const add = async (e: Event) => {
    e.preventDefault();
    const l = name.trim();
    if (!l) return;
    if (list.some((x) => x.toLowerCase() === l.toLowerCase())) {
      setName('');
      setAdding(false);
      return;
    }
    if (await save([...list, l])) {
      setName('');
      setAdding(false);
    }
  };
  return (
    <div class="conv-labels" data-testid="conv-labels">
      <span class="visually-hidden">{t.t('labels.label')}</span>
      <ul class="label-chips" aria-label={t.t('labels.label')}>
        {list.map((l) => (
          <li key={l} class="label-chip" data-label={l}>
            <span>{l}</span>
            {editable ? (
              <IconButton
                icon="close"
                class="label-remove"
                label={t.t('labels.remove', { label: l })}
                disabled={busy}
                onClick={() => void save(list.filter((x) => x !== l)).catch((e) => toast(errorText(e), 'error'))}
              />
            ) : null}
          </li>
        ))}
      </ul>
      {editable && !adding ? (
        <Button variant="ghost" icon="plus" class="label-add" onClick={() => setAdding(true)}>{t.t('labels.add')}</Button>
      ) : null}
      {adding ? (
        <form class="label-form" onSubmit={add}>
          <label class="visually-hidden" for={`${listId}-input`}>{t.t('labels.name')}</label>
          <input
            id={`${listId}-input`}
            class="input"
            list={listId}
            maxLength={32}
            placeholder={t.t('labels.name')}
            value={name}
            autoFocus
            onInput={(e) => setName(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') setAdding(false);
            }}
            data-testid="label-input"
          />
          <datalist id={listId}>
            {tenantLabels.value.map((l) => (
              <option key={l.label} value={l.label} />
            ))}
          </datalist>
          <Button type="submit" busy={busy} disabled={!name.trim()}>{t.t('labels.save')}</Button>
          <Button variant="ghost" onClick={() => setAdding(false)}>{t.t('labels.cancel')}</Button>
        </form>
      ) : null}
      {error ? <p class="form-error" role="alert">{error}</p> : null}
    </div>
  );
}
