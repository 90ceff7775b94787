/**
 * What a token issued to a narrowed credential may carry (Patient controls): the scopes
 * the client asked for, kept within what the patient chose to share when generating the
 * credential (`ApiCredential.grantedScope`, a SMART scope string). Asking for nothing, or
 * for `patient/*.…`, gets the credential's own grant; asking for a type it shares gets that
 * type (with the credential's category filters for it, when it has some); a type it does
 * not share is left out (https://www.rfc-editor.org/rfc/rfc6749#section-3.3: the server
 * may issue fewer scopes than requested).
 */
const ITEM = /^patient\/(\*|[A-Z][A-Za-z]{1,63})\.([a-z]+)(\?.*)?$/;

export function narrowToCredential(requested: string, credentialGrant: string | undefined): string {
  if (!credentialGrant) return requested;
  const own = credentialGrant.split(/\s+/).filter(Boolean);
  const ownByType = new Map<string, string[]>();
  for (const item of own) {
    const m = ITEM.exec(item);
    if (m) ownByType.set(m[1], [...(ownByType.get(m[1]) ?? []), item]);
  }
  const out: string[] = [];
  let resourceItems = 0;
  for (const item of requested.split(/\s+/).filter(Boolean)) {
    const m = ITEM.exec(item);
    if (!m) {
      out.push(item); // identity scopes (openid, fhirUser, launch/patient)
      continue;
    }
    resourceItems++;
    if (m[1] === '*') out.push(...own);
    else if (ownByType.has('*')) out.push(item);
    else if (ownByType.has(m[1])) out.push(...ownByType.get(m[1])!);
  }
  if (resourceItems === 0) out.push(...own);
  return [...new Set(out)].join(' ');
}
