import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';

describe('configuration from the environment', () => {
  it('defaults to the embedded database in ./data on port 8080', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 8080, databaseUrl: 'sqlite:./data/chartkey.sqlite', publicUrl: 'http://localhost:8080', logLevel: 'info', demo: true });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PUBLIC_URL: '', REDIS_URL: '' })).toMatchObject({ databaseUrl: 'sqlite:./data/chartkey.sqlite', publicUrl: 'http://localhost:8080', redisUrl: undefined });
  });

  it('lists every bad variable in one error', () => {
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', PUBLIC_URL: 'localhost', LOG_LEVEL: 'loud', REDIS_URL: 'http://r', SMTP_URL: 'mail' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.map((p) => p.split(' ')[0])).toEqual(['PORT', 'DATABASE_URL', 'REDIS_URL', 'PUBLIC_URL', 'SMTP_URL', 'LOG_LEVEL']);
    }
  });

  it('strips a trailing slash from PUBLIC_URL', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://portal.example.org/' }).publicUrl).toBe('https://portal.example.org');
  });
});
