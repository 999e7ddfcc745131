/**
 * Reference data most screens need to show names instead of ids: channels, contacts, users,
 * queues. Each list loads only when the role may read it; the rest stays empty (an agent sees
 * "a colleague" rather than a name it may not list).
 */
import { computed, signal } from '@preact/signals';
import { api, call, type Channel, type Contact, type Queue, type User } from '../api/hub';
import { can, me } from './session';

export const channels = signal<Channel[]>([]);
export const contacts = signal<Contact[]>([]);
export const users = signal<User[]>([]);
export const queues = signal<Queue[]>([]);

export const channelById = computed(() => new Map(channels.value.map((c) => [c.id, c])));
export const userById = computed(() => new Map(users.value.map((u) => [u.id, u])));
export const queueById = computed(() => new Map(queues.value.map((q) => [q.id, q])));
/** Contact by tenant and number. */
export const contactByNumber = computed(() => new Map(contacts.value.map((c) => [`${c.org_id}|${c.number}`, c])));

export function contactName(orgId: string, number: string): string | undefined {
  return contactByNumber.value.get(`${orgId}|${number}`)?.name || undefined;
}

export async function loadChannels(): Promise<void> {
  if (can('viewChannels')) channels.value = (await call(api.GET('/api/v1/channels', { params: { query: { limit: 500 } } }))).items;
}

export async function loadContacts(): Promise<void> {
  if (can('viewContacts')) contacts.value = (await call(api.GET('/api/v1/contacts', { params: { query: { limit: 500 } } }))).items;
}

/** Loads everything the role may read (in parallel). */
export async function loadDirectory(): Promise<void> {
  const jobs: Promise<unknown>[] = [loadChannels(), loadContacts()];
  if (can('viewUsers')) jobs.push(call(api.GET('/api/v1/users', { params: { query: { limit: 500 } } })).then((u) => (users.value = u.items)));
  if (can('viewQueues')) jobs.push(call(api.GET('/api/v1/queues', { params: { query: { limit: 500 } } })).then((q) => (queues.value = q.items)));
  await Promise.allSettled(jobs);
}

/** A display name for a user id: mine, a listed user's, or undefined. */
export function userName(id: string): string | undefined {
  if (me.value?.user?.id === id) return me.value.user.name;
  return userById.value.get(id)?.name;
}
