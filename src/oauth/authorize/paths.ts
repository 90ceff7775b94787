/**
 * Where the authorization endpoint lives. /oauth/authorize is the endpoint apps know
 * (SPEC); it hands the request to the consent page under /portal, where the patient's
 * session cookie (scoped to /portal) is sent, so the portal session never widens its path.
 */
export const AUTHORIZE_PATH = '/oauth/authorize';
export const CONSENT_PATH = '/portal/authorize';
/** The consent form posts here (CSRF-protected); the app's own POST request goes to AUTHORIZE_PATH. */
export const DECISION_PATH = '/portal/authorize/decision';

/**
 * Where the portal's sign-in may send the patient afterwards: only back to a consent page
 * of this server (a relative path, so never an open redirect).
 */
export function afterSignIn(next: string): string | undefined {
  return next.startsWith(`${CONSENT_PATH}?`) && !/[\\\s]/.test(next) && next.length < 8192 ? next : undefined;
}
