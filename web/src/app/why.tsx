import type { Entry } from './card.tsx';
import { entryId } from './card.tsx';

/**
 * The explain output for one entry. The API returns `explain` per response (explain=1, admin
 * key); this accepts a list of per-item records, `{ items: [...] }`, or an object keyed by id.
 */
function explainFor(explain: unknown, entry: Entry): unknown {
  if (explain == null) return null;
  const ids = new Set([entryId(entry), ...(entry.type === 'product' || entry.product ? [entry.product?.product_id] : [])]);
  const matches = (r: unknown) => {
    if (!r || typeof r !== 'object') return false;
    const o = r as Record<string, unknown>;
    return ['item_id', 'id', 'live_id', 'product_id'].some((k) => typeof o[k] === 'string' && ids.has(o[k] as string));
  };
  const list = Array.isArray(explain) ? explain : Array.isArray((explain as { items?: unknown }).items) ? (explain as { items: unknown[] }).items : null;
  if (list) {
    // Slots without an item id are matched by their position on the page.
    const byPosition = (r: unknown) => {
      const o = r as Record<string, unknown> | null;
      return !!o && o.position === entry.position && (o.type === undefined || o.type === entry.type);
    };
    return list.find(matches) ?? list.find(byPosition) ?? null;
  }
  if (typeof explain === 'object') {
    const byId = explain as Record<string, unknown>;
    for (const id of ids) if (id && id in byId) return byId[id];
  }
  return null;
}

function Value(props: { value: unknown }) {
  const v = props.value;
  if (typeof v === 'number') return <code>{Number.isInteger(v) ? v : v.toFixed(4)}</code>;
  if (typeof v === 'string' || typeof v === 'boolean') return <code>{String(v)}</code>;
  if (v == null) return <code>—</code>;
  if (Array.isArray(v) && v.every((x) => typeof x !== 'object' || x === null)) return <code>{v.join(', ') || '(none)'}</code>;
  if (Array.isArray(v))
    return (
      <ol>
        {v.map((x, i) => (
          <li key={i}>
            <Value value={x} />
          </li>
        ))}
      </ol>
    );
  return (
    <dl>
      {Object.entries(v as Record<string, unknown>).map(([k, x]) => (
        <div key={k} class="kv">
          <dt>{k}</dt>
          <dd>
            <Value value={x} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** Request-level facts from the explain output worth showing beside the entry. */
function requestFacts(explain: unknown): Record<string, unknown> | null {
  if (!explain || typeof explain !== 'object' || Array.isArray(explain)) return null;
  const e = explain as Record<string, unknown>;
  const keys = ['model_version', 'scorer', 'cold_start', 'user', 'candidates_per_source'];
  const facts = Object.fromEntries(keys.filter((k) => k in e).map((k) => [k, e[k]]));
  return Object.keys(facts).length ? facts : null;
}

/** "Why this?": where the entry came from, its scores, and the stages it passed. */
export function WhyDrawer(props: { entry: Entry; explain: unknown; hasAdmin: boolean; onClose: () => void }) {
  const { entry } = props;
  const detail = explainFor(props.explain, entry);
  return (
    // A click on the backdrop itself (not inside the sheet) or Escape closes the sheet; its Close button is the accessible way.
    // biome-ignore lint/a11y/noStaticElementInteractions: a modal's backdrop, not a control
    <div class="sheet-backdrop" role="presentation" onClick={(e) => e.target === e.currentTarget && props.onClose()} onKeyDown={(e) => e.key === 'Escape' && props.onClose()}>
      <section class="sheet why" data-testid="why-drawer" role="dialog" aria-modal="true" aria-label="Why this?">
        <header>
          <h3>Why this?</h3>
          <button type="button" class="close" onClick={props.onClose} aria-label="Close">
            ×
          </button>
        </header>
        <dl>
          <div class="kv">
            <dt>source</dt>
            <dd>
              <code data-testid="why-source">{entry.source}</code>
            </dd>
          </div>
          <div class="kv">
            <dt>final score</dt>
            <dd>
              <code>{entry.score.toFixed(4)}</code>
            </dd>
          </div>
          <div class="kv">
            <dt>position</dt>
            <dd>
              <code>{entry.position}</code>
            </dd>
          </div>
        </dl>
        {detail ? (
          <section data-testid="why-detail">
            <h4>Pipeline</h4>
            <Value value={detail} />
          </section>
        ) : null}
        {requestFacts(props.explain) ? (
          <section>
            <h4>This page</h4>
            <Value value={requestFacts(props.explain)} />
          </section>
        ) : null}
        {detail ? null : (
          <p class="muted">
            {props.hasAdmin ? 'The feed returned no explain record for this entry.' : 'Stage scores and filters need an admin key (explain=1): set one on /dashboard/, this page uses it too.'}
          </p>
        )}
      </section>
    </div>
  );
}
