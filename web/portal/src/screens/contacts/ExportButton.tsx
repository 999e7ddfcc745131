/** "Export CSV": the tenant's contacts, or one list's, as the hub writes them (the import's columns). */
import { Button } from '@smsgate/shared/components/Button';
import { toast } from '@smsgate/shared/components/Toasts';
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { download } from '../inbox/download';
import { errorText } from '../kit/kit';
import { contactsText as t } from './messages';

/** The hub's export address: the chosen tenant (none: the caller's own) and, for a list, its id. */
export function contactsExportUrl(org: string | null | undefined, list?: string): string {
  const q = new URLSearchParams();
  if (org) q.set('org', org);
  if (list) q.set('list', list);
  const s = q.toString();
  return `/api/v1/contacts/export${s ? `?${s}` : ''}`;
}

export function ExportButton({ org, list }: { org: string | null | undefined; list?: string }): JSX.Element {
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    try {
      const name = await download(contactsExportUrl(org, list), 'contacts.csv');
      toast(t.t('export.done', { name }), 'success');
    } catch (e) {
      toast(errorText(e), 'error');
    } finally {
      setBusy(false);
    }
  };
  return (
    <Button icon="archive" busy={busy} onClick={() => void run()}>
      {t.t('export.button')}
    </Button>
  );
}
