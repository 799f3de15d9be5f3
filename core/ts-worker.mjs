// Worker threads do not inherit the TypeScript loader: register tsx, take the thread's nice value
// (so loading its modules already yields to serving), then load the thread's code (see
// ts-worker.ts for the arguments). The nice value comes after `register()`: a thread started from
// here inherits it, and tsx's loader must not run below the threads it serves.
import { setPriority } from 'node:os';
import { register } from 'tsx/esm/api';

const [nice, module] = process.argv.slice(-2);
register();
if (nice !== '') setPriority(Number(nice));
await import(module);
