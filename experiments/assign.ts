import { idHash } from '../core/hash.ts';
import type { Arm } from './store.ts';

/**
 * The arm of `userId`: a stable hash of (experiment, user) placed on the arms' cumulative
 * shares. No state, so every replica (and every restart) puts a person in the same arm.
 */
export function assignArm(experimentId: string, userId: string, arms: readonly Pick<Arm, 'name' | 'share'>[]): string {
  const u = idHash(`${experimentId}\u0000${userId}`) / 2 ** 32;
  const total = arms.reduce((s, a) => s + a.share, 0);
  let edge = 0;
  for (const arm of arms) {
    edge += arm.share / total;
    if (u < edge) return arm.name;
  }
  return arms[arms.length - 1]!.name;
}
