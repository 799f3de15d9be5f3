import { pino, type Logger } from 'pino';

export type { Logger };

let root: Logger | undefined;

/** Logs go to stderr (fd 2): stdout carries data (`--json`, tables) and must stay parseable. */
const STDERR = 2;

/** The process-wide logger: JSON lines on stderr, pretty-printed when stderr is a terminal. */
export function logger(level?: string): Logger {
  if (root && !level) return root;
  const pretty = process.stderr.isTTY && process.env.LOG_FORMAT !== 'json';
  const options = { level: level ?? process.env.LOG_LEVEL ?? 'info', base: { pid: process.pid } };
  root = pretty
    ? pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname', destination: STDERR } } })
    : pino(options, pino.destination({ dest: STDERR, sync: true }));
  return root;
}

export function childLogger(component: string): Logger {
  return logger().child({ component });
}
