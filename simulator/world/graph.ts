/** A compressed sparse row adjacency list: the neighbours of node i are targets[offsets[i] .. offsets[i+1]). */
export interface Csr {
  offsets: Int32Array;
  targets: Int32Array;
}

/** A growable list of (src, dst) pairs in typed arrays. */
export class EdgeList {
  src = new Int32Array(1024);
  dst = new Int32Array(1024);
  length = 0;

  push(a: number, b: number): void {
    if (this.length === this.src.length) {
      const grow = (arr: Int32Array) => {
        const next = new Int32Array(arr.length * 2);
        next.set(arr);
        return next;
      };
      this.src = grow(this.src);
      this.dst = grow(this.dst);
    }
    this.src[this.length] = a;
    this.dst[this.length] = b;
    this.length++;
  }
}

/**
 * Builds a CSR over `nodes` sources from an edge list: neighbours sorted, duplicates and
 * self-loops dropped; `symmetric` adds every edge in both directions (friendships).
 */
export function buildCsr(nodes: number, edges: EdgeList, symmetric: boolean, selfLoops = false): Csr {
  const degree = new Int32Array(nodes + 1);
  for (let e = 0; e < edges.length; e++) {
    degree[edges.src[e]!]!++;
    if (symmetric) degree[edges.dst[e]!]!++;
  }
  const offsets = new Int32Array(nodes + 1);
  for (let i = 0; i < nodes; i++) offsets[i + 1] = offsets[i]! + degree[i]!;
  const fill = offsets.slice(0, nodes);
  const raw = new Int32Array(offsets[nodes]!);
  for (let e = 0; e < edges.length; e++) {
    const a = edges.src[e]!;
    const b = edges.dst[e]!;
    raw[fill[a]!++] = b;
    if (symmetric) raw[fill[b]!++] = a;
  }
  // Sort and deduplicate each list, compacting in place.
  const out = new Int32Array(nodes + 1);
  let w = 0;
  for (let i = 0; i < nodes; i++) {
    const list = raw.subarray(offsets[i]!, offsets[i + 1]!).sort();
    out[i] = w;
    let prev = -1;
    for (const t of list) {
      if (t === prev || (!selfLoops && t === i)) continue;
      raw[w++] = t;
      prev = t;
    }
  }
  out[nodes] = w;
  return { offsets: out, targets: raw.slice(0, w) };
}

export function neighbours(csr: Csr, i: number): Int32Array {
  return csr.targets.subarray(csr.offsets[i]!, csr.offsets[i + 1]!);
}

/** Binary search in a node's sorted neighbour list. */
export function hasEdge(csr: Csr, i: number, j: number): boolean {
  let lo = csr.offsets[i]!;
  let hi = csr.offsets[i + 1]! - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = csr.targets[mid]!;
    if (v === j) return true;
    if (v < j) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
