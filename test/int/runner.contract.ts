/**
 * What every sandboxed FunctionRunner must do with well-behaved and hostile code alike. Run against
 * each sandbox this machine offers (runner-docker, runner-bubblewrap, runner-wasm, runner-subprocess).
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  isolationKey as isolation,
  type FunctionRunner,
  type RunOutcome,
  type RunRequest,
} from '../../src/runtime/functions/function-runner.js';

export interface SandboxTraits {
  /** code cannot reach the host's loopback */
  readonly isolatesNetwork: boolean;
}

export const CANARY_ENV = 'SINAS_TEST_RUNNER_CANARY';

export function request(code: string, overrides: Partial<RunRequest> = {}): RunRequest {
  const executionId = randomUUID();
  return {
    executionId,
    code,
    functionName: 'legacy_fn',
    input: {},
    context: {
      user_id: 'u-1',
      user_email: 'u@example.com',
      access_token: 'token',
      execution_id: executionId,
      trigger_type: 'MANUAL',
      chat_id: null,
      secrets: { API_KEY: 'do-not-leak' },
    },
    answers: [],
    timeoutMs: 10_000,
    sharedPool: false,
    isolationKey: isolation({ userId: 'u-1', namespace: 'default', name: 'legacy_fn', version: 1 }),
    ...overrides,
  };
}

export function expectKind<K extends RunOutcome['kind']>(
  o: RunOutcome,
  kind: K,
): Extract<RunOutcome, { kind: K }> {
  expect(o.kind, JSON.stringify(o).slice(0, 2000)).to.equal(kind);
  return o as Extract<RunOutcome, { kind: K }>;
}

const py = (lines: string[]) => lines.join('\n');
const OK = py(['def handler(input_data, context):', '    return {"ok": True}']);

/** concurrent runs per batch in the spy test: the pool max of every runner the contract is run with */
const SPY_BATCH = 4;

/**
 * A hostile function: it taints its interpreter for good (json.loads/json.dumps replaced, builtins
 * patched, an audit hook that reads the harness's frames, a module-level stash, a log file in /tmp) and
 * reports every run's input and context that the interpreter has handled since.
 */
const SPY = py([
  'import builtins, json, sys',
  'def note(req):',
  '    if isinstance(req, dict) and "context" in req:',
  '        entry = {"input": req.get("input"), "context": req.get("context")}',
  '        json._spy_seen.append(entry)',
  '        try:',
  '            with open(json._spy_file, "a") as f: f.write(repr(entry) + "\\n")',
  '        except OSError:',
  '            pass',
  'def install(log_file):',
  '    if getattr(json, "_spy_seen", None) is not None: return',
  '    json._spy_seen, json._spy_file = [], log_file',
  '    real_loads, real_dumps = json.loads, json.dumps',
  '    def loads(s, *a, **k):',
  '        out = real_loads(s, *a, **k)',
  '        note(out)',
  '        return out',
  '    def dumps(o, *a, **k):',
  '        note(o)',
  '        return real_dumps(o, *a, **k)',
  '    json.loads, json.dumps = loads, dumps',
  '    def hook(event, args):',
  '        if event == "exec":',
  '            frame = sys._getframe(1)',
  '            while frame is not None:',
  '                if isinstance(frame.f_locals.get("request"), dict): note(frame.f_locals["request"])',
  '                frame = frame.f_back',
  '    sys.addaudithook(hook)',
  '    builtins.print = lambda *a, **k: note({"context": a})',
  'def handler(input_data, context):',
  '    install(input_data["log_file"])',
  '    try:',
  '        with open(input_data["log_file"]) as f: logged = f.read()',
  '    except OSError:',
  '        logged = ""',
  '    return {"seen": json.dumps(json._spy_seen), "logged": logged}',
]);

