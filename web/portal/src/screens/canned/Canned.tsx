/** Canned replies of the tenant (tenant-wide or per queue): search, create, edit, delete. */
import { Button, IconButton } from '@smsgate/shared/components/Button';
import { Dialog } from '@smsgate/shared/components/Dialog';
import { Field, SelectField, TextField } from '@smsgate/shared/components/Field';
import { Icon } from '@smsgate/shared/components/Icon';
import { toast } from '@smsgate/shared/components/Toasts';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, call, type Schemas } from '../../api/hub';
import { loadDirectory, queueById, queues } from '../../app/directory';
import type { ScreenProps } from '../../app/modules';
import { tenant } from '../../app/session';
import { errorText } from '../inbox/errorText';
import { cannedText as t } from './messages';

type Canned = Schemas['CannedReply'];

function Editor({ item, org, onClose, onSaved }: { item: Canned | null; org: string | null; onClose: () => void; onSaved: () => void }): JSX.Element {
  const [title, setTitle] = useState(item?.title ?? '');
  const [text, setText] = useState(item?.text ?? '');
  const [queue, setQueue] = useState(item?.queue_id ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ field: string | undefined; message: string } | null>(null);
  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const body = { title, text, queue_id: queue || null, ...(org ? { org } : {}) };
    try {
      if (item) await call(api.PUT('/api/v1/canned-replies/{id}', { params: { path: { id: item.id } }, body }));
      else await call(api.POST('/api/v1/canned-replies', { body }));
      toast(t.t('saved', { title }), 'success');
      onSaved();
    } catch (err) {
      setError({ field: err instanceof ApiError ? err.field : undefined, message: errorText(err) });
    } finally {
      setBusy(false);
    }
  };
  const fieldError = (f: string) => (error?.field === f ? error.message : undefined);
  const list = queues.value.filter((q) => !org || q.org_id === org);
  return (
    <Dialog open title={item ? t.t('form.editTitle') : t.t('form.newTitle')} onClose={onClose}>
      <form class="admin-form" onSubmit={save} noValidate>
        {error && !['title', 'text', 'queue_id'].includes(error.field ?? '') ? <p class="form-error" role="alert">{error.message}</p> : null}
        <TextField label={t.t('form.title')} value={title} maxLength={128} required onInput={(e) => setTitle(e.currentTarget.value)} error={fieldError('title')} data-testid="canned-title" />
        <Field label={t.t('form.text')} error={fieldError('text')}>
          {(a) => <textarea class="input" rows={4} value={text} required onInput={(e) => setText(e.currentTarget.value)} {...a} data-testid="canned-text" />}
        </Field>
        <SelectField label={t.t('form.queue')} value={queue} onChange={(e) => setQueue(e.currentTarget.value)} error={fieldError('queue_id')}>
          <option value="">{t.t('form.everyQueue')}</option>
          {list.map((q) => (
            <option key={q.id} value={q.id}>{q.name}</option>
          ))}
        </SelectField>
        <div class="dialog-footer">
          <Button variant="ghost" onClick={onClose}>{t.t('form.cancel')}</Button>
          <Button type="submit" variant="primary" busy={busy}>{t.t('form.save')}</Button>
        </div>
      </form>
    </Dialog>
  );
}

export function Canned(_p: ScreenProps): JSX.Element {
  const [q, setQ] = useState('');
  const [list, setList] = useState<Canned[] | null>(null);
  const [editing, setEditing] = useState<Canned | 'new' | null>(null);
  const org = tenant.value;
  const load = () =>
    call(api.GET('/api/v1/canned-replies', { params: { query: { ...(q.trim() ? { q: q.trim() } : {}), ...(org ? { org } : {}) } } }))
      .then(setList)
      .catch((e) => toast(errorText(e), 'error'));
  useEffect(() => {
    void loadDirectory();
  }, []);
  useEffect(() => {
    const timer = setTimeout(() => void load(), q ? 200 : 0);
    return () => clearTimeout(timer);
  }, [q, org]);
  const remove = async (c: Canned) => {
    if (!window.confirm(t.t('confirm', { title: c.title }))) return;
    try {
      await call(api.DELETE('/api/v1/canned-replies/{id}', { params: { path: { id: c.id } } }));
      toast(t.t('removed', { title: c.title }), 'success');
      void load();
    } catch (e) {
      toast(errorText(e), 'error');
    }
  };
  return (
    <div class="page canned-admin">
      <div class="page-header">
        <div>
          <h1>{t.t('title')}</h1>
          <p class="muted">{t.t('intro')}</p>
        </div>
        <Button variant="primary" icon="plus" onClick={() => setEditing('new')}>{t.t('add')}</Button>
      </div>
      <div class="toolbar">
        <label class="search-box">
          <Icon name="search" />
          <span class="visually-hidden">{t.t('search')}</span>
          <input type="search" class="input" placeholder={t.t('search')} value={q} onInput={(e) => setQ(e.currentTarget.value)} />
        </label>
      </div>
      <div class="table-scroll" tabIndex={0} role="region" aria-label={t.t('title')}>
        <table class="data-table" data-testid="canned-table">
          <thead>
            <tr>
              <th scope="col">{t.t('col.title')}</th>
              <th scope="col">{t.t('col.text')}</th>
              <th scope="col">{t.t('col.scope')}</th>
              <th scope="col">{t.t('col.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {(list ?? []).map((c) => (
              <tr key={c.id} data-id={c.id}>
                <th scope="row">{c.title}</th>
                <td>{c.text}</td>
                <td>{c.queue_id ? queueById.value.get(c.queue_id)?.name ?? '—' : t.t('form.everyQueue')}</td>
                <td class="row-actions">
                  <IconButton icon="info" label={t.t('edit', { title: c.title })} onClick={() => setEditing(c)} />
                  <IconButton icon="close" label={t.t('remove', { title: c.title })} onClick={() => void remove(c)} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {list && list.length === 0 ? <p class="empty">{q ? t.t('noMatch') : t.t('none')}</p> : null}
      {editing ? (
        <Editor
          item={editing === 'new' ? null : editing}
          org={org}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            void load();
          }}
        />
      ) : null}
    </div>
  );
}
