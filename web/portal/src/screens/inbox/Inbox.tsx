/**
 * The shared inbox: conversations on the left, the open one on the right (one pane at a time
 * on a phone). Live: new messages, delivery ticks and transfers arrive from the event stream.
 */
import { Button } from '@smsgate/shared/components/Button';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { loadDirectory } from '../../app/directory';
import type { ScreenProps } from '../../app/modules';
import { can } from '../../app/session';
import { Conversation } from './Conversation';
import { ConversationList } from './ConversationList';
import { DEFAULT_FILTER, type ConversationFilter } from './filter';
import { inboxText as t } from './messages';
import { NewMessageDialog } from './NewMessageDialog';
import { loadConversations, wireLive } from './store';

let kept: ConversationFilter = DEFAULT_FILTER;

export function Inbox({ params }: ScreenProps): JSX.Element {
  const [filter, setFilter] = useState<ConversationFilter>(kept);
  const [compose, setCompose] = useState(false);
  useEffect(() => {
    wireLive();
    void loadDirectory();
    void loadConversations().catch(() => {});
  }, []);
  const onFilter = (f: ConversationFilter) => {
    kept = f;
    setFilter(f);
  };
  const id = params.id;
  return (
    <div class={`inbox${id ? ' has-open' : ''}`}>
      <div class="inbox-list-pane">
        <div class="page-header inbox-header">
          <h1>{t.t('title')}</h1>
          {can('startConversation') ? (
            <Button variant="primary" icon="plus" onClick={() => setCompose(true)} data-testid="new-message">{t.t('newMessage')}</Button>
          ) : null}
        </div>
        <ConversationList filter={filter} onFilter={onFilter} activeId={id} />
      </div>
      <div class="inbox-conv-pane">
        {id ? <Conversation id={id} backHref="/inbox" /> : <p class="empty conversation-empty">{t.t('conversation.pick')}</p>}
      </div>
      {compose ? <NewMessageDialog onClose={() => setCompose(false)} /> : null}
    </div>
  );
}
