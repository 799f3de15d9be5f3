import type { Command } from 'commander';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { logger } from '../core/logger.ts';

/** Loads config once per command from the global --config flag and the environment. */
export function configFrom(cmd: Command): Config {
  const root = cmd.optsWithGlobals<{ config?: string }>();
  const config = loadConfig(root.config ? { file: root.config } : {});
  logger(config.logLevel);
  return config;
}
