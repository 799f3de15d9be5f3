import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { onError } from './errors.ts';
import { readJson } from './validate.ts';

const app = new Hono();
app.onError(onError);
app.post('/echo', async (c) => c.json({ body: await readJson(c) }));

const post = (contentType: string) => app.request('/echo', { method: 'POST', headers: { 'content-type': contentType }, body: '{"a":1}' });

describe('readJson', () => {
  it('accepts application/json by its media type, in any case, with parameters', async () => {
    for (const type of ['application/json', 'APPLICATION/JSON', 'Application/Json; charset=utf-8', ' application/json ;charset=UTF-8']) {
      const res = await post(type);
      expect(res.status, type).toBe(200);
      expect(await res.json()).toEqual({ body: { a: 1 } });
    }
  });

  it('refuses other media types that merely contain the words with 415', async () => {
    for (const type of ['text/x-application/json-not', 'text/plain; note=application/json', 'application/jsonp', 'application/json-seq', '', 'application']) {
      const res = await post(type);
      expect(res.status, type).toBe(415);
      expect(await res.json()).toMatchObject({ error: { code: 'unsupported_media_type' } });
    }
  });
});
