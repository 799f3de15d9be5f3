import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { z } from 'zod';
import { hash32 } from '../core/hash.ts';
import { BloomFilter, newSession, type SessionState } from '../ranker/session.ts';

const VERSION = 1;
const MAC_BYTES = 16;
/** A 1 KiB filter needs no 32 KiB window: the small one deflates it in half the time (any inflater reads it). */
const DEFLATE = { level: 1, windowBits: 10, memLevel: 2 };

/** What the cursor carries: enough for any replica to continue the session without repeats. */
const PayloadSchema = z.object({
  v: z.literal(VERSION),
  /** Hash of the user id: a cursor only continues the session of the user it was issued to. */
  u: z.number().int(),
  s: z.string().regex(/^[0-9a-f]{16}$/),
  p: z.number().int().min(0),
  c: z.array(z.number().int()).max(64),
  k: z.number().int().min(0),
  m: z.number().int().min(8).max(1 << 20),
  h: z.number().int().min(1).max(16),
  /** Deflated bloom filter bits, base64url. */
  b: z.string(),
});

export class CursorError extends Error {
  override readonly name = 'CursorError';
}

function mac(secret: string, body: string): Buffer {
  return createHmac('sha256', secret).update(body).digest().subarray(0, MAC_BYTES);
}

export function encodeCursor(secret: string, userId: string, s: SessionState): string {
  const payload: z.infer<typeof PayloadSchema> = {
    v: VERSION,
    u: hash32(userId),
    s: s.sessionId,
    p: s.page,
    c: s.recentCreators,
    k: s.sinceShoppable,
    m: s.served.size,
    h: s.served.hashes,
    b: deflateRawSync(s.served.bits, DEFLATE).toString('base64url'),
  };
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${mac(secret, body).toString('base64url')}`;
}

/** Verifies the HMAC and decodes; throws CursorError with a client-facing reason. */
export function decodeCursor(secret: string, userId: string, cursor: string): SessionState {
  const [body, sig, extra] = cursor.split('.');
  if (!body || !sig || extra !== undefined) throw new CursorError('is malformed');
  const given = Buffer.from(sig, 'base64url');
  const want = mac(secret, body);
  if (given.length !== want.length || !timingSafeEqual(given, want)) throw new CursorError('signature does not match (tampered or from another deployment)');
  let payload: z.infer<typeof PayloadSchema>;
  try {
    payload = PayloadSchema.parse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
  } catch {
    throw new CursorError('payload is not readable by this version');
  }
  if (payload.u !== hash32(userId)) throw new CursorError('was issued for another user');
  let bits: Buffer;
  try {
    bits = inflateRawSync(Buffer.from(payload.b, 'base64url'));
  } catch {
    throw new CursorError('payload is not readable by this version');
  }
  if (bits.length !== Math.ceil(payload.m / 8)) throw new CursorError('payload is not readable by this version');
  return {
    sessionId: payload.s,
    page: payload.p,
    served: new BloomFilter(payload.m, payload.h, new Uint8Array(bits)),
    recentCreators: payload.c,
    sinceShoppable: payload.k,
  };
}

/** A new session for a first page. */
export function startSession(bloomBits: number, bloomHashes: number): SessionState {
  return newSession(randomBytes(8).toString('hex'), bloomBits, bloomHashes);
}
