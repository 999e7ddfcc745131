/** Dialer CSV and do-not-contact uploads, with every bad line shown. */
import { Button } from '@smsgate/shared/components/Button';
import { Field, SelectField } from '@smsgate/shared/components/Field';
import { parseErrorBody } from '@smsgate/shared/api/errors';
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, call } from '../../api/box';
import { spoolMsg } from './messages';
import { type UploadKind, uploadRequest } from './upload';

export function Upload({ onDone }: { onDone: () => void }): JSX.Element {
  const [kind, setKind] = useState<UploadKind>('dialer');
  const [groups, setGroups] = useState<string[]>([]);
  const [group, setGroup] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<string | undefined>();
  const [error, setError] = useState<{ message: string; lines: Array<{ line?: number; message: string }> } | undefined>();
  const file = useRef<HTMLInputElement>(null);
  useEffect(() => {
    call(api.GET('/api/v1/box/groups'))
      .then((r) => {
        setGroups(r.groups.map((g) => g.name));
        setGroup(r.groups[0]?.name ?? '');
      })
      .catch(() => setGroups([]));
  }, []);
  const submit = async (e: Event) => {
    e.preventDefault();
    const f = file.current?.files?.[0];
    setResult(undefined);
    setError(undefined);
    if (!f) {
      setError({ message: spoolMsg.t('chooseFile'), lines: [] });
      return;
    }
    setBusy(true);
    try {
      const { url, init } = uploadRequest(kind, group, f);
      const r = await fetch(url, init);
      const body: unknown = await r.json().catch(() => undefined);
      if (!r.ok) {
        const err = parseErrorBody(r.status, body, r.statusText);
        setError({ message: err.details.length ? spoolMsg.t('badFile') : err.message, lines: [...err.details] });
        return;
      }
      const b = body as { imported: number; blocked?: number; added?: number };
      setResult(kind === 'dialer' ? spoolMsg.t('imported', { imported: b.imported, blocked: b.blocked ?? 0 }) : spoolMsg.t('blocked', { imported: b.imported, added: b.added ?? 0 }));
      onDone();
    } catch (err) {
      setError({ message: err instanceof Error ? err.message : String(err), lines: [] });
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="panel" aria-labelledby="upload-title">
      <h2 id="upload-title">{spoolMsg.t('upload')}</h2>
      <form onSubmit={submit} noValidate>
        <div class="form-grid">
          <SelectField label={spoolMsg.t('kind')} value={kind} onChange={(e) => setKind(e.currentTarget.value as UploadKind)}>
            <option value="dialer">{spoolMsg.t('dialer')}</option>
            <option value="blocklist">{spoolMsg.t('blocklist')}</option>
          </SelectField>
          {kind === 'dialer' ? (
            <SelectField label={spoolMsg.t('group')} value={group} onChange={(e) => setGroup(e.currentTarget.value)}>
              {groups.map((g) => <option key={g} value={g}>{g}</option>)}
            </SelectField>
          ) : null}
          <Field label={spoolMsg.t('file')}>{(a) => <input {...a} class="input" type="file" accept=".csv,text/csv,text/plain" ref={file} />}</Field>
        </div>
        <div class="actions">
          <Button type="submit" variant="primary" busy={busy}>{spoolMsg.t('send')}</Button>
        </div>
      </form>
      {result ? <p role="status" class="notice">{result}</p> : null}
      {error ? (
        <div role="alert">
          <p class="form-error">{error.message}</p>
          {error.lines.length ? (
            <ul class="problems" data-testid="upload-lines">
              {error.lines.map((l, i) => <li key={i}>{l.line !== undefined ? spoolMsg.t('line', { line: l.line, message: l.message }) : l.message}</li>)}
            </ul>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
