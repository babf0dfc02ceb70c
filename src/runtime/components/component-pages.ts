/**
 * Opening a component's page: by a render token (`GET /components/{ns}/{name}/render`) or by a
 * share link (`GET /components/shared/{token}`). Both need the component active (404) and its
 * current source compiled (422); the first takes `input` from the URL, checked against the
 * component's `input_schema` (400 naming the field), the second the input stored on the link.
 */
import type { ResourceService } from '../../commands/resource/resource-service.js';
import { validate, type JSONSchema } from '../../commands/validation.js';
import { NotFoundError, NotReadyError, ValidationError } from '../../errors.js';
import type { ComponentBuilds } from './component-builds.js';
import type { RenderTokens } from './render-tokens.js';
import { renderPage, type RenderedPage } from './render-page.js';
import type { ShareLinks } from './share-links.js';

export class ComponentPages {
  constructor(
    private readonly components: ResourceService,
    private readonly builds: ComponentBuilds,
    private readonly tokens: RenderTokens,
    private readonly shares: ShareLinks,
  ) {}

  async render(namespace: string, name: string, token: string | undefined, input: string | undefined) {
    await this.tokens.verify(token, namespace, name);
    const c = await this.compiled(namespace, name);
    const value = parseInput(input);
    checkInput((c.item.spec.input_schema ?? {}) as JSONSchema, value);
    return renderPage(c.item, c.bundle, value);
  }

  async shared(token: string): Promise<RenderedPage> {
    let page: { item: Compiled['item']; bundle: string } | undefined;
    const s = await this.shares.view(token, async (link) => {
      page = await this.compiled(link.namespace, link.name, link.componentId);
    });
    return renderPage(page!.item, page!.bundle, s.link.inputData);
  }

  private async compiled(namespace: string, name: string, id?: string): Promise<Compiled> {
    const item = await this.components.at(namespace, name);
    // a link outlives its component: one deleted and made again under the name is another one
    if (item.status !== 'active' || (id !== undefined && item.id !== id))
      throw new NotFoundError(`component '${namespace}/${name}' not found`);
    const build = await this.builds.of(item);
    if (build.status !== 'success' || build.bundle === null)
      throw new NotReadyError(
        `component '${namespace}/${name}' is not compiled (compile_status: ${build.status})`,
        'compile_status',
      );
    const title = typeof item.spec.title === 'string' ? item.spec.title : null;
    return { item: { ...item, title }, bundle: build.bundle };
  }
}

type Compiled = {
  item: Awaited<ReturnType<ResourceService['at']>> & { title: string | null };
  bundle: string;
};

function parseInput(text: string | undefined): Record<string, unknown> {
  if (text === undefined || text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ValidationError('input: not valid JSON', 'input');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ValidationError('input: must be a JSON object', 'input');
  return value as Record<string, unknown>;
}

function checkInput(schema: JSONSchema, value: Record<string, unknown>): void {
  try {
    validate(schema, value, 'input');
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    // a schema this validator cannot compile (it was checked when saved, more leniently)
    throw new ValidationError(`input: the component's input_schema cannot be applied`, 'input');
  }
}
