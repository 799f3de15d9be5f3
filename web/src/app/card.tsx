import type { FeedEntry, ProductCard } from '../../../feed-api/feed-response.ts';
import { formatMoney } from '../shared/api.ts';
import { Artwork } from './artwork.tsx';

export type Entry = FeedEntry;

/** Stable id of an entry, for keys and artwork. */
export function entryId(e: Entry): string {
  return e.type === 'video' ? e.item_id : e.type === 'live' ? e.live_id : `product:${e.product.product_id}`;
}

export interface CardActions {
  liked: boolean;
  followed: boolean;
  onLike(): void;
  onShare(): void;
  onFollow(): void;
  onNotInterested(): void;
  onWhy(): void;
  onBuy(product: ProductCard): void;
  /** The progress bar finished one loop of the video. */
  onLoop(): void;
}

function ProductChip(props: { product: ProductCard; label: string; onBuy: (p: ProductCard) => void }) {
  const p = props.product;
  return (
    <div class="product-chip" data-testid="product-chip">
      <span class="product-tag">{props.label}</span>
      <span class="product-title">{p.title}</span>
      <span class="product-price">{formatMoney(p.price, p.currency)}</span>
      <button type="button" class="buy" data-testid="buy" data-product={p.product_id} onClick={() => props.onBuy(p)}>
        Buy
      </button>
    </div>
  );
}

function Rail(props: { entry: Entry; actions: CardActions }) {
  const { entry, actions } = props;
  return (
    <div class="rail">
      {entry.creator_id ? (
        <button type="button" class={`avatar ${actions.followed ? 'followed' : ''}`} data-testid="follow" onClick={actions.onFollow} title="Follow">
          <Artwork id={entry.creator_id} />
          <span class="plus">{actions.followed ? '✓' : '+'}</span>
        </button>
      ) : null}
      {entry.type === 'video' ? (
        <>
          <button type="button" class={`action ${actions.liked ? 'on' : ''}`} data-testid="like" onClick={actions.onLike} title="Like">
            <span class="icon">♥</span>
            <span>{actions.liked ? 'Liked' : 'Like'}</span>
          </button>
          <button type="button" class="action" data-testid="share" onClick={actions.onShare} title="Share">
            <span class="icon">↗</span>
            <span>Share</span>
          </button>
        </>
      ) : null}
      {entry.creator_id ? (
        <button type="button" class="action" data-testid="not-interested" onClick={actions.onNotInterested} title="Not interested in this creator">
          <span class="icon">⊘</span>
          <span>Not for me</span>
        </button>
      ) : null}
      <button type="button" class="action" data-testid="why" onClick={actions.onWhy} title="Why am I seeing this?">
        <span class="icon">?</span>
        <span>Why this</span>
      </button>
    </div>
  );
}

/** One full-screen feed entry: a video, a shoppable product slot or a live stream. */
export function Card(props: { entry: Entry; active: boolean; viewKey: number; actions: CardActions }) {
  const { entry, active, actions } = props;
  if (entry.type === 'product') {
    return (
      <article class="card product-slot" data-testid="card" data-type="product" data-creator={entry.creator_id ?? ''}>
        <div class="shop-head">
          <span class="badge shop">Shop</span>
          <span class="muted">Picked for you{entry.creator_id ? ` · from @${entry.creator_id}` : ''}</span>
        </div>
        <div class="shop-art">
          <Artwork id={entry.product.product_id} />
        </div>
        <h2>{entry.product.title}</h2>
        <p class="big-price">{formatMoney(entry.product.price, entry.product.currency)}</p>
        <button type="button" class="buy wide" data-testid="buy" data-product={entry.product.product_id} onClick={() => actions.onBuy(entry.product)}>
          Buy now
        </button>
        <Rail entry={entry} actions={actions} />
      </article>
    );
  }
  if (entry.type === 'live') {
    return (
      <article class="card live" data-testid="card" data-type="live" data-creator={entry.creator_id}>
        <Artwork id={entry.live_id} />
        <div class="live-ring">
          <Artwork id={entry.creator_id} />
        </div>
        <div class="overlay">
          <span class="badge live-badge">● LIVE</span>
          <p class="creator">@{entry.creator_id}</p>
          <h2>{entry.title}</h2>
          {entry.product ? <ProductChip product={entry.product} label="Live deal" onBuy={actions.onBuy} /> : null}
        </div>
        <Rail entry={entry} actions={actions} />
      </article>
    );
  }
  return (
    <article class="card video" data-testid="card" data-type="video" data-item={entry.item_id} data-creator={entry.creator_id}>
      <Artwork id={entry.item_id} />
      <div class="overlay">
        <p class="creator">
          @{entry.creator_id}
          {actions.followed ? <span class="pill">Following</span> : null}
        </p>
        <h2>{entry.title}</h2>
        <p class="meta">
          <span class="pill">#{entry.category}</span> {Math.round(entry.duration_ms / 1000)}s
          {entry.social.friends_engaged > 0 ? <span class="pill">{entry.social.friends_engaged} friends liked this</span> : null}
          {entry.social.friends_purchased > 0 ? <span class="pill">{entry.social.friends_purchased} friends bought</span> : null}
        </p>
        {entry.product ? <ProductChip product={entry.product} label="In this video" onBuy={actions.onBuy} /> : null}
      </div>
      <Rail entry={entry} actions={actions} />
      <div class="progress">
        {active ? (
          <div key={props.viewKey} class="progress-fill" data-testid="progress" style={{ animationDuration: `${Math.max(1, entry.duration_ms)}ms` }} onAnimationIteration={actions.onLoop} />
        ) : null}
      </div>
    </article>
  );
}
