import { TableScroll } from '@smsgate/shared/components/TableScroll';
/**
 * Building blocks of the administration screens: a paged list loader that follows the tenant
 * context, a responsive table, a confirmation dialog, the tenant choice for new records, and
 * the mapping of a hub error to the field it names.
 */
import { Button } from '@smsgate/shared/components/Button';
import { Dialog } from '@smsgate/shared/components/Dialog';
import { SelectField } from '@smsgate/shared/components/Field';
import { Icon } from '@smsgate/shared/components/Icon';
import { toast } from '@smsgate/shared/components/Toasts';
import { common } from '@smsgate/shared/i18n/common';
import type { ComponentChildren, JSX } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../../api/hub';
import { live } from '../../app/live';
import { me, tenant, tenants } from '../../app/session';
import { type ListKind, watchLists } from './liveLists';
import { kitText as t } from './messages';

/** A person-readable message for any failure. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.kind === 'network') return common.t('errors.network');
    if (e.kind === 'forbidden') return common.t('errors.forbidden');
    return e.message;
  }
  return e instanceof Error ? e.message : String(e);
}

/**
 * Splits a failure into the form field it names (when the form has that field) and a message
 * for the form as a whole.
 */
export function formErrors(e: unknown, fields: readonly string[]): Record<string, string> {
  if (e instanceof ApiError && e.field) {
    const base = e.field.replace(/\[.*$/, '');
    if (fields.includes(e.field)) return { [e.field]: e.message };
    if (fields.includes(base)) return { [base]: e.message };
  }
  return { form: errorText(e) };
}

export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

export interface PagedList<T> {
  items: T[];
  loading: boolean;
  error: string | undefined;
  more: boolean;
  reload: () => void;
  loadMore: () => void;
}

/**
 * Loads a list page by page (`fetchPage(cursor)`), again whenever `deps` change (search text,
 * tenant context), and — for the hub `lists` given — whenever the hub says one of them changed
 * elsewhere (`liveLists.ts`). A stale answer (older request) is dropped.
 */
export function usePaged<T>(
  fetchPage: (cursor: string | undefined) => Promise<Page<T>>,
  deps: readonly unknown[],
  lists: readonly ListKind[] = [],
): PagedList<T> {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | undefined>(undefined);
  const gen = useRef(0);
  const fetcher = useRef(fetchPage);
  fetcher.current = fetchPage;
  const run = useCallback((from: string | undefined, append: boolean) => {
    const mine = ++gen.current;
    setLoading(true);
    setError(undefined);
    fetcher
      .current(from)
      .then((p) => {
        if (mine !== gen.current) return;
        setItems((old) => (append ? [...old, ...p.items] : p.items));
        setCursor(p.next_cursor ?? undefined);
      })
      .catch((e: unknown) => mine === gen.current && setError(errorText(e)))
      .finally(() => mine === gen.current && setLoading(false));
  }, []);
  useEffect(() => run(undefined, false), deps);
  const watched = lists.join(',');
  useEffect(() => watchLists(live, lists, () => run(undefined, false)), [watched]);
  return {
    items,
    loading,
    error,
    more: cursor !== undefined,
    reload: () => run(undefined, false),
    loadMore: () => cursor !== undefined && run(cursor, true),
  };
}

/** The `org` query filter for the current tenant context (absent = the whole subtree). */
export function orgFilter(): { org?: string } {
  return tenant.value ? { org: tenant.value } : {};
}

/** The organisation a new tenant record goes to: the context's tenant, else the one chosen in the form. */
export function defaultTenant(): string {
  return tenant.value ?? (tenants.value.length === 1 ? (tenants.value[0]?.id ?? '') : me.value?.org.kind === 'tenant' ? me.value.org.id : '');
}

/** A tenant choice, shown only when the context is "all tenants" and there are several. */
export function TenantChoice({ value, onChange, error }: { value: string; onChange: (id: string) => void; error?: string | undefined }): JSX.Element | null {
  if (tenant.value || tenants.value.length <= 1) return null;
  return (
    <SelectField label={t.t('tenant')} value={value} error={error} onChange={(e) => onChange(e.currentTarget.value)} data-testid="tenant-choice">
      <option value="">{t.t('chooseTenant')}</option>
      {tenants.value.map((o) => (
        <option key={o.id} value={o.id}>{o.name}</option>
      ))}
    </SelectField>
  );
}

/** The name of a tenant of the subtree (for tables showing several tenants). */
export function tenantName(id: string): string {
  return tenants.value.find((o) => o.id === id)?.name ?? '';
}

/** A page title with its actions. */
export function PageHeader({ title, intro, children }: { title: string; intro?: string; children?: ComponentChildren }): JSX.Element {
  return (
    <div class="page-header">
      <div>
        <h1>{title}</h1>
        {intro ? <p class="muted">{intro}</p> : null}
      </div>
      {children ? <div class="page-actions">{children}</div> : null}
    </div>
  );
}

/** A search box that reports its text (the caller debounces nothing: lists are small pages). */
export function SearchBox({ value, onInput, label, testId }: { value: string; onInput: (q: string) => void; label: string; testId?: string }): JSX.Element {
  return (
    <div class="search-box admin-search">
      <Icon name="search" />
      <input class="input" type="search" aria-label={label} placeholder={label} value={value} onInput={(e) => onInput(e.currentTarget.value)} data-testid={testId} />
    </div>
  );
}

export interface Column<T> {
  label: string;
  cell: (row: T) => ComponentChildren;
  /** Hidden on phones (the first column and the actions always show). */
  wide?: boolean;
}

function dataAttributes(data: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [`data-${k}`, v]));
}

