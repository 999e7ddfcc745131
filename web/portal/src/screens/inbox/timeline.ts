/** Messages and internal notes of a conversation in one timeline (pure). */
import type { Message, Schemas } from '../../api/hub';

type Note = Schemas['Note'];

export type Item = { at: string; m: Message; n?: undefined } | { at: string; n: Note; m?: undefined };

/** Messages and notes in one list, oldest first (a message before a note at the same instant). */
export function timeline(list: readonly Message[], ns: readonly Note[]): Item[] {
  const items: Item[] = [...list.map((m) => ({ at: m.created_at, m })), ...ns.map((n) => ({ at: n.created_at, n }))];
  return items.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}
