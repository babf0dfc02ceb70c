/**
 * Reading a SinasPackage (reference §6.2, §6.4): sections a package may not carry are dropped with a
 * warning naming them, the rest becomes a SinasConfig for the config engine, and a document that is
 * not a package is refused naming the field. The package stream folds to what is installed now.
 */
import { expect } from 'chai';
import { parse } from 'yaml';
import { readPackage } from '../../src/commands/package/package-document.js';
import { packageState } from '../../src/commands/package/package-state.js';
import { ValidationError } from '../../src/errors.js';
import type { RecordedEvent } from '../../src/events/event-store.js';

const DOC = `
apiVersion: sinas.co/v1
kind: SinasPackage
package: { name: tools }
spec:
  roles: [{ name: R }]
  llmProviders: [{ name: p, type: openai }]
  skills: [{ namespace: t, name: s, description: d, content: c }]
`;

describe('package document', () => {
  it('drops the sections a package may not carry, with a warning each; keeps the rest', () => {
    const r = readPackage(DOC);
    expect(r.meta).to.deep.equal({ name: 'tools', version: '1.0.0' });
    expect(r.warnings).to.deep.equal([
      'spec.roles: a package may not carry roles; the section was skipped',
      'spec.llmProviders: a package may not carry llmProviders; the section was skipped',
    ]);
    const config = parse(r.config);
    expect(config.kind).to.equal('SinasConfig');
    expect(config.metadata.name).to.equal('tools');
    expect(Object.keys(config.spec)).to.deep.equal(['skills']);
  });

  it('refuses a document that is not a package, naming the field', () => {
    const cases: [string, RegExp][] = [
      ['kind: SinasConfig\napiVersion: sinas.co/v1\npackage: { name: x }', /^source\.kind/],
      ['apiVersion: sinas.co/v1\nkind: SinasPackage', /^source\.package/],
      [
        'apiVersion: sinas.co/v1\nkind: SinasPackage\npackage: { name: "bad name" }',
        /^source\.package\.name/,
      ],
      ['a: [', /^source/],
    ];
    for (const [text, field] of cases) {
      try {
        readPackage(text);
        expect.fail(`accepted ${text}`);
      } catch (err) {
        expect(err).to.be.instanceOf(ValidationError);
        expect((err as ValidationError).field).to.match(field);
      }
    }
  });

  it('folds the package stream: the last install, none after an uninstall', () => {
    const ev = (type: string, data: Record<string, unknown>) => ({ type, data }) as unknown as RecordedEvent;
    const res = [{ section: 'skills', resourceType: 'skill', resourceName: 't/s' }];
    const installed = ev('PackageInstalled', {
      name: 'tools',
      version: '2.0.0',
      resources: res,
      removed: [],
      by: 'u',
      at: 'now',
    });
    expect(packageState([installed])).to.deep.equal({
      status: 'installed',
      meta: { name: 'tools', version: '2.0.0' },
      resources: res,
    });
    const gone = ev('PackageUninstalled', { name: 'tools', removed: res, by: 'u', at: 'later' });
    expect(packageState([installed, gone])).to.deep.equal({ status: 'absent' });
  });
});
