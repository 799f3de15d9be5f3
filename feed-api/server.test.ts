import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.ts';
import { InsecureConfigError } from '../config/security.ts';
import { createApp } from './app.ts';
import { listen } from './server.ts';

describe('listen', () => {
  it('refuses to listen beyond loopback while the published demo keys and cursor secret are in use', async () => {
    const config = loadConfig({ env: {}, overrides: { api: { host: '0.0.0.0' } } });
    await expect(listen(createApp(config, []), config, 0)).rejects.toThrow(InsecureConfigError);
  });

  it('listens on loopback with them (the demo setup)', async () => {
    const config = loadConfig({ env: {} });
    const server = await listen(createApp(config, []), config, 0);
    try {
      expect((await fetch(`${server.url}/v1/health`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
