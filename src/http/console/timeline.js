/**
 * The timeline page's script (served as /console/timeline.js, no build step): reads the reviewer's
 * key from the URL fragment (or the form), fetches the chat's timeline through the API with it, and
 * renders it by turn, each execution indented under the tool call that ran it. Every piece of
 * content becomes a DOM text node: nothing from the timeline is ever parsed as HTML.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;
const PAGE_SIZE = 1000;
const MAX_PAGES = 100;

const chatId = decodeURIComponent(location.pathname.split('/').pop() ?? '');
const $ = (id) => document.getElementById(id);

// ---- the key -------------------------------------------------------------------------------------

/** The key in `#key=…`, removed from the address bar (and so from history and screenshots). */
function keyFromFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  const key = params.get('key');
  if (key === null) return null;
  params.delete('key');
  const rest = params.toString();
  history.replaceState(null, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
  return key.trim() || null;
}

class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.status = status;
  }
}

function client(key) {
  const auth = JWT.test(key) ? { authorization: `Bearer ${key}` } : { 'x-api-key': key };
  return async (path, body) => {
    const res = await fetch(path, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        accept: 'application/json',
        ...auth,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
      credentials: 'omit',
      cache: 'no-store',
    });
    const json = await res.json().catch(() => null);
    if (!res.ok) throw new ApiError(res.status, json);
    return json;
  };
}

// ---- data ----------------------------------------------------------------------------------------

async function fetchTimeline(api) {
  const items = [];
  let after = null;
  for (let n = 0; n < MAX_PAGES; n++) {
    const q = new URLSearchParams({ limit: String(PAGE_SIZE), ...(after ? { after } : {}) });
    const page = await api(`/chats/${encodeURIComponent(chatId)}/timeline?${q}`);
    items.push(...page.items);
    if (!page.next_after) return { items, truncated: false };
    after = page.next_after;
  }
  return { items, truncated: true };
}

/**
 * Emails of the people in the timeline, where the viewer may read them: their own always, others'
 * when they hold `sinas.users.read:all`; everyone else stays an id.
 */
async function fetchPeople(api, items) {
  const names = new Map();
  const me = await api('/auth/me').catch(() => null);
  if (me?.email) names.set(me.id, me.email);
  const ids = new Set();
  for (const i of items)
    for (const v of [i.actor, i.data?.by, i.data?.userId])
      if (typeof v === 'string' && UUID.test(v) && !names.has(v)) ids.add(v);
  if (ids.size === 0) return { me, names };
  const check = await api('/auth/check-permissions', { permissions: ['sinas.users.read:all'] }).catch(
    () => null,
  );
  if (check?.result)
    await Promise.all(
      [...ids].map(async (id) => {
        const user = await api(`/api/v1/users/${id}`).catch(() => null);
        if (user?.email) names.set(id, user.email);
      }),
    );
  return { me, names };
}

// ---- DOM helpers (text only) ---------------------------------------------------------------------

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props ?? {})) {
    if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k === 'className' || k === 'title' || k === 'dateTime') node[k] = v;
    else throw new Error(`el: unsupported property ${k}`);
  }
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

const pretty = (v) => (typeof v === 'string' ? v : JSON.stringify(v, null, 2));
const isEmpty = (v) =>
  v === null || v === undefined || v === '' || (typeof v === 'object' && Object.keys(v).length === 0);
const time = (at) => el('time', { dateTime: at }, at.replace('T', ' ').replace('Z', ' UTC'));
const fn = (f) => (f ? `${f.namespace}/${f.name}` : 'an unknown function');
/** an image, audio or file part of a message: what it is, never its bytes (text parts are the content) */
const partLine = (p) =>
  p.type === 'text'
    ? null
    : el(
        'p',
        { className: 'muted' },
        p.source.kind === 'url'
          ? `${p.type}: ${p.source.url}`
          : `${p.type}${p.filename ? ` ${p.filename}` : ''}: ${p.source.mime_type}, ${p.source.size} bytes, sha256 ${p.source.sha256.slice(0, 12)}…`,
      );

