/** Builds the what-if service (API side) and runner (worker side) on the platform's services. */
import type { Logger } from 'pino';
import type { ExecutionService } from '../../commands/execution/execution-service.js';
import type { ResourceService } from '../../commands/resource/resource-service.js';
import type { Config } from '../config.js';
import type { Adapters } from '../services.js';
import type { Llm } from '../llm/llm.js';
import type { MessagePartPorts } from '../parts/part-wiring.js';
import type { ProviderResolver } from '../turns/provider-resolver.js';
import type { ToolFamily } from '../turns/tool-family.js';
import { WhatIfRunner } from './whatif-runner.js';
import { WhatIfService } from './whatif-service.js';

export interface WhatIfServices {
  /** starts and reads what-if runs */
  readonly whatIf: WhatIfService;
  /** replays them (the worker's `whatif` jobs) */
  readonly whatIfRunner: WhatIfRunner;
}

export function whatIfOn(
  s: Adapters & {
    readonly agents: ResourceService;
    readonly functions: ResourceService;
    readonly executions: ExecutionService;
    readonly llm: Llm;
    readonly providerResolver: ProviderResolver;
    readonly messageParts: MessagePartPorts;
  },
  config: Config,
  log: Logger,
  families: readonly ToolFamily[],
): WhatIfServices {
  return {
    whatIf: new WhatIfService({
      store: s.eventStore,
      pool: s.pool,
      agents: s.agents,
      queue: s.queue,
      // as turns are (services.ts): only where a worker will see the job
      enqueueHere: config.redisUrl !== undefined || config.role !== 'api',
    }),
    whatIfRunner: new WhatIfRunner({
      store: s.eventStore,
      pool: s.pool,
      resolver: s.providerResolver,
      executions: s.executions,
      llm: s.llm,
      functions: s.functions,
      families,
      resolveParts: s.messageParts.resolve,
      maxToolRounds: config.maxToolRounds,
      ...(config.history ? { history: config.history } : {}),
      log,
    }),
  };
}
