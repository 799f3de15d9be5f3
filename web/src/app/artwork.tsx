/** Generated cover art: the same id always draws the same picture, no external media. */

/** FNV-1a, 32-bit. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a small seeded generator in [0, 1). */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ArtSpec {
  hues: [number, number];
  angle: number;
  blobs: { x: number; y: number; r: number; hue: number; alpha: number }[];
  wave: number;
}

function artSpec(id: string): ArtSpec {
  const rnd = seeded(hashString(id));
  const h1 = Math.floor(rnd() * 360);
  const h2 = (h1 + 60 + Math.floor(rnd() * 180)) % 360;
  const blobs = Array.from({ length: 3 + Math.floor(rnd() * 4) }, () => ({
    x: rnd() * 100,
    y: rnd() * 160,
    r: 12 + rnd() * 40,
    hue: rnd() < 0.5 ? h1 : h2,
    alpha: 0.25 + rnd() * 0.45,
  }));
  return { hues: [h1, h2], angle: Math.floor(rnd() * 360), blobs, wave: 60 + rnd() * 60 };
}

export function Artwork(props: { id: string }) {
  const spec = artSpec(props.id);
  const gid = `g${hashString(props.id).toString(36)}`;
  const [h1, h2] = spec.hues;
  return (
    <svg class="artwork" viewBox="0 0 100 160" preserveAspectRatio="xMidYMid slice" aria-hidden="true">
      <defs>
        <linearGradient id={gid} gradientTransform={`rotate(${spec.angle} 0.5 0.5)`}>
          <stop offset="0%" stop-color={`hsl(${h1} 70% 45%)`} />
          <stop offset="100%" stop-color={`hsl(${h2} 75% 30%)`} />
        </linearGradient>
      </defs>
      <rect width="100" height="160" fill={`url(#${gid})`} />
      {spec.blobs.map((b, i) => (
        <circle key={i} cx={b.x} cy={b.y} r={b.r} fill={`hsl(${(b.hue + 30) % 360} 85% 65%)`} fill-opacity={b.alpha} />
      ))}
      <path d={`M0 ${spec.wave} C 30 ${spec.wave - 25}, 70 ${spec.wave + 25}, 100 ${spec.wave} L100 160 L0 160 Z`} fill="rgba(0,0,0,0.18)" />
    </svg>
  );
}
