import { expect } from 'chai';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { FunctionRunner } from '../../src/runtime/functions/function-runner.js';
import { createFunctionRunner } from '../../src/runtime/functions/runners/index.js';
import type { HostStatus } from '../../src/runtime/functions/runners/wasm-host.js';
import { pyodideDir } from '../../src/runtime/functions/runners/wasm-runner.js';
import { until } from '../support/until.js';
import { expectKind, request, runnerContract } from './runner.contract.js';

const make = () => createFunctionRunner({ sandbox: 'wasm', pool: { min: 1, max: 2 } });
const py = (lines: string[]) => lines.join('\n');
/** Python helper: runs each attempt, reporting "reached: <value>" or "blocked: <exception>". */
const ATTEMPT = [
  'def attempt(f):',
  '    try:',
  '        return "reached: " + repr(f())[:300]',
  '    except BaseException as e:',
  '        return "blocked: " + type(e).__name__ + ": " + str(e)[:300]',
];
const OK = py(['def handler(input_data, context):', '    return {"ok": True}']);

/** Python compiled to WebAssembly (Pyodide) in worker threads: the sandbox that needs nothing installed. */
describe('FunctionRunner contract: WebAssembly (Pyodide in worker threads)', function () {
  runnerContract(make, { isolatesNetwork: true });
});

