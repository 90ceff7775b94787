import { readFile } from 'node:fs/promises';
import { ClientError, type ClientType, type OAuthClient } from '../oauth/clients.js';
import { registerApp, removeApp } from '../oauth/app-admin.js';
import { parseArgs, UsageError } from './args.js';
import { withServices } from './context.js';
import type { CliCommand, CliContext } from './types.js';

/**
 * `chartkey app add|list|remove` (SPEC "Connected apps", "Practice systems"). Apps are
 * database rows: a running server sees a change on its next request. A client secret is
 * printed once, here, and exists nowhere else in the clear.
 */
const USAGE = [
  'chartkey app add NAME --redirect-uri URI [--redirect-uri URI…] [--type public|confidential|asymmetric] [--jwks-url URL | --jwks-file FILE] [--json]',
  '       chartkey app add NAME --system (--jwks-url URL | --jwks-file FILE) [--scope "system/*.rs system/*.cruds"] [--json]',
  '       chartkey app list [--json]',
  '       chartkey app remove CLIENT_ID',
  '  --type defaults to confidential, or to asymmetric when a JWKS is given.',
].join('\n');

const TYPES: readonly ClientType[] = ['public', 'confidential', 'asymmetric', 'system'];
const ACTOR = { kind: 'system', id: 'cli' } as const;

/** Control characters (terminal escapes) never reach the terminal from a stored name or URI. */
const printable = (s: string) => s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '\uFFFD');

