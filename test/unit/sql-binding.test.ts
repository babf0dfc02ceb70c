import { expect } from 'chai';
import { ValidationError } from '../../src/errors.js';
import { bindSql, parameterValues } from '../../src/commands/query/sql-binding.js';

describe('saved query binding: :name → $n (reference §5.4)', () => {
  const bind = (sql: string) => bindSql(sql);

  it('numbers placeholders by first appearance; a repeat reuses its number', () =>
    expect(bind('SELECT * FROM t WHERE a = :a AND b = :b OR a2 = :a')).to.deep.equal({
      text: 'SELECT * FROM t WHERE a = $1 AND b = $2 OR a2 = $1',
      names: ['a', 'b'],
    }));

  it('leaves ::casts alone, also right after a placeholder', () =>
    expect(bind("SELECT :x::int, now()::date, '1'::text")).to.deep.equal({
      text: "SELECT $1::int, now()::date, '1'::text",
      names: ['x'],
    }));

  it('leaves :words inside string literals, E-strings and dollar-quoted strings alone', () => {
    const sql = "SELECT ':a', 'it''s :b', E'\\' :c', $$ :d $$, $tag$ :e $x$ $tag$, :f";
    expect(bind(sql)).to.deep.equal({
      text: "SELECT ':a', 'it''s :b', E'\\' :c', $$ :d $$, $tag$ :e $x$ $tag$, $1",
      names: ['f'],
    });
  });

  it('leaves :words inside quoted identifiers and comments alone (nested block comments too)', () => {
    const sql = 'SELECT "col:a" -- :b\n, /* :c /* :d */ :e */ :g FROM "t"":h"';
    expect(bind(sql)).to.deep.equal({
      text: 'SELECT "col:a" -- :b\n, /* :c /* :d */ :e */ $1 FROM "t"":h"',
      names: ['g'],
    });
  });

  it('takes names of letters, digits and underscores, not starting with a digit', () =>
    expect(bind('SELECT :user_id, :a1b, :9, arr[1:2]')).to.deep.equal({
      text: 'SELECT $1, $2, :9, arr[1:2]',
      names: ['user_id', 'a1b'],
    }));

  it('binds a missing parameter as NULL and passes values as they are (never into the text)', () => {
    const bound = bind('SELECT :a, :b, :c');
    expect(parameterValues(bound, { a: "x'; DROP TABLE t; --", c: [1, 2] })).to.deep.equal([
      "x'; DROP TABLE t; --",
      null,
      [1, 2],
    ]);
    expect(bound.text).to.equal('SELECT $1, $2, $3');
  });

  it('refuses SQL with its own $n parameters, and unclosed strings, identifiers and comments, naming sql', () => {
    for (const sql of ['SELECT $1', "SELECT 'open", 'SELECT "open', 'SELECT /* open', 'SELECT $q$ open']) {
      const err = (() => {
        try {
          bind(sql);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err, sql).to.be.instanceOf(ValidationError);
      expect((err as ValidationError).field).to.equal('sql');
    }
  });

  it('keeps a $ inside an identifier (a$1) as text', () =>
    expect(bind('SELECT a$1 FROM t WHERE x = :x')).to.deep.equal({
      text: 'SELECT a$1 FROM t WHERE x = $1',
      names: ['x'],
    }));
});