/** label/value rows; a value is text, a DOM node, or JSON shown preformatted */
function fields(rows) {
  const shown = rows.filter(([, v]) => v !== undefined);
  if (!shown.length) return null;
  return el(
    'dl',
    null,
    shown.map(([label, v]) => [
      el('dt', null, label),
      el(
        'dd',
        { dataset: { field: label.toLowerCase() } },
        v instanceof Node ? v : typeof v === 'string' ? v : el('pre', null, pretty(v)),
      ),
    ]),
  );
}

/** stdout/stderr/logs of a run, when it printed anything */
function runOutput(d) {
  return fields([
    ['stdout', d.stdout ? el('pre', null, d.stdout) : undefined],
    ['stderr', d.stderr ? el('pre', null, d.stderr) : undefined],
    ['logs', d.logs?.length ? el('pre', null, d.logs.join('\n')) : undefined],
  ]);
}

// ---- what each event says ------------------------------------------------------------------------

function toolResult(result) {
  try {
    return JSON.parse(result);
  } catch {
    return result;
  }
}

function plannedCalls(d) {
  if (d.calls)
    return d.calls.map((c) =>
      el(
        'div',
        { className: 'ev kind-tool', dataset: { toolCall: c.id } },
        el(
          'div',
          { className: 'head' },
          el('span', { className: 'kind' }, 'tool call'),
          el('span', { className: 'what' }, c.builtin ? `${c.name} (built in)` : `Calls ${fn(c.function)}`),
          c.requiresApproval ? el('span', { className: 'muted' }, 'needs approval') : null,
          el('span', { className: 'ids' }, c.id),
        ),
        fields([
          ['Arguments', c.arguments ?? undefined],
          ['Invalid', c.invalid],
        ]),
      ),
    );
  return (d.toolCalls ?? []).map((c) =>
    el(
      'div',
      { className: 'ev kind-tool', dataset: { toolCall: c.id } },
      el('div', { className: 'head' }, el('span', { className: 'what' }, `Calls ${c.function.name}`)),
      fields([['Arguments', toolResult(c.function.arguments)]]),
    ),
  );
}

/** `function support/lookup`, `role Admins`, `user <id>`: what a reference names */
function referenced(r) {
  const label = r.kind.replace(/_/g, ' ');
  const name = r.namespace ? `${r.namespace}/${r.name}` : (r.name ?? r.id ?? '');
  return `${label} ${name}`.trim();
}

