import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, platform, arch, release } from 'node:os';

export interface MachineInfo {
  cpu: string;
  cores: number;
  memory_bytes: number;
  node: string;
  platform: string;
  kernel: string;
  /** 1-minute load average when the benchmark started: a busy machine explains slow figures. */
  load_1m: number;
}

/** CPU time counters since boot (Linux /proc/stat), to tell how much the hypervisor took. */
export interface CpuTimes {
  total: number;
  steal: number;
}

export function cpuTimes(): CpuTimes | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return { total: fields.reduce((a, b) => a + b, 0), steal: fields[7] ?? 0 };
  } catch {
    return null;
  }
}

/** Share of CPU time stolen by the hypervisor between two readings (null where unknown). */
export function stealShare(from: CpuTimes | null, to: CpuTimes | null): number | null {
  if (!from || !to || to.total <= from.total) return null;
  return Number(((to.steal - from.steal) / (to.total - from.total)).toFixed(3));
}

/** Resident set size of a process from /proc, without disturbing it (no GC); 0 where unknown. */
export function rssOf(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

export interface GitInfo {
  commit: string;
  /** Uncommitted changes in the working tree when the benchmark ran. */
  dirty: boolean;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memory_bytes: totalmem(),
    node: process.version,
    platform: `${platform()}-${arch()}`,
    kernel: release(),
    load_1m: Number(loadavg()[0]!.toFixed(2)),
  };
}

function git(args: string[]): string {
  return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
}

/** The commit being measured; 'unknown' outside a git checkout. */
export function gitInfo(): GitInfo {
  try {
    return { commit: git(['rev-parse', 'HEAD']), dirty: git(['status', '--porcelain', '--untracked-files=no']).length > 0 };
  } catch {
    return { commit: 'unknown', dirty: false };
  }
}
