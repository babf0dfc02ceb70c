/**
 * The cap on the interpreter's in-memory filesystem. Emscripten's MEMFS keeps each file's bytes in a
 * JavaScript typed array, outside the WebAssembly memory, so without a cap `open(...).write(...)` in a
 * loop would fill the host's memory. Bytes written after boot are counted per file (growth adds, a
 * truncation or an unlink gives back); a write or truncation past `fileBytes` fails with ENOSPC, which
 * Python raises as `OSError: [Errno 28] No space left on device` — the same as a full tmpfs /tmp.
 *
 * capFiles runs INSIDE the realm (serialised with toString): it uses nothing from module scope and
 * captures what it relies on before user code runs.
 */

interface MemNode {
  usedBytes: number;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- Emscripten's FS object is untyped */
export function capFiles(FS: any, fileBytes: number, exempt: <T>(f: () => T) => T): void {
  const ENOSPC = 51; // Emscripten's numbering ("no space left on device"), not Linux's 28
  const apply = Reflect.apply;
  const max = Math.max;
  const ErrnoError = FS.ErrnoError;
  const lookupNode = FS.lookupNode;
  const isFile = FS.isFile;
  const ops = FS.filesystems.MEMFS.ops_table;
  const counted = new WeakMap<MemNode, number>();
  const has = WeakMap.prototype.has;
  const get = WeakMap.prototype.get;
  const set = WeakMap.prototype.set;
  const remove = WeakMap.prototype.delete;
  let used = 0;

  const countOf = (node: MemNode): number => (apply(has, counted, [node]) ? apply(get, counted, [node]) : 0);
  const check = (node: MemNode, end: number) => {
    const extra = end - node.usedBytes;
    if (extra > 0 && used + extra > fileBytes) throw new ErrnoError(ENOSPC);
  };
  const account = (node: MemNode, before: number) => {
    const count = countOf(node);
    const next = max(0, count + node.usedBytes - before);
    apply(set, counted, [node, next]);
    used += next - count;
  };
  const forget = (node: MemNode | null) => {
    if (!node || !apply(isFile, FS, [(node as { mode?: number }).mode])) return;
    used -= countOf(node);
    apply(remove, counted, [node]);
  };
  const find = (parent: unknown, name: unknown): MemNode | null => {
    try {
      return apply(lookupNode, FS, [parent, name]);
    } catch {
      return null;
    }
  };

  const write = ops.file.stream.write;
  ops.file.stream.write = function (this: unknown, ...args: any[]) {
    const [stream, , , length, position] = args as [{ node: MemNode }, unknown, unknown, number, number];
    const node = stream.node;
    const before = node.usedBytes;
    check(node, position + length);
    try {
      return exempt(() => apply(write, this, args));
    } finally {
      account(node, before);
    }
  };
  const setattr = ops.file.node.setattr;
  ops.file.node.setattr = function (this: unknown, node: MemNode, attr: { size?: number }) {
    const size = attr?.size;
    const before = node.usedBytes;
    if (size !== undefined) check(node, size);
    try {
      return exempt(() => apply(setattr, this, [node, attr]));
    } finally {
      account(node, before);
    }
  };
  const unlink = ops.dir.node.unlink;
  ops.dir.node.unlink = function (this: unknown, parent: unknown, name: unknown) {
    const node = find(parent, name);
    const r = apply(unlink, this, [parent, name]);
    forget(node);
    return r;
  };
  const rename = ops.dir.node.rename;
  ops.dir.node.rename = function (this: unknown, node: MemNode, dir: unknown, name: unknown) {
    const replaced = find(dir, name);
    const r = apply(rename, this, [node, dir, name]);
    if (replaced !== node) forget(replaced);
    return r;
  };
}
