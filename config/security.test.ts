import { describe, expect, it } from 'vitest';
import { loadConfig } from './load.ts';
import { checkDefaultSecrets, InsecureConfigError, isLoopback } from './security.ts';

const own = { keys: [{ key: 'a-private-key-123', app: 'mine' }], cursorSecret: 'a-private-cursor-secret-0123456789' };

describe('default secrets', () => {
  it('knows loopback names and addresses from the rest', () => {
    expect(['127.0.0.1', '127.8.0.1', '::1', '[::1]', 'localhost', 'LOCALHOST'].filter(isLoopback)).toHaveLength(6);
    expect(['0.0.0.0', '::', '10.0.0.1', 'feed.internal', '127.0.0.1.evil.example', ''].filter(isLoopback)).toEqual([]);
  });

  it('refuses to serve beyond loopback with a default key or the default cursor secret', () => {
    for (const api of [{ host: '0.0.0.0' }, { host: '10.1.2.3', keys: own.keys }, { host: '::', cursorSecret: own.cursorSecret }]) {
      expect(() => checkDefaultSecrets(loadConfig({ env: {}, overrides: { api } })), JSON.stringify(api)).toThrow(InsecureConfigError);
    }
    expect(() => checkDefaultSecrets(loadConfig({ env: {}, overrides: { api: { host: '0.0.0.0', keys: own.keys } } }))).toThrow(/api.cursorSecret/);
    expect(checkDefaultSecrets(loadConfig({ env: {}, overrides: { api: { host: '0.0.0.0', ...own } } }))).toBeUndefined();
  });

  it('on loopback, names the defaults in a warning instead', () => {
    expect(checkDefaultSecrets(loadConfig({ env: {}, overrides: {} }))).toMatch(/demo-app-key.*demo-admin-key.*api.cursorSecret/);
    expect(checkDefaultSecrets(loadConfig({ env: {}, overrides: { api: own } }))).toBeUndefined();
  });
});
