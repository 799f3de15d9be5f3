import { Counter, Gauge } from 'prom-client';
import { metrics } from '../core/metrics.ts';

export const onlineSteps = new Counter({
  name: 'feed_model_online_steps_total',
  help: 'Incremental two-tower training steps taken from the event stream',
  registers: [metrics],
});

export const onlineNewItems = new Counter({
  name: 'feed_model_online_new_items_total',
  help: 'Items announced to the ANN index by online training (vectors for items not indexed before)',
  registers: [metrics],
});

export const onlineLoss = new Gauge({
  name: 'feed_model_online_loss',
  help: 'In-batch softmax loss of the last online training step',
  registers: [metrics],
});

export const onlineDropped = new Counter({
  name: 'feed_model_online_dropped_events_total',
  help: 'Accepted events the online trainer dropped unseen because too many were waiting (oldest first)',
  registers: [metrics],
});