/** kind (colour), a one-line summary, who did it (a user id, 'system' or null) and the details */
function describe(i, person) {
  // the viewer may not read what this event is about: the server sent only what it names
  if (i.reference)
    return {
      kind: 'system',
      what: `${i.type} · ${referenced(i.reference)} (version ${i.reference.version})`,
      body: el('p', { className: 'muted' }, 'Not shown: you may not read this.'),
    };
  const d = i.data ?? {};
  const by = (id) => (id ? person(id) : undefined);
  switch (i.type) {
    case 'ChatCreated':
      return {
        kind: 'system',
        what: `Chat started with agent ${d.agent.namespace}/${d.agent.name} (version ${d.agentVersion})${
          d.forkedFrom ? ` · forked from ${d.forkedFrom.chatId} at ${d.forkedFrom.revision}` : ''
        }`,
        body: fields([
          ['Title', d.title],
          ['Owner', by(d.userId)],
          ['Input', isEmpty(d.input) ? undefined : d.input],
          ['Session key', d.sessionKey ?? undefined],
          ['Expires', d.expiresAt ?? undefined],
          [
            'Initial messages',
            d.initialMessages?.length
              ? el('pre', null, d.initialMessages.map((m) => `${m.role}: ${m.content}`).join('\n'))
              : undefined,
          ],
        ]),
      };
    case 'UserMessagePosted':
      return {
        kind: 'user',
        what: 'User message',
        body: [el('p', { className: 'text' }, d.content), ...(d.parts ?? []).map(partLine)],
      };
    case 'UserMessageRewritten':
      return {
        kind: 'system',
        what: `User message rewritten by hook ${d.by}`,
        body: el('p', { className: 'text' }, d.content),
      };
    case 'TurnStarted':
      return { kind: 'system', what: `Model call ${d.attempt}: ${d.provider} / ${d.model}` };
    case 'AssistantMessageCompleted':
      return {
        kind: 'assistant',
        what: d.blockedBy ? `Reply from hook ${d.blockedBy} (message blocked)` : 'Assistant',
        body: [
          d.content ? el('p', { className: 'text' }, d.content) : null,
          plannedCalls(d),
          el(
            'p',
            { className: 'ids' },
            `${d.model ?? ''} · finish: ${d.finishReason ?? '?'} · tokens: ${d.usage?.total_tokens ?? '?'}`,
            d.revisedBy?.length ? ` · revised by ${d.revisedBy.join(', ')}` : '',
          ),
        ],
      };
    case 'AssistantMessageRevised':
      return {
        kind: 'assistant',
        what: `Reply revised by hook ${d.by}`,
        body: el('p', { className: 'text' }, d.content),
      };
    case 'ToolApprovalRequested':
      return {
        kind: 'approval',
        what: `Approval requested to run ${fn(d.function)}`,
        body: fields([
          ['Tool call', d.toolCallId],
          ['Arguments', d.arguments],
        ]),
      };
    case 'ToolApprovalDecided':
      return {
        kind: d.approved ? 'approval' : 'error',
        what: d.approved ? 'Approved' : 'Rejected',
        body: fields([
          ['Approver', by(d.by)],
          ['Reason', d.reason ?? '(none given)'],
          ['Tool call', d.toolCallId],
        ]),
      };
    case 'ToolCallStarted':
      return {
        kind: 'tool',
        what: `Tool call ${d.name} started`,
        body: fields([['Tool call', d.toolCallId]]),
      };
    case 'ToolCallCompleted':
      return {
        kind: d.status === 'ok' ? 'result' : d.status === 'awaiting_input' ? 'pause' : 'error',
        what: `Tool result (${d.status.replace('_', ' ')}) for ${d.name}`,
        body: fields([['Result', toolResult(d.result)]]),
      };
    case 'TurnFailed':
      return {
        kind: 'error',
        what: `Turn failed (model call ${d.attempt})`,
        body: fields([['Error', d.error]]),
      };
    case 'TurnCancelled':
      return { kind: 'error', what: 'Turn cancelled', body: fields([['By', by(d.by)]]) };
    case 'ChatTitleChanged':
      return { kind: 'system', what: 'Title changed', body: fields([['Title', d.title]]) };
    case 'ChatForked':
      return {
        kind: 'system',
        what: `Forked to ${d.forkId} at ${d.revision}`,
        body: fields([
          ['By', by(d.userId)],
          ['Asked for', d.requested],
        ]),
      };
    case 'ChatArchived':
      return { kind: 'system', what: 'Chat archived' };
    case 'ChatUnarchived':
      return { kind: 'system', what: 'Chat restored' };
    case 'ExecutionRequested':
      return {
        kind: 'execution',
        what: `Execution of ${fn(d.function)} (version ${d.function?.version}) requested · trigger ${d.triggerType}`,
        body: fields([
          ['On behalf of', by(d.userId)],
          ['Input', d.input],
          ['Hook', d.hook ? `${d.hook.ref} (${d.hook.phase})` : undefined],
        ]),
      };
    case 'ExecutionStarted':
      return {
        kind: 'execution',
        what: `Run ${d.run} started`,
        body: el('p', { className: 'ids' }, d.worker),
      };
    case 'ExecutionAwaitingInput':
      return {
        kind: 'pause',
        what: `Paused for input (run ${d.run})`,
        body: [fields([['Prompt', d.prompt]]), runOutput(d)],
      };
    case 'ExecutionResumed':
      return {
        kind: 'pause',
        what: `Resumed with an answer (run ${d.run} next)`,
        body: fields([
          ['Answer', pretty(d.answer)],
          ['Answered by', by(d.by)],
        ]),
      };
    case 'ExecutionCompleted':
      return {
        kind: 'result',
        what: `Completed (run ${d.run}, ${d.durationMs} ms)`,
        body: [fields([['Output', d.output]]), runOutput(d)],
      };
    case 'ExecutionFailed':
      return {
        kind: 'error',
        what: `Failed${d.run ? ` (run ${d.run})` : ''}`,
        body: [
          fields([
            ['Error', d.error],
            ['Traceback', d.traceback ? el('pre', null, d.traceback) : undefined],
          ]),
          runOutput(d),
        ],
      };
    case 'ExecutionTimedOut':
      return {
        kind: 'error',
        what: `Timed out (run ${d.run})`,
        body: [fields([['Error', d.error]]), runOutput(d)],
      };
    case 'ExecutionCancelled':
      return { kind: 'error', what: 'Execution cancelled', body: fields([['By', by(d.by)]]) };
    default:
      return {
        kind: 'system',
        what: `${i.type} · ${i.stream} (version ${i.version})`,
        body: el('details', null, el('summary', null, 'data'), el('pre', null, pretty(d))),
      };
  }
}

