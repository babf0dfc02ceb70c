import { expect } from 'chai';
import {
  adjustSchema,
  mergeArguments,
  planCalls,
  renderParams,
  RESULT_LIMIT,
  serializeResult,
  statusText,
  withPaused,
  type ToolSet,
} from '../../src/runtime/turns/tools.js';
import { renderStatus, statusOf } from '../../src/runtime/turns/status-text.js';
import type { ToolFamily } from '../../src/runtime/turns/tool-family.js';

describe('function tools (reference §4.1-§4.3)', () => {
  const params = renderParams(
    { units: { value: 'celsius', locked: true }, city: '{{ home }}', limit: { value: 3 } },
    { home: 'Oslo' },
  );

  it('renders parameter strings with the chat input; locked and overridable are told apart', () =>
    expect(params).to.deep.equal({ locked: { units: 'celsius' }, overridable: { city: 'Oslo', limit: 3 } }));

  it('drops every parameter of a tool when one fails to render', () =>
    expect(renderParams({ a: '{{ missing }}', b: 1 }, {})).to.deep.equal({ locked: {}, overridable: {} }));

  it('hides locked parameters from the model and shows overridable ones as defaults, none required', () => {
    const schema = adjustSchema(
      {
        type: 'object',
        required: ['units', 'city', 'q'],
        properties: { units: { type: 'string' }, city: { type: 'string' }, q: { type: 'string' } },
      },
      params,
    );
    expect(schema.properties).to.deep.equal({
      city: { type: 'string', default: 'Oslo' },
      q: { type: 'string' },
    });
    expect(schema.required).to.deep.equal(['q']);
  });

  it("merges: the model's arguments, then missing overridable values, then locked values (locked wins)", () =>
    expect(mergeArguments({ units: 'kelvin', city: 'Rome' }, params)).to.deep.equal({
      units: 'celsius',
      city: 'Rome',
      limit: 3,
    }));

  it('truncates results over 10,000 characters with the marker, and JSON-encodes non-strings', () => {
    expect(serializeResult({ a: 1 })).to.equal('{"a":1}');
    const long = serializeResult('x'.repeat(RESULT_LIMIT + 5));
    expect(long.startsWith('x'.repeat(RESULT_LIMIT))).to.equal(true);
    expect(long.endsWith('\n\n[... result truncated]')).to.equal(true);
  });

  it('status text from a template, else "Running <name>"', () => {
    expect(
      statusText({ 'function:ns/get_weather': 'Weather in {{ city }}' }, 'ns__get_weather', { city: 'Oslo' }),
    ).to.equal('Weather in Oslo');
    expect(statusText({}, 'ns__get_weather', {})).to.equal('Running get weather');
  });

  it('plans calls: unknown tools and non-object arguments are marked, continue_execution only for paused ids', () => {
    const set: ToolSet = withPaused({ tools: [], byName: new Map(), statusTemplates: {} }, ['e1']);
    const plans = planCalls(
      [
        { id: 'a', type: 'function', function: { name: 'ns__nope', arguments: '{}' } },
        { id: 'b', type: 'function', function: { name: 'ns__nope', arguments: '[1]' } },
        {
          id: 'c',
          type: 'function',
          function: { name: 'continue_execution', arguments: '{"execution_id":"e1","input":1}' },
        },
        {
          id: 'd',
          type: 'function',
          function: { name: 'continue_execution', arguments: '{"execution_id":"e9"}' },
        },
      ],
      set,
    );
    expect(plans[0]).to.include({ function: null, requiresApproval: false });
    expect(plans[1]!.invalid).to.match(/JSON object/);
    expect(plans[2]).to.include({ builtin: 'continue_execution' });
    expect(plans[2]!.invalid).to.equal(undefined);
    expect(plans[3]!.invalid).to.match(/paused executions/);
    expect(set.tools.map((t) => t.function.name)).to.deep.equal(['continue_execution']);
  });

  it('status keys and fallback texts for every tool kind (reference §4.2)', () => {
    const cases: [string, string, string][] = [
      ['call_agent_support__triage', 'agent:support/triage', 'Calling support/triage'],
      ['get_skill_docs__style', 'skill:docs/style', 'Loading skill docs/style'],
      ['query_crm__find_customer', 'query:crm/find_customer', 'Running query find customer'],
      ['search_collection_kb_docs', 'collection:kb_docs', 'Searching files'],
      ['get_file_kb_docs', 'collection:kb_docs', 'Reading file'],
      ['write_file_kb_docs', 'collection:kb_docs', 'Writing file'],
      ['edit_file_kb_docs', 'collection:kb_docs', 'Editing file'],
      ['delete_file_kb_docs', 'collection:kb_docs', 'Deleting file'],
      ['show_component_ui__chart', 'component:ui/chart', 'Rendering ui/chart'],
      ['save_state', 'state:save_state', 'Saving state'],
      ['retrieve_state', 'state:retrieve_state', 'Retrieving state'],
      ['list_state_keys', 'state:list_state_keys', 'Listing state'],
      ['delete_state', 'state:delete_state', 'Deleting state'],
      ['ns__get_weather', 'function:ns/get_weather', 'Running get weather'],
      ['ns__a__b', 'function:ns/a__b', 'Running a  b'],
    ];
    for (const [tool, key, fallback] of cases) expect(statusOf(tool), tool).to.deep.equal({ key, fallback });
  });

  it('a template under the key renders with the arguments; a failing one shows the fallback', () => {
    const status = statusOf('query_crm__find_customer');
    expect(
      renderStatus({ 'query:crm/find_customer': 'Looking up {{ email }}' }, status, { email: 'a@b' }),
    ).to.equal('Looking up a@b');
    expect(renderStatus({ 'query:crm/find_customer': 'Looking up {{ email }}' }, status, {})).to.equal(
      'Running query find customer',
    );
    expect(renderStatus({ 'function:crm/find_customer': 'wrong kind' }, status, {})).to.equal(
      'Running query find customer',
    );
  });

  it("plans a family's call: its target, arguments merged with its parameters (locked wins), approval and status from the offer", () => {
    const family = { family: 'test' } as unknown as ToolFamily;
    const set: ToolSet = {
      tools: [],
      byName: new Map(),
      statusTemplates: { 'query:crm/find': 'Finding {{ email }} in {{ region }}' },
      families: new Map([
        [
          'query_crm__find',
          {
            family,
            offered: {
              tool: { type: 'function', function: { name: 'query_crm__find', parameters: {} } },
              target: { family: 'test', ref: { namespace: 'crm', name: 'find' } },
              params: { locked: { region: 'eu' }, overridable: { limit: 5 } },
              requiresApproval: true,
              status: { key: 'query:crm/find', fallback: 'Running query find' },
            },
          },
        ],
      ]),
    };
    const [plan] = planCalls(
      [
        {
          id: 'q1',
          type: 'function',
          function: { name: 'query_crm__find', arguments: '{"email":"a@b","region":"us"}' },
        },
      ],
      set,
    );
    expect(plan).to.deep.equal({
      id: 'q1',
      name: 'query_crm__find',
      function: null,
      arguments: { email: 'a@b', region: 'eu', limit: 5 },
      target: { family: 'test', ref: { namespace: 'crm', name: 'find' } },
      requiresApproval: true,
      description: 'Finding a@b in eu',
    });
  });
});
