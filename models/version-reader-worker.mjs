// Worker threads do not inherit the TypeScript loader: register tsx, then load the thread's code.
import { register } from 'tsx/esm/api';

register();
await import('./version-reader-worker.ts');