describe('WebAssembly sandbox: what a function cannot reach', function () {
  let runner: FunctionRunner;
  const SECRET_ENV = 'SINAS_TEST_WASM_SECRET_TOKEN';
  const run = async (code: string, input: unknown = {}) =>
    expectKind(await runner.run(request(code, { input, timeoutMs: 30_000 })), 'completed').output;

  before(async () => {
    process.env[SECRET_ENV] = 'sk_live_do-not-leak-0123456789';
    runner = await make();
  });
  after(async () => {
    delete process.env[SECRET_ENV];
    await runner?.close();
  });

  it("cannot reach Node's side: the js module, the FFI, run_js, stack-trace hooks, Pyodide's own API", async () => {
    const code = py([
      ...ATTEMPT,
      'def handler(i, c):',
      '    import js, os, subprocess, pyodide_js',
      '    from pyodide.ffi import to_js',
      '    from pyodide.code import run_js',
      '    from pyodide.ffi import create_proxy, JsException',
      '    Object = to_js({}).constructor',
      '    Function = Object.constructor',
      '    try:',
      '        Function("1")',
      '    except JsException as e:',
      '        Error = Object.getPrototypeOf(e.js_error.constructor)',
      '    def hook_stack_traces():',
      '        Error.prepareStackTrace = create_proxy(lambda error, sites: sites.constructor)',
      '    return {',
      '        "js.process.env": attempt(lambda: js.process.env),',
      '        "js.require": attempt(lambda: js.require("fs")),',
      '        "Function constructor": attempt(lambda: Function("return process")()),',
      '        "run_js": attempt(lambda: run_js("process.env")),',
      '        "Error.prepareStackTrace": attempt(hook_stack_traces),',
      '        "NODEFS mount": attempt(lambda: pyodide_js.FS.mount(',
      '            pyodide_js.FS.filesystems.NODEFS, to_js({"root": "/"}), "/host")),',
      '        "mountNodeFS": attempt(lambda: pyodide_js.mountNodeFS("/host2", "/")),',
      '        "subprocess": attempt(lambda: subprocess.run(["id"], capture_output=True)),',
      '        "os.system": os.system("id > /tmp/out; touch /tmp/ran"),',
      '        "ran": os.path.exists("/tmp/ran"),',
      '    }',
    ]);
    const out = (await run(code)) as Record<string, unknown>;
    for (const key of [
      'js.process.env',
      'js.require',
      'Function constructor',
      'run_js',
      'Error.prepareStackTrace',
    ])
      expect(out[key], key).to.match(/^blocked: /);
    expect(out['Function constructor']).to.match(/Code generation from strings disallowed/);
    for (const key of ['NODEFS mount', 'mountNodeFS', 'subprocess'])
      expect(out[key], key).to.match(/^blocked: /);
    expect(out['os.system']).to.not.equal(0);
    expect(out.ran).to.equal(false);
  });

  it('sees only its in-memory filesystem: not /etc/passwd, the data dir, the repository, the interpreter', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sinas-data-'));
    writeFileSync(path.join(dataDir, 'jwt.secret'), 'host-secret');
    chmodSync(path.join(dataDir, 'jwt.secret'), 0o644); // readable to any host process
    const paths = [
      '/etc/passwd',
      path.join(dataDir, 'jwt.secret'),
      path.resolve('package.json'),
      path.join(pyodideDir(), 'package.json'),
    ];
    const code = py([
      ...ATTEMPT,
      'import os',
      'def handler(i, c):',
      '    return {"reads": [attempt(lambda: open(p).read()) for p in i["paths"]],',
      '            "root": sorted(os.listdir("/"))}',
    ]);
    try {
      const out = (await run(code, { paths })) as { reads: string[]; root: string[] };
      out.reads.forEach((r, n) => expect(r, paths[n]).to.match(/^blocked: FileNotFoundError/));
      expect(out.root).to.not.include.members(['etc', 'usr', 'work', 'root', 'var']);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("sees a synthetic environment, not the platform's", async () => {
    const code = py(['import os', 'def handler(i, c):', '    return dict(os.environ)']);
    const env = (await run(code)) as Record<string, string>;
    expect(env).to.not.have.property(SECRET_ENV);
    expect(JSON.stringify(env)).to.not.include('sk_live');
    expect(env).to.include({ HOME: '/tmp' });
  });

  it('reaches nothing on the network: sockets, urllib and http.client never get to a listener on 127.0.0.1', async () => {
    let connections = 0;
    let probed = false;
    const server = net.createServer((s) => {
      connections++;
      s.once('data', (d) => (probed ||= d.toString('utf8').startsWith('probe')));
      s.on('error', () => {}); // a reset by a closing client is not this test's business
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const code = py([
      ...ATTEMPT,
      'import socket, urllib.request, http.client',
      'def connect(port):',
      '    s = socket.socket()',
      '    s.settimeout(3)',
      '    s.connect(("127.0.0.1", port))',
      '    s.sendall(b"from-socket\\n")',
      '    return "sent"',
      'def handler(i, c):',
      '    p = i["port"]',
      '    return [',
      '        attempt(lambda: connect(p)),',
      '        attempt(lambda: socket.create_connection(("127.0.0.1", p), timeout=3).sendall(b"x\\n")),',
      '        attempt(lambda: urllib.request.urlopen(f"http://127.0.0.1:{p}/from-urllib", timeout=3).read()),',
      '        attempt(lambda: http.client.HTTPConnection("127.0.0.1", p, timeout=3).request("GET", "/from-http")),',
      '    ]',
    ]);
    try {
      const out = (await run(code, { port })) as string[];
      out.forEach((r) => expect(r).to.match(/^blocked: /));
      // the listener accepts connections in order: once our own probe arrived, an earlier one would have
      const probe = net.connect(port, '127.0.0.1', () => probe.end('probe\n'));
      await until('the probe reached the listener', () => probed);
      expect(connections).to.equal(1);
    } finally {
      server.close();
    }
  });

  it('the Python heap stops at the memory limit', async () => {
    const small = await createFunctionRunner({
      sandbox: 'wasm',
      pool: { min: 1, max: 1 },
      limits: { memoryBytes: 96 * 1024 * 1024 },
    });
    const code = py([
      'def handler(i, c):',
      '    hoard = []',
      '    try:',
      '        while True:',
      '            hoard.append(bytearray(1024 * 1024))',
      '    except MemoryError:',
      '        return len(hoard)',
    ]);
    try {
      const mb = expectKind(await small.run(request(code, { timeoutMs: 60_000 })), 'completed').output;
      expect(mb).to.be.within(16, 96);
    } finally {
      await small.close();
    }
  });

  it('files past the in-memory filesystem cap fail with ENOSPC, like a full tmpfs', async () => {
    const code = py([
      'import errno',
      'def handler(i, c):',
      '    written = 0',
      '    try:',
      '        with open("/tmp/big", "wb") as f:',
      '            for _ in range(64):',
      '                f.write(b"x" * 1024 * 1024)',
      '                written += 1',
      '    except OSError as e:',
      '        return {"errno": errno.errorcode.get(e.errno), "written_mb": written}',
      '    return {"written_mb": written}',
    ]);
    const out = (await run(code)) as { errno: string; written_mb: number };
    expect(out.errno).to.equal('ENOSPC');
    expect(out.written_mb).to.be.below(17);
    expect(
      await run(py(['import os', 'def handler(i, c):', '    os.remove("/tmp/big")', '    return 1'])),
    ).to.equal(1);
  });

  it('ArrayBuffers made through the FFI count against the memory cap: the run fails, the host lives', async () => {
    const code = py([
      'from pyodide.ffi import to_js',
      'def handler(i, c):',
      '    Uint8Array = to_js(b"x").constructor',
      '    hoard = [Uint8Array.new(64 * 1024 * 1024) for _ in range(64)]',
      '    return len(hoard)',
    ]);
    const o = expectKind(await runner.run(request(code, { timeoutMs: 30_000 })), 'failed');
    expect(o.error).to.match(/ran out of memory/);
    expectKind(await runner.run(request(OK)), 'completed');
  });

  it('a worker whose runs made many buffers is recycled after its run, the runs themselves unharmed', async () => {
    const single = await createFunctionRunner({ sandbox: 'wasm', pool: { min: 0, max: 1 } });
    const code = py([
      'import sys',
      'from pyodide.ffi import to_js',
      'def handler(i, c):',
      '    kept = sys.modules.setdefault("kept_buffers", [])',
      '    kept.append(to_js(b"x").constructor.new(100 * 1024 * 1024))',
      '    return len(kept)',
    ]);
    try {
      const counts: unknown[] = [];
      for (let n = 0; n < 4; n++)
        counts.push(expectKind(await single.run(request(code)), 'completed').output);
      // 300 MiB made after the third run (the cap is 256): that worker is replaced, its buffers with it
      expect(counts).to.deep.equal([1, 2, 3, 1]);
    } finally {
      await single.close();
    }
  });

  it('filling the JavaScript heap through the FFI ends the run as out of memory, not the process', async () => {
    const code = py([
      'from pyodide.ffi import to_js',
      'def handler(i, c):',
      '    keep = to_js([])',
      '    for n in range(1000):',
      '        keep.push(to_js(["x" * 1_000_000 + str(n)] * 4))',
      '    return keep.length',
    ]);
    const o = expectKind(await runner.run(request(code, { timeoutMs: 60_000 })), 'failed');
    expect(o.error).to.match(/out of memory/i);
    expectKind(await runner.run(request(OK)), 'completed');
  });

  it('its host process runs as a fresh unprivileged uid when the platform runs as root', async function () {
    if (process.getuid?.() !== 0) this.skip(); // not root: the host runs as the platform's own user
    expectKind(await runner.run(request(OK)), 'completed');
    const { pid, uid } = runner.health().detail.host as HostStatus;
    const real = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    expect(real).to.equal(uid).and.to.be.above(0);
  });

  it('one JavaScript allocation too large for the heap ends the run as out of memory, not the platform', async () => {
    // V8 ends the whole process on this (no worker heap limit catches it): here that is the host process
    const code = py([
      'import pyodide_js',
      'from pyodide.ffi import to_js',
      'def handler(i, c):',
      '    return to_js({}).constructor.keys(pyodide_js._module.HEAPU8).length',
    ]);
    const o = expectKind(await runner.run(request(code, { timeoutMs: 60_000 })), 'failed');
    expect(o.error, o.error).to.match(/ran out of memory/);
    expectKind(await runner.run(request(OK)), 'completed');
  });

  it('each interpreter draws its own randomness, also those booted from the memory snapshot', async () => {
    const fresh = await createFunctionRunner({ sandbox: 'wasm', pool: { min: 0, max: 1, maxRuns: 1 } });
    const code = py(['import random', 'def handler(i, c):', '    return random.random()']);
    try {
      const draws: string[] = [];
      for (let n = 0; n < 3; n++)
        // one interpreter each: the first makes the snapshot, the others boot from it
        draws.push(JSON.stringify(expectKind(await fresh.run(request(code)), 'completed').output));
      expect(new Set(draws).size, draws.join('\n')).to.equal(3);
    } finally {
      await fresh.close();
    }
  });

  it('cannot make WebAssembly objects of its own (a module or memory would bring memory of its own)', async () => {
    const code = py([
      ...ATTEMPT,
      'import pyodide_js',
      'from pyodide.ffi import to_js',
      'def handler(i, c):',
      '    Table = pyodide_js._module.wasmTable.constructor',
      '    return attempt(lambda: Table.new(to_js({"initial": 1, "element": "anyfunc"})))',
    ]);
    expect(await run(code)).to.match(/^blocked: .*not available to functions/);
  });
});
