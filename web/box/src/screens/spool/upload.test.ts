import { describe, expect, it } from 'vitest';
import { UPLOAD_FIELD, uploadRequest, uploadUrl } from './upload';

const csv = 'bench;+447700900001;Bonjour, ça va ? 😀;0\nbench;+447700900002;second line;1\n';

/** The request as the browser would put it on the wire: headers and encoded body. */
async function onTheWire(url: string, init: RequestInit): Promise<Request> {
  return new Request(new URL(url, 'http://box.local'), init);
}

describe('a box upload', () => {
  it('sends a dialer file as a multipart form whose file field holds the file and its name', async () => {
    const { url, init } = uploadRequest('dialer', 'sales team', new File([csv], 'dialer.csv', { type: 'text/csv' }));
    expect(url).toBe('/api/v1/bulk/messages?group=sales%20team');
    expect(init.method).toBe('POST');
    const req = await onTheWire(url, init);
    expect(req.headers.get('content-type')).toMatch(/^multipart\/form-data; boundary=\S+/);
    const form = await req.formData();
    expect([...form.keys()]).toEqual([UPLOAD_FIELD]);
    const file = form.get(UPLOAD_FIELD);
    expect(file).toBeInstanceOf(File);
    expect((file as File).name).toBe('dialer.csv');
    expect(await (file as File).text()).toBe(csv);
  });

  it('sends a do-not-contact file to the blocklist endpoint the same way, without a hand-written content type', async () => {
    const { url, init } = uploadRequest('blocklist', 'ignored', new File(['+447700900123\n'], 'stop.csv', { type: 'text/csv' }));
    expect(url).toBe('/api/v1/bulk/blocklist');
    expect(new Headers(init.headers).has('content-type')).toBe(false);
    expect(init.body).toBeInstanceOf(FormData);
    const req = await onTheWire(url, init);
    expect(req.headers.get('content-type')).toMatch(/^multipart\/form-data; boundary=/);
    const text = await req.text();
    expect(text).toContain('name="file"; filename="stop.csv"');
    expect(text).toContain('+447700900123\n');
  });

  it('names the group of a dialer file in the query, encoded', () => {
    expect(uploadUrl('dialer', 'a&b=c')).toBe('/api/v1/bulk/messages?group=a%26b%3Dc');
  });
});
