/**
 * `CONFIG_FILE` (reference §6.5 "auto-apply at boot"): with `AUTO_APPLY_CONFIG` set too, as in the
 * original, the API process applies that SinasConfig before it serves, as the bootstrap
 * administrator. An apply is idempotent, so every restart applies it again and writes nothing when
 * nothing changed. A file that cannot be read, does not validate,
 * or cannot be applied stops the start with a `StartupError` naming the file and every problem.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { ConfigConflictError, type Caller, type ConfigService } from '../commands/config/config-service.js';
import { ForbiddenError, ValidationError } from '../errors.js';
import { StartupError } from './startup-error.js';

const FIX = 'correct the file, or unset CONFIG_FILE to start without it';

export async function applyConfigFile(
  file: string,
  config: ConfigService,
  caller: Caller,
  log: Logger,
): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const why = `CONFIG_FILE ${file} could not be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
    throw new StartupError(
      why,
      'point CONFIG_FILE at a readable SinasConfig YAML file, or unset it',
      undefined,
      {
        cause: err,
      },
    );
  }
  try {
    const r = await config.apply(text, {}, caller);
    if (!r.success)
      throw new StartupError(`CONFIG_FILE ${file} was applied only in part`, FIX, r.errors.join('\n'));
    for (const w of r.warnings) log.warn({ file }, `CONFIG_FILE: ${w}`);
    log.info({ file, ...r.summary }, 'CONFIG_FILE applied');
  } catch (err) {
    if (err instanceof ValidationError || err instanceof ConfigConflictError || err instanceof ForbiddenError)
      throw new StartupError(`CONFIG_FILE ${file} is not applicable: ${err.message}`, FIX, problems(err), {
        cause: err,
      });
    throw err;
  }
}

/** every problem the apply named, one per line (`spec.agents[0].enabledFunctions[0]: no function ...`) */
function problems(err: Error): string | undefined {
  const list = (err as { errors?: readonly { field: string; message: string }[] }).errors;
  return list?.length ? list.map((e) => `${e.field}: ${e.message}`).join('\n') : undefined;
}
