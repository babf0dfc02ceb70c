/**
 * The platform on the WebAssembly sandbox, end to end: what `auto` picks on a machine with neither
 * Docker nor bubblewrap, forced here with SINAS_FUNCTION_SANDBOX=wasm. Functions run over HTTP, pause on
 * input() and continue, and /health names the runner.
 */
import { expect } from 'chai';
import { startTestPlatform, type JsonResponse, type TestPlatform } from '../support/platform.js';

const ASK = `
def handler(input_data, context):
    print("asking", input_data["who"])
    answer = input("ok?")
    return {"who": input_data["who"], "answer": answer, "user": context["user_id"] is not None}
`;

describe('functions on the WebAssembly sandbox', function () {
  this.timeout(180_000);
  let t: TestPlatform;
  before(async () => {
    process.env.SINAS_FUNCTION_SANDBOX = 'wasm';
    try {
      t = await startTestPlatform();
    } finally {
      delete process.env.SINAS_FUNCTION_SANDBOX;
    }
  });
  after(async () => t?.stop());

  it('/health names the runner', async () => {
    const h = await (await (fetch(`${t.url}/health`) as Promise<JsonResponse>)).json();
    expect(h.ports.functionRunner).to.include({ up: true });
    expect(h.ports.functionRunner.adapter).to.match(/^wasm \{.*"engine":"pyodide /);
  });

  it('runs a function over HTTP, pauses on input() and continues to the end', async () => {
    const created = await t.api('/api/v1/functions', {
      method: 'POST',
      json: { namespace: 'wasm', name: 'ask', code: ASK, input_schema: { type: 'object' } },
    });
    expect(created.status).to.equal(201);
    const paused = await (
      await t.api('/functions/wasm/ask/execute', { method: 'POST', json: { input: { who: 'ada' } } })
    ).json();
    expect(paused.status, JSON.stringify(paused)).to.equal('awaiting_input');
    const id = paused.execution_id as string;
    const done = await (
      await t.api(`/executions/${id}/continue`, { method: 'POST', json: { input: 'yes' } })
    ).json();
    expect(done.status, JSON.stringify(done)).to.equal('success');
    expect(done.output_data).to.deep.equal({ who: 'ada', answer: 'yes', user: true });
    expect((await (await t.api(`/executions/${id}`)).json()).stdout).to.contain('asking ada');
  });
});
