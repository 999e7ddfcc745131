import { TableScroll } from '@smsgate/shared/components/TableScroll';
/** Add/edit a contact, add one to a list, import a CSV file (into the tenant or a list). */
import { Button } from '@smsgate/shared/components/Button';
import { Dialog } from '@smsgate/shared/components/Dialog';
import { Field, SelectField, TextField } from '@smsgate/shared/components/Field';
import { toast } from '@smsgate/shared/components/Toasts';
import { common } from '@smsgate/shared/i18n/common';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, call, type Contact, type Schemas } from '../../api/hub';
import { defaultTenant, errorText, FormDialog, TenantChoice, useSubmit } from '../kit/kit';
import { kitText } from '../kit/messages';
import { contactsText as t } from './messages';
import { uploadFile, type UploadPhase } from './upload';

type ContactList = Schemas['ContactList'];
type ImportReport = Schemas['ImportReport'];

const CONTACT_FIELDS = ['number', 'name', 'business', 'email', 'notes', 'org'] as const;

export function ContactDialog({ contact, onDone, onClose }: { contact?: Contact; onDone: () => void; onClose: () => void }): JSX.Element {
  const [v, setV] = useState({
    number: contact?.number ?? '',
    name: contact?.name ?? '',
    business: contact?.business ?? '',
    email: contact?.email ?? '',
    notes: contact?.notes ?? '',
    org: contact?.org_id ?? defaultTenant(),
  });
  const s = useSubmit(CONTACT_FIELDS);
  const set = (k: keyof typeof v) => (e: { currentTarget: { value: string } }) => setV({ ...v, [k]: e.currentTarget.value });
  const submit = async () => {
    if (!v.org) return s.setErrors({ org: kitText.t('tenantRequired') });
    if (!v.number.trim()) return s.setErrors({ number: kitText.t('required') });
    const body = { number: v.number, name: v.name, business: v.business, email: v.email, notes: v.notes, org: v.org };
    const ok = await s.run(async () => {
      if (contact) await call(api.PUT('/api/v1/contacts/{id}', { params: { path: { id: contact.id } }, body }));
      else await call(api.POST('/api/v1/contacts', { body }));
    });
    if (ok) {
      toast(contact ? kitText.t('saved') : t.t('created'), 'success');
      onDone();
      onClose();
    }
  };
  return (
    <FormDialog id="contact-form" title={contact ? t.t('editTitle') : t.t('addTitle')} submit={common.t('actions.save')} busy={s.busy} error={s.errors.form} onSubmit={() => void submit()} onClose={onClose}>
      {contact ? null : <TenantChoice value={v.org} onChange={(org) => setV({ ...v, org })} error={s.errors.org} />}
      <TextField label={t.t('fields.number')} hint={t.t('fields.numberHint')} error={s.errors.number} value={v.number} onInput={set('number')} inputMode="tel" autoComplete="off" />
      <TextField label={t.t('fields.name')} error={s.errors.name} value={v.name} onInput={set('name')} autoComplete="off" />
      <TextField label={t.t('fields.business')} error={s.errors.business} value={v.business} onInput={set('business')} autoComplete="off" />
      <TextField label={t.t('fields.email')} error={s.errors.email} value={v.email} onInput={set('email')} type="email" autoComplete="off" />
      <Field label={t.t('fields.notes')} error={s.errors.notes}>
        {(a) => <textarea class="input" rows={3} {...a} value={v.notes} onInput={set('notes')} />}
      </Field>
    </FormDialog>
  );
}

export function AddToListDialog({ contact, onClose }: { contact: Contact; onClose: () => void }): JSX.Element {
  const [lists, setLists] = useState<ContactList[] | undefined>(undefined);
  const [list, setList] = useState('');
  const s = useSubmit(['contacts']);
  useEffect(() => {
    call(api.GET('/api/v1/contact-lists', { params: { query: { org: contact.org_id, limit: 500 } } }))
      .then((p) => {
        setLists(p.items);
        setList(p.items[0]?.id ?? '');
      })
      .catch((e: unknown) => s.setErrors({ form: errorText(e) }));
  }, [contact.id]);
  const name = contact.name || contact.number;
  const submit = async () => {
    const chosen = lists?.find((l) => l.id === list);
    if (!chosen) return;
    const ok = await s.run(async () => {
      await call(api.POST('/api/v1/contact-lists/{id}/members', { params: { path: { id: chosen.id } }, body: { contacts: [contact.id] } }));
    });
    if (ok) {
      toast(t.t('addedToList', { list: chosen.name }), 'success');
      onClose();
    }
  };
  return (
    <FormDialog id="add-to-list" title={t.t('addToListTitle')} submit={kitText.t('add')} busy={s.busy} error={s.errors.form ?? s.errors.contacts} onSubmit={() => void submit()} onClose={onClose}>
      <p>{t.t('addToListFor', { name })}</p>
      {lists === undefined ? <span class="spinner" aria-hidden="true" /> : lists.length === 0 ? (
        <p class="notice">{t.t('noLists')}</p>
      ) : (
        <SelectField label={t.t('list')} value={list} onChange={(e) => setList(e.currentTarget.value)}>
          {lists.map((l) => (
            <option key={l.id} value={l.id}>{l.name}</option>
          ))}
        </SelectField>
      )}
    </FormDialog>
  );
}

