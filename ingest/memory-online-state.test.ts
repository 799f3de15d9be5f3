import { MemoryOnlineState } from './memory-online-state.ts';
import { onlineStateContract } from './online-state.contract.ts';

onlineStateContract('memory', ({ limits, now }) => new MemoryOnlineState({ config: limits, now, trendingCacheMs: 0 }));
