// Worker threads do not inherit the TypeScript loader: take the thread's nice value first (so
// loading its modules already yields to serving), register tsx, then load the thread's code
// (see ts-worker.ts for the arguments).
import { setPriority } from 'node:os';
import { register } from 'tsx/esm/api';

const [nice, module] = process.argv.slice(-2);
if (nice !== '') setPriority(Number(nice));
register();
await import(module);
