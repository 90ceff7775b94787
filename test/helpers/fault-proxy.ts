import net from 'node:net';

/**
 * A TCP proxy that can fail on demand, put between ChartKey and PostgreSQL or Redis to
 * simulate outages without touching the shared servers:
 *
 * - `cut()`: every open connection is reset and new ones are reset on arrival (the
 *   database host went away or the service was killed);
 * - `stall()`: connections stay open but nothing passes either way, and new connections
 *   are accepted and never answered (a network partition, a hung server);
 * - `restore()`: traffic flows again; connections that were stalled are reset (their
 *   peers hold half-sent messages), new ones reach the upstream.
 */
export interface FaultProxy {
  readonly port: number;
  readonly mode: 'pass' | 'cut' | 'stall';
  /** `url` with its host:port replaced by the proxy's. */
  via(url: string): string;
  cut(): void;
  stall(): void;
  restore(): void;
  /** Connections accepted so far (to see that a client reconnected). */
  readonly accepted: number;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream?: net.Socket;
  stalled: boolean;
}

export async function startFaultProxy(upstreamHost: string, upstreamPort: number): Promise<FaultProxy> {
  let mode: FaultProxy['mode'] = 'pass';
  let accepted = 0;
  const pairs = new Set<Pair>();

  const drop = (pair: Pair) => {
    pairs.delete(pair);
    pair.client.resetAndDestroy();
    pair.upstream?.resetAndDestroy();
  };

  const server = net.createServer((client) => {
    accepted++;
    client.on('error', () => undefined);
    if (mode === 'cut') return void client.resetAndDestroy();
    const pair: Pair = { client, stalled: mode === 'stall' };
    pairs.add(pair);
    client.on('close', () => drop(pair));
    if (pair.stalled) return; // accepted, never answered
    const upstream = net.connect(upstreamPort, upstreamHost);
    pair.upstream = upstream;
    upstream.on('error', () => drop(pair));
    upstream.on('close', () => drop(pair));
    // Forward only while the proxy passes traffic: in a stall the bytes vanish.
    client.on('data', (chunk) => void (mode === 'pass' && !pair.stalled && upstream.write(chunk)));
    upstream.on('data', (chunk) => void (mode === 'pass' && !pair.stalled && client.write(chunk)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    get mode() {
      return mode;
    },
    get accepted() {
      return accepted;
    },
    via(url: string) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    cut() {
      mode = 'cut';
      for (const p of [...pairs]) drop(p);
    },
    stall() {
      mode = 'stall';
      for (const p of pairs) p.stalled = true;
    },
    restore() {
      for (const p of [...pairs]) if (p.stalled) drop(p);
      mode = 'pass';
    },
    async close() {
      for (const p of [...pairs]) drop(p);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
