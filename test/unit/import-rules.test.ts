/**
 * The layering rules of eslint.config.js fire: small sources, linted as if they sat in src/http,
 * src/commands or src/projections (ESLint's Node API with the repository's own config), must be
 * refused when they import against the direction and accepted when they import what the layer may.
 */
import { expect } from 'chai';
import { ESLint } from 'eslint';
import path from 'node:path';

const eslint = new ESLint({ cwd: process.cwd() });

/** the layering messages ESLint reports for `source` placed at `file` */
async function refusals(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: file });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import rules (eslint.config.js)', () => {
  it('refuse an http module importing a value from src/events', async () => {
    const found = await refusals(
      'src/http/fixture-routes.ts',
      "import { streams } from '../events/stream-names.js';\nexport const s = streams;\n",
    );
    expect(found).to.have.length(1);
    expect(found[0]).to.match(/src\/http reads and writes events only through/);
  });

  it('refuse an http module holding the EventStore, even as a type', async () => {
    const found = await refusals(
      'src/http/openai-adapter/fixture.ts',
      "import type { EventStore } from '../../events/event-store.js';\nexport type S = EventStore;\n",
    );
    expect(found.join('\n')).to.match(/never holds the EventStore/);
  });

  it('accept an http module naming an event shape as a type, and reading a projection’s queries', async () => {
    const found = await refusals(
      'src/http/fixture-routes.ts',
      [
        "import type { ChatEvent } from '../events/chat-events.js';",
        "import type { ChatQueries } from '../projections/chat-queries.js';",
        "import type { ProjectionWaiter } from '../projections/waiter.js';",
        'export type T = [ChatEvent, ChatQueries, ProjectionWaiter];',
        '',
      ].join('\n'),
    );
    expect(found).to.deep.equal([]);
  });

  it('refuse an http module importing a projection that is not a read module', async () => {
    const found = await refusals(
      'src/http/fixture-routes.ts',
      "import { chatsProjection } from '../projections/chats.js';\nexport const p = chatsProjection;\n",
    );
    expect(found.join('\n')).to.match(/only through their \*-queries\.ts modules/);
  });

  it('refuse a projection importing src/runtime', async () => {
    const found = await refusals(
      'src/projections/fixture.ts',
      "import { destroyDataKey } from '../runtime/secrets/data-keys.js';\nexport const f = destroyDataKey;\n",
    );
    expect(found.join('\n')).to.match(/projections have no side effects/);
  });

  it('accept a projection importing src/events', async () => {
    const found = await refusals(
      'src/projections/fixture.ts',
      "import { streams } from '../events/stream-names.js';\nexport const s = streams;\n",
    );
    expect(found).to.deep.equal([]);
  });

  it('refuse a command module importing src/runtime or src/projections, even as a type', async () => {
    const found = await refusals(
      'src/commands/chat/fixture.ts',
      [
        "import { renderOrRaw } from '../../runtime/turns/templates.js';",
        "import type { ChatQueries } from '../../projections/chat-queries.js';",
        'export const t: [typeof renderOrRaw, ChatQueries?] = [renderOrRaw];',
        '',
      ].join('\n'),
    );
    expect(found).to.have.length(2);
  });

  it('hold for every file in src/http: none is exempt, and none imports against the direction', async () => {
    const results = await eslint.lintFiles(['src/http/**/*.ts']);
    expect(results.length).to.be.greaterThan(30);
    const exempt: string[] = [];
    for (const r of results) {
      const config = (await eslint.calculateConfigForFile(r.filePath)) as { rules: Record<string, unknown> };
      const rule = config.rules['no-restricted-imports'] as [unknown] | unknown;
      const severity = Array.isArray(rule) ? rule[0] : rule;
      if (severity !== 2 && severity !== 'error') exempt.push(path.relative(process.cwd(), r.filePath));
    }
    expect(exempt).to.deep.equal([]);
    const refused = results.flatMap((r) =>
      r.messages
        .filter((m) => m.ruleId === 'no-restricted-imports')
        .map((m) => `${r.filePath}: ${m.message}`),
    );
    expect(refused).to.deep.equal([]);
  });
});
