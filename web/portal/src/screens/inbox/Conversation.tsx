/** The right pane: one conversation, its messages, its actions and the reply box. */
import { Icon } from '@smsgate/shared/components/Icon';
import { Menu, type MenuEntry } from '@smsgate/shared/components/Menu';
import { toast } from '@smsgate/shared/components/Toasts';
import { formatDateTime } from '@smsgate/shared/i18n/core';
import type { JSX } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { api, ApiError, call, type Interaction, type InteractionStatus, type Message } from '../../api/hub';
import { channelById, contactName } from '../../app/directory';
import { can } from '../../app/session';
import { AddContactDialog } from './AddContactDialog';
import { CampaignTag } from './CampaignTag';
import { assigneeLabel } from './ConversationList';
import { DetailsDialog } from './DetailsDialog';
import { MessageDetailsDialog } from './MessageDetailsDialog';
import { messageText as mt } from './messageMessages';
import { download } from './download';
import { errorText } from './errorText';
import { inboxFloorText as f } from './floorMessages';
import { loadNotes, notes, type Note, wireFloorLive } from './floorStore';
import { Labels } from './Labels';
import { timeline } from './timeline';
import { inboxText as t } from './messages';
import { ReplyBox } from './ReplyBox';
import { mayRelease, releaseToQueue } from './release';
import { conversations, fetchConversation, loadThread, movedAway, threads, upsertConversation } from './store';
import { Ticks } from './Ticks';
import { TransferDialog } from './TransferDialog';


function Bubble({ m }: { m: Message }): JSX.Element {
  const out = m.direction === 'outbound';
  const [details, setDetails] = useState(false);
  const unknown = out && m.state === 'unknown';
  return (
    <li class={`bubble ${out ? 'bubble-out' : 'bubble-in'}${m.state === 'failed' ? ' bubble-failed' : ''}${unknown ? ' bubble-unknown' : ''}`} data-message={m.id} data-state={m.state}>
      <p class="bubble-text">{m.text}</p>
      <span class="bubble-meta">
        <time dateTime={m.created_at}>{formatDateTime(m.created_at, { dateStyle: 'short', timeStyle: 'short' })}</time>
        <Ticks message={m} />
        {out ? (
          <button type="button" class={unknown ? 'link-btn bubble-why' : 'icon-btn bubble-info'} aria-label={unknown ? undefined : mt.t('open')} title={unknown ? undefined : mt.t('open')} onClick={() => setDetails(true)} data-testid="message-details-open">
            {unknown ? mt.t('whatWeKnow') : <Icon name="info" size={16} />}
          </button>
        ) : null}
      </span>
      {details ? <MessageDetailsDialog message={m} onClose={() => setDetails(false)} /> : null}
    </li>
  );
}

function NoteBubble({ n }: { n: Note }): JSX.Element {
  return (
    <li class="bubble bubble-note" data-note={n.id} data-testid="note">
      <span class="note-badge"><Icon name="lock" />{f.t('note.badge', { author: n.author_name })}</span>
      <p class="bubble-text">{n.text}</p>
      <span class="bubble-meta">
        <time dateTime={n.created_at}>{formatDateTime(n.created_at, { dateStyle: 'short', timeStyle: 'short' })}</time>
      </span>
    </li>
  );
}

function Thread({ list, notes: ns, who }: { list: readonly Message[]; notes: readonly Note[]; who: string }): JSX.Element {
  const ref = useRef<HTMLOListElement>(null);
  const items = timeline(list, ns);
  const lastItem = items[items.length - 1];
  const last = lastItem ? (lastItem.m?.id ?? lastItem.n?.id) : undefined;
  useLayoutEffect(() => {
    const el = ref.current?.parentElement;
    if (el) el.scrollTop = el.scrollHeight;
  }, [last]);
  return (
    <div class="thread" tabIndex={0} aria-label={t.t('conversation.messagesLabel', { who })}>
      {list.length === 0 ? <p class="empty">{t.t('conversation.noMessages')}</p> : null}
      <ol ref={ref} class="bubbles" aria-live="polite" aria-relevant="additions">
        {items.map((x) => (x.m ? <Bubble key={x.m.id} m={x.m} /> : x.n ? <NoteBubble key={x.n.id} n={x.n} /> : null))}
      </ol>
    </div>
  );
}

