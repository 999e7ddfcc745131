/** Bulk messages: compose (channel, text, recipients) and the history with per-recipient results. */
import type { JSX } from 'preact';
import { Link, useLocation } from 'wouter-preact';
import type { ScreenProps } from '../../app/modules';
import { PageHeader } from '../kit/kit';
import { Compose } from './Compose';
import { BulkDetailView, History } from './History';
import { bulkText as t } from './messages';

export function Bulk({ params }: ScreenProps): JSX.Element {
  const [location] = useLocation();
  const onHistory = location.startsWith('/bulk/history');
  return (
    <div class="page admin-page">
      <PageHeader title={t.t('title')} intro={t.t('intro')} />
      <nav class="tabs" aria-label={t.t('tabs.label')}>
        <Link href="/bulk" class={onHistory ? 'tab' : 'tab active'} aria-current={onHistory ? undefined : 'page'}>{t.t('tabs.compose')}</Link>
        <Link href="/bulk/history" class={onHistory ? 'tab active' : 'tab'} aria-current={onHistory ? 'page' : undefined}>{t.t('tabs.history')}</Link>
      </nav>
      {params.id ? <BulkDetailView id={params.id} /> : onHistory ? <History /> : <Compose />}
    </div>
  );
}
