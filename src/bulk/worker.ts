import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Db } from '../db/db.js';
import { exportPages } from './export-source.js';
import type { JobStore } from './jobs.js';
import { NdjsonWriter } from './ndjson-writer.js';
import type { ExportJob } from './types.js';

export interface WorkerOptions {
  /** How often an idle worker looks for queued jobs (ms). A kick-off on this instance wakes it at once. */
  pollMs: number;
  /** How often expired output is deleted (ms). */
  sweepMs: number;
}

export interface ExportWorker {
  /** Looks for work now (a job was just queued on this instance). */
  wake(): void;
  /** Stops after the current page; a job in progress goes back to the queue for any instance. */
  stop(): Promise<void>;
}

class Interrupted extends Error {}

/**
 * The export worker of one instance: claims one job at a time from the database, writes its
 * NDJSON files into the database in chunks, renews its lease after every page, and publishes
 * the manifest when done. Every instance runs one; jobs are shared through the database.
 */
export function startWorker(db: Db, jobs: JobStore, logger: Logger, options: WorkerOptions): ExportWorker {
  const id = `worker-${randomBytes(6).toString('hex')}`;
  let stopped = false;
  let wakeUp: (() => void) | undefined;
  let lastSweep = 0;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done() {
        clearTimeout(timer);
        wakeUp = undefined;
        resolve();
      }
      wakeUp = done;
    });

  const runJob = async (job: ExportJob) => {
    await jobs.resetOutput(job.id);
    const writer = new NdjsonWriter((file, n, data) => jobs.writeChunk(job.id, file, n, data));
    let progress = 0;
    for await (const page of exportPages(db, job)) {
      for (const row of page) {
        const flushed = writer.add(row.type, row.content);
        if (flushed) await flushed;
      }
      progress += page.length;
      if (stopped) throw new Interrupted('stopping');
      if (!(await jobs.renew(job.id, id, progress))) throw new Interrupted('cancelled or reclaimed');
    }
    for (const w of job.warnings) {
      await writer.add('OperationOutcome', JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'warning', code: 'not-supported', diagnostics: w }] }), 'error');
    }
    const files = await writer.finish();
    if (!(await jobs.complete(job.id, id, files, progress))) throw new Interrupted('cancelled or reclaimed');
    logger.info({ job: job.id, resources: progress, files: files.length }, 'bulk export done');
  };

  const loop = async () => {
    while (!stopped) {
      try {
        if (Date.now() - lastSweep >= options.sweepMs) {
          lastSweep = Date.now();
          const removed = await jobs.sweep();
          if (removed > 0) logger.info({ removed }, 'expired bulk exports deleted');
        }
        const job = await jobs.claim(id);
        if (!job) {
          await sleep(options.pollMs);
          continue;
        }
        try {
          await runJob(job);
        } catch (err) {
          if (err instanceof Interrupted) {
            if (stopped) await jobs.release(job.id, id).catch(() => undefined);
          } else {
            logger.error({ err, job: job.id }, 'bulk export failed');
            await jobs.fail(job.id, id, 'The export failed on the server').catch(() => undefined);
          }
        }
      } catch (err) {
        if (stopped) break;
        logger.warn({ err }, 'bulk export worker: database error, retrying');
        await sleep(options.pollMs);
      }
    }
  };

  const running = loop();
  return {
    wake: () => wakeUp?.(),
    async stop() {
      stopped = true;
      wakeUp?.();
      await running;
    },
  };
}
