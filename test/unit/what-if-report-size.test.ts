/** How a what-if report is kept bounded: texts cut with a marker, a chat's reports packed into bounded events. */
import { expect } from 'chai';
import { EVENT_BUDGET, TEXT_LIMIT, capped, cut, packed } from '../../src/runtime/whatif/report-size.js';
import type { TurnReport } from '../../src/runtime/whatif/whatif-events.js';

const usage = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 };

function report(index: number, answer: string, args = '{}'): TurnReport {
  return {
    chat_id: 'c',
    turn_id: `t${index}`,
    index,
    user: 'question',
    original: { answer, tool_calls: [{ name: 'f', arguments: args }], usage, model: 'm', cost: null },
    candidate: {
      answer,
      tool_calls: [{ name: 'f', arguments: args, answered: 'recorded' }],
      usage,
      model: 'm',
      cost: null,
      output_schema_valid: null,
      latency_ms: 0,
    },
    diff: [{ op: '=', text: answer }],
    tool_calls: { added: [], dropped: [], changed: [] },
    differs: false,
  };
}

describe('what-if report size', () => {
  it('keeps a text within the limit whole, and cuts a longer one with a marker saying how much', () => {
    expect(cut('short')).to.equal('short');
    const long = 'x'.repeat(TEXT_LIMIT + 10);
    expect(cut(long)).to.equal('x'.repeat(TEXT_LIMIT) + '\n[… 10 more characters cut from this report]');
  });

  it('cuts every text of a report: answers, arguments, the diff', () => {
    const long = 'y'.repeat(3 * TEXT_LIMIT);
    const r = capped(report(0, long, long));
    expect(r.original.answer!.length).to.be.lessThan(TEXT_LIMIT + 100);
    expect(r.candidate.answer!.length).to.be.lessThan(TEXT_LIMIT + 100);
    expect(r.candidate.tool_calls[0]!.arguments.length).to.be.lessThan(TEXT_LIMIT + 100);
    expect(r.candidate.tool_calls[0]!.answered).to.equal('recorded');
    expect(r.diff.reduce((n, p) => n + p.text.length, 0)).to.be.lessThan(2 * TEXT_LIMIT + 100);
    expect(capped(report(1, 'small'))).to.deep.equal(report(1, 'small'));
  });

  it('packs reports in order into runs under the budget, one turn per run at least', () => {
    const big = Array.from({ length: 10 }, (_, i) => capped(report(i, 'z'.repeat(3 * TEXT_LIMIT))));
    const parts = packed(big);
    expect(parts.length).to.be.greaterThan(1);
    expect(parts.flat().map((r) => r.index)).to.deep.equal([...Array(10).keys()]);
    for (const p of parts) expect(Buffer.byteLength(JSON.stringify(p))).to.be.at.most(EVENT_BUDGET);
    expect(packed([report(0, 'a'), report(1, 'b')])).to.have.length(1);
    expect(packed([])).to.deep.equal([[]]);
  });
});
