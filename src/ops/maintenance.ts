import type { Services } from '../services.js';

/** How often expired sessions are deleted. */
const INTERVAL_MS = 10 * 60 * 1000;

/**
 * Periodic clean-up run by the server: expired sessions, authorization codes, refresh
 * tokens and remembered client-assertion jtis are refused anyway (every check compares
 * expiry), this only keeps their tables from growing. Access tokens are signed and
 * self-contained (src/auth/tokens.ts): nothing of them is stored, so there is nothing to sweep.
 * Returns a stop function; the timer never keeps the process alive.
 */
export function startMaintenance(services: Services, intervalMs = INTERVAL_MS): () => void {
  const run = async () => {
    try {
      const sessions = await services.portal.sessions.sweep();
      if (sessions > 0) services.logger.debug({ sessions }, 'expired sessions removed');
      const oauth = { ...(await services.oauth.grants.sweep()), assertionJtis: await services.oauth.assertions.prune() };
      if (Object.values(oauth).some((n) => n > 0)) services.logger.debug(oauth, 'expired authorization codes, refresh tokens and assertion ids removed');
    } catch (err) {
      services.logger.warn({ err }, 'maintenance failed');
    }
  };
  const timer = setInterval(() => void run(), intervalMs);
  timer.unref();
  void run();
  return () => clearInterval(timer);
}
