/**
 * A component's build as the API shows it: `compile_status`, `compile_errors`, `compiled_bundle`
 * and `source_map` of its current source (from its build stream: src/events/component-events.ts) and a fresh
 * `render_token` for the caller, beside its fields in every response. `request` records a compile
 * request (`POST .../compile`); the workers' reactor compiles it.
 */
import type { ResourceData } from '../../commands/resource/decider.js';
import type { JSONSchema } from '../../commands/validation.js';
import {
  buildOf,
  componentEvent,
  componentStreams,
  sourceHash,
  type BuildState,
  type ComponentBuildEvent,
} from '../../events/component-events.js';
import type { EventStore } from '../../events/event-store.js';
import type { Decoration } from '../../http/resources.js';
import type { RenderTokens } from './render-tokens.js';

const SCHEMA: Readonly<Record<string, JSONSchema>> = {
  compile_status: {
    type: 'string',
    enum: ['pending', 'success', 'error'],
    description: 'the build of the current source_code: pending until a worker compiled it',
  },
  compile_errors: {
    type: ['array', 'null'],
    items: {
      type: 'object',
      properties: {
        text: { type: 'string' },
        line: { type: ['integer', 'null'] },
        column: { type: ['integer', 'null'] },
      },
    },
  },
  compiled_bundle: { type: ['string', 'null'], description: 'the compiled IIFE, once compiled' },
  source_map: { type: ['string', 'null'], description: "the compiled bundle's source map (JSON)" },
  render_token: {
    type: 'string',
    description: 'opens GET /components/{ns}/{name}/render?token=… for an hour',
  },
};

type Item = Pick<ResourceData, 'id' | 'namespace' | 'name' | 'spec'>;

export class ComponentBuilds {
  constructor(
    private readonly store: EventStore,
    private readonly tokens: RenderTokens,
  ) {}

  /** the build of the item's current source */
  async of(item: Item): Promise<BuildState> {
    const events = await this.store.readStream(componentStreams.build(item.id));
    return buildOf(events, sourceHash(String(item.spec.source_code)));
  }

  /** records a request to compile the current source again: it is pending until a worker ran */
  async request(item: Item, actor: string): Promise<void> {
    const event: ComponentBuildEvent = {
      type: 'ComponentCompileRequested',
      data: {
        componentId: item.id,
        namespace: item.namespace,
        name: item.name,
        sourceHash: sourceHash(String(item.spec.source_code)),
        at: new Date().toISOString(),
      },
    };
    await this.store.append(componentStreams.build(item.id), [componentEvent(event, actor)], 'any');
  }

  /** the fields every component response adds */
  decoration(): Decoration {
    return {
      schema: SCHEMA,
      of: async (_ids, items, viewer) =>
        new Map(
          await Promise.all(
            items.map(async (i) => {
              const b = await this.of(i);
              const token = await this.tokens.sign({ namespace: i.namespace, name: i.name, userId: viewer });
              const fields = {
                compile_status: b.status,
                compile_errors: b.status === 'error' ? b.errors : null,
                compiled_bundle: b.bundle,
                source_map: b.sourceMap,
                render_token: token,
              };
              return [i.id, fields] as const;
            }),
          ),
        ),
    };
  }
}
