import { execFileSync } from 'node:child_process';
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
