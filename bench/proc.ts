import { readdirSync, readFileSync } from 'node:fs';

/** CPU time (user + system) of a process in milliseconds, from /proc/PID/stat (Linux clock ticks of 10 ms). */
export function cpuMillis(pid: number): number {
  return cpuMillisOf(`/proc/${pid}/stat`);
}

/** The fields of a /proc stat file after the command name (which may contain spaces): [0] is the state, [1] the parent, [11] utime … */
function statFields(file: string): string[] {
  const stat = readFileSync(file, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

function cpuMillisOf(file: string): number {
  const fields = statFields(file);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) * 10;
}

/** Peak resident set size (VmHWM) of a process in MiB. */
export function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Current resident set size (VmRSS) of a process in MiB. */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Resident memory of a process by kind, MiB, from /proc/PID/status: anonymous (heaps, malloc), file-backed (the node binary, shared libraries), shared memory. */
export function rssParts(pid: number): { rss: number; anon: number; file: number; shmem: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile'), shmem: kb('RssShmem') };
}

/** CPU time of a process's main thread (for Node: the JavaScript thread) in milliseconds, from /proc/PID/task/PID/stat. */
export function mainThreadCpuMillis(pid: number): number {
  return cpuMillisOf(`/proc/${pid}/task/${pid}/stat`);
}

/** The machine's CPU time so far by kind, in clock ticks summed over every core, from /proc/stat: `steal` is time the hypervisor gave this machine's CPUs to someone else. */
export function machineCpuTicks(): { busy: number; idle: number; steal: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const busy = user + nice + system + irq + softirq;
  return { busy, idle: idle + iowait, steal, total: busy + idle + iowait + steal };
}

/** Share of the time some runnable task waited for a CPU, %, over the last 60 s (Linux pressure stall information; NaN where the kernel has none). */
export function cpuPressure60(): number {
  try {
    return Number(/avg60=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'))?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

/**
 * CPU time of a process and its children in milliseconds: its own, what its exited
 * children left it (cutime, cstime: for PostgreSQL's postmaster, every backend and
 * autovacuum worker that has ended) and its live children's own.
 */
export function processTreeCpuMillis(rootPid: number): number {
  const root = statFields(`/proc/${rootPid}/stat`);
  let ticks = Number(root[11]) + Number(root[12]) + Number(root[13]) + Number(root[14]);
  for (const child of liveChildren(rootPid)) ticks += Number(child.fields[11]) + Number(child.fields[12]);
  return ticks * 10;
}

/** The parent of a process (e.g. a PostgreSQL backend's postmaster). */
export function parentPid(pid: number): number {
  return Number(statFields(`/proc/${pid}/stat`)[1]);
}

/** The live children of a process (e.g. a PostgreSQL postmaster's backends and workers). */
export function childPids(pid: number): number[] {
  return [...liveChildren(pid)].map((child) => child.pid);
}

/** Each live child of a process with its /proc stat fields, read once. */
function* liveChildren(parent: number): Generator<{ pid: number; fields: string[] }> {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fields: string[];
    try {
      fields = statFields(`/proc/${entry}/stat`);
    } catch {
      continue; // The process ended between the listing and the read.
    }
    if (Number(fields[1]) === parent) yield { pid: Number(entry), fields };
  }
}
