import type { CatalogMessage } from '../../ingest/catalog-writes.ts';
import type { OnlineState } from '../../ingest/online-state.ts';
import type { CreatorRow, ItemRow, LiveStreamRow, ProductRow } from '../../storage/catalog.ts';
import type { ServingCatalog } from './serving-catalog.ts';

/**
 * Applies catalog writes and user deletions to one replica's serving catalog and online
 * state, in the order they came (creators and products before the items that name them).
 * New items join their creator's list and the fresh window at once (the traffic pool's first
 * tier reads it), and `ServingCatalog.onNewItems` listeners give them ANN vectors.
 */
export function applyCatalogMessages(catalog: ServingCatalog, online: OnlineState, messages: readonly CatalogMessage[]): void {
  const creators: CreatorRow[] = [];
  const products: (ProductRow & { updated_at: number })[] = [];
  const items: (ItemRow & { updated_at: number })[] = [];
  const lives: LiveStreamRow[] = [];
  for (const m of messages) {
    if ('forget_user' in m) {
      catalog.eraseUser(m.forget_user);
      online.forgetUser(m.forget_user);
    } else if (m.table === 'creators') creators.push(m.row);
    else if (m.table === 'products') products.push({ ...m.row, updated_at: m.updated_at });
    else if (m.table === 'items') items.push({ ...m.row, updated_at: m.updated_at });
    else lives.push(m.row);
  }
  if (creators.length) {
    catalog.upsertCreators(creators);
    catalog.reindexKols();
  }
  if (products.length) catalog.upsertProducts(products);
  if (items.length) catalog.indexNewItems(catalog.upsertItems(items));
  if (lives.length) catalog.upsertLives(lives);
}
