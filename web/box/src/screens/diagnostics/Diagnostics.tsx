import { Button } from '@smsgate/shared/components/Button';
import { TextField } from '@smsgate/shared/components/Field';
import { toast } from '@smsgate/shared/components/Toasts';
import { defineMessages } from '@smsgate/shared/i18n/core';
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError, api, call } from '../../api/box';
import { RecentLogs } from './RecentLogs';

export const diagMsg = defineMessages('box.diagnostics', {
  en: {
    title: 'Diagnostics',
    bundle: 'Support bundle',
    bundleText: 'One file with the configuration (every password, PIN and token masked), the group, port and cloud overrides, the port states, the spool counts and the recent log lines, to send to support.',
    logs: 'Recent logs',
    logsIntro: 'The gateway’s last 500 log lines, newest at the bottom. Passwords, PINs and tokens are masked before a line is kept.',
    logsProblems: 'Warnings and errors only',
    logsRefresh: 'Refresh',
    logsRegion: 'Recent log lines',
    logsTime: 'Time',
    logsLevel: 'Level',
    logsLine: 'Line',
    logsEmpty: 'No line yet.',
    logsNone: 'This gateway does not keep its log lines (it was started without the log ring).',
    download: 'Download the support bundle',
    password: 'Admin password',
    current: 'Current password',
    next: 'New password',
    nextHint: 'At least 8 characters. Every other session of this account ends.',
    change: 'Change password',
    changed: 'Password changed. Other sessions have ended.',
  },
  fr: {
    title: 'Diagnostic',
    bundle: 'Dossier de support',
    bundleText: 'Un fichier avec la configuration (mots de passe, PIN et jetons masqués), les réglages modifiés des groupes, des ports et du cloud, l’état des ports, les compteurs de la file et les derniers journaux, à envoyer au support.',
    logs: 'Journaux récents',
    logsIntro: 'Les 500 dernières lignes du journal de la passerelle, la plus récente en bas. Mots de passe, PIN et jetons sont masqués avant qu’une ligne soit gardée.',
    logsProblems: 'Avertissements et erreurs seulement',
    logsRefresh: 'Actualiser',
    logsRegion: 'Dernières lignes du journal',
    logsTime: 'Heure',
    logsLevel: 'Niveau',
    logsLine: 'Ligne',
    logsEmpty: 'Aucune ligne pour l’instant.',
    logsNone: 'Cette passerelle ne garde pas ses lignes de journal (elle a été démarrée sans le tampon de journal).',
    download: 'Télécharger le dossier de support',
    password: 'Mot de passe administrateur',
    current: 'Mot de passe actuel',
    next: 'Nouveau mot de passe',
    nextHint: 'Au moins 8 caractères. Les autres sessions de ce compte prennent fin.',
    change: 'Changer le mot de passe',
    changed: 'Mot de passe changé. Les autres sessions ont pris fin.',
  },
});

export function Diagnostics(): JSX.Element {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>();
  const change = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await call(api.POST('/api/v1/auth/password', { body: { current, new: next } }));
      setCurrent('');
      setNext('');
      toast(diagMsg.t('changed'), 'success');
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, String(err)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="page">
      <h1>{diagMsg.t('title')}</h1>
      <section class="panel" aria-labelledby="bundle-title">
        <h2 id="bundle-title">{diagMsg.t('bundle')}</h2>
        <p>{diagMsg.t('bundleText')}</p>
        <a class="btn btn-primary" href="/api/v1/box/support-bundle" download>{diagMsg.t('download')}</a>
      </section>
      <RecentLogs />
      <section class="panel" aria-labelledby="pw-title">
        <h2 id="pw-title">{diagMsg.t('password')}</h2>
        <form onSubmit={change} noValidate>
          {error && !error.field ? <p role="alert" class="form-error">{error.message}</p> : null}
          <div class="form-grid">
            <TextField label={diagMsg.t('current')} type="password" autoComplete="current-password" value={current} onInput={(e) => setCurrent(e.currentTarget.value)} error={error?.field === 'current' ? error.message : undefined} />
            <TextField label={diagMsg.t('next')} type="password" autoComplete="new-password" hint={diagMsg.t('nextHint')} value={next} onInput={(e) => setNext(e.currentTarget.value)} error={error?.field === 'new' ? error.message : undefined} />
          </div>
          <div class="actions">
            <Button type="submit" busy={busy}>{diagMsg.t('change')}</Button>
          </div>
        </form>
      </section>
    </div>
  );
}
