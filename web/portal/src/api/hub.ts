/**
 * The hub API, typed from its OpenAPI document (`hub-openapi.json`, kept identical to the hub's
 * by a Rust test; `gen/hub-api.d.ts` is generated from it by `npm run gen`).
 */
import { createApi } from '@smsgate/shared/api/client';
import type { components, paths } from '../../gen/hub-api';

export { ApiError, call } from '@smsgate/shared/api/client';

export type Schemas = components['schemas'];
export type Org = Schemas['Org'];
export type OrgKind = Schemas['OrgKind'];
export type Role = Schemas['Role'];
export type User = Schemas['User'];
export type Me = Schemas['MeResponse'];
export type Channel = Schemas['Channel'];
export type Queue = Schemas['Queue'];
export type Contact = Schemas['Contact'];
export type Interaction = Schemas['Interaction'];
export type CampaignRef = Schemas['CampaignRef'];
export type InteractionStatus = Schemas['InteractionStatus'];
export type Message = Schemas['Message'];
export type MessageState = Schemas['MessageState'];
export type HubEvent = Schemas['EventKind'];

let unauthorized: () => void = () => {};

/** Who to tell when a call answers 401 (the session module). */
export function onUnauthorized(f: () => void): void {
  unauthorized = f;
}

export const api = createApi<paths>({ onUnauthorized: () => unauthorized() });
