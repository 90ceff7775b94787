import { readFileSync } from 'node:fs';
import type { ServerOptions } from 'node:https';
import type { Config } from '../config/config.js';

/**
 * HTTPS settings from TLS_CERT_FILE and TLS_KEY_FILE (PEM), or undefined for plain HTTP.
 * TLS 1.2 is the floor (SPEC Operations; RFC 8996 deprecates TLS 1.0 and 1.1): a client
 * offering only 1.0 or 1.1 fails the handshake. Node's default ciphers for 1.2 and 1.3
 * are kept (forward secrecy, AEAD first).
 */
export function tlsOptions(config: Config): ServerOptions | undefined {
  if (!config.tlsCertFile || !config.tlsKeyFile) return undefined;
  const read = (what: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`cannot read ${what} ${file}: ${(err as Error).message}`, { cause: err });
    }
  };
  return {
    cert: read('TLS_CERT_FILE', config.tlsCertFile),
    key: read('TLS_KEY_FILE', config.tlsKeyFile),
    minVersion: 'TLSv1.2',
  };
}
