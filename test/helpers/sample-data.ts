import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The shared sample data (SPEC: ../shared/data/ beside the checkout; CI always has it).
 * Undefined, with a printed notice, when absent — tests that need it then skip.
 */
export const SAMPLE_DATA: string | undefined = (() => {
  const dir = process.env.CHARTKEY_SAMPLE_DATA ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/data');
  if (existsSync(join(dir, 'synthea'))) return dir;
  console.warn(`NOTICE: sample data not found at ${dir}; tests that need it are skipped.`);
  return undefined;
})();

export const syntheaFile = (name: string) => join(SAMPLE_DATA ?? '/nonexistent', 'synthea', name);
