import * as tf from '@tensorflow/tfjs';
import { childLogger, type Logger } from '../core/logger.ts';

type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface BackendInfo {
  name: BackendName;
  /** Why this backend was chosen; shown in logs and /v1/health. */
  reason: string;
}

let chosen: Promise<BackendInfo> | undefined;

async function choose(log: Logger): Promise<BackendInfo> {
  const forced = process.env.TFJS_BACKEND as BackendName | undefined;
  if (forced !== 'wasm' && forced !== 'cpu') {
    try {
      // Registers the native 'tensorflow' backend; fails where libtensorflow was not downloaded.
      await import('@tensorflow/tfjs-node');
      if (await tf.setBackend('tensorflow')) {
        const info: BackendInfo = { name: 'tensorflow', reason: '@tensorflow/tfjs-node loaded (native libtensorflow)' };
        log.info(info, 'tfjs backend');
        return info;
      }
    } catch (err) {
      log.debug({ err: (err as Error).message }, 'tfjs-node unavailable');
    }
  }
  if (forced !== 'cpu') {
    await import('@tensorflow/tfjs-backend-wasm');
    if (await tf.setBackend('wasm')) {
      await tf.ready();
      const info: BackendInfo = {
        name: 'wasm',
        reason: '@tensorflow/tfjs-node is not installed or its native library is missing; using the WebAssembly backend',
      };
      log.info(info, 'tfjs backend');
      return info;
    }
  }
  await tf.setBackend('cpu');
  const info: BackendInfo = { name: 'cpu', reason: 'neither tfjs-node nor wasm could start; pure-JS backend (slow)' };
  log.warn(info, 'tfjs backend');
  return info;
}

/**
 * Picks the fastest backend that loads here: tfjs-node, then wasm, then cpu. Once per process;
 * the choice is logged to `log` (commands whose stdout is data pass a logger on stderr).
 */
export function initBackend(log: Logger = childLogger('tfjs')): Promise<BackendInfo> {
  chosen ??= choose(log);
  return chosen;
}

export { tf as tfjs };
