import { z } from 'zod';

/**
 * `schema`, but a key that was renamed fails validation naming its new key: a zod object
 * drops unknown keys, so an old config file would otherwise lose its settings silently.
 */
export function withRenamedKeys<T extends z.ZodType>(schema: T, renamed: Readonly<Record<string, string>>) {
  return z.preprocess((input, ctx) => {
    if (typeof input !== 'object' || input === null) return input;
    for (const [old, now] of Object.entries(renamed)) {
      if (old in input) ctx.addIssue({ code: 'custom', message: `renamed: use ${now}`, path: [old], input });
    }
    return input;
  }, schema);
}
