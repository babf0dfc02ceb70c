/**
 * What this machine says about other processes, for start-up diagnosis and leftover detection: is a
 * pid alive, what is its command line and start time, which process listens on a TCP port. Read
 * from /proc where there is one; elsewhere only liveness is known and the rest is undefined.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
  }
}

/** The process's argv, or undefined where /proc cannot tell. */
export function commandLine(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((a) => a !== '');
  } catch {
    return undefined; // gone, or no /proc here
  }
}

/** When the process started (clock ticks since boot: /proc/<pid>/stat field 22); undefined elsewhere. */
export function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces and parentheses: count from the last ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined; // gone, or no /proc here
  }
}

/** "pid 123 (node --import tsx src/main.ts)", or just "pid 123". */
export function describeProcess(pid: number): string {
  const argv = commandLine(pid);
  return argv?.length ? `pid ${pid} (${argv.join(' ').slice(0, 200)})` : `pid ${pid}`;
}

/** The processes listening on TCP `port` (any address), as far as /proc shows them to this user. */
export function tcpListeners(port: number): number[] {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return [];
  return pidsHoldingSockets(inodes);
}

/** Socket inodes of `pid` that are TCP listeners (any port). */
export function tcpListenersOf(pid: number): string[] {
  const all = listeningInodes(undefined);
  return socketInodesOf(pid).filter((i) => all.has(i));
}

function listeningInodes(port: number | undefined): Set<string> {
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // no IPv6, or no /proc
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A') continue; // 0A: LISTEN
      const localPort = parseInt(f[1]!.split(':')[1] ?? '', 16);
      if (port === undefined || localPort === port) inodes.add(f[9]!);
    }
  }
  return inodes;
}

function socketInodesOf(pid: number): string[] {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return []; // gone, or not ours to read
  }
  const out: string[] = [];
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.push(m[1]!);
    } catch {
      // closed while we looked
    }
  }
  return out;
}

function pidsHoldingSockets(inodes: Set<string>): number[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return []; // no /proc
  }
  return pids.map(Number).filter((pid) => socketInodesOf(pid).some((i) => inodes.has(i)));
}
