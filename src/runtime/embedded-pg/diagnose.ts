/**
 * Turns an embedded server that would not start into why and how to fix it, from the last lines
 * of its log: a TCP port in use (and by whom), a lock held, a data directory with the wrong owner
 * or mode, a cluster made by another Postgres major version, no shared memory or disk left.
 */
import { readFileSync } from 'node:fs';
import { describeProcess, tcpListeners } from '../processes.js';
import { StartupError } from '../startup-error.js';
import type { Layout } from './layout.js';

const TAIL_LINES = 15;

export function logTail(file: string, lines = TAIL_LINES): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return `(no log at ${file})`;
  }
}

interface Rule {
  readonly test: RegExp;
  readonly explain: (m: RegExpMatchArray, layout: Layout) => { why: string; fix: string };
}

const RULES: readonly Rule[] = [
  {
    test: /could not bind IPv[46] address .*Address already in use|could not create any TCP\/IP sockets/,
    explain: (_m, l) => {
      const who = tcpListeners(l.port).map(describeProcess).join(', ');
      return {
        why: `TCP port ${l.port} (SINAS_EMBEDDED_PG_PORT) is in use${who ? ` by ${who}` : ''}`,
        fix: 'unset SINAS_EMBEDDED_PG_PORT (the embedded database needs no TCP port; the CLI uses its socket), or set it to a free port',
      };
    },
  },
  {
    test: /lock file "([^"]+)" already exists/,
    explain: (m) => ({
      why: `another Postgres holds ${m[1]}`,
      fix: 'stop the other server using this data directory (see the log lines below for its pid), then start again',
    }),
  },
  {
    test: /data directory "([^"]+)" has (wrong ownership|invalid permissions)/,
    explain: (m) => ({
      why: `the cluster directory ${m[1]} has ${m[2]}`,
      fix: `it must belong to the database server's OS user with mode 0700: chown -R <that user> ${m[1]} && chmod 700 ${m[1]}`,
    }),
  },
  {
    test: /database files are incompatible with server/,
    explain: (_m, l) => ({
      why: `the cluster in ${l.cluster} was made by another major version of Postgres`,
      fix: 'run the Sinas version that made it (or dump it with that version and restore into a fresh data directory)',
    }),
  },
  {
    test: /(could not create shared memory segment|No space left on device)/,
    explain: (m) => ({
      why: `the server ran out of a resource: ${m[1]}`,
      fix: 'free disk space or shared memory (/dev/shm), then start again',
    }),
  },
  {
    test: /Permission denied/,
    explain: (_m, l) => ({
      why: `the database server's OS user may not read or write something it needs under ${l.root}`,
      fix: `check ownership and modes of ${l.cluster} and ${l.socketDir} (the log lines below name the file)`,
    }),
  },
];

export function diagnoseStartFailure(layout: Layout, what: string): StartupError {
  const tail = logTail(layout.logFile);
  for (const rule of RULES) {
    const m = tail.match(rule.test);
    if (m) {
      const { why, fix } = rule.explain(m, layout);
      return new StartupError(`embedded Postgres did not start: ${why}`, fix, postgresLog(layout, tail));
    }
  }
  return new StartupError(
    `embedded Postgres did not start: ${what}`,
    `read the Postgres log below (all of it: ${layout.logFile})`,
    postgresLog(layout, tail),
  );
}

function postgresLog(layout: Layout, tail: string): string {
  return `last lines of ${layout.logFile}:\n${tail}`;
}
