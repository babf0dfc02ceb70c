/**
 * The OpenAI-compatible adapter (reference §7) under /adapters/openai/v1: chat completions against
 * an agent (`agent:ns/name`, `ns/name`, or the default agent when `model` is omitted) or passed
 * through to the provider serving a model, and the model list. Errors are problem+json that also
 * carry an OpenAI-style `error` member, so OpenAI clients show the reason.
 */
import type { Request, Response } from 'express';
import type { ChatService } from '../commands/chat/chat-service.js';
import type { ResourceService } from '../commands/resource/resource-service.js';
import { NotFoundError } from '../errors.js';
import type { TurnWaiter } from '../runtime/turns/turn-waiter.js';
import type { ResourceQueries } from '../projections/resource-queries.js';
import type { ProjectionWaiter } from '../projections/waiter.js';
import type { ChatFeed } from '../runtime/chat-feed/chat-feed.js';
import type { Llm } from '../runtime/llm/llm.js';
import type { ProviderResolver } from '../runtime/turns/provider-resolver.js';
import { agentCompletion } from './openai-adapter/agent-completions.js';
import { ModelCatalog } from './openai-adapter/models.js';
import { passthroughCompletion } from './openai-adapter/passthrough.js';
import { completionBody, parseCompletionRequest } from './openai-adapter/request.js';
import { completionSchema, modelListSchema, modelSchema } from './openai-adapter/wire.js';
import { HttpProblem, toProblem, type Problem } from './problem.js';
import type { RouteRegistry } from './routes.js';

export interface OpenAiAdapterDeps {
  readonly chats: ChatService;
  /** the agent service: whether an agent exists, read from its stream (no projection lag) */
  readonly agents: ResourceService;
  readonly queries: ResourceQueries;
  /** a chat's frames, for a streamed completion */
  readonly feed: ChatFeed;
  readonly waiter: ProjectionWaiter;
  /** finds a provider's endpoint and decrypts its key, as for agent turns */
  readonly resolver: ProviderResolver;
  readonly llm: Llm;
  readonly turnTimeoutMs: number;
  readonly consistencyTimeoutMs: number;
  /** waits for a posted turn's reply */
  readonly turns: TurnWaiter;
}

const BASE = '/adapters/openai/v1';
const tags = ['OpenAI adapter'];
/** the model list names agents: a narrowed API key needs to read or chat with some agent */
const MODELS = { signedIn: ['sinas.agents.read:own', 'sinas.agents.chat:own'] } as const;
const modelPart = { type: 'string', minLength: 1, maxLength: 600 };

export function registerOpenAiAdapterRoutes(registry: RouteRegistry, d: OpenAiAdapterDeps): void {
  const catalog = new ModelCatalog(d.queries, d.agents, d.resolver);
  const getModel = async (id: string, res: Response) => {
    const model = await catalog.find(id);
    if (!model) throw new NotFoundError(`model '${id}' not found`, 'model_id');
    res.json(model);
  };

  registry.add({
    method: 'post',
    path: `${BASE}/chat/completions`,
    access: { signedIn: ['sinas.agents.chat:own'] },
    summary:
      'OpenAI chat completion: an agent turn (agent:ns/name, ns/name, or the default agent) or a provider model',
    tags,
    body: completionBody,
    mapError: toOpenAiError,
    responses: { 200: completionSchema },
    handler: openAiErrors(async (req, res) => {
      const body = parseCompletionRequest(req.body);
      const target = await catalog.resolve(body.model);
      if (target.kind === 'agent') return agentCompletion(d, req, res, target, body);
      return passthroughCompletion(d.llm, await catalog.endpoint(target), res, target, body);
    }),
  });
  registry.add({
    method: 'get',
    path: `${BASE}/models`,
    access: MODELS,
    summary: 'Every active agent (agent:ns/name), then every provider model',
    tags,
    responses: { 200: modelListSchema },
    handler: openAiErrors(async (_req, res) => void res.json({ object: 'list', data: await catalog.list() })),
  });
  registry.add({
    method: 'get',
    path: `${BASE}/models/:model_id`,
    access: MODELS,
    summary: 'One model; an id with "/" (agent:ns/name) is sent with the slash as %2F, or raw (next route)',
    tags,
    params: { model_id: modelPart },
    responses: { 200: modelSchema },
    handler: openAiErrors((req, res) => getModel(req.params.model_id as string, res)),
  });
  registry.add({
    method: 'get',
    path: `${BASE}/models/:owner/:model_id`,
    access: MODELS,
    summary: 'One model whose id has one raw "/": agent:ns/name, ns/name, or a provider id like org/model',
    tags,
    params: { owner: modelPart, model_id: modelPart },
    responses: { 200: modelSchema },
    handler: openAiErrors((req, res) =>
      getModel(`${req.params.owner as string}/${req.params.model_id as string}`, res),
    ),
  });
}

/** Adds the `error` member OpenAI clients read ({message, type, param, code}) to the problem. */
function openAiErrors(
  handler: (req: Request, res: Response) => Promise<void>,
): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    try {
      await handler(req, res);
    } catch (err) {
      throw toOpenAiError(err);
    }
  };
}

function toOpenAiError(err: unknown): HttpProblem {
  const p = toProblem(err);
  const problem: Problem & { error: Record<string, unknown> } = {
    ...p,
    error: {
      message: p.detail ?? p.title,
      type: p.status >= 500 ? 'server_error' : 'invalid_request_error',
      param: p.field ?? null,
      code: p.code ?? null,
    },
  };
  return Object.assign(new HttpProblem(problem), { cause: err });
}
