import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { z } from 'zod';
import { FeedError } from '../core/errors.ts';
import { hash32 } from '../core/hash.ts';
import { BloomFilter, newSession, type SessionState } from '../ranker/session.ts';

const VERSION = 1;
const MAC_BYTES = 16;
/** A 1 KiB filter needs no 32 KiB window: the small one deflates it in half the time (any inflater reads it). */
const DEFLATE = { level: 1, windowBits: 10, memLevel: 2 };
/** Filters whose set bits list in fewer bytes than this are sent as the list (early pages); denser ones deflated. */
const SPARSE_MAX_BYTES = 256;

/** What the cursor carries: enough for any replica to continue the session without repeats. */
const PayloadSchema = z.object({
  v: z.literal(VERSION),
  /** Hash of the user id: a cursor only continues the session of the user it was issued to. */
  u: z.number().int(),
  s: z.string().regex(/^[0-9a-f]{16}$/),
  p: z.number().int().min(0),
  c: z.array(z.number().int()).max(64),
  k: z.number().int().min(0),
  m: z
    .number()
    .int()
    .min(8)
    .max(1 << 20),
  h: z.number().int().min(1).max(16),
  /** The bloom filter, base64url: its set bits as gaps in LEB128 varints (`x`), or its bytes deflated (`b`). */
  x: z.string().optional(),
  b: z.string().optional(),
});

/** A cursor that cannot be used, with a reason the client may see. */
const cursorError = (reason: string) => new FeedError('invalid_cursor', reason);

function mac(secret: string, body: string): Buffer {
  return createHmac('sha256', secret).update(body).digest().subarray(0, MAC_BYTES);
}

/** Set bits of `bits` as ascending gaps, each a LEB128 varint; null once the list reaches `max` bytes. */
export function sparseBits(bits: Uint8Array, max: number): Buffer | null {
  const out = Buffer.allocUnsafe(max);
  let n = 0;
  let last = 0;
  for (let byte = 0; byte < bits.length; byte++) {
    const v = bits[byte]!;
    if (v === 0) continue;
    for (let b = 0; b < 8; b++) {
      if ((v & (1 << b)) === 0) continue;
      const pos = byte * 8 + b;
      let gap = pos - last;
      last = pos;
      do {
        if (n >= max) return null;
        out[n++] = (gap & 0x7f) | (gap > 0x7f ? 0x80 : 0);
        gap >>>= 7;
      } while (gap > 0);
    }
  }
  return out.subarray(0, n);
}

/** The filter bytes (`size` bits) with the bits `sparseBits` listed; throws on a list that does not fit. */
export function bitsFromSparse(list: Uint8Array, size: number): Uint8Array {
  const bits = new Uint8Array(Math.ceil(size / 8));
  let pos = 0;
  let i = 0;
  while (i < list.length) {
    let gap = 0;
    let shift = 0;
    for (;;) {
      if (i >= list.length || shift > 28) throw new Error('truncated bit list');
      const b = list[i++]!;
      gap |= (b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) === 0) break;
    }
    pos += gap;
    if (pos >= size) throw new Error('bit outside the filter');
    bits[pos >> 3]! |= 1 << (pos & 7);
  }
  return bits;
}

export function encodeCursor(secret: string, userId: string, s: SessionState): string {
  const sparse = sparseBits(s.served.bits, SPARSE_MAX_BYTES);
  const payload: z.infer<typeof PayloadSchema> = {
    v: VERSION,
    u: hash32(userId),
    s: s.sessionId,
    p: s.page,
    c: s.recentCreators,
    k: s.sinceShoppable,
    m: s.served.size,
    h: s.served.hashes,
    ...(sparse ? { x: sparse.toString('base64url') } : { b: deflateRawSync(s.served.bits, DEFLATE).toString('base64url') }),
  };
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${mac(secret, body).toString('base64url')}`;
}

/** Verifies the HMAC and decodes; throws a FeedError `invalid_cursor` with a client-facing reason. */
export function decodeCursor(secret: string, userId: string, cursor: string): SessionState {
  const [body, sig, extra] = cursor.split('.');
  if (!body || !sig || extra !== undefined) throw cursorError('is malformed');
  const given = Buffer.from(sig, 'base64url');
  const want = mac(secret, body);
  if (given.length !== want.length || !timingSafeEqual(given, want)) throw cursorError('signature does not match (tampered or from another deployment)');
  let payload: z.infer<typeof PayloadSchema>;
  try {
    payload = PayloadSchema.parse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
  } catch {
    throw cursorError('payload is not readable by this version');
  }
  if (payload.u !== hash32(userId)) throw cursorError('was issued for another user');
  let bits: Uint8Array;
  try {
    if (payload.x !== undefined && payload.b === undefined) bits = bitsFromSparse(Buffer.from(payload.x, 'base64url'), payload.m);
    else if (payload.b !== undefined && payload.x === undefined) bits = inflateRawSync(Buffer.from(payload.b, 'base64url'));
    else throw new Error('needs exactly one of x and b');
  } catch {
    throw cursorError('payload is not readable by this version');
  }
  if (bits.length !== Math.ceil(payload.m / 8)) throw cursorError('payload is not readable by this version');
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
  // randomUUID draws from a cached entropy pool (randomBytes makes a system call each time).
  return newSession(randomUUID().replaceAll('-', '').slice(0, 16), bloomBits, bloomHashes);
}
