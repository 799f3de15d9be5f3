import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { FeedResponse, ProductCard } from '../../../feed-api/feed-response.ts';
import { api, type Keys } from '../shared/api.ts';
import { Card, entryId, type Entry } from './card.tsx';
import { Checkout } from './checkout.tsx';
import { EventSender, type SenderStatus } from './events.ts';
import { WhyDrawer } from './why.tsx';

const PAGE_SIZE = 8;
/** Fetch the next page when this few entries are left. */
const PREFETCH_AT = 3;
/** A swipe away before this counts as a skip. */
const SKIP_MS = 2000;
const WHEEL_THRESHOLD = 40;
const STEP_LOCK_MS = 450;

interface Slot {
  entry: Entry;
  requestId: string;
  explain: unknown;
}

/** Request ids are only sent back when they pass the event schema's id rule. */
const safeId = (s: string) => (/^[A-Za-z0-9_.:-]{1,64}$/.test(s) ? s : undefined);

/** Douyin's two feeds: followed creators' new videos, and the personalized one. */
export type FeedTab = 'following' | 'for_you';

export function Feed(props: { keys: Keys; userId: string; tab: FeedTab; onTab: (tab: FeedTab) => void; onExit: () => void }) {
  const { keys, userId, tab } = props;
  const appKey = keys.app!;
  const [slots, setSlots] = useState<Slot[]>([]);
  const [index, setIndex] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [ended, setEnded] = useState(false);
  const [liked, setLiked] = useState<Set<string>>(new Set());
  /** Follows changed in this session; otherwise the feed's `followed_creator` says. */
  const [followed, setFollowed] = useState<Map<string, boolean>>(new Map());
  const [why, setWhy] = useState<Slot | null>(null);
  const [buying, setBuying] = useState<{ product: ProductCard; slot: Slot } | null>(null);
  const [toast, setToast] = useState<string | null>(null);
  const [status, setStatus] = useState<SenderStatus>({ sent: 0, rejected: 0, lastError: null });
  const [viewKey, setViewKey] = useState(0);

  const cursor = useRef<string | null>(null);
  const loadingRef = useRef(false);
  const sender = useRef<EventSender | null>(null);
  const view = useRef<{ slot: Slot; position: number; shownAt: number; completed: boolean } | null>(null);
  const lockedUntil = useRef(0);
  const wheelSum = useRef(0);
  const touchY = useRef<number | null>(null);

  /** Events for leaving the entry on screen: swiping away, switching user, closing the page. */
  const leave = useRef(() => {});
  leave.current = () => {
    const s = sender.current;
    const prev = view.current;
    if (!s || !prev) return;
    view.current = null;
    const e = prev.slot.entry;
    const at = { request_id: safeId(prev.slot.requestId), position: prev.position };
    const watch_ms = Math.min(86_400_000, Math.round(performance.now() - prev.shownAt));
    if (e.type === 'video') {
      s.send({ kind: 'play', item_id: e.item_id, watch_ms, duration_ms: Math.max(1, e.duration_ms), ...at });
      if (watch_ms < SKIP_MS && !prev.completed) s.send({ kind: 'skip', item_id: e.item_id, ...at });
    } else if (e.type === 'live') {
      s.send({ kind: 'live_exit', live_id: e.live_id, ...at });
    }
  };

  useEffect(() => {
    const s = new EventSender(appKey, userId, setStatus);
    sender.current = s;
    const onPageHide = () => {
      leave.current();
      void s.flush(true);
    };
    addEventListener('pagehide', onPageHide);
    return () => {
      removeEventListener('pagehide', onPageHide);
      leave.current();
      void s.close();
    };
  }, [appKey, userId]);

  const say = (message: string) => {
    setToast(message);
    setTimeout(() => setToast((t) => (t === message ? null : t)), 2500);
  };

  const loadMore = useCallback(async () => {
    if (loadingRef.current) return;
    loadingRef.current = true;
    setLoading(true);
    try {
      // Hidden creators must reach the server before it builds the next page.
      await sender.current?.flush();
      const q = new URLSearchParams({ user_id: userId, count: String(PAGE_SIZE), tab });
      if (cursor.current) q.set('cursor', cursor.current);
      if (keys.admin) q.set('explain', '1');
      const page = await api<FeedResponse>(`/v1/feed?${q}`, { key: keys.admin ?? appKey });
      cursor.current = page.cursor;
      setError(null);
      if (page.end_of_feed || page.items.length === 0) setEnded(true);
      setSlots((old) => [...old, ...page.items.map((entry) => ({ entry, requestId: page.request_id, explain: page.explain }))]);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      loadingRef.current = false;
      setLoading(false);
    }
  }, [userId, appKey, keys.admin, tab]);

  useEffect(() => {
    void loadMore();
  }, [loadMore]);

  useEffect(() => {
    if (!ended && slots.length > 0 && index >= slots.length - PREFETCH_AT) void loadMore();
  }, [index, slots.length, ended, loadMore]);

  const base = (slot: Slot, position: number) => ({
    request_id: safeId(slot.requestId),
    position,
  });

  /** Events for leaving the shown entry and entering the new one. */
  useEffect(() => {
    const s = sender.current;
    const slot = slots[index];
    if (!s || !slot || view.current?.slot === slot) return;
    leave.current();
    const e = slot.entry;
    if (e.type === 'video') s.send({ kind: 'impression', item_id: e.item_id, ...base(slot, index) });
    if (e.type === 'live') s.send({ kind: 'live_enter', live_id: e.live_id, ...base(slot, index) });
    if (e.product) {
      s.send({ kind: 'product_impression', product_id: e.product.product_id, ...(e.type === 'video' ? { item_id: e.item_id } : {}), ...base(slot, index) });
    }
    view.current = { slot, position: index, shownAt: performance.now(), completed: false };
    setViewKey((k) => k + 1);
  }, [index, slots]);

  const sheetOpen = why !== null || buying !== null;
  const step = useCallback(
    (delta: 1 | -1) => {
      const now = performance.now();
      if (sheetOpen || now < lockedUntil.current) return;
      lockedUntil.current = now + STEP_LOCK_MS;
      setIndex((i) => Math.max(0, Math.min(slots.length - 1, i + delta)));
    },
    [sheetOpen, slots.length],
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.target instanceof HTMLInputElement) return;
      if (e.key === 'Escape') {
        setWhy(null);
        setBuying(null);
      } else if (['ArrowDown', 'PageDown', 'j', ' '].includes(e.key)) {
        e.preventDefault();
        step(1);
      } else if (['ArrowUp', 'PageUp', 'k'].includes(e.key)) {
        e.preventDefault();
        step(-1);
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [step]);

  const onWheel = (e: WheelEvent) => {
    if (sheetOpen) return;
    e.preventDefault();
    wheelSum.current += e.deltaY;
    if (Math.abs(wheelSum.current) >= WHEEL_THRESHOLD) {
      step(wheelSum.current > 0 ? 1 : -1);
      wheelSum.current = 0;
    }
  };

  const current = slots[index];
  const actionsFor = (slot: Slot, position: number) => {
    const e = slot.entry;
    const itemId = e.type === 'video' ? e.item_id : undefined;
    const s = sender.current!;
    const isFollowed = e.creator_id ? (followed.get(e.creator_id) ?? (e.type === 'video' && e.social.followed_creator)) : false;
    return {
      liked: itemId ? liked.has(itemId) : false,
      followed: isFollowed,
      onLike() {
        if (!itemId) return;
        const on = !liked.has(itemId);
        s.send({ kind: on ? 'like' : 'unlike', item_id: itemId, ...base(slot, position) });
        setLiked((old) => {
          const next = new Set(old);
          if (on) next.add(itemId);
          else next.delete(itemId);
          return next;
        });
      },
      onShare() {
        if (!itemId) return;
        s.send({ kind: 'share', item_id: itemId, ...base(slot, position) });
        const text = e.type === 'video' ? `${e.title} (@${e.creator_id}) ${location.origin}/app/` : `${location.origin}/app/`;
        void navigator.clipboard?.writeText(text).catch(() => undefined);
        say('Copied to share');
      },
      onFollow() {
        const creator = e.creator_id;
        if (!creator) return;
        const on = !isFollowed;
        s.send({ kind: on ? 'follow' : 'unfollow', creator_id: creator, ...(itemId ? { item_id: itemId } : {}), ...base(slot, position) });
        setFollowed((old) => new Map(old).set(creator, on));
        say(on ? `Following @${creator}` : `Unfollowed @${creator}`);
      },
      onNotInterested() {
        const creator = e.creator_id;
        if (!creator) return;
        s.send({ kind: 'not_interested', creator_id: creator, ...(itemId ? { item_id: itemId } : {}), ...base(slot, position) });
        void s.flush();
        // Drop what is already queued from this creator; later pages come from the server without them.
        setSlots((old) => old.filter((x, i) => i <= position || x.entry.creator_id !== creator));
        say(`You'll see less from @${creator}`);
        lockedUntil.current = 0;
        setIndex((i) => i + 1);
      },
      onWhy: () => setWhy(slot),
      onBuy(product: ProductCard) {
        s.send({ kind: 'product_click', product_id: product.product_id, ...(itemId ? { item_id: itemId } : {}), ...base(slot, position) });
        s.send({ kind: 'add_to_cart', product_id: product.product_id, ...(itemId ? { item_id: itemId } : {}), ...base(slot, position) });
        setBuying({ product, slot });
      },
      onLoop() {
        const v = view.current;
        if (!itemId || !v || v.slot !== slot || v.completed) return;
        v.completed = true;
        s.send({ kind: 'complete', item_id: itemId, ...base(slot, position) });
      },
    };
  };

  return (
    <div
      class="feed"
      data-testid="feed"
      data-index={index}
      onWheel={onWheel}
      onTouchStart={(e) => (touchY.current = e.touches[0]?.clientY ?? null)}
      onTouchEnd={(e) => {
        const start = touchY.current;
        const end = e.changedTouches[0]?.clientY;
        touchY.current = null;
        if (start == null || end == null || Math.abs(end - start) < 50) return;
        step(end < start ? 1 : -1);
      }}
    >
      <div class="track" style={{ transform: `translateY(${-index * 100}%)` }}>
        {slots.map((slot, i) => (
          <div class="slide" key={`${entryId(slot.entry)}:${i}`} data-active={i === index ? 'true' : 'false'} data-type={slot.entry.type} data-creator={slot.entry.creator_id ?? ''}>
            {Math.abs(i - index) <= 2 ? <Card entry={slot.entry} active={i === index} viewKey={viewKey} actions={actionsFor(slot, i)} /> : null}
          </div>
        ))}
      </div>
      <header class="topbar">
        <button type="button" class="ghost" onClick={props.onExit} data-testid="switch-user">
          ‹ {userId}
        </button>
        <nav class="tabs">
          {(['following', 'for_you'] as const).map((t) => (
            <button type="button" key={t} class={t === tab ? 'tab active' : 'tab'} onClick={() => props.onTab(t)} data-testid={`tab-${t}`}>
              {t === 'following' ? 'Following' : 'For You'}
            </button>
          ))}
        </nav>
        <span class="muted" data-testid="event-status" title={status.lastError ?? ''}>
          {status.sent} events sent{status.rejected ? `, ${status.rejected} rejected` : ''}
        </span>
      </header>
      {slots.length === 0 && loading ? <p class="center muted">Loading your feed…</p> : null}
      {slots.length === 0 && ended && tab === 'following' ? <p class="center muted">No new videos from creators you follow.</p> : null}
      {ended && index >= slots.length - 1 ? (
        <p class="center muted" data-testid="caught-up">
          You're all caught up.{' '}
          <button
            type="button"
            onClick={() => {
              setEnded(false);
              void loadMore();
            }}
          >
            Check again
          </button>
        </p>
      ) : null}
      {error ? (
        <p class="center error" data-testid="feed-error">
          {error}{' '}
          <button type="button" onClick={() => void loadMore()}>
            Retry
          </button>
        </p>
      ) : null}
      {current ? (
        <nav class="stepper">
          <button type="button" onClick={() => step(-1)} aria-label="Previous" disabled={index === 0}>
            ▲
          </button>
          <button type="button" onClick={() => step(1)} aria-label="Next" data-testid="next">
            ▼
          </button>
        </nav>
      ) : null}
      {why ? <WhyDrawer entry={why.entry} explain={why.explain} hasAdmin={!!keys.admin} onClose={() => setWhy(null)} /> : null}
      {buying ? (
        <Checkout
          product={buying.product}
          onClose={() => setBuying(null)}
          onPay={(quantity) => {
            const e = buying.slot.entry;
            sender.current?.send({
              kind: 'purchase',
              product_id: buying.product.product_id,
              price: buying.product.price,
              quantity,
              ...(e.type === 'video' ? { item_id: e.item_id } : {}),
              ...base(buying.slot, slots.indexOf(buying.slot)),
            });
            void sender.current?.flush();
          }}
        />
      ) : null}
      {toast ? (
        <div class="toast" data-testid="toast">
          {toast}
        </div>
      ) : null}
    </div>
  );
}
