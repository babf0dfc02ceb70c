/** How a replayed turn is compared: word diffs, tool calls added/dropped/changed, argument normalisation. */
import { expect } from 'chai';
import { callChanges, textDiff } from '../../src/runtime/whatif/comparison.js';
import { normalizedArguments } from '../../src/runtime/whatif/recorded-turns.js';

describe('what-if comparison', () => {
  it('diffs answers word by word, the parts joining back into each side', () => {
    const d = textDiff('the sky is blue today', 'the sky is grey today');
    expect(d).to.deep.equal([
      { op: '=', text: 'the sky is ' },
      { op: '-', text: 'blue ' },
      { op: '+', text: 'grey ' },
      { op: '=', text: 'today' },
    ]);
    const side = (ops: string) =>
      d
        .filter((p) => ops.includes(p.op))
        .map((p) => p.text)
        .join('');
    expect([side('=-'), side('=+')]).to.deep.equal(['the sky is blue today', 'the sky is grey today']);
    expect(textDiff('same', 'same')).to.deep.equal([{ op: '=', text: 'same' }]);
    expect(textDiff(null, 'new')).to.deep.equal([{ op: '+', text: 'new' }]);
  });

  it('matches arguments after key-sorting, at every depth', () => {
    expect(normalizedArguments('{"b": 1, "a": {"d": 2, "c": [ {"y":1,"x":0} ]}}')).to.equal(
      '{"a":{"c":[{"x":0,"y":1}],"d":2},"b":1}',
    );
    expect(normalizedArguments('not json')).to.equal('not json');
    expect(normalizedArguments('')).to.equal('{}');
  });

  it('reports tool calls added, dropped, and changed (same tool, other arguments)', () => {
    const call = (name: string, args: string) => ({ name, arguments: args });
    const changes = callChanges(
      [call('a', '{"x":1}'), call('b', '{}'), call('c', '{"n":1}')],
      [call('a', '{"x":1}'), call('c', '{"n":2}'), call('d', '{}')],
    );
    expect(changes).to.deep.equal({
      added: [call('d', '{}')],
      dropped: [call('b', '{}')],
      changed: [{ name: 'c', from: '{"n":1}', to: '{"n":2}' }],
    });
  });
});