function row(i, person, nested) {
  const { kind, what, body } = describe(i, person);
  return el(
    'li',
    { className: `ev kind-${kind}`, dataset: { type: i.type, position: i.position } },
    el(
      'div',
      { className: 'head' },
      el('span', { className: 'kind' }, kind),
      el('span', { className: 'what' }, what),
      i.actor ? el('span', { className: 'muted' }, 'by ', person(i.actor)) : null,
      time(i.at),
    ),
    body ?? null,
    nested ?? null,
    el(
      'details',
      { className: 'ids' },
      el('summary', null, 'event'),
      fields([
        ['Event', i.event_id],
        ['Stream', `${i.stream} @ ${i.revision} (position ${i.position})`],
        ['Correlation', i.correlation_id],
        ['Causation', i.causation_id],
      ]),
    ),
  );
}

// ---- grouping ------------------------------------------------------------------------------------

/**
 * Sections in commit order: the configuration in force, chat-level events, and one section per turn;
 * an execution's events sit under the tool call that started it (a hook's under its turn).
 */
function group(items) {
  const config = [];
  const executions = new Map();
  const attached = new Set();
  for (const i of items) {
    if (i.stream.startsWith('execution-')) {
      const id = i.stream.slice('execution-'.length);
      if (!executions.has(id)) executions.set(id, []);
      executions.get(id).push(i);
    } else if (i.type === 'ToolCallStarted' && i.data?.executionId) attached.add(i.data.executionId);
  }
  const sections = [];
  const turns = new Map();
  let current = null;
  const turnSection = (turnId) => {
    if (!turns.has(turnId)) {
      const s = { turnId, number: turns.size + 1, entries: [] };
      turns.set(turnId, s);
      sections.push(s);
    }
    return turns.get(turnId);
  };
  for (const i of items) {
    if (i.stream.startsWith('execution-')) {
      const id = i.stream.slice('execution-'.length);
      if (attached.has(id) || executions.get(id)[0] !== i) continue;
      const hookTurn = i.data?.hook?.turnId;
      const entry = { execution: id };
      if (hookTurn) turnSection(hookTurn).entries.push(entry);
      else (current ?? chatSection()).entries.push(entry);
    } else if (!i.stream.startsWith('chat-')) config.push(i);
    else if (i.data?.turnId) (current = turnSection(i.data.turnId)).entries.push({ item: i });
    else chatSection().entries.push({ item: i });
  }
  return { config, sections, executions };

  function chatSection() {
    const last = sections.at(-1);
    if (last && !last.turnId) return last;
    const s = { turnId: null, entries: [] };
    sections.push(s);
    current = null;
    return s;
  }
}

