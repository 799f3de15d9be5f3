import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const LOGGER = fileURLToPath(new URL('./logger.ts', import.meta.url));

describe('logger', () => {
  it('writes to stderr, so a command that prints data keeps stdout clean', () => {
    const script = `const { childLogger } = await import(${JSON.stringify(LOGGER)}); childLogger('t').info('a log line'); process.stdout.write('{"data":1}\\n');`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, LOG_LEVEL: 'info', LOG_FORMAT: 'json' },
    });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ data: 1 });
    expect(run.stderr).toContain('"msg":"a log line"');
  });
});
