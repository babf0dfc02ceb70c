/**
 * A collection's `post_upload_function` (reference §5.8): after each stored upload, the function
 * is requested as an execution (trigger HOOK, id `post_upload:<ns>/<coll>`) as the uploading user,
 * with `{file_id, namespace, collection, filename, version, file_path, user_id, metadata}`, and
 * not waited for. The execution id derives from the file and version, so a retried request never
 * starts it twice. The upload has succeeded by then: a function that is missing or that the user
 * may not run is logged, not the uploader's error.
 */
import type { Logger } from 'pino';
import type { ExecutionService } from '../../commands/execution/execution-service.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../../errors.js';
import { asExecutionId, stableUuid } from '../../events/ids.js';
import type { AfterUpload } from './file-service.js';

export function postUpload(executions: ExecutionService, log: Logger): AfterUpload {
  return async ({ rules, file, version, actor }) => {
    if (!rules.postUploadFunction) return;
    const [namespace, name] = rules.postUploadFunction.split('/', 2) as [string, string];
    const executionId = asExecutionId(stableUuid(`post-upload/${file.id}/v${version}`));
    const input = {
      file_id: file.id,
      namespace: rules.namespace,
      collection: rules.name,
      filename: file.name,
      version,
      file_path: `${rules.namespace}/${rules.name}/${file.id}/v${version}`,
      user_id: actor,
      metadata: file.file_metadata,
    };
    try {
      await executions.request(
        { namespace, name },
        input,
        { type: 'HOOK', id: `post_upload:${rules.namespace}/${rules.name}` },
        { userId: actor },
        { commandId: `post-upload-${executionId}`, executionId },
      );
    } catch (err) {
      if (!(err instanceof ForbiddenError || err instanceof NotFoundError || err instanceof ValidationError))
        throw err;
      log.warn({ err, fileId: file.id, function: rules.postUploadFunction }, 'post_upload_function not run');
    }
  };
}
