/**
 * Many strings as one string and their offsets: a message between threads carries it as a
 * single string (one copy) where an array of strings costs the receiving loop one
 * deserialisation per element; the receiver unpacks the rows it needs when it needs them.
 */
export interface PackedStrings {
  text: string;
  /** String i is text[offsets[i], offsets[i + 1]). */
  offsets: Uint32Array;
}

export function packStrings(strings: readonly string[]): PackedStrings {
  const offsets = new Uint32Array(strings.length + 1);
  let at = 0;
  strings.forEach((s, i) => {
    offsets[i] = at;
    at += s.length;
  });
  offsets[strings.length] = at;
  return { text: strings.join(''), offsets };
}

export function packedLength(p: PackedStrings): number {
  return p.offsets.length - 1;
}

export function unpackString(p: PackedStrings, i: number): string {
  return p.text.slice(p.offsets[i], p.offsets[i + 1]);
}

export function unpackStrings(p: PackedStrings): string[] {
  return Array.from({ length: packedLength(p) }, (_, i) => unpackString(p, i));
}