export function Conversation({ id, backHref }: { id: string; backHref: string }): JSX.Element {
  const conversation = conversations.value.get(id);
  const thread = threads.value.get(id);
  const [missing, setMissing] = useState(false);
  const [dialog, setDialog] = useState<'details' | 'contact' | 'transfer' | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setMissing(false);
    wireFloorLive();
    let alive = true;
    void loadNotes(id).catch(() => {});
    loadThread(id).catch((e) => alive && e instanceof ApiError && e.kind === 'not_found' && setMissing(true));
    if (!conversations.value.has(id)) fetchConversation(id).catch((e) => alive && e instanceof ApiError && e.kind === 'not_found' && setMissing(true));
    return () => {
      alive = false;
    };
  }, [id]);
  if (movedAway.value.has(id) && !conversation) {
    return (
      <section class="conversation conversation-empty">
        <p role="alert">{t.t('conversation.movedAway')}</p>
        <Link href={backHref}>{t.t('conversation.back')}</Link>
      </section>
    );
  }
  if (missing) {
    return (
      <section class="conversation conversation-empty">
        <p role="alert">{t.t('conversation.notFound')}</p>
        <Link href={backHref}>{t.t('conversation.back')}</Link>
      </section>
    );
  }
  if (!conversation) {
    return (
      <section class="conversation conversation-empty" aria-busy="true">
        <span class="spinner" aria-hidden="true" />
      </section>
    );
  }
  const name = contactName(conversation.org_id, conversation.contact_number);
  const who = name ?? conversation.contact_number;
  const channel = channelById.value.get(conversation.channel_id);
  const change = async (what: () => Promise<Interaction | { interaction: Interaction; done: string }>, done?: string) => {
    setBusy(true);
    try {
      const r = await what();
      const changed = 'interaction' in r ? r : { interaction: r, done: done ?? '' };
      upsertConversation(changed.interaction);
      toast(changed.done, 'success');
    } catch (e) {
      toast(errorText(e), 'error');
    } finally {
      setBusy(false);
    }
  };
  const setStatus = (status: InteractionStatus, done: string) =>
    change(() => call(api.POST('/api/v1/interactions/{id}/status', { params: { path: { id } }, body: { status } })), done);
  const setRead = (read: boolean) =>
    change(() => call(api.POST('/api/v1/interactions/{id}/read', { params: { path: { id } }, body: { read } })), read ? t.t('conversation.read') : t.t('conversation.markUnread'));
  const mayChange = can('changeInteraction');
  const closed = conversation.status === 'closed';
  const transcript = async () => {
    try {
      const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
      const name = await download(`/api/v1/interactions/${encodeURIComponent(id)}/transcript.pdf?tz=${encodeURIComponent(tz)}`, `transcript-${id}.pdf`);
      toast(f.t('transcript.done', { name }), 'success');
    } catch (e) {
      toast(errorText(e), 'error');
    }
  };
  const items: MenuEntry[] = [
    { id: 'details', label: t.t('actions.details'), icon: 'info', onSelect: () => setDialog('details') },
    { id: 'transcript', label: f.t('transcript.download'), icon: 'archive', onSelect: () => void transcript() },
    ...(can('manageContacts') && !name ? [{ id: 'contact', label: t.t('actions.addContact'), icon: 'userPlus' as const, onSelect: () => setDialog('contact') }] : []),
    ...(can('transfer') && !closed ? [{ id: 'transfer', label: t.t('actions.transfer'), icon: 'transfer' as const, onSelect: () => setDialog('transfer') }] : []),
    ...(mayChange && !closed
      ? conversation.status === 'paused'
        ? [{ id: 'resume', label: t.t('actions.resume'), icon: 'send' as const, onSelect: () => void setStatus('open', t.t('actions.resumed')) }]
        : [{ id: 'pause', label: t.t('actions.pause'), icon: 'pause' as const, onSelect: () => void setStatus('paused', t.t('actions.paused')) }]
      : []),
    ...(can('transfer') && mayRelease(conversation)
      ? [{ id: 'release', label: t.t('actions.release'), icon: 'release' as const, onSelect: () => void change(() => releaseToQueue(conversation)) }]
      : []),
    ...(mayChange
      ? closed
        ? [{ id: 'reopen', label: t.t('actions.reopen'), icon: 'inbox' as const, onSelect: () => void setStatus('open', t.t('actions.resumed')) }]
        : [{ id: 'close', label: t.t('actions.close'), icon: 'archive' as const, danger: true, onSelect: () => void setStatus('closed', t.t('actions.closed')) }]
      : []),
  ];
  const assignee = assigneeLabel(conversation);
  return (
    <section class="conversation" aria-labelledby="conv-title" data-status={conversation.status}>
      <header class="conv-header">
        <Link href={backHref} class="icon-btn back-btn" aria-label={t.t('conversation.back')} title={t.t('conversation.back')}>
          <Icon name="back" />
        </Link>
        <div class="conv-title">
          <h2 id="conv-title">{who}</h2>
          <p class="muted">
            {name ? `${conversation.contact_number} · ` : ''}
            {channel ? t.t('conversation.via', { channel: channel.sim_number }) : ''}
            {assignee ? ` · ${assignee}` : ''}
          </p>
          {conversation.campaign ? (
            <p class="muted">
              <CampaignTag campaign={conversation.campaign} link={can('viewCampaigns')} />
            </p>
          ) : null}
        </div>
        <span class={`status status-${conversation.status}`} data-testid="conv-status-badge">{t.t(`status.${conversation.status}`)}</span>
        {mayChange ? (
          <button
            type="button"
            class={`icon-btn read-tick${conversation.read ? ' is-read' : ''}`}
            aria-pressed={conversation.read ? 'true' : 'false'}
            aria-label={conversation.read ? t.t('conversation.markUnread') : t.t('conversation.markRead')}
            title={conversation.read ? t.t('conversation.markUnread') : t.t('conversation.markRead')}
            disabled={busy}
            onClick={() => void setRead(!conversation.read)}
            data-testid="read-tick"
          >
            <Icon name="check" />
          </button>
        ) : null}
        <Menu label={t.t('actions.menu')} items={items} />
      </header>
      <Labels id={id} editable={mayChange} />
      {closed ? <p class="notice conv-notice">{t.t('conversation.closedNotice')}</p> : null}
      {thread ? <Thread list={thread} notes={notes.value.get(id) ?? []} who={who} /> : <div class="thread"><span class="spinner" aria-hidden="true" /></div>}
      {can('reply') && !closed ? <ReplyBox key={id} conversation={conversation} /> : null}
      {dialog === 'details' ? <DetailsDialog conversation={conversation} messages={thread?.length ?? 0} onClose={() => setDialog(null)} /> : null}
      {dialog === 'contact' ? <AddContactDialog orgId={conversation.org_id} number={conversation.contact_number} onClose={() => setDialog(null)} /> : null}
      {dialog === 'transfer' ? <TransferDialog conversation={conversation} onClose={() => setDialog(null)} /> : null}
    </section>
  );
}