function turnTitle(s) {
  const types = s.entries.map((e) => e.item?.type);
  const status = types.includes('TurnFailed')
    ? 'failed'
    : types.includes('TurnCancelled')
      ? 'cancelled'
      : types.includes('ToolApprovalRequested') && !types.includes('ToolApprovalDecided')
        ? 'awaiting approval'
        : '';
  return `Turn ${s.number}${status ? ` · ${status}` : ''}`;
}

function render({ items, truncated }, { me, names }) {
  const person = (id) =>
    id === 'system'
      ? el('span', { className: 'who', title: 'the platform' }, 'Sinas')
      : names.has(id)
        ? el('span', { className: 'who', title: id }, names.get(id))
        : el('span', { className: 'who' }, UUID.test(id) ? `user ${id}` : id);
  const { config, sections, executions } = group(items);
  const executionList = (id) =>
    el(
      'ol',
      { dataset: { execution: id } },
      (executions.get(id) ?? []).map((i) => row(i, person)),
    );
  const main = $('timeline');
  main.replaceChildren();
  if (config.length)
    main.append(
      el(
        'section',
        { className: 'config' },
        el(
          'details',
          null,
          el('summary', null, `Configuration in force: ${config.length} agent and function events`),
          el(
            'ol',
            null,
            config.map((i) => row(i, person)),
          ),
        ),
      ),
    );
  for (const s of sections) {
    const first = s.entries.map((e) => e.item ?? executions.get(e.execution)?.[0]).find(Boolean);
    main.append(
      el(
        'section',
        { dataset: s.turnId ? { turn: s.turnId } : {} },
        el('header', null, el('h2', null, s.turnId ? turnTitle(s) : 'Chat'), first ? time(first.at) : null),
        el(
          'ol',
          null,
          s.entries.map((e) =>
            e.execution
              ? el('li', null, executionList(e.execution))
              : row(
                  e.item,
                  person,
                  e.item.type === 'ToolCallStarted' && e.item.data?.executionId
                    ? executionList(e.item.data.executionId)
                    : null,
                ),
          ),
        ),
      ),
    );
  }
  const created = items.find((i) => i.type === 'ChatCreated')?.data;
  $('summary').replaceChildren(
    created ? `“${created.title}” with agent ${created.agent.namespace}/${created.agent.name} · ` : '',
    `${items.length} events`,
    truncated ? ' (only the first ones: the timeline is longer)' : '',
    ' · viewing as ',
    me ? person(me.id) : 'an unknown user',
  );
  if (!items.length) main.append(el('p', { className: 'muted' }, 'No events.'));
}

// ---- the page ------------------------------------------------------------------------------------

function showProblem(err) {
  const hint =
    err.status === 401
      ? 'The key was not accepted: it may be mistyped, revoked or expired.'
      : err.status === 403 || err.status === 404
        ? "No such chat, or this key may not read it: a chat's timeline is for its owner and for auditors."
        : '';
  const box = $('problem');
  box.replaceChildren(
    el('strong', null, err.status ? `The server answered ${err.status}: ` : 'Could not load the timeline: '),
    err.message,
    hint ? el('p', null, hint) : null,
  );
  box.hidden = false;
}

async function load(key) {
  document.body.dataset.state = 'loading';
  $('problem').hidden = true;
  $('key-form').hidden = true;
  const api = client(key);
  try {
    const timeline = await fetchTimeline(api);
    render(timeline, await fetchPeople(api, timeline.items));
    document.body.dataset.state = 'ready';
  } catch (err) {
    showProblem(err);
    $('summary').textContent = '';
    document.body.dataset.state = 'error';
    if (err.status === 401) askForKey();
  }
}

function askForKey() {
  $('key-form').hidden = false;
  $('summary').textContent = 'Enter an API key (or access token) of the chat owner or of an auditor.';
  document.body.dataset.state = 'need-key';
}

$('key-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const key = $('key-input').value.trim();
  $('key-input').value = '';
  if (key) void load(key);
});

if (!UUID.test(chatId)) {
  showProblem(new Error(`“${chatId}” is not a chat id`));
  document.body.dataset.state = 'error';
} else {
  const key = keyFromFragment();
  if (key) void load(key);
  else askForKey();
}
