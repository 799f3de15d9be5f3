import { useState } from 'preact/hooks';
import type { ProductCard } from '../../../feed-api/feed-response.ts';
import { formatMoney } from '../shared/api.ts';
import { Artwork } from './artwork.tsx';

/** In-page checkout: the cart and the order confirmation never leave the feed. */
export function Checkout(props: { product: ProductCard; onPay: (quantity: number) => void; onClose: () => void }) {
  const p = props.product;
  const [quantity, setQuantity] = useState(1);
  const [order, setOrder] = useState<string | null>(null);
  return (
    // A click on the backdrop itself (not inside the sheet) or Escape closes the sheet; its Close button is the accessible way.
    // biome-ignore lint/a11y/noStaticElementInteractions: a modal's backdrop, not a control
    <div class="sheet-backdrop" role="presentation" onClick={(e) => e.target === e.currentTarget && props.onClose()} onKeyDown={(e) => e.key === 'Escape' && props.onClose()}>
      <section class="sheet checkout" data-testid="checkout" role="dialog" aria-modal="true" aria-label="Checkout">
        <header>
          <h3>{order ? 'Order placed' : 'In your cart'}</h3>
          <button type="button" class="close" onClick={props.onClose} aria-label="Close">
            ×
          </button>
        </header>
        <div class="checkout-row">
          <div class="thumb">
            <Artwork id={p.product_id} />
          </div>
          <div>
            <p class="product-title">{p.title}</p>
            <p class="product-price">{formatMoney(p.price, p.currency)}</p>
          </div>
        </div>
        {order ? (
          <p class="confirmation" data-testid="order-confirmation">
            ✓ Order {order} confirmed: {quantity} × {p.title}, {formatMoney(p.price * quantity, p.currency)}. Keep scrolling!
          </p>
        ) : (
          <>
            <div class="quantity">
              <button type="button" onClick={() => setQuantity(Math.max(1, quantity - 1))} aria-label="One less">
                −
              </button>
              <span>{quantity}</span>
              <button type="button" onClick={() => setQuantity(Math.min(99, quantity + 1))} aria-label="One more">
                +
              </button>
            </div>
            <button
              type="button"
              class="buy wide"
              data-testid="pay"
              onClick={() => {
                props.onPay(quantity);
                setOrder(`#${crypto.randomUUID().slice(0, 8).toUpperCase()}`);
              }}
            >
              Pay {formatMoney(p.price * quantity, p.currency)}
            </button>
          </>
        )}
      </section>
    </div>
  );
}
