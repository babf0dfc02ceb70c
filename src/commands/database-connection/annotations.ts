/**
 * A connection's annotations as events: a PUT appends one `DatabaseAnnotationsSet` to the
 * connection's annotation stream; reading folds the stream (the last value per table or column).
 * An empty display name and description both null remove nothing: they are kept as set.
 */
import { randomUUID } from 'node:crypto';
import type { EventStore } from '../../events/event-store.js';
import {
  annotationKey,
  annotationStream,
  type Annotation,
  type DatabaseAnnotationEvent,
} from '../../events/database-annotation-events.js';

export class DatabaseAnnotations {
  constructor(private readonly store: EventStore) {}

  async put(connectionId: string, annotations: readonly Annotation[], actor: string): Promise<number> {
    const data: DatabaseAnnotationEvent['data'] = { connectionId, annotations };
    const id = randomUUID();
    await this.store.append(
      annotationStream(connectionId),
      [
        {
          id,
          type: 'DatabaseAnnotationsSet',
          data,
          metadata: { correlationId: id, causationId: id, actor, version: 1 },
        },
      ],
      'any',
    );
    return annotations.length;
  }

  async of(connectionId: string): Promise<Annotation[]> {
    const current = new Map<string, Annotation>();
    for (const e of await this.store.readStream(annotationStream(connectionId))) {
      if (e.type !== 'DatabaseAnnotationsSet') continue;
      for (const a of (e.data as DatabaseAnnotationEvent['data']).annotations)
        current.set(annotationKey(a), a);
    }
    return [...current.values()];
  }
}
