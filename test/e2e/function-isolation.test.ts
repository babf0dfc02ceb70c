/**
 * Over HTTP, with the platform's own runner: a function's run never lands in a worker that ran another
 * user's function, another function, or another version of the same function. Each function below
 * leaves its label in its interpreter (on the `json` module, which outlives a run) and returns the
 * labels it finds there from other code.
 */
import { expect } from 'chai';
import { startTestPlatform, userKey, type TestPlatform } from '../support/platform.js';

const labelling = (label: string) => `
import json
LABEL = ${JSON.stringify(label)}
def handler(input_data, context):
    seen = json.__dict__.setdefault("_sinas_test_labels", [])
    others = sorted(set(l for l in seen if l != LABEL))
    seen.append(LABEL)
    return {"others": others}
`;

/** concurrent runs per batch: more than the pool keeps blank, so a batch reaches every idle worker */
const BATCH = 4;

describe('function runs and workers', function () {
  this.timeout(180_000);
  let t: TestPlatform;
  let keys: Record<string, string>;
  before(async () => {
    t = await startTestPlatform();
    keys = { alice: await userKey(t, 'iso-alice'), bob: await userKey(t, 'iso-bob') };
  });
  after(async () => t?.stop());

  const as = (user: string) => ({ 'x-api-key': keys[user]! });
  const save = async (user: string, name: string, label: string, method: 'POST' | 'PUT' = 'POST') => {
    const path = method === 'POST' ? '/api/v1/functions' : `/api/v1/functions/${user}/${name}`;
    const json =
      method === 'POST' ? { namespace: user, name, code: labelling(label) } : { code: labelling(label) };
    const r = await t.api(path, { method, headers: as(user), json });
    expect(r.status, await r.clone().text()).to.equal(method === 'POST' ? 201 : 200);
  };
  /** BATCH concurrent runs of user's function; each returns the other code's labels it saw */
  const batch = async (user: string, name: string) => {
    const runs = Array.from({ length: BATCH }, () =>
      t.api(`/functions/${user}/${name}/execute`, { method: 'POST', headers: as(user), json: { input: {} } }),
    );
    return Promise.all(runs.map(async (r) => (await r).json()));
  };

  it("never runs a function in a worker that ran another user's, another function or another version", async () => {
    await save('alice', 'f', 'alice/f v1');
    await save('alice', 'g', 'alice/g v1');
    await save('bob', 'f', 'bob/f v1');
    const results = [
      ...(await batch('alice', 'f')),
      ...(await batch('alice', 'g')),
      ...(await batch('bob', 'f')),
      ...(await batch('alice', 'f')),
    ];
    await save('alice', 'f', 'alice/f v2', 'PUT');
    results.push(...(await batch('alice', 'f')), ...(await batch('bob', 'f')));
    for (const r of results) {
      expect(r.status, JSON.stringify(r)).to.equal('success');
      expect(r.result).to.deep.equal({ others: [] });
    }
  });
});
