/**
 * Where a package tool's YAML comes from (reference §2.3, as the original's tools take it): inline
 * `yaml`, or `file_path` naming a file in a collection, `namespace/collection/filename`, read as the
 * chat's user may read it (the collection's `download` permission, and their own or shared files
 * only, as the file API shows them); never a file of the host. A file the user may not read is
 * reported as not found, so its existence does not leak.
 */
import { NotFoundError } from '../../../errors.js';
import { hasPermission, itemPermission, type PermissionMap } from '../../../commands/identity/permissions.js';
import type { FileService } from '../../files/file-service.js';

/** the largest package file read */
const MAX_PACKAGE_BYTES = 5 * 1024 * 1024;

export type Source = { readonly yaml: string } | { readonly error: string };

export interface SourceReader {
  /** the collections' files; undefined where the platform serves no collections */
  readonly files: FileService | undefined;
}

export async function packageSource(
  r: SourceReader,
  args: Readonly<Record<string, unknown>>,
  who: { readonly userId: string; readonly permissions: PermissionMap },
): Promise<Source> {
  if (typeof args.file_path === 'string' && args.file_path !== '') return fromFile(r, args.file_path, who);
  if (args.file_path !== undefined && typeof args.file_path !== 'string')
    return { error: "file_path: must be a string, 'namespace/collection/filename'" };
  if (typeof args.yaml === 'string' && args.yaml !== '') return { yaml: args.yaml };
  return {
    error: "yaml or file_path: one is required (the SinasPackage YAML, or 'namespace/collection/filename')",
  };
}

async function fromFile(
  r: SourceReader,
  path: string,
  who: { readonly userId: string; readonly permissions: PermissionMap },
): Promise<Source> {
  const [namespace, collection, filename] = splitPath(path);
  if (!namespace || !collection || !filename)
    return { error: `file_path: must be 'namespace/collection/filename', got ${JSON.stringify(path)}` };
  const missing = {
    error: `file_path: no file '${filename}' in collection '${namespace}/${collection}' that you may read`,
  };
  const item = { namespaced: true as const, namespace, name: collection };
  if (!r.files || !hasPermission(who.permissions, itemPermission('collections', item, 'download', 'own')))
    return missing;
  const viewer = {
    userId: who.userId,
    all: hasPermission(who.permissions, itemPermission('collections', item, 'download', 'all')),
  };
  try {
    const rules = await r.files.collection(namespace, collection);
    const { version } = await r.files.open(rules, filename, viewer);
    const text = await r.files.text(version, MAX_PACKAGE_BYTES);
    if (text === undefined)
      return { error: `file_path: '${path}' is larger than ${MAX_PACKAGE_BYTES} bytes` };
    return { yaml: text };
  } catch (err) {
    if (err instanceof NotFoundError) return missing;
    throw err;
  }
}

/** namespace and collection up to the first two slashes; the file name is the rest */
function splitPath(path: string): [string?, string?, string?] {
  const first = path.indexOf('/');
  const second = first < 0 ? -1 : path.indexOf('/', first + 1);
  if (second < 0) return [];
  return [path.slice(0, first), path.slice(first + 1, second), path.slice(second + 1)];
}
