import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { sleep } from '../core/errors.ts';

/** A long-running child process tracked by a pid file, so `down` stops only what `up` started. */
export interface ManagedProcess {
  name: string;
  pidFile: string;
  logFile: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A child that exited but was not reaped yet still answers signal 0.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** The pid from the pid file when that process is still running. */
export function runningPid(p: Pick<ManagedProcess, 'pidFile'>): number | undefined {
  if (!existsSync(p.pidFile)) return undefined;
  const pid = Number(readFileSync(p.pidFile, 'utf8').trim());
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) return pid;
  rmSync(p.pidFile, { force: true });
  return undefined;
}

/** Starts the process detached, with stdout and stderr appended to its log file. */
export function startDetached(p: ManagedProcess): number {
  mkdirSync(dirname(p.logFile), { recursive: true });
  mkdirSync(dirname(p.pidFile), { recursive: true });
  const fd = openSync(p.logFile, 'a');
  const child = spawn(p.command, p.args, {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, ...p.env },
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${p.name} (${p.command})`);
  child.unref();
  writeFileSync(p.pidFile, String(child.pid));
  return child.pid;
}

/** SIGTERM, then SIGKILL after `graceMs`; waits until the process is gone. */
export async function stopProcess(p: Pick<ManagedProcess, 'pidFile'>, graceMs = 20_000): Promise<boolean> {
  const pid = runningPid(p);
  if (pid === undefined) return false;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) {
    process.kill(pid, 'SIGKILL');
    while (isAlive(pid)) await sleep(50);
  }
  rmSync(p.pidFile, { force: true });
  return true;
}

/** Polls `check` until it resolves true or the timeout passes. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, alive?: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (alive && !alive()) throw new Error(`${what} exited during start-up`);
    if (Date.now() > deadline) throw new Error(`${what} did not become ready within ${Math.round(timeoutMs / 1000)} s`);
    await sleep(250);
  }
}
