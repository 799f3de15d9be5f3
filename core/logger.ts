import { pino, type Logger } from 'pino';

export type { Logger };

let root: Logger | undefined;

/** The process-wide logger: JSON lines, pretty-printed when stdout is a terminal. */
export function logger(level?: string): Logger {
  if (root && !level) return root;
  const pretty = process.stdout.isTTY && process.env.LOG_FORMAT !== 'json';
  root = pino({
    level: level ?? process.env.LOG_LEVEL ?? 'info',
    base: { pid: process.pid },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname' } } } : {}),
  });
  return root;
}

export function childLogger(component: string): Logger {
  return logger().child({ component });
}
