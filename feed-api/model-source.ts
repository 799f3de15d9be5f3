import type { Config } from '../config/schema.ts';
import { childLogger } from '../core/logger.ts';
import { loadPromotedModels, loadVersion, watchPromoted } from '../models/serving.ts';
import type { ModelSource } from './service.ts';

/** Promoted models from the model registry, reloaded when `feed promote`/`rollback` moves the pointer. */
export function registryModelSource(config: Config): ModelSource {
  const log = childLogger('models');
  return {
    load: () => loadPromotedModels(config),
    watch(onChange) {
      const watcher = watchPromoted(config, (version) => {
        if (!version) return onChange(undefined);
        loadVersion(config, version).then(onChange, (err: Error) => log.error({ version, err: err.message }, 'could not load the promoted version; keeping the current one'));
      });
      return () => watcher.close();
    },
    loadVersion: (version) => loadVersion(config, version),
  };
}