/** Import into a list (`list`) or into the tenant's contacts. */
export function ImportDialog({ list, onDone, onClose }: { list?: ContactList; onDone: () => void; onClose: () => void }): JSX.Element {
  const [file, setFile] = useState<File | undefined>(undefined);
  const [org, setOrg] = useState(list?.org_id ?? defaultTenant());
  const [phase, setPhase] = useState<UploadPhase | undefined>(undefined);
  const [error, setError] = useState<ApiError | string | undefined>(undefined);
  const [report, setReport] = useState<ImportReport | undefined>(undefined);
  const submit = async (e: Event) => {
    e.preventDefault();
    setReport(undefined);
    if (!file) return setError(t.t('import.chooseFile'));
    if (!org) return setError(kitText.t('tenantRequired'));
    setError(undefined);
    const url = list ? `/api/v1/contact-lists/${list.id}/import` : `/api/v1/contacts/import?org=${encodeURIComponent(org)}`;
    try {
      const r = await uploadFile<ImportReport>(url, file, 'text/csv', setPhase);
      setReport(r);
      onDone();
    } catch (err) {
      setError(err instanceof ApiError ? err : errorText(err));
    } finally {
      setPhase(undefined);
    }
  };
  const problems = error instanceof ApiError ? error.details : [];
  return (
    <Dialog
      open
      wide
      title={list ? t.t('import.titleList', { name: list.name }) : t.t('import.title')}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>{report ? common.t('actions.close') : common.t('actions.cancel')}</Button>
          <Button type="submit" variant="primary" icon="upload" form="import-form" busy={phase !== undefined}>{t.t('import.submit')}</Button>
        </>
      }
    >
      <form id="import-form" onSubmit={(e) => void submit(e)} noValidate>
        <p class="muted">{t.t('import.format')}</p>
        {list ? null : <TenantChoice value={org} onChange={setOrg} />}
        <Field label={t.t('import.file')}>
          {(a) => (
            <input
              class="input"
              type="file"
              accept=".csv,text/csv,text/plain"
              {...a}
              onChange={(e) => {
                setFile(e.currentTarget.files?.[0]);
                setError(undefined);
                setReport(undefined);
              }}
              data-testid="import-file"
            />
          )}
        </Field>
        {phase ? (
          <div class="import-progress">
            <progress aria-label={t.t('import.progress')} max={100} {...(phase.phase === 'uploading' ? { value: phase.percent } : {})} />
            <span aria-live="polite">{phase.phase === 'uploading' ? t.t('import.uploading', { percent: phase.percent }) : t.t('import.checking')}</span>
          </div>
        ) : null}
        {report ? (
          <p class="notice" role="status" data-testid="import-done">
            {report.added_to_list != null
              ? t.t('import.doneList', { created: report.created, skipped: report.skipped, added: report.added_to_list })
              : t.t('import.done', { created: report.created, skipped: report.skipped })}
          </p>
        ) : null}
        {error ? (
          <div class="form-error" role="alert" data-testid="import-error">
            <p>{problems.length ? t.t('import.refused') : typeof error === 'string' ? error : errorText(error)}</p>
          </div>
        ) : null}
        {problems.length ? (
          <TableScroll label={t.t('import.problems')}>
            <table class="data-table" aria-label={t.t('import.problems')}>
              <thead>
                <tr>
                  <th scope="col">{t.t('import.line')}</th>
                  <th scope="col">{t.t('import.column')}</th>
                  <th scope="col">{t.t('import.problem')}</th>
                </tr>
              </thead>
              <tbody>
                {problems.map((p) => (
                  <tr key={`${p.line}-${p.field}`} data-line={p.line}>
                    <td>{t.t('import.line')} {p.line}</td>
                    <td class="mono">{p.field}</td>
                    <td>{p.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        ) : null}
      </form>
    </Dialog>
  );
}
