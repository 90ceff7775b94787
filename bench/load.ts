/**
 * The load generator, in its own process so it never competes inside the server's event
 * loop. Usage: tsx bench/load.ts JSON_OPTIONS → prints autocannon's result as JSON.
 */
import autocannon from 'autocannon';

const options = JSON.parse(process.argv[2]) as autocannon.Options;
const result = await autocannon({ ...options, renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false } as autocannon.Options);
process.stdout.write(JSON.stringify({
  requests: result.requests.total,
  rps: result.requests.average,
  p50: result.latency.p50,
  p99: result.latency.p99,
  errors: result.errors + result.timeouts + result.non2xx,
  non2xx: result.non2xx,
  duration: result.duration,
}));
