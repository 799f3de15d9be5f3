import type { Command } from 'commander';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { logger } from '../core/logger.ts';

/** Loads config once per command from the global --config flag, the environment and the command's flags (`overrides`). */
export function configFrom(cmd: Command, overrides?: Record<string, unknown>): Config {
  const root = cmd.optsWithGlobals<{ config?: string }>();
  const config = loadConfig({ ...(root.config ? { file: root.config } : {}), ...(overrides ? { overrides } : {}) });
  logger(config.logLevel);
  return config;
}
