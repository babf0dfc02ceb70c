import { performance } from 'node:perf_hooks';
const g = globalThis as unknown as { __marks?: [string, number][]; __counts?: Map<string, number> };
export function mark(label: string): void {
  if (!g.__marks) return;
  if (g.__marks.length === 0 || !g.__counts) g.__counts = new Map();
  const n = (g.__counts!.get(label) ?? 0) + 1;
  g.__counts!.set(label, n);
  g.__marks.push([n > 1 ? `${label}#${n}` : label, performance.now()]);
}
