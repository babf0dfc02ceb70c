/**
 * Checks that function code parses as Python with the real parser (`ast.parse` in a python3
 * subprocess), so a syntax error fails the write naming the line instead of failing every run.
 */
import { spawn } from 'node:child_process';
import { UnavailableError, ValidationError } from '../../errors.js';

const PROGRAM = `
import ast, json, sys
try:
    ast.parse(sys.stdin.read(), filename="<function>")
    print(json.dumps({"ok": True}))
except SyntaxError as e:
    print(json.dumps({"ok": False, "line": e.lineno, "offset": e.offset, "msg": e.msg}))
`;

export async function checkPythonSyntax(
  code: string,
  python = process.env.SINAS_PYTHON ?? 'python3',
): Promise<void> {
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(python, ['-I', '-c', PROGRAM], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', (err) => reject(new UnavailableError(`python3 is not available: ${err.message}`)));
    child.once('close', (status) =>
      status === 0
        ? resolve(stdout)
        : reject(new UnavailableError(`python3 failed: ${stderr.slice(0, 500)}`)),
    );
    child.stdin.on('error', () => {});
    child.stdin.end(code);
  });
  const r = JSON.parse(out) as { ok: boolean; line?: number; offset?: number; msg?: string };
  if (!r.ok) {
    throw new ValidationError(
      `code: Python syntax error at line ${r.line ?? '?'}${r.offset ? `, column ${r.offset}` : ''}: ${r.msg}`,
      'code',
    );
  }
}

/** The resource check: code, when a write sets it, must parse. */
export async function checkFunctionSpec(spec: Readonly<Record<string, unknown>>): Promise<void> {
  if (typeof spec.code === 'string') await checkPythonSyntax(spec.code);
}