async function add(args: string[], ctx: CliContext): Promise<number> {
  const { flags, positionals, lists } = parseArgs(args, ['type', 'jwks-url', 'jwks-file', 'scope'], ['json', 'system'], ['redirect-uri']);
  const [name, ...rest] = positionals;
  if (!name || rest.length) throw new UsageError(rest.length ? `unexpected argument "${rest[0]}"` : 'add needs the app\'s NAME');
  const typeFlag = flags.get('type');
  if (typeFlag !== undefined && !TYPES.includes(typeFlag as ClientType)) throw new UsageError(`--type must be public, confidential or asymmetric (or use --system), got "${String(typeFlag)}"`);
  if (flags.has('system') && typeFlag !== undefined && typeFlag !== 'system') throw new UsageError('--system cannot be combined with --type');
  const jwksUrl = flags.get('jwks-url') as string | undefined;
  const jwksFile = flags.get('jwks-file') as string | undefined;
  if (jwksUrl !== undefined && jwksFile !== undefined) throw new UsageError('give either --jwks-url or --jwks-file, not both');
  const type: ClientType = flags.has('system') ? 'system' : ((typeFlag as ClientType | undefined) ?? (jwksUrl || jwksFile ? 'asymmetric' : 'confidential'));
  let jwks: string | undefined;
  if (jwksFile !== undefined) {
    try {
      jwks = await readFile(jwksFile, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read the JWKS file "${jwksFile}": ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    // A PEM public key (as `openssl ec -pubout` writes it) is taken too, as a one-key JWKS.
    if (jwks.includes('-----BEGIN PUBLIC KEY-----')) jwks = await pemToJwks(jwks);
  }
  const { client, clientSecret } = await withServices(ctx, (services) =>
    registerApp(services, { name, type, redirectUris: lists.get('redirect-uri') ?? [], jwksUrl, jwks, scope: flags.get('scope') as string | undefined }, ACTOR),
  );
  if (flags.has('json')) {
    ctx.stdout.write(`${JSON.stringify(clientSecret === undefined ? { client_id: client.clientId } : { client_id: client.clientId, client_secret: clientSecret })}\n`);
    return 0;
  }
  ctx.stdout.write(`Registered "${printable(client.name)}" (${client.type}).\n`);
  ctx.stdout.write(`client_id:     ${client.clientId}\n`);
  if (clientSecret !== undefined) {
    ctx.stdout.write(`client_secret: ${clientSecret}\n`);
    ctx.stdout.write('The client secret is shown only now and cannot be shown again: store it safely.\n');
  }
  if (client.type === 'system') ctx.stdout.write(`scope:         ${client.scope}\n`);
  return 0;
}

/** One row per app: never a secret (the registry keeps only a hash). */
function describe(client: OAuthClient): string[] {
  const reach = client.type === 'system' ? `scope: ${client.scope ?? ''}` : client.redirectUris.join(' ');
  return [client.clientId, printable(client.name), client.type, printable(reach), new Date(client.createdAt).toISOString().slice(0, 16).replace('T', ' ')];
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd()).join('\n') + '\n';
}

async function list(args: string[], ctx: CliContext): Promise<number> {
  const { flags, positionals } = parseArgs(args, [], ['json']);
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const clients = await withServices(ctx, (services) => services.oauth.clients.list());
  if (flags.has('json')) {
    const out = clients.map((c) => ({
      client_id: c.clientId, name: c.name, type: c.type, redirect_uris: c.redirectUris, ...(c.scope ? { scope: c.scope } : {}), created_at: new Date(c.createdAt).toISOString(),
    }));
    ctx.stdout.write(`${JSON.stringify(out)}\n`);
    return 0;
  }
  if (clients.length === 0) {
    ctx.stdout.write('No apps are registered. Add one with: chartkey app add NAME --redirect-uri URI\n');
    return 0;
  }
  ctx.stdout.write(table([['CLIENT ID', 'NAME', 'TYPE', 'CREATED (UTC)', 'REDIRECT URIS / SCOPE'], ...clients.map((c) => {
    const [id, name, type, reach, created] = describe(c);
    return [id, name, type, created, reach];
  })]));
  return 0;
}

async function remove(args: string[], ctx: CliContext): Promise<number> {
  const { positionals } = parseArgs(args, []);
  const [clientId, ...rest] = positionals;
  if (!clientId || rest.length) throw new UsageError(rest.length ? `unexpected argument "${rest[0]}"` : 'remove needs the CLIENT_ID');
  const removed = await withServices(ctx, (services) => removeApp(services, clientId, ACTOR));
  if (!removed) {
    ctx.stderr.write(`chartkey app: no registered app has the client_id "${printable(clientId.slice(0, 100))}" (see chartkey app list)\n`);
    return 1;
  }
  const n = removed.grantsRevoked;
  ctx.stdout.write(`Removed "${printable(removed.client.name)}" (${removed.client.clientId}); ${n} patient authorization${n === 1 ? '' : 's'} revoked. Its tokens stop working at once.\n`);
  return 0;
}

const VERBS: Record<string, (args: string[], ctx: CliContext) => Promise<number>> = { add, list, remove };

const command: CliCommand = {
  name: 'app',
  usage: USAGE,
  async run(args, ctx) {
    const [verb, ...rest] = args;
    try {
      const run = verb ? VERBS[verb] : undefined;
      if (!run) throw new UsageError(verb ? `unknown subcommand "${verb}" (add, list or remove)` : 'add, list or remove?');
      return await run(rest, ctx);
    } catch (err) {
      if (err instanceof UsageError || err instanceof ClientError) {
        ctx.stderr.write(`chartkey app: ${err.message}\n`);
        if (err instanceof UsageError) ctx.stderr.write(`Usage: ${USAGE}\n`);
        return 2;
      }
      throw err;
    }
  },
};
export default command;

/** One SPKI public key (EC P-384 → ES384, RSA → RS384) as a JWKS, converted by jose. */
async function pemToJwks(pem: string): Promise<string> {
  const { exportJWK, importSPKI, calculateJwkThumbprint } = await import('jose');
  for (const alg of ['ES384', 'RS384'] as const) {
    try {
      const jwk = await exportJWK(await importSPKI(pem.trim(), alg, { extractable: true }));
      if (alg === 'ES384' && jwk.crv !== 'P-384') throw new UsageError('an EC key must be on the P-384 curve (ES384)');
      return JSON.stringify({ keys: [{ ...jwk, alg, use: 'sig', kid: await calculateJwkThumbprint(jwk) }] });
    } catch (err) {
      if (err instanceof UsageError) throw err;
    }
  }
  throw new UsageError('the PEM file is not an RSA or EC P-384 public key');
}
