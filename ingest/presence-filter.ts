import { idHash } from '../core/hash.ts';

/**
 * A counting filter over string keys: `mayHave` is false only for keys not added (or removed as
 * often as added), so a lookup can skip the map for most absent keys. One byte per slot, about 8
 * slots per expected key (~10% false positives); a slot that reaches 255 stays there.
 */
export class PresenceFilter {
  private readonly counts: Uint8Array;
  private readonly mask: number;

  constructor(expectedKeys: number) {
    const size = 2 ** Math.max(10, Math.ceil(Math.log2(Math.max(1, expectedKeys) * 8)));
    this.counts = new Uint8Array(size);
    this.mask = size - 1;
  }

  add(key: string): void {
    const i = idHash(key) & this.mask;
    if (this.counts[i]! < 255) this.counts[i]!++;
  }

  remove(key: string): void {
    const i = idHash(key) & this.mask;
    const c = this.counts[i]!;
    if (c > 0 && c < 255) this.counts[i] = c - 1;
  }

  mayHave(key: string): boolean {
    return this.counts[idHash(key) & this.mask] !== 0;
  }
}
