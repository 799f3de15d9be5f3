// Worker threads do not inherit the TypeScript loader: register tsx, then load the thread's code
// (its URL is the last argument, see ts-worker.ts).
import { register } from 'tsx/esm/api';

register();
await import(process.argv.at(-1));
