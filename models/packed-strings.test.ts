import { describe, expect, it } from 'vitest';
import { packedLength, packStrings, unpackString, unpackStrings } from './packed-strings.ts';

describe('packed strings', () => {
  it('round-trips any strings, empty ones and separators included', () => {
    const strings = ['v1', '', 'a\nb', 'ünï😀', ',', 'v1'];
    const packed = packStrings(strings);
    expect(packedLength(packed)).toBe(6);
    expect(unpackStrings(packed)).toEqual(strings);
    expect(unpackString(packed, 3)).toBe('ünï😀');
    expect(unpackStrings(packStrings([]))).toEqual([]);
  });
});
