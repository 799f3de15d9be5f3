// Worker threads do not inherit vitest's TypeScript loader: register tsx, then load the worker.
import { register } from 'tsx/esm/api';

register();
await import('./redis-contract-worker.ts');
