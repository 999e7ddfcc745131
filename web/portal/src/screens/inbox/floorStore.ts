/**
 * What the inbox adds from the floor domains (issue 13): a conversation's internal notes and
 * labels, the tenant's labels for the filter, and which conversations carry the filtered label.
 * Loaded from the hub, kept current by `note_created` / `labels_changed` events.
 */
import { signal } from '@preact/signals';
import { api, call, type HubEvent, type Schemas } from '../../api/hub';
import { live } from '../../app/live';

export type Note = Schemas['Note'];
export type LabelCount = Schemas['LabelCount'];

export const notes = signal<ReadonlyMap<string, readonly Note[]>>(new Map());
export const labelsOf = signal<ReadonlyMap<string, readonly string[]>>(new Map());
/** Labels used in the tenant (the filter's choices), with counts. */
export const tenantLabels = signal<readonly LabelCount[]>([]);
/** The label the list is filtered by, and the conversations carrying it (`undefined`: loading). */
export const labelFilter = signal<{ label: string; ids: ReadonlySet<string> | undefined } | null>(null);

function setIn<K, V>(map: ReadonlyMap<K, V>, key: K, value: V): Map<K, V> {
  const m = new Map(map);
  m.set(key, value);
  return m;
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export async function loadNotes(id: string): Promise<void> {
  const list = await call(api.GET('/api/v1/interactions/{id}/notes', { params: { path: { id } } }));
  notes.value = setIn(notes.value, id, list);
}

export async function addNote(id: string, text: string): Promise<Note> {
  const n = await call(api.POST('/api/v1/interactions/{id}/notes', { params: { path: { id } }, body: { text } }));
  noteAdded(n);
  return n;
}

function noteAdded(n: Note): void {
  const cur = notes.value.get(n.interaction_id);
  if (!cur) return; // not opened here: loaded when it is
  if (cur.some((x) => x.id === n.id)) return;
  notes.value = setIn(notes.value, n.interaction_id, [...cur, n]);
}

export async function loadLabels(id: string): Promise<void> {
  const list = await call(api.GET('/api/v1/interactions/{id}/labels', { params: { path: { id } } }));
  labelsOf.value = setIn(labelsOf.value, id, list);
}

export async function setLabels(id: string, labels: string[]): Promise<void> {
  const list = await call(api.PUT('/api/v1/interactions/{id}/labels', { params: { path: { id } }, body: labels }));
  labelsChanged(id, list);
  void loadTenantLabels().catch(() => {});
}

function labelsChanged(id: string, list: readonly string[]): void {
  labelsOf.value = setIn(labelsOf.value, id, list);
  const f = labelFilter.value;
  if (f?.ids) {
    const has = list.some((l) => same(l, f.label));
    if (has !== f.ids.has(id)) {
      const ids = new Set(f.ids);
      if (has) ids.add(id);
      else ids.delete(id);
      labelFilter.value = { label: f.label, ids };
    }
  }
}

let tenantOrg: string | null = null;
export async function loadTenantLabels(org: string | null = tenantOrg): Promise<void> {
  tenantOrg = org;
  tenantLabels.value = await call(api.GET('/api/v1/labels', { params: { query: org ? { org } : {} } }));
}

/** Filters the list by a label (`null`: no label filter). */
export async function filterByLabel(label: string | null): Promise<void> {
  if (!label) {
    labelFilter.value = null;
    return;
  }
  labelFilter.value = { label, ids: undefined };
  const ids = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await call(api.GET('/api/v1/interactions', { params: { query: { label, limit: 500, ...(cursor ? { cursor } : {}) } } }));
    for (const i of page.items) ids.add(i.id);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  if (labelFilter.value?.label === label) labelFilter.value = { label, ids };
}

function apply(e: HubEvent): void {
  if (e.type === 'note_created') noteAdded(e.note);
  else if (e.type === 'labels_changed') labelsChanged(e.interaction_id, e.labels);
}

let wired = false;
export function wireFloorLive(): void {
  if (wired) return;
  wired = true;
  live.on(apply);
  live.onResync(() => {
    for (const id of notes.value.keys()) void loadNotes(id).catch(() => {});
    for (const id of labelsOf.value.keys()) void loadLabels(id).catch(() => {});
    const f = labelFilter.value;
    if (f) void filterByLabel(f.label).catch(() => {});
  });
}

/** Forgets everything (logout). */
export function resetFloorStore(): void {
  notes.value = new Map();
  labelsOf.value = new Map();
  tenantLabels.value = [];
  labelFilter.value = null;
}
