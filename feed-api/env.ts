import type { ApiKey } from '../config/schema.ts';

/** Variables that middleware sets on the Hono context. */
export interface AppEnv {
  Variables: {
    requestId: string;
    apiKey: ApiKey;
  };
}
