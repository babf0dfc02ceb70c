import { expect } from 'chai';
import { DependencyUnavailableError, NotFoundError } from '../../src/errors.js';
import type { ChatId } from '../../src/events/ids.js';
import { runInline, withFamilies } from '../../src/runtime/turns/family-tools.js';
import type { ToolChat } from '../../src/runtime/turns/tool-family.js';
import type { ToolSet } from '../../src/runtime/turns/tools.js';
import { TestFamily } from '../support/test-family.js';

const chat: ToolChat = {
  chatId: 'c1' as ChatId,
  userId: 'u1',
  input: {},
  agent: { namespace: 'ns', name: 'a' },
  agentSpec: {},
};

function logSpy() {
  const warned: string[] = [];
  return { warned, log: { warn: (_o: object, msg: string) => void warned.push(msg) } as never };
}

describe('tool families in a round (family-tools.ts)', () => {
  const run = (toolCallId: string) => ({
    toolCallId,
    target: { family: 'test', ref: { tool: toolCallId } },
    arguments: {},
    signal: new AbortController().signal,
  });

  it('a dependency outage is rethrown (the job retries); a platform error is an error result; a fault too, logged', async () => {
    const family = new TestFamily([
      {
        name: 'outage',
        run: () => {
          throw new DependencyUnavailableError('database');
        },
      },
      {
        name: 'missing',
        run: () => {
          throw new NotFoundError('no such row');
        },
      },
      {
        name: 'fault',
        run: () => {
          throw new TypeError('x is undefined');
        },
      },
    ]);
    const { warned, log } = logSpy();
    let thrown: unknown;
    await runInline(family, run('outage'), chat, log).catch((err) => (thrown = err));
    expect(thrown).to.be.instanceOf(DependencyUnavailableError);
    expect(await runInline(family, run('missing'), chat, log)).to.deep.equal({
      status: 'error',
      result: '{"error":"no such row"}',
    });
    expect(warned).to.deep.equal([]);
    expect(await runInline(family, run('fault'), chat, log)).to.deep.equal({
      status: 'error',
      result: '{"error":"x is undefined"}',
    });
    expect(warned).to.deep.equal(['a tool family call failed']);
  });

  it('offers after the function tools; a taken name keeps its first owner, and the clash is logged', async () => {
    const set: ToolSet = {
      tools: [{ type: 'function', function: { name: 'ns__f', parameters: {} } }],
      byName: new Map(),
      statusTemplates: {},
    };
    const first = new TestFamily([{ name: 'ns__f' }, { name: 'shared' }]);
    const second = new TestFamily([{ name: 'shared' }, { name: 'own' }]);
    const { warned, log } = logSpy();
    const joined = await withFamilies(set, [first, second], chat, log);
    expect(joined.tools.map((x) => x.function.name)).to.deep.equal(['ns__f', 'shared', 'own']);
    expect(joined.families!.get('shared')!.family).to.equal(first);
    expect(joined.families!.has('ns__f')).to.equal(false);
    expect(warned).to.have.length(2);
  });
});
