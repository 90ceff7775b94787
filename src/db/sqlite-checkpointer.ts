import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * SQLite's WAL checkpoints on a thread of their own.
 *
 * A connection that commits runs the checkpoint itself once the WAL passes
 * `wal_autocheckpoint` pages: it copies those pages into the database file and fsyncs
 * the WAL and the file, in the commit's call. better-sqlite3 is synchronous, so on the
 * server that is the JavaScript thread, blocked for every request it serves meanwhile: in
 * the soak (docs/reliability.md) three checkpoints a second, two fsyncs of ~6.5 ms each.
 *
 * Here the writing connection never checkpoints (`wal_autocheckpoint = 0`); a worker with
 * its own connection runs `PRAGMA wal_checkpoint(PASSIVE)` every `intervalMs`. A passive
 * checkpoint waits for no one: writers go on appending to the WAL and readers keep their
 * snapshots. Crash safety is SQLite's own: a checkpoint cut short by a crash is redone from
 * the WAL on the next open.
 *
 * What the worker cannot do alone is let the WAL start over. SQLite rewrites it from its
 * beginning only when a write begins while every frame in it has been copied, and under a
 * steady stream of writes a few new ones always arrive during a checkpoint: the WAL would
 * grow for ever (the first soak with this worker ended with a 1.3 GB WAL). So once the
 * worker finds `quietPages` frames in the WAL, the writer is asked for a quiet moment:
 * the next write waits (on the write queue, not on the JavaScript thread) while the worker
 * copies the last few frames, and that write then starts the WAL over.
 *
 * If the worker fails or stops, the writing connection checkpoints for itself again (the
 * `onFallback` callback says so): the WAL must never grow without bound.
 */
export interface CheckpointSettings {
  /** How often the worker checkpoints. */
  intervalMs: number;
  /** WAL frames (pages) after which the writer gives the worker a quiet moment to finish; 4,096 is 16 MiB of 4 KiB pages. */
  quietPages: number;
}

export const CHECKPOINT_DEFAULTS: CheckpointSettings = { intervalMs: 200, quietPages: 4096 };
/** SQLite's default wal_autocheckpoint, restored on the writer if the worker goes away. */
export const DEFAULT_AUTOCHECKPOINT = 1000;
/** A quiet checkpoint that takes longer than this (a stalled disk) lets writes go on. */
const QUIET_TIMEOUT_MS = 2000;

export interface Checkpointer {
  /**
   * When the WAL has reached `quietPages`: a task for the write queue that resolves once the
   * worker has checkpointed with no write running (at most QUIET_TIMEOUT_MS). Otherwise, or
   * while such a task is pending, undefined.
   */
  quietCheckpoint(): (() => Promise<void>) | undefined;
  /** Stops the worker after its current checkpoint; the writer checkpoints for itself from then on. */
  stop(): Promise<void>;
}

export interface CheckpointerEvents {
  /** A checkpoint failed (a full disk, an I/O error); the worker tries again next interval. */
  onError?: (message: string) => void;
  /** The worker ended unasked: the caller must let the writer checkpoint again. */
  onFallback: (reason: string) => void;
}

// Plain CommonJS for an eval'd worker: no loader, no bundler entry. better-sqlite3 comes
// by its resolved path, so the worker finds it wherever the server was started from.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file, { fileMustExist: true });
// A checkpoint copies WAL frames without the page cache; keep this connection's small.
db.pragma('cache_size = -512');
let lastError = '';
const checkpoint = () => {
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    lastError = '';
    return result;
  } catch (err) {
    const message = (err && err.code ? err.code + ': ' : '') + (err && err.message ? err.message : String(err));
    // One report per kind of failure, not one per interval.
    if (message !== lastError) parentPort.postMessage({ error: message });
    lastError = message;
    return undefined;
  }
};
const timer = setInterval(() => {
  const result = checkpoint();
  if (result && result.log >= workerData.quietPages) parentPort.postMessage({ full: result.log });
}, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m === 'quiet') {
    checkpoint();
    parentPort.postMessage({ quietDone: true });
  } else if (m === 'stop') {
    clearInterval(timer);
    db.close();
    parentPort.close();
  }
});
`;

export function startCheckpointer(file: string, events: CheckpointerEvents, settings: CheckpointSettings = CHECKPOINT_DEFAULTS): Checkpointer {
  const module = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { file, module, ...settings },
    // A connection and a timer: a small heap is plenty.
    resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
    stdout: false,
    stderr: false,
  });
  // Never what keeps a process alive: a command that forgets to close its database still ends.
  worker.unref();
  let stopping = false;
  let ended = false;
  let quietWanted = false;
  /** A quiet checkpoint was handed to the write queue and has not ended yet. */
  let quietPending = false;
  /** Ends the running quiet checkpoint, if any. */
  let quietDone: (() => void) | undefined;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const fallback = (reason: string) => {
    ended = true;
    quietDone?.();
    if (!stopping) events.onFallback(reason);
  };
  worker.on('message', (m: { error?: string; full?: number; quietDone?: boolean }) => {
    if (m.error) events.onError?.(m.error);
    if (m.full !== undefined) quietWanted = true;
    if (m.quietDone) quietDone?.();
  });
  worker.on('error', (err) => fallback(`checkpoint worker failed: ${err.message}`));
  worker.once('exit', (code) => {
    if (!ended) fallback(`checkpoint worker exited (code ${code})`);
  });
  return {
    quietCheckpoint() {
      if (!quietWanted || quietPending || stopping || ended) return undefined;
      quietWanted = false;
      quietPending = true;
      return () =>
        new Promise<void>((resolve) => {
          // The worker may have gone while the task waited its turn on the queue.
          if (stopping || ended) {
            quietPending = false;
            return resolve();
          }
          const timer = setTimeout(() => quietDone?.(), QUIET_TIMEOUT_MS);
          quietDone = () => {
            clearTimeout(timer);
            quietDone = undefined;
            quietPending = false;
            resolve();
          };
          worker.postMessage('quiet');
        });
    },
    async stop() {
      if (stopping) return exited;
      stopping = true;
      quietDone?.();
      // Held by its own reference until it has ended: a caller awaiting stop() is all that
      // may be left to keep the process alive, and must not see it exit under its await.
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}
