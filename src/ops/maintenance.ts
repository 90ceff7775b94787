import type { Services } from '../services.js';

/** How often expired sessions and access tokens are deleted. */
const INTERVAL_MS = 10 * 60 * 1000;

/**
 * Periodic clean-up run by the server: expired sessions and access tokens are refused
 * anyway (every check compares expiry), this only keeps their tables from growing.
 * Returns a stop function; the timer never keeps the process alive.
 */
export function startMaintenance(services: Services, intervalMs = INTERVAL_MS): () => void {
  const run = async () => {
    try {
      const sessions = await services.portal.sessions.sweep();
      const tokens = await services.tokens.purgeExpired();
      if (sessions + tokens > 0) services.logger.debug({ sessions, tokens }, 'expired sessions and tokens removed');
    } catch (err) {
      services.logger.warn({ err }, 'maintenance failed');
    }
  };
  const timer = setInterval(() => void run(), intervalMs);
  timer.unref();
  void run();
  return () => clearInterval(timer);
}
