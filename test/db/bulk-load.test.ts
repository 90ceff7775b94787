import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BULK_LOAD, openDb } from '../../src/db/open.js';

const dir = mkdtempSync(join(tmpdir(), 'chartkey-bulk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SQLite bulk-load settings', () => {
  it('enlarge the page cache and the WAL autocheckpoint of the writing connection only', async () => {
    const db = openDb(`sqlite:${join(dir, 'bulk.sqlite')}`, { bulkLoad: BULK_LOAD });
    try {
      // PRAGMA statements run on the writing connection, SELECTs on the reading one.
      expect(await db.get('PRAGMA cache_size')).toEqual({ cache_size: -BULK_LOAD.cacheMiB * 1024 });
      expect(await db.get('PRAGMA wal_autocheckpoint')).toEqual({ wal_autocheckpoint: BULK_LOAD.walAutocheckpoint });
      expect(await db.get('SELECT cache_size FROM pragma_cache_size()')).toEqual({ cache_size: -8192 });
    } finally {
      await db.close();
    }
  });

  it('are not applied without the option (the server)', async () => {
    const db = openDb(`sqlite:${join(dir, 'server.sqlite')}`);
    try {
      expect(await db.get('PRAGMA cache_size')).toEqual({ cache_size: -8192 });
      expect(await db.get('PRAGMA wal_autocheckpoint')).toEqual({ wal_autocheckpoint: 1000 });
    } finally {
      await db.close();
    }
  });
});
