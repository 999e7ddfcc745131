/**
 * The gateway's local API, typed from its OpenAPI document (`gateway-openapi.json`, kept
 * identical to the gateway's by a Rust test; `gen/gateway-api.d.ts` is generated from it by
 * `npm run gen`).
 */
import { createApi } from '@smsgate/shared/api/client';
import type { components, paths } from '../../gen/gateway-api';

export { ApiError, call } from '@smsgate/shared/api/client';

export type Schemas = components['schemas'];
export type Port = Schemas['Port'];
export type Dashboard = Schemas['Dashboard'];
export type MessageRow = Schemas['MessageRow'];
export type MessageState = Schemas['MessageState'];
export type Message = Schemas['Message'];
export type GroupView = Schemas['GroupView'];
export type InboundMessage = Schemas['InboundMessage'];
export type PortSettings = Schemas['PortSettings'];
export type Me = Schemas['MeResponse'];

let unauthorized: () => void = () => {};

/** Who to tell when a call answers 401 (the session module). */
export function onUnauthorized(f: () => void): void {
  unauthorized = f;
}

export const api = createApi<paths>({ onUnauthorized: () => unauthorized() });
