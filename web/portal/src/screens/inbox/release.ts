/**
 * "Release to the group": the conversation goes back to its queue with no assignee. The toast
 * names the queue; an agent may not list the queues, so its name then comes from the
 * conversation's transfer targets (which an agent may read), and is left out if unknown.
 */
import { api, call, type Interaction } from '../../api/hub';
import { queueById } from '../../app/directory';
import { inboxText as t } from './messages';

export function mayRelease(c: Interaction): boolean {
  return c.status !== 'closed' && !!c.queue_id && !!c.assignee_id;
}

/** The name of the conversation's queue, as the directory or its transfer targets know it. */
export async function queueName(c: Interaction): Promise<string | undefined> {
  if (!c.queue_id) return undefined;
  const known = queueById.value.get(c.queue_id)?.name;
  if (known) return known;
  try {
    const targets = await call(api.GET('/api/v1/interactions/{id}/transfer-targets', { params: { path: { id: c.id } } }));
    return targets.queues.find((q) => q.id === c.queue_id)?.name;
  } catch {
    return undefined;
  }
}

/** Releases the conversation to its queue; resolves with the updated conversation and the sentence to show. */
export async function releaseToQueue(c: Interaction): Promise<{ interaction: Interaction; done: string }> {
  const queue = c.queue_id;
  if (!queue) throw new Error('the conversation has no queue to release it to');
  const name = await queueName(c);
  const interaction = await call(api.POST('/api/v1/interactions/{id}/transfer', { params: { path: { id: c.id } }, body: { queue } }));
  return { interaction, done: name ? t.t('actions.released', { name }) : t.t('actions.releasedUnnamed') };
}
