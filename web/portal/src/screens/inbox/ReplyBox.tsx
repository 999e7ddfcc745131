/**
 * The reply box: an SMS to the customer, or an internal note (visibly different, never sent);
 * emoji and canned replies insert where the cursor is.
 */
import { Button, IconButton } from '@smsgate/shared/components/Button';
import { Icon } from '@smsgate/shared/components/Icon';
import { HUB_MAX_CHARS, SmsCounter } from '@smsgate/shared/components/SmsCounter';
import { toast } from '@smsgate/shared/components/Toasts';
import { charCount } from '@smsgate/shared/sms/segments';
import type { JSX } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { api, call, type Interaction } from '../../api/hub';
import { CannedPicker } from './CannedPicker';
import { EmojiPicker } from './EmojiPicker';
import { errorText } from './errorText';
import { inboxFloorText as f } from './floorMessages';
import { addNote } from './floorStore';
import { inboxText as t } from './messages';
import { addSent, fetchConversation } from './store';

const MAX_NOTE = 2000;

export function ReplyBox({ conversation }: { conversation: Interaction }): JSX.Element {
  const [mode, setMode] = useState<'reply' | 'note'>('reply');
  const [text, setText] = useState('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [tool, setTool] = useState<'emoji' | 'canned' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const area = useRef<HTMLTextAreaElement>(null);
  const isNote = mode === 'note';
  const value = isNote ? note : text;
  const setValue = isNote ? setNote : setText;
  const over = isNote ? value.length > MAX_NOTE : charCount(value) > HUB_MAX_CHARS;
  const send = async (e?: Event) => {
    e?.preventDefault();
    if (!value.trim() || over || busy) return;
    setBusy(true);
    setError(null);
    try {
      if (isNote) {
        await addNote(conversation.id, note);
        setNote('');
        toast(f.t('note.added'), 'success');
      } else {
        const m = await call(api.POST('/api/v1/interactions/{id}/messages', { params: { path: { id: conversation.id } }, body: { text } }));
        addSent(m);
        setText('');
        void fetchConversation(conversation.id).catch(() => {});
      }
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
      area.current?.focus();
    }
  };
  const insert = (s: string) => {
    const el = area.current;
    if (!el) {
      setValue(value + s);
      return;
    }
    const start = el.selectionStart ?? value.length;
    const end = el.selectionEnd ?? value.length;
    const next = value.slice(0, start) + s + value.slice(end);
    setValue(next);
    requestAnimationFrame(() => {
      el.focus();
      el.selectionStart = el.selectionEnd = start + s.length;
    });
  };
  const closeTool = () => {
    setTool(null);
    area.current?.focus();
  };
  return (
    <form class={`reply${isNote ? ' reply-note' : ''}`} onSubmit={send} data-mode={mode}>
      <div class="reply-modes" role="group" aria-label={f.t('mode.label')}>
        <button type="button" class="reply-mode" aria-pressed={!isNote ? 'true' : 'false'} onClick={() => setMode('reply')} data-testid="mode-reply">
          {f.t('mode.reply')}
        </button>
        <button type="button" class="reply-mode" aria-pressed={isNote ? 'true' : 'false'} onClick={() => setMode('note')} data-testid="mode-note">
          <Icon name="lock" />
          <span>{f.t('mode.note')}</span>
        </button>
        {isNote ? <span class="reply-note-hint">{f.t('note.hint')}</span> : null}
      </div>
      {error ? <p class="form-error" role="alert">{error}</p> : null}
      <label for="reply-text" class="visually-hidden">{isNote ? f.t('note.label') : t.t('reply.label')}</label>
      <textarea
        id="reply-text"
        ref={area}
        class="input reply-text"
        rows={3}
        placeholder={isNote ? f.t('note.placeholder') : t.t('reply.placeholder')}
        value={value}
        aria-describedby={isNote ? undefined : 'reply-counter'}
        aria-invalid={over ? 'true' : undefined}
        onInput={(e) => setValue(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void send(e);
        }}
        data-testid="reply-text"
      />
      <div class="reply-bar">
        <div class="reply-tools">
          <IconButton icon="smile" label={t.t('reply.emoji')} pressed={tool === 'emoji'} onClick={() => setTool(tool === 'emoji' ? null : 'emoji')} aria-expanded={tool === 'emoji' ? 'true' : 'false'} />
          <IconButton icon="list" label={f.t('canned.open')} pressed={tool === 'canned'} onClick={() => setTool(tool === 'canned' ? null : 'canned')} aria-expanded={tool === 'canned' ? 'true' : 'false'} data-testid="canned-open" />
          {tool === 'emoji' ? <EmojiPicker onPick={(s) => insert(s)} onClose={closeTool} /> : null}
          {tool === 'canned' ? (
            <CannedPicker
              interaction={conversation.id}
              onPick={(s) => {
                setTool(null);
                insert(s);
              }}
              onClose={closeTool}
            />
          ) : null}
        </div>
        {isNote ? <span class="muted reply-count">{`${value.length} / ${MAX_NOTE}`}</span> : <SmsCounter text={text} id="reply-counter" />}
        <Button type="submit" variant="primary" icon={isNote ? 'lock' : 'send'} busy={busy} disabled={!value.trim() || over}>
          {isNote ? f.t('note.add') : t.t('reply.send')}
        </Button>
      </div>
    </form>
  );
}
