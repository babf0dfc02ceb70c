/** The benchmarks `npm run bench` knows, by the name they print; each loads on demand. */
export const BENCHES: Readonly<Record<string, () => Promise<() => Promise<void>>>> = {
  append: async () => (await import('./append.js')).runAppend,
  append_batch: async () => (await import('./append-batch.js')).runAppendBatch,
  projection_lag: async () => (await import('./projection-lag.js')).runProjectionLag,
  rebuild: async () => (await import('./rebuild.js')).runRebuild,
  ttft_overhead: async () => (await import('./ttft-overhead.js')).runTtftOverhead,
  subagent_overhead: async () => (await import('./subagent-overhead.js')).runSubagentOverhead,
  resume: async () => (await import('./resume.js')).runResume,
  sse_idle: async () => (await import('./sse-idle.js')).runSseIdle,
  function_dispatch: async () => (await import('./function-dispatch.js')).runFunctionDispatch,
  function_cold: async () => (await import('./function-dispatch.js')).runFunctionCold,
  function_pool: async () => (await import('./function-dispatch.js')).runFunctionPool,
  export: async () => (await import('./audit.js')).runExport,
  timeline: async () => (await import('./audit.js')).runTimeline,
  wasm_dispatch: async () => (await import('./wasm-dispatch.js')).runWasmDispatch,
  connector_call: async () => (await import('./connector-call.js')).runConnectorCall,
  message_cost: async () => (await import('./message-cost.js')).runMessageCost,
  query_call: async () => (await import('./query-call.js')).runQueryCall,
  component_render: async () => (await import('./component-render.js')).runComponentRender,
  file_upload: async () => (await import('./file-upload.js')).runFileUpload,
  webhook_sync: async () => (await import('./webhook-sync.js')).runWebhookSync,
  schedule_jitter: async () => (await import('./schedule-jitter.js')).runScheduleJitter,
  what_if: async () => (await import('./what-if.js')).runWhatIf,
  outage_recovery: async () => {
    const { runOutageRecoveryDatabase } = await import('./outage-recovery-database.js');
    const { runOutageRecoveryRedis } = await import('./outage-recovery-redis.js');
    return async () => {
      await runOutageRecoveryDatabase();
      await runOutageRecoveryRedis();
    };
  },
};

/** Accepts `projection-lag` for `projection_lag`. */
export function benchName(arg: string): string {
  return arg.replace(/-/g, '_');
}