export function runnerContract(make: () => Promise<FunctionRunner>, traits: SandboxTraits): void {
  let runner: FunctionRunner;
  /** the pool recovered: a plain run right after a fault completes */
  const stillWorks = async () => expectKind(await runner.run(request(OK)), 'completed');

  before(async function () {
    process.env[CANARY_ENV] = 'canary-value-visible-only-to-the-host';
    runner = await make();
  });
  after(async () => {
    delete process.env[CANARY_ENV];
    await runner?.close();
  });

  it('runs handler(input_data, context) and returns its output and prints', async () => {
    const code = py([
      'def handler(input_data, context):',
      '    print("hello", input_data["n"])',
      '    return {"n": input_data["n"] * 2, "user": context["user_id"]}',
    ]);
    const o = expectKind(await runner.run(request(code, { input: { n: 21 } })), 'completed');
    expect(o.output).to.deep.equal({ n: 42, user: 'u-1' });
    expect(o.stdout).to.equal('hello 21\n');
  });

  it('never hands secrets to sandboxed code', async () => {
    const o = expectKind(
      await runner.run(request(py(['def handler(i, context):', '    return context']))),
      'completed',
    );
    expect(o.output).to.not.have.property('secrets');
    expect(JSON.stringify(o)).to.not.include('do-not-leak');
  });

  it('a handler that raises fails with the message and a traceback of the user code', async () => {
    const code = py([
      'def helper():',
      '    raise ValueError("bad thing")',
      '',
      'def handler(i, c):',
      '    helper()',
    ]);
    const o = expectKind(await runner.run(request(code)), 'failed');
    expect(o.error).to.equal('ValueError: bad thing');
    expect(o.traceback).to.include('line 2, in helper').and.include('raise ValueError("bad thing")');
    await stillWorks();
  });

  it('output that is not JSON-serialisable fails clearly', async () => {
    const o = expectKind(
      await runner.run(request(py(['def handler(i, c):', '    return {1, 2}']))),
      'failed',
    );
    expect(o.error).to.match(/not JSON-serialisable.*set/);
  });

  it('megabytes of prints are truncated and the run still completes', async () => {
    const code = py([
      'def handler(i, c):',
      '    for _ in range(50):',
      '        print("x" * 100_000)',
      '    return 1',
    ]);
    const o = expectKind(await runner.run(request(code)), 'completed');
    expect(o.output).to.equal(1);
    expect(o.stdout.length).to.equal(64 * 1024);
    expect(o.logs.join('\n')).to.match(/stdout truncated/);
  });

  it('an infinite loop times out (hard kill) and the pool stays healthy', async () => {
    const code = py(['def handler(i, c):', '    while True:', '        pass']);
    expectKind(await runner.run(request(code, { timeoutMs: 700 })), 'timed_out');
    await stillWorks();
  });

  it('a fork bomb is contained and the pool stays healthy', async () => {
    const code = py(['import os', 'def handler(i, c):', '    while True:', '        os.fork()']);
    const o = await runner.run(request(code, { timeoutMs: 5000 }));
    expect(o.kind).to.be.oneOf(['failed', 'timed_out']);
    await stillWorks();
  });

  it('allocating without end fails with a memory error', async () => {
    const code = py([
      'def handler(i, c):',
      '    hoard = []',
      '    while True:',
      '        hoard.append(bytearray(10_000_000))',
    ]);
    const o = expectKind(await runner.run(request(code, { timeoutMs: 20_000 })), 'failed');
    expect(o.error).to.match(/memory/i);
    await stillWorks();
  });

  it("cannot read the host's secrets: /etc/shadow, a private host file, the host's environment", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sinas-canary-'));
    const file = path.join(dir, 'canary.txt');
    writeFileSync(file, 'host-only');
    chmodSync(file, 0o600);
    const code = py([
      'import os',
      'def read(p):',
      '    try:',
      '        with open(p) as f: return f.read()',
      '    except OSError as e: return "error: " + type(e).__name__',
      'def handler(i, c):',
      '    return {"shadow": read("/etc/shadow"), "file": read(i["file"]), "env": dict(os.environ)}',
    ]);
    try {
      const o = expectKind(await runner.run(request(code, { input: { file } })), 'completed');
      const out = o.output as { shadow: string; file: string; env: Record<string, string> };
      expect(out.shadow).to.match(/^error: /);
      expect(out.file).to.match(/^error: /);
      expect(out.env).to.not.have.property(CANARY_ENV);
      expect(JSON.stringify(out.env)).to.not.include('canary-value');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("cannot open a socket to the host's loopback", async function () {
    if (!traits.isolatesNetwork) this.skip(); // a plain subprocess shares the host's network by design
    let connections = 0;
    const server = net.createServer((s) => (connections++, s.destroy()));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const code = py([
      'import socket',
      'def handler(i, c):',
      '    s = socket.socket()',
      '    s.settimeout(3)',
      '    try:',
      '        s.connect(("127.0.0.1", i["port"]))',
      '        return "connected"',
      '    except OSError as e:',
      '        return "refused: " + str(e)',
    ]);
    try {
      const o = expectKind(await runner.run(request(code, { input: { port } })), 'completed');
      expect(o.output).to.match(/^refused/);
      expect(connections).to.equal(0);
    } finally {
      server.close();
    }
  });

  it('input() pauses twice; re-running with the recorded answers resumes to the end', async () => {
    const code = py([
      'def handler(i, c):',
      '    name = input("name?")',
      '    age = input("age?")',
      '    return {"name": name, "age": age}',
    ]);
    const first = expectKind(await runner.run(request(code)), 'awaiting_input');
    expect(first.prompt).to.equal('name?');
    const second = expectKind(await runner.run(request(code, { answers: ['Ada'] })), 'awaiting_input');
    expect(second.prompt).to.equal('age?');
    const done = expectKind(await runner.run(request(code, { answers: ['Ada', 36] })), 'completed');
    expect(done.output).to.deep.equal({ name: 'Ada', age: 36 });
  });

  it('the legacy entry point (a function named after the resource) runs with a deprecation log', async () => {
    const code = py(['def legacy_fn(input_data, context):', '    return "old style"']);
    const o = expectKind(await runner.run(request(code)), 'completed');
    expect(o.output).to.equal('old style');
    expect(o.logs.join('\n')).to.match(/deprecated/i);
  });

  it('runs are isolated: globals and builtins changed by one run are fresh in the next', async () => {
    const dirty = py([
      'import builtins',
      'counter = 1',
      'def handler(i, c):',
      '    builtins.leak = "earlier run"',
      '    return 1',
    ]);
    const probe = py([
      'import builtins',
      'def handler(i, c):',
      '    return {"leak": getattr(builtins, "leak", None), "counter": globals().get("counter")}',
    ]);
    expectKind(await runner.run(request(dirty)), 'completed');
    const o = expectKind(await runner.run(request(probe)), 'completed');
    expect(o.output).to.deep.equal({ leak: null, counter: null });
  });

  it("a spy function of one user sees nothing of another user's runs", async () => {
    const logFile = `/tmp/sinas-spy-${randomUUID()}.log`;
    const run = (user: string, name: string, code: string, input: object) => {
      const r = request(code, { input });
      const context = { ...r.context, user_id: user, access_token: `token-of-${user}-${randomUUID()}` };
      const isolationKey = isolation({ userId: user, namespace: user, name, version: 1 });
      return runner.run({ ...r, context, isolationKey });
    };
    const spy = (marker: string) => run('alice', 'spy', SPY, { log_file: logFile, marker });
    const batch = <T>(f: () => Promise<T>) => Promise.all(Array.from({ length: SPY_BATCH }, f));
    try {
      // the spy taints as many workers as the pool holds; its taint works across its own runs
      await batch(() => spy('alice-warm-up'));
      const own = expectKind(await spy('alice-own-marker'), 'completed');
      expect(JSON.stringify(own.output)).to.include('alice-own-marker');
      // another user's function runs, sequentially and concurrently, more often than there are workers
      const victims: RunOutcome[] = [];
      const victim = async () =>
        victims.push(await run('bob', 'victim', OK, { secret: `bob-${randomUUID()}` }));
      for (let i = 0; i < 2 * SPY_BATCH; i++) await victim();
      await batch(victim);
      for (const v of victims) expectKind(v, 'completed');
      const reports = await batch(() => spy('alice-after'));
      for (const o of reports) {
        const text = JSON.stringify(expectKind(o, 'completed').output);
        expect(text).to.not.include('bob');
        expect(text).to.not.include('token-of-bob');
      }
    } finally {
      rmSync(logFile, { force: true });
    }
  });
}
