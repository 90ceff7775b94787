/** Where the authorization endpoint lives (the portal's sign-in returns here during a SMART launch). */
export const AUTHORIZE_PATH = '/oauth/authorize';
/** The consent form posts here; the app's own POST authorization request goes to AUTHORIZE_PATH. */
export const DECISION_PATH = '/oauth/authorize/decision';

/**
 * Where the portal's sign-in may send the patient afterwards: only back to an
 * authorization request of this server (a relative path, so never an open redirect).
 */
export function afterSignIn(next: string): string | undefined {
  return next.startsWith(`${AUTHORIZE_PATH}?`) && !/[\\\s]/.test(next) && next.length < 8192 ? next : undefined;
}
