import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hash32 } from '../core/hash.ts';
import { mulberry32 } from '../core/rng.ts';
import { bitsFromSparse, decodeCursor, encodeCursor, sparseBits, startSession } from './cursor.ts';

const SECRET = 'test-secret-0123456789';

function payloadOf(cursor: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(cursor.split('.')[0]!, 'base64url').toString()) as Record<string, unknown>;
}

/** Signs a hand-made payload the way encodeCursor does (HMAC-SHA256, first 16 bytes). */
function signed(payload: Record<string, unknown>): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${createHmac('sha256', SECRET).update(body).digest().subarray(0, 16).toString('base64url')}`;
}

describe('sparse bit lists', () => {
  it('round-trip any bit pattern, including the first and last bit and long gaps', () => {
    const rand = mulberry32(3);
    for (const density of [0, 0.001, 0.01, 0.05]) {
      const bits = new Uint8Array(1024);
      for (let p = 0; p < 8192; p++) if (rand() < density) bits[p >> 3]! |= 1 << (p & 7);
      bits[0]! |= 1;
      bits[1023]! |= 0x80;
      const list = sparseBits(bits, 4096)!;
      expect(bitsFromSparse(list, 8192)).toEqual(bits);
    }
  });

  it('give up once the list reaches the byte limit', () => {
    const bits = new Uint8Array(1024).fill(0xff);
    expect(sparseBits(bits, 256)).toBeNull();
    expect(sparseBits(new Uint8Array(1024), 256)!.length).toBe(0);
  });

  it('reject lists that are truncated or point outside the filter', () => {
    expect(() => bitsFromSparse(Uint8Array.of(0x80), 64)).toThrow(/truncated/);
    expect(() => bitsFromSparse(Uint8Array.of(63, 1), 64)).toThrow(/outside/);
  });
});

describe('cursor', () => {
  it('carries the session: early pages as a bit list, deep ones deflated', () => {
    for (const served of [10, 600]) {
      const s = startSession(8192, 4);
      const ids = Array.from({ length: served }, (_, i) => `item-${i}`);
      for (const id of ids) s.served.add(id);
      Object.assign(s, { page: 3, recentCreators: [7, 8], sinceShoppable: 2 });
      const cursor = encodeCursor(SECRET, 'u1', s);
      expect(Object.keys(payloadOf(cursor))).toContain(served === 10 ? 'x' : 'b');
      const back = decodeCursor(SECRET, 'u1', cursor);
      expect(back).toMatchObject({ sessionId: s.sessionId, page: 3, recentCreators: [7, 8], sinceShoppable: 2 });
      expect(back.served.bits).toEqual(s.served.bits);
      expect(ids.every((id) => back.served.has(id))).toBe(true);
      expect(back.served.has('never-served')).toBe(false);
    }
    expect(startSession(8192, 4).sessionId).toMatch(/^[0-9a-f]{16}$/);
  });

  it('rejects tampering, other users, and payloads with neither or both filter encodings', () => {
    const cursor = encodeCursor(SECRET, 'u1', startSession(8192, 4));
    expect(() => decodeCursor(SECRET, 'u2', cursor)).toThrow(/another user/);
    expect(() => decodeCursor('other-secret-0123456789', 'u1', cursor)).toThrow(/signature/);
    const base = { v: 1, u: hash32('u1'), s: '0123456789abcdef', p: 1, c: [], k: 0, m: 8192, h: 4 };
    for (const extra of [{}, { x: '', b: '' }, { x: Buffer.of(0xff).toString('base64url') }]) {
      const err = (() => {
        try {
          decodeCursor(SECRET, 'u1', signed({ ...base, ...extra }));
        } catch (e) {
          return e;
        }
      })();
      expect(err).toMatchObject({ code: 'invalid_cursor' });
      expect((err as Error).message).toMatch(/not readable/);
    }
    expect(decodeCursor(SECRET, 'u1', signed({ ...base, x: Buffer.of(5, 1).toString('base64url') })).served.bits.subarray(0, 1)).toEqual(Uint8Array.of(0b1100000));
  });
});
