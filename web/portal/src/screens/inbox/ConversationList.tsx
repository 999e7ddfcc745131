/** The left pane: filters and the virtualised list of conversations. */
import { Icon } from '@smsgate/shared/components/Icon';
import { useVirtual } from '@smsgate/shared/components/useVirtual';
import { formatListTime } from '@smsgate/shared/i18n/core';
import type { JSX } from 'preact';
import { useEffect, useMemo } from 'preact/hooks';
import { Link } from 'wouter-preact';
import type { Interaction } from '../../api/hub';
import { channelById, contactName, queueById, userName } from '../../app/directory';
import { me, tenant } from '../../app/session';
import { CampaignTag } from './CampaignTag';
import { applyFilter, awaitsAssignee, type ConversationFilter, type StatusFilter } from './filter';
import { inboxFloorText } from './floorMessages';
import { filterByLabel, labelFilter, loadTenantLabels, tenantLabels } from './floorStore';
import { inboxText as t } from './messages';
import { conversations, lastMessage, loadedCount, loadingMore, loadState } from './store';

const ROW = 76;

export function nameOf(i: Interaction): string | undefined {
  return contactName(i.org_id, i.contact_number);
}

export function assigneeLabel(i: Interaction): string | undefined {
  if (!i.assignee_id) return undefined;
  if (i.assignee_id === me.value?.user?.id) return t.t('list.assignedToYou');
  const n = userName(i.assignee_id);
  return n ? t.t('list.assignedTo', { name: n }) : t.t('list.assignedToColleague');
}

function Row({ i, active }: { i: Interaction; active: boolean }): JSX.Element {
  const name = nameOf(i);
  const last = lastMessage.value.get(i.id);
  const assignee = assigneeLabel(i);
  const queue = i.queue_id ? queueById.value.get(i.queue_id)?.name : undefined;
  const dot = awaitsAssignee(i);
  const preview = last ? (last.direction === 'outbound' ? t.t('list.preview.you', { text: last.text }) : last.text) : channelById.value.get(i.channel_id)?.sim_number;
  return (
    <Link
      href={`/inbox/${i.id}`}
      class={`conv-row${active ? ' active' : ''}${i.read ? '' : ' unread'}`}
      aria-current={active ? 'true' : undefined}
      data-id={i.id}
      data-status={i.status}
    >
      <span class="conv-line">
        <span class="conv-who">
          {i.read ? null : <span class="unread-dot" title={t.t('list.unread')}><span class="visually-hidden">{t.t('list.unread')}</span></span>}
          <span class="conv-name">{name ?? i.contact_number}</span>
        </span>
        <time class="conv-time" dateTime={i.updated_at}>{formatListTime(i.updated_at)}</time>
      </span>
      <span class="conv-line">
        <span class="conv-preview">{name ? `${i.contact_number} · ` : ''}{preview}</span>
        <span class={`status status-${i.status}`}>{t.t(`status.${i.status}`)}</span>
      </span>
      {assignee || queue || i.campaign ? (
        <span class="conv-line conv-meta">
          {i.campaign ? <CampaignTag campaign={i.campaign} link={false} /> : null}
          {!assignee && !queue ? null : assignee ? (
            <span class="conv-assignee">
              {dot ? <span class="red-dot" title={t.t('list.transferred')}><span class="visually-hidden">{t.t('list.transferred')}</span></span> : null}
              {assignee}
            </span>
          ) : (
            <span>{t.t('list.queue', { name: queue ?? '' })}</span>
          )}
        </span>
      ) : null}
    </Link>
  );
}

/** The conversations carrying the filter's label, as the hub last said. */
export function labelledIds(filter: ConversationFilter): ReadonlySet<string> | undefined {
  const f = labelFilter.value;
  return filter.label && f?.label === filter.label ? f.ids : undefined;
}

function LabelSelect({ filter, onChange }: { filter: ConversationFilter; onChange: (f: ConversationFilter) => void }): JSX.Element | null {
  const ctx = tenant.value;
  useEffect(() => {
    void loadTenantLabels(ctx).catch(() => {});
  }, [ctx]);
  useEffect(() => {
    if ((labelFilter.value?.label ?? undefined) !== filter.label) void filterByLabel(filter.label ?? null).catch(() => {});
  }, [filter.label]);
  const list = tenantLabels.value;
  if (list.length === 0 && !filter.label) return null;
  return (
    <label class="compact-field">
      <span class="visually-hidden">{inboxFloorText.t('labels.filter')}</span>
      <select class="input" value={filter.label ?? ''} onChange={(e) => onChange({ ...filter, label: e.currentTarget.value || undefined })} data-testid="conv-label">
        <option value="">{inboxFloorText.t('labels.any')}</option>
        {filter.label && !list.some((l) => l.label === filter.label) ? <option value={filter.label}>{filter.label}</option> : null}
        {list.map((l) => (
          <option key={l.label} value={l.label}>{`${l.label} (${l.conversations})`}</option>
        ))}
      </select>
    </label>
  );
}