/** `value`, once it has stopped changing for `ms` (a search box's text, for the server). */
export function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/**
 * A table that scrolls sideways on a phone rather than squeezing; rows carry `data-id`. The
 * list's state (loading, error, empty, "show more") is shown under it.
 */
export function DataTable<T>({ label, columns, rows, rowId, rowData, actions, list, empty, testId }: {
  label: string;
  columns: Column<T>[];
  rows: T[];
  rowId: (r: T) => string;
  /** Extra `data-*` attributes of a row (keys without the `data-` prefix). */
  rowData?: (r: T) => Record<string, string>;
  actions?: (r: T) => ComponentChildren;
  list?: Pick<PagedList<T>, 'loading' | 'error' | 'more' | 'loadMore'>;
  empty?: string;
  testId?: string;
}): JSX.Element {
  return (
    <div class="table-block">
      <TableScroll label={label}>
        <table class="data-table" aria-label={label} data-testid={testId}>
          <thead>
            <tr>
              {columns.map((c) => (
                <th key={c.label} scope="col" class={c.wide ? 'col-wide' : undefined}>{c.label}</th>
              ))}
              {actions ? <th scope="col" class="col-actions"><span class="visually-hidden">{t.t('actions')}</span></th> : null}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={rowId(r)} data-id={rowId(r)} {...dataAttributes(rowData?.(r))}>
                {columns.map((c) => (
                  <td key={c.label} class={c.wide ? 'col-wide' : undefined}>{c.cell(r)}</td>
                ))}
                {actions ? <td class="col-actions"><div class="row-actions">{actions(r)}</div></td> : null}
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      {list?.error ? <p class="form-error" role="alert">{list.error}</p> : null}
      {list?.loading ? (
        <div class="screen-loading"><span class="spinner" aria-hidden="true" /><span class="visually-hidden">{common.t('state.loading')}</span></div>
      ) : rows.length === 0 && !list?.error ? (
        <p class="empty">{empty ?? common.t('state.empty')}</p>
      ) : null}
      {list?.more && !list.loading ? <Button onClick={list.loadMore}>{t.t('loadMore')}</Button> : null}
    </div>
  );
}

/** "Are you sure?" with the consequence spelled out; the action's error shows in the dialog. */
export function ConfirmDialog({ text, confirm, danger, onConfirm, onClose }: {
  text: ComponentChildren;
  confirm: string;
  danger?: boolean;
  onConfirm: () => Promise<void>;
  onClose: () => void;
}): JSX.Element {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const go = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await onConfirm();
      onClose();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog
      open
      title={t.t('confirmTitle')}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>{common.t('actions.cancel')}</Button>
          <Button variant={danger ? 'danger' : 'primary'} busy={busy} onClick={() => void go()} data-testid="confirm">{confirm}</Button>
        </>
      }
    >
      <p>{text}</p>
      {error ? <p class="form-error" role="alert">{error}</p> : null}
    </Dialog>
  );
}

/** Copies text, saying whether it worked. */
export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    toast(t.t('copied'), 'success');
  } catch {
    toast(t.t('copyFailed'), 'error');
  }
}

/** A form dialog: the form's id ties the footer's submit button to it. */
export function FormDialog({ id, title, submit, busy, error, onSubmit, onClose, children, wide }: {
  id: string;
  title: string;
  submit: string;
  busy: boolean;
  error?: string | undefined;
  onSubmit: () => void;
  onClose: () => void;
  children: ComponentChildren;
  wide?: boolean;
}): JSX.Element {
  return (
    <Dialog
      open
      wide={wide ?? false}
      title={title}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>{common.t('actions.cancel')}</Button>
          <Button type="submit" variant="primary" form={id} busy={busy}>{submit}</Button>
        </>
      }
    >
      <form
        id={id}
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          onSubmit();
        }}
      >
        {error ? <p class="form-error" role="alert">{error}</p> : null}
        {children}
      </form>
    </Dialog>
  );
}

/**
 * Runs a form submission: `busy` while it runs, errors mapped to fields; resolves true on success.
 */
export function useSubmit(fields: readonly string[]): {
  busy: boolean;
  errors: Record<string, string>;
  setErrors: (e: Record<string, string>) => void;
  run: (f: () => Promise<void>) => Promise<boolean>;
} {
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const run = async (f: () => Promise<void>) => {
    setBusy(true);
    setErrors({});
    try {
      await f();
      return true;
    } catch (e) {
      setErrors(formErrors(e, fields));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, errors, setErrors, run };
}
