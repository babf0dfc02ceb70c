/**
 * File names (reference §5.8): what a name may be, and the unique name an upload gets when the one
 * asked for is taken and it does not update the existing file (an 8-hex suffix before the extension).
 */
import { randomBytes } from 'node:crypto';
import { ValidationError } from '../../errors.js';

/** no path separators, control characters or dot-only names: a name is one segment of a URL */
export function checkFileName(name: string, field = 'name'): void {
  // eslint-disable-next-line no-control-regex
  if (name.length === 0 || name.length > 255 || /[/\\\u0000-\u001f\u007f]/.test(name) || /^\.+$/.test(name))
    throw new ValidationError(
      `${field} must be 1 to 255 characters without '/', '\\' or control characters, and not only dots`,
      field,
    );
}

export function uniqueName(name: string): string {
  const suffix = randomBytes(4).toString('hex');
  const dot = name.lastIndexOf('.');
  return dot > 0 ? `${name.slice(0, dot)}_${suffix}${name.slice(dot)}` : `${name}_${suffix}`;
}
