import { describe, expect, it } from 'vitest';
import { ApiError, call, createApi } from './client';

interface Paths {
  '/api/v1/me': { get: { responses: { 200: { content: { 'application/json': { id: string } } } } } };
  '/api/v1/auth/login': { post: { requestBody: { content: { 'application/json': { login: string } } }; responses: { 200: { content: { 'application/json': { token: string } } } } } };
}

const answer = (status: number, body: unknown) =>
  (async () => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })) as unknown as typeof fetch;

describe('the API client base', () => {
  it('returns the data of a successful call', async () => {
    const api = createApi<Paths>({ baseUrl: 'http://hub', fetch: answer(200, { id: 'u1' }) });
    expect(await call(api.GET('/api/v1/me'))).toEqual({ id: 'u1' });
  });
  it('reads both error shapes, with the field', async () => {
    const v1 = createApi<Paths>({ baseUrl: 'http://hub', fetch: answer(422, { error: 'invalid text: too long', field: 'text' }) });
    await expect(call(v1.GET('/api/v1/me'))).rejects.toMatchObject({ status: 422, kind: 'invalid', field: 'text', message: 'invalid text: too long' });
    const v2 = createApi<Paths>({ baseUrl: 'http://hub', fetch: answer(409, { error: { code: 'conflict', message: 'closed', field: null } }) });
    await expect(call(v2.GET('/api/v1/me'))).rejects.toMatchObject({ status: 409, kind: 'conflict', code: 'conflict', message: 'closed' });
  });
  it('reports an ended session, but not a refused login', async () => {
    let ended = 0;
    const api = createApi<Paths>({ baseUrl: 'http://hub', fetch: answer(401, { error: 'unauthenticated' }), onUnauthorized: () => ended++ });
    await expect(call(api.GET('/api/v1/me'))).rejects.toBeInstanceOf(ApiError);
    expect(ended).toBe(1);
    await expect(call(api.POST('/api/v1/auth/login', { body: { login: 'x' } }))).rejects.toMatchObject({ kind: 'unauthorized' });
    expect(ended).toBe(1);
  });
  it('turns an unreachable server into a network error', async () => {
    const api = createApi<Paths>({
      baseUrl: 'http://hub',
      fetch: (async () => {
        throw new TypeError('Failed to fetch');
      }) as unknown as typeof fetch,
    });
    await expect(call(api.GET('/api/v1/me'))).rejects.toMatchObject({ status: 0, kind: 'network' });
  });
});
