/** Every interaction (closed included) with filters, and one interaction's detail. */
import { useVirtual } from '@smsgate/shared/components/useVirtual';
import { formatDateTime } from '@smsgate/shared/i18n/core';
import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { channelById, channels, loadDirectory } from '../../app/directory';
import type { ScreenProps } from '../../app/modules';
import { tenant } from '../../app/session';
import { Conversation } from '../inbox/Conversation';
import { Button } from '@smsgate/shared/components/Button';
import { closedHasMore, closedState, loadClosed, loadMoreClosed } from '../inbox/closed';
import { assigneeLabel, Filters, labelledIds, LoadingMore, nameOf } from '../inbox/ConversationList';
import { applyFilter, DEFAULT_FILTER, type ConversationFilter } from '../inbox/filter';
import { inboxText } from '../inbox/messages';
import { conversations, loadConversations, loadState, wireLive } from '../inbox/store';
import { interactionsText as t } from './messages';

const ROW = 52;
let kept: ConversationFilter = { ...DEFAULT_FILTER, status: 'all' };

export function Interactions({ params }: ScreenProps): JSX.Element {
  const [filter, setFilter] = useState<ConversationFilter>(kept);
  useEffect(() => {
    wireLive();
    void loadDirectory();
    void loadConversations().catch(() => {});
  }, []);
  useEffect(() => {
    void loadClosed(filter).catch(() => {});
  }, [filter]);
  const onFilter = (f: ConversationFilter) => {
    kept = f;
    setFilter(f);
  };
  // Scrolled near the end: the next page of closed conversations (only on a user's scroll, so a
  // client-side filter hiding every closed row does not page through them all by itself).
  const onScroll = (e: Event) => {
    const el = e.currentTarget as HTMLElement;
    if (el.scrollTop + el.clientHeight >= el.scrollHeight - ROW * 10 && closedHasMore() && !closedState.value?.failed) void loadMoreClosed().catch(() => {});
  };
  const all = conversations.value;
  const ctx = tenant.value;
  const labelled = labelledIds(filter);
  const rows = useMemo(() => applyFilter(all.values(), { ...filter, tenant: ctx }, nameOf, labelled), [all, filter, ctx, labelled]);
  const v = useVirtual(rows.length, () => ROW, (i) => rows[i]?.id ?? String(i));
  if (params.id) {
    return (
      <div class="interaction-detail">
        <Conversation id={params.id} backHref="/interactions" />
      </div>
    );
  }
  return (
    <div class="page interactions">
      <div class="page-header">
        <div>
          <h1>{t.t('title')}</h1>
          <p class="muted">{t.t('intro')}</p>
        </div>
      </div>
      <div class="interactions-filters">
        <Filters filter={filter} onChange={onFilter} statuses={['all', 'waiting', 'open', 'paused', 'closed']} />
        <div class="filter-row">
          <label class="compact-field">
            <span>{inboxText.t('filter.channel')}</span>
            <select class="input" value={filter.channel ?? ''} onChange={(e) => onFilter({ ...filter, channel: e.currentTarget.value || undefined })}>
              <option value="">{inboxText.t('filter.anyChannel')}</option>
              {channels.value.map((c) => (
                <option key={c.id} value={c.id}>{c.sim_number}</option>
              ))}
            </select>
          </label>
          <label class="compact-field">
            <span>{inboxText.t('filter.from')}</span>
            <input class="input" type="date" value={filter.from ?? ''} onInput={(e) => onFilter({ ...filter, from: e.currentTarget.value || undefined })} />
          </label>
          <label class="compact-field">
            <span>{inboxText.t('filter.to')}</span>
            <input class="input" type="date" value={filter.to ?? ''} onInput={(e) => onFilter({ ...filter, to: e.currentTarget.value || undefined })} />
          </label>
        </div>
      </div>
      <div class="conv-count muted" aria-live="polite">{inboxText.t('filter.count', { count: rows.length })}</div>
      <div class="itable" role="table" aria-label={t.t('table.label')} aria-rowcount={rows.length + 1}>
        <div role="rowgroup">
          <div role="row" class="itable-row itable-head" aria-rowindex={1}>
            <span role="columnheader">{t.t('table.contact')}</span>
            <span role="columnheader">{t.t('table.channel')}</span>
            <span role="columnheader">{t.t('table.status')}</span>
            <span role="columnheader" class="col-assignee">{t.t('table.assignee')}</span>
            <span role="columnheader">{t.t('table.updated')}</span>
          </div>
        </div>
        <div class="itable-scroll" ref={(el) => {
          v.scrollRef.current = el;
        }} onScroll={onScroll} role="rowgroup">
          {loadState.value === 'loading' ? <div class="screen-loading"><span class="spinner" aria-hidden="true" /></div> : null}
          {loadState.value === 'ready' && rows.length === 0 ? <p class="empty">{inboxText.t('list.empty')}</p> : null}
          <div class="virtual-body" ref={(el) => {
            if (el) el.style.height = `${v.totalSize}px`;
          }}>
            {v.items.map((item) => {
              const i = rows[item.index];
              if (!i) return null;
              const name = nameOf(i);
              const who = name ?? i.contact_number;
              return (
                <div key={item.key} role="row" aria-rowindex={item.index + 2} class="itable-row virtual-row" ref={(el) => {
                  if (el) el.style.transform = `translateY(${item.start}px)`;
                }} data-id={i.id}>
                  <span role="cell">
                    <Link href={`/interactions/${i.id}`} aria-label={t.t('table.open', { who })}>{who}</Link>
                    {name ? <span class="muted"> {i.contact_number}</span> : null}
                  </span>
                  <span role="cell">{channelById.value.get(i.channel_id)?.sim_number ?? ''}</span>
                  <span role="cell"><span class={`status status-${i.status}`}>{inboxText.t(`status.${i.status}`)}</span></span>
                  <span role="cell" class="col-assignee">{assigneeLabel(i) ?? ''}</span>
                  <span role="cell"><time dateTime={i.updated_at}>{formatDateTime(i.updated_at, { dateStyle: 'short', timeStyle: 'short' })}</time></span>
                </div>
              );
            })}
          </div>
        </div>
      </div>
      <MoreClosed />
    </div>
  );
}

/** "Load more" for closed conversations, and a polite live region while a page is on its way. */
function MoreClosed(): JSX.Element {
  const s = closedState.value;
  const more = () => void loadMoreClosed().catch(() => {});
  return (
    <div class="load-more">
      <LoadingMore />
      <div class="muted" role="status" aria-live="polite">
        {s?.loading ? t.t('more.loading') : s?.failed ? t.t('more.failed') : null}
      </div>
      {s && !s.loading && closedHasMore() ? (
        <Button onClick={more} data-testid="load-more-closed">{s.failed ? t.t('more.retry') : t.t('more.button')}</Button>
      ) : null}
    </div>
  );
}