export function Filters({ filter, onChange, statuses }: { filter: ConversationFilter; onChange: (f: ConversationFilter) => void; statuses: StatusFilter[] }): JSX.Element {
  return (
    <div class="conv-filters">
      <label class="search-box">
        <Icon name="search" />
        <span class="visually-hidden">{t.t('filter.search')}</span>
        <input type="search" class="input" placeholder={t.t('filter.search')} value={filter.search} onInput={(e) => onChange({ ...filter, search: e.currentTarget.value })} data-testid="conv-search" />
      </label>
      <div class="filter-row">
        <label class="compact-field">
          <span class="visually-hidden">{t.t('filter.label')}</span>
          <select class="input" value={filter.status} onChange={(e) => onChange({ ...filter, status: e.currentTarget.value as StatusFilter })} data-testid="conv-status">
            {statuses.map((s) => (
              <option key={s} value={s}>{t.t(`filter.${s}`)}</option>
            ))}
          </select>
        </label>
        <LabelSelect filter={filter} onChange={onChange} />
        <label class="check">
          <input type="checkbox" checked={filter.unreadOnly} onChange={(e) => onChange({ ...filter, unreadOnly: e.currentTarget.checked })} />
          <span>{t.t('filter.unreadOnly')}</span>
        </label>
        <label class="check">
          <input type="checkbox" checked={!!filter.assignee} onChange={(e) => onChange({ ...filter, assignee: e.currentTarget.checked ? me.value?.user?.id : undefined })} />
          <span>{t.t('filter.mine')}</span>
        </label>
      </div>
    </div>
  );
}

/** A polite live region saying more live conversations are on their way (empty otherwise). */
export function LoadingMore(): JSX.Element {
  return (
    <div class="conv-loading-more muted" role="status" aria-live="polite" data-testid="conv-loading-more">
      {loadingMore.value ? t.t('list.loadingMore', { n: loadedCount.value }) : null}
    </div>
  );
}

export function ConversationList({ filter, onFilter, activeId }: { filter: ConversationFilter; onFilter: (f: ConversationFilter) => void; activeId: string | undefined }): JSX.Element {
  const all = conversations.value;
  const ctx = tenant.value;
  // Recomputed when the data, the filter, the tenant context or the contact names change.
  const labelled = labelledIds(filter);
  const rows = useMemo(() => applyFilter(all.values(), { ...filter, tenant: ctx }, nameOf, labelled), [all, filter, ctx, contactName, labelled]);
  const v = useVirtual(rows.length, () => ROW, (i) => rows[i]?.id ?? String(i));
  const onKey = (e: KeyboardEvent) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp' && e.key !== 'Home' && e.key !== 'End') return;
    const el = document.activeElement as HTMLElement | null;
    const at = el?.dataset.id ? rows.findIndex((r) => r.id === el.dataset.id) : -1;
    const next = e.key === 'Home' ? 0 : e.key === 'End' ? rows.length - 1 : Math.max(0, Math.min(rows.length - 1, at + (e.key === 'ArrowDown' ? 1 : -1)));
    e.preventDefault();
    v.scrollToIndex(next);
    requestAnimationFrame(() => {
      const target = v.scrollRef.current?.querySelector<HTMLElement>(`[data-id="${rows[next]?.id}"]`);
      target?.focus();
    });
  };
  return (
    <section class="conv-list" aria-label={t.t('listLabel')}>
      <Filters filter={filter} onChange={onFilter} statuses={['live', 'waiting', 'open', 'paused']} />
      <div class="conv-count muted" aria-live="polite">{t.t('filter.count', { count: rows.length })}</div>
      <LoadingMore />
      <div class="conv-scroll" ref={(el) => {
          v.scrollRef.current = el;
        }} onKeyDown={onKey} data-testid="conv-scroll">
        {loadState.value === 'loading' ? <div class="screen-loading"><span class="spinner" aria-hidden="true" /></div> : null}
        {loadState.value === 'ready' && rows.length === 0 ? (
          <p class="empty">{filter.search || filter.unreadOnly || filter.assignee || filter.label || filter.status !== 'live' ? t.t('list.empty') : t.t('list.emptyInbox')}</p>
        ) : null}
        <div role="list" class="virtual-body" ref={(el) => {
            if (el) el.style.height = `${v.totalSize}px`;
          }}>
          {v.items.map((item) => {
            const i = rows[item.index];
            if (!i) return null;
            return (
              <div key={item.key} role="listitem" aria-setsize={rows.length} aria-posinset={item.index + 1} class="virtual-row" ref={(el) => {
                  if (el) el.style.transform = `translateY(${item.start}px)`;
                }}>
                <Row i={i} active={i.id === activeId} />
              </div>
            );
          })}
        </div>
      </div>
    </section>
  );
}
