import { chatDecider, type ChatCommand } from '../../src/commands/chat/chat-decider.js';
import type { ChatEvent, ToolCallPlan } from '../../src/events/chat-events.js';
import { asChatId, asExecutionId, asTurnId, asUserId } from '../../src/events/ids.js';
import { deciderSpec } from '../support/decider-spec.js';

const given = deciderSpec(chatDecider);
const at = '2026-01-01T00:00:00.000Z';
const [t1, t2] = [asTurnId('t1'), asTurnId('t2')];
const user = asUserId('u1');
const agent = { namespace: 'ns', name: 'helper', id: 'a1' };
const usage = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 };

const creation = {
  chatId: asChatId('c1'),
  userId: user,
  agent,
  agentVersion: 1,
  title: 'Chat with ns/helper',
  input: {},
  sessionKey: null,
  expiresAt: null,
  initialMessages: [],
  at,
};
const created: ChatEvent = { type: 'ChatCreated', data: creation };
const posted = (turnId: string, messageId = `m-${turnId}`): ChatEvent => ({
  type: 'UserMessagePosted',
  data: { messageId, turnId, content: 'hi', at },
});
const started = (turnId: string, attempt = 1): ChatEvent => ({
  type: 'TurnStarted',
  data: { turnId, attempt, model: 'm', provider: 'p', agentVersion: 1, at },
});
const plan = (id: string, over: Partial<ToolCallPlan> = {}): ToolCallPlan => ({
  id,
  name: 'ns__f',
  function: { namespace: 'ns', name: 'f' },
  arguments: { x: 1 },
  requiresApproval: false,
  description: 'runs f',
  ...over,
});
const reply = {
  messageId: 'r1',
  attempt: 1,
  content: 'hello',
  toolCalls: [],
  usage,
  model: 'm',
  agentVersion: 1,
  finishReason: 'stop',
  at,
};
const complete = (over: Partial<Extract<ChatCommand, { type: 'CompleteTurn' }>> = {}): ChatCommand => ({
  type: 'CompleteTurn',
  turnId: t1,
  ...reply,
  ...over,
});
/** t1 started, its reply asked for these calls */
const asked = (...calls: ToolCallPlan[]): ChatEvent[] => [
  created,
  posted('t1'),
  started('t1'),
  { type: 'AssistantMessageCompleted', data: { turnId: 't1', ...reply, endsTurn: false, calls } },
];
const approvalAsked = (id: string): ChatEvent => ({
  type: 'ToolApprovalRequested',
  data: { turnId: 't1', toolCallId: id, function: { namespace: 'ns', name: 'f' }, arguments: { x: 1 }, at },
});
const callStarted = (id: string): ChatEvent => ({
  type: 'ToolCallStarted',
  data: { turnId: 't1', toolCallId: id, name: 'ns__f', executionId: `e-${id}`, at },
});
const post = (policy: 'enqueue' | 'reject' | 'interrupt', content = 'next'): ChatCommand => ({
  type: 'PostUserMessage',
  messageId: 'm2',
  turnId: t2,
  content,
  policy,
  by: user,
  at,
});
const decide = (approved: boolean, reason: string | null = null, toolCallId = 'k1'): ChatCommand => ({
  type: 'DecideApproval',
  toolCallId,
  approved,
  reason,
  by: user,
  at,
});

describe('chat decider', () => {
  describe('CreateChat', () => {
    it('creates the chat with what the command says', () =>
      given([])
        .when({ type: 'CreateChat', ...creation })
        .then([created]));
    it('refuses a second creation', () =>
      given([created])
        .when({ type: 'CreateChat', ...creation })
        .thenRefuses('illegal_state', undefined, /already exists/));
    it('any other command on a chat that does not exist is not found', () =>
      given([]).when({ type: 'ChangeTitle', title: 'x', at }).thenRefuses('not_found'));
  });

  describe('PostUserMessage', () => {
    it('an empty message is refused naming content', () =>
      given([created]).when(post('enqueue', '  ')).thenRefuses('validation_failed', 'content'));
    it('a message of parts only (no text) is posted with its parts', () => {
      const blob = { kind: 'inline', key: 'k', sha256: 'ab', size: 3, mime_type: 'image/png' } as const;
      const parts = [{ type: 'image', source: blob }] as const;
      return given([created])
        .when({ ...post('enqueue', ''), parts } as ChatCommand)
        .then([
          { type: 'UserMessagePosted', data: { messageId: 'm2', turnId: 't2', content: '', parts, at } },
        ]);
    });
    it('with no turn running, the message requests a turn whatever the policy', () =>
      given([created])
        .when(post('reject'))
        .then([{ type: 'UserMessagePosted', data: { messageId: 'm2', turnId: 't2', content: 'next', at } }]));
    it('enqueue: the turn waits behind the running one', () =>
      given([created, posted('t1'), started('t1')])
        .when(post('enqueue'))
        .then([{ type: 'UserMessagePosted', data: { messageId: 'm2', turnId: 't2', content: 'next', at } }]));
    it('reject: refused while a turn runs, naming content', () =>
      given([created, posted('t1')])
        .when(post('reject'))
        .thenRefuses('illegal_state', 'content', /a turn is running/));
    it('interrupt: every pending turn is cancelled, then the message posted', () =>
      given([created, posted('t1'), started('t1'), posted('t0')])
        .when(post('interrupt'))
        .then([
          { type: 'TurnCancelled', data: { turnId: 't1', by: 'u1', at } },
          { type: 'TurnCancelled', data: { turnId: 't0', by: 'u1', at } },
          { type: 'UserMessagePosted', data: { messageId: 'm2', turnId: 't2', content: 'next', at } },
        ]));
  });

  describe('StartTurn', () => {
    const start = (turnId = t1): ChatCommand => ({
      type: 'StartTurn',
      turnId,
      model: 'm',
      provider: 'p',
      agentVersion: 1,
      at,
    });
    it('starts attempt 1 of the next turn', () =>
      given([created, posted('t1')])
        .when(start())
        .then([started('t1', 1)]));
    it('a restart (the first worker died) is attempt 2', () =>
      given([created, posted('t1'), started('t1', 1)])
        .when(start())
        .then([started('t1', 2)]));
    it('refuses a turn queued behind another', () =>
      given([created, posted('t1'), posted('t2')])
        .when(start(t2))
        .thenRefuses('illegal_state', undefined, /not the next to run/));
    it('refuses a turn that has ended', () =>
      given([created, posted('t1'), { type: 'TurnCancelled', data: { turnId: 't1', by: 'u1', at } }])
        .when(start())
        .thenRefuses('illegal_state', undefined, /not the next to run/));
    it('refuses while the turn waits for its tool calls', () =>
      given(asked(plan('k1')))
        .when(start())
        .thenRefuses('illegal_state', undefined, /waits for 1 tool call/));
    it('starts the next model call once every tool call has its result', () =>
      given([
        ...asked(plan('k1')),
        callStarted('k1'),
        {
          type: 'ToolCallCompleted',
          data: {
            turnId: 't1',
            toolCallId: 'k1',
            name: 'ns__f',
            status: 'ok',
            result: '1',
            executionId: 'e-k1',
            at,
          },
        },
      ])
        .when(start())
        .then([started('t1', 2)]));
  });

  describe('CompleteTurn', () => {
    it('a reply without tool calls ends the turn', () =>
      given([created, posted('t1'), started('t1')])
        .when(complete())
        .then([{ type: 'AssistantMessageCompleted', data: { turnId: 't1', ...reply } }]));
    it('a reply with tool calls keeps the turn open and asks approval only for runnable calls that need it', () => {
      const calls = [
        plan('k1'),
        plan('k2', { requiresApproval: true }),
        plan('k3', { requiresApproval: true, invalid: 'not JSON' }),
        plan('k4', { requiresApproval: true, function: null }),
      ];
      given([created, posted('t1'), started('t1')])
        .when(complete({ calls }))
        .then([
          { type: 'AssistantMessageCompleted', data: { turnId: 't1', ...reply, endsTurn: false, calls } },
          {
            type: 'ToolApprovalRequested',
            data: {
              turnId: 't1',
              toolCallId: 'k2',
              function: { namespace: 'ns', name: 'f' },
              arguments: { x: 1 },
              at,
            },
          },
        ]);
    });
    it("refuses a stale attempt's reply (another worker took the turn over)", () =>
      given([created, posted('t1'), started('t1', 1), started('t1', 2)])
        .when(complete({ attempt: 1 }))
        .thenRefuses('illegal_state', undefined, /attempt 1 is not the running one/));
    it('refuses a reply for a turn that is not running', () =>
      given([created, posted('t1')])
        .when(complete())
        .thenRefuses('illegal_state', undefined, /not the running one/));
    it('refuses a reply while tool calls wait for results', () =>
      given(asked(plan('k1')))
        .when(complete())
        .thenRefuses('illegal_state', undefined, /waits for tool calls/));
  });

  describe('RewriteUserMessage and ReviseAssistantMessage', () => {
    it("a hook's rewrite names the turn's message", () =>
      given([created, posted('t1', 'm1')])
        .when({ type: 'RewriteUserMessage', turnId: t1, content: 'new', by: 'hook:x', at })
        .then([
          {
            type: 'UserMessageRewritten',
            data: { turnId: 't1', content: 'new', by: 'hook:x', at, messageId: 'm1' },
          },
        ]));
    it('refuses to rewrite the message of a turn that ended', () =>
      given([
        created,
        posted('t1'),
        started('t1'),
        { type: 'AssistantMessageCompleted', data: { turnId: 't1', ...reply } },
      ])
        .when({ type: 'RewriteUserMessage', turnId: t1, content: 'new', by: 'hook:x', at })
        .thenRefuses('illegal_state', undefined, /has ended/));
    it('a stored reply is revised, even after its turn ended', () =>
      given([created])
        .when({
          type: 'ReviseAssistantMessage',
          turnId: t1,
          messageId: 'r1',
          content: 'v2',
          by: 'hook:y',
          at,
        })
        .then([
          {
            type: 'AssistantMessageRevised',
            data: { turnId: 't1', messageId: 'r1', content: 'v2', by: 'hook:y', at },
          },
        ]));
  });

  describe('DecideApproval', () => {
    const waiting = [...asked(plan('k1', { requiresApproval: true })), approvalAsked('k1')];
    const decided = (approved: boolean, reason: string | null = null): ChatEvent => ({
      type: 'ToolApprovalDecided',
      data: { turnId: 't1', toolCallId: 'k1', approved, reason, by: 'u1', at },
    });
    const rejected = (result: string): ChatEvent => ({
      type: 'ToolCallCompleted',
      data: {
        turnId: 't1',
        toolCallId: 'k1',
        name: 'ns__f',
        status: 'rejected',
        result,
        executionId: null,
        at,
      },
    });
    it('an approval is recorded', () =>
      given(waiting)
        .when(decide(true))
        .then([decided(true)]));
    it("a rejection is also the call's result, with the reason for the model", () =>
      given(waiting)
        .when(decide(false, 'too risky'))
        .then([
          decided(false, 'too risky'),
          rejected(JSON.stringify({ error: 'The user rejected this tool call: too risky' })),
        ]));
    it('a rejection without a reason says only that', () =>
      given(waiting)
        .when(decide(false))
        .then([decided(false), rejected(JSON.stringify({ error: 'The user rejected this tool call' }))]));
    it('refuses an unknown tool call, naming tool_call_id', () =>
      given(waiting)
        .when(decide(true, null, 'nope'))
        .thenRefuses('illegal_state', 'tool_call_id', /has no pending approval/));
    it('refuses a second decision', () =>
      given([...waiting, decided(true)])
        .when(decide(true))
        .thenRefuses('illegal_state', 'tool_call_id', /already approved/));
    it('refuses a decision on a call that needs no approval', () =>
      given(asked(plan('k1')))
        .when(decide(true))
        .thenRefuses('illegal_state', 'tool_call_id', /does not need approval/));
  });

  describe('StartToolCall and CompleteToolCall', () => {
    const startCall = (toolCallId = 'k1'): ChatCommand => ({
      type: 'StartToolCall',
      turnId: t1,
      toolCallId,
      executionId: asExecutionId(`e-${toolCallId}`),
      at,
    });
    const completeCall = (toolCallId = 'k1'): ChatCommand => ({
      type: 'CompleteToolCall',
      turnId: t1,
      toolCallId,
      status: 'ok',
      result: '1',
      executionId: asExecutionId(`e-${toolCallId}`),
      at,
    });
    it('starts an open call as its execution', () =>
      given(asked(plan('k1')))
        .when(startCall())
        .then([callStarted('k1')]));
    it('an approved call may start', () =>
      given([
        ...asked(plan('k1', { requiresApproval: true })),
        approvalAsked('k1'),
        {
          type: 'ToolApprovalDecided',
          data: { turnId: 't1', toolCallId: 'k1', approved: true, reason: null, by: 'u1', at },
        },
      ])
        .when(startCall())
        .then([callStarted('k1')]));
    it('refuses to start a call waiting for approval', () =>
      given([...asked(plan('k1', { requiresApproval: true })), approvalAsked('k1')])
        .when(startCall())
        .thenRefuses('illegal_state', undefined, /waits for approval/));
    it('refuses to start a call twice', () =>
      given([...asked(plan('k1')), callStarted('k1')])
        .when(startCall())
        .thenRefuses('illegal_state', undefined, /already started/));
    it('refuses to start a call the running turn does not have open', () =>
      given(asked(plan('k1')))
        .when(startCall('k9'))
        .thenRefuses('illegal_state', undefined, /is not open in turn t1/));
    it("records a call's result", () =>
      given([...asked(plan('k1')), callStarted('k1')])
        .when(completeCall())
        .then([
          {
            type: 'ToolCallCompleted',
            data: {
              turnId: 't1',
              toolCallId: 'k1',
              name: 'ns__f',
              status: 'ok',
              result: '1',
              executionId: 'e-k1',
              at,
            },
          },
        ]));
    it('starts a call a family runs inline (no execution), once', () =>
      given(asked(plan('k1')))
        .when({ ...startCall(), executionId: null } as ChatCommand)
        .then([
          {
            type: 'ToolCallStarted',
            data: { turnId: 't1', toolCallId: 'k1', name: 'ns__f', executionId: null, at },
          },
        ]));
    it('refuses to start an inline call twice', () =>
      given([
        ...asked(plan('k1')),
        {
          type: 'ToolCallStarted',
          data: { turnId: 't1', toolCallId: 'k1', name: 'ns__f', executionId: null, at },
        },
      ])
        .when({ ...startCall(), executionId: null } as ChatCommand)
        .thenRefuses('illegal_state', undefined, /already started/));
    it("records an inline call's audit detail and, when cut, its full result", () =>
      given([
        ...asked(plan('k1')),
        {
          type: 'ToolCallStarted',
          data: { turnId: 't1', toolCallId: 'k1', name: 'ns__f', executionId: null, at },
        },
      ])
        .when({
          ...completeCall(),
          executionId: null,
          detail: { status: 200 },
          fullResult: '1234',
        } as ChatCommand)
        .then([
          {
            type: 'ToolCallCompleted',
            data: {
              turnId: 't1',
              toolCallId: 'k1',
              name: 'ns__f',
              status: 'ok',
              result: '1',
              executionId: null,
              detail: { status: 200 },
              fullResult: '1234',
              at,
            },
          },
        ]));
    it("asks approval for a family's call that needs it, naming its target", () =>
      given([created, posted('t1'), started('t1')])
        .when({
          type: 'CompleteTurn',
          turnId: t1,
          ...reply,
          calls: [
            {
              ...plan('k1', { requiresApproval: true }),
              function: null,
              target: { family: 'test', ref: { name: 'x' } },
            },
          ],
        } as ChatCommand)
        .then([
          {
            type: 'AssistantMessageCompleted',
            data: {
              turnId: 't1',
              ...reply,
              endsTurn: false,
              calls: [
                {
                  ...plan('k1', { requiresApproval: true }),
                  function: null,
                  target: { family: 'test', ref: { name: 'x' } },
                },
              ],
            },
          },
          {
            type: 'ToolApprovalRequested',
            data: {
              turnId: 't1',
              toolCallId: 'k1',
              function: null,
              target: { family: 'test', ref: { name: 'x' } },
              name: 'ns__f',
              arguments: { x: 1 },
              at,
            },
          },
        ]));
    it('refuses a second result for one call', () =>
      given([
        ...asked(plan('k1')),
        {
          type: 'ToolCallCompleted',
          data: {
            turnId: 't1',
            toolCallId: 'k1',
            name: 'ns__f',
            status: 'ok',
            result: '1',
            executionId: null,
            at,
          },
        },
      ])
        .when(completeCall())
        .thenRefuses('illegal_state', undefined, /is not open/));
  });

  describe('FailTurn and CancelTurn', () => {
    it('the running attempt fails the turn', () =>
      given([created, posted('t1'), started('t1')])
        .when({ type: 'FailTurn', turnId: t1, attempt: 1, error: 'boom', at })
        .then([{ type: 'TurnFailed', data: { turnId: 't1', attempt: 1, error: 'boom', at } }]));
    it("refuses a stale attempt's failure", () =>
      given([created, posted('t1'), started('t1', 1), started('t1', 2)])
        .when({ type: 'FailTurn', turnId: t1, attempt: 1, error: 'boom', at })
        .thenRefuses('illegal_state', undefined, /not the running one/));
    it('cancel ends the turn that runs now, not the queued ones', () =>
      given([created, posted('t1'), posted('t2')])
        .when({ type: 'CancelTurn', by: user, at })
        .then([{ type: 'TurnCancelled', data: { turnId: 't1', by: 'u1', at } }]));
    it('after a cancel, the next queued turn is the one that runs', () =>
      given([
        created,
        posted('t1'),
        posted('t2'),
        { type: 'TurnCancelled', data: { turnId: 't1', by: 'u1', at } },
      ])
        .when({ type: 'CancelTurn', by: user, at })
        .then([{ type: 'TurnCancelled', data: { turnId: 't2', by: 'u1', at } }]));
    it("a sub-agent's turn: its end (reply, failure, cancel) is followed by SubTurnEnded naming the caller", () => {
      const caller = { chatId: 'parent', turnId: 'pt', toolCallId: 'c1' };
      const sub: ChatEvent[] = [
        created,
        { type: 'UserMessagePosted', data: { messageId: 'm1', turnId: 't1', content: 'hi', caller, at } },
      ];
      const ended = { type: 'SubTurnEnded', data: { turnId: 't1', caller, at } } as const;
      given([...sub, started('t1')])
        .when(complete())
        .then([{ type: 'AssistantMessageCompleted', data: { turnId: 't1', ...reply } }, ended]);
      given([...sub, started('t1')])
        .when({ type: 'FailTurn', turnId: t1, attempt: 1, error: 'boom', at })
        .then([{ type: 'TurnFailed', data: { turnId: 't1', attempt: 1, error: 'boom', at } }, ended]);
      given(sub)
        .when({ type: 'CancelTurn', by: user, at })
        .then([{ type: 'TurnCancelled', data: { turnId: 't1', by: 'u1', at } }, ended]);
    });
    it('a cancel names the sub-chats of its running sub-agent calls (cancelled with it)', () =>
      given([
        ...asked(plan('c1'), plan('c2'), plan('c3')),
        {
          type: 'ToolCallStarted',
          data: { turnId: 't1', toolCallId: 'c1', name: 'x', executionId: null, subChatId: 's1', at },
        },
        {
          type: 'ToolCallStarted',
          data: { turnId: 't1', toolCallId: 'c2', name: 'x', executionId: null, subChatId: 's2', at },
        },
        {
          type: 'ToolCallCompleted',
          data: {
            turnId: 't1',
            toolCallId: 'c2',
            name: 'x',
            status: 'ok',
            result: 'r',
            executionId: null,
            at,
          },
        },
      ])
        .when({ type: 'CancelTurn', by: user, at })
        .then([
          {
            type: 'TurnCancelled',
            data: { turnId: 't1', by: 'u1', subChats: [{ toolCallId: 'c1', subChatId: 's1' }], at },
          },
        ]));
    it('refuses a cancel with no turn running', () =>
      given([created])
        .when({ type: 'CancelTurn', by: user, at })
        .thenRefuses('illegal_state', undefined, /no turn is running/));
  });

  describe('ChangeTitle and SetArchived', () => {
    it('renames', () =>
      given([created])
        .when({ type: 'ChangeTitle', title: 'New', at })
        .then([{ type: 'ChatTitleChanged', data: { title: 'New', at } }]));
    it('the same title again is a no-op', () =>
      given([created, { type: 'ChatTitleChanged', data: { title: 'New', at } }])
        .when({ type: 'ChangeTitle', title: 'New', at })
        .then([]));
    it('archives, and unarchives', () => {
      given([created])
        .when({ type: 'SetArchived', archived: true, by: user, at })
        .then([{ type: 'ChatArchived', data: { at } }]);
      given([created, { type: 'ChatArchived', data: { at } }])
        .when({ type: 'SetArchived', archived: false, by: user, at })
        .then([{ type: 'ChatUnarchived', data: { at } }]);
    });
    it('archiving an archived chat (or unarchiving an open one) is a no-op', () => {
      given([created, { type: 'ChatArchived', data: { at } }])
        .when({ type: 'SetArchived', archived: true, by: user, at })
        .then([]);
      given([created]).when({ type: 'SetArchived', archived: false, by: user, at }).then([]);
    });
    it('archiving (deleting) a sub-chat cancels the turns parents wait on, as deleted; others run on', () => {
      const caller = { chatId: 'parent', turnId: 'pt', toolCallId: 'c1' };
      given([
        created,
        posted('t0'),
        { type: 'UserMessagePosted', data: { messageId: 'm1', turnId: 't1', content: 'hi', caller, at } },
      ])
        .when({ type: 'SetArchived', archived: true, by: user, at })
        .then([
          { type: 'ChatArchived', data: { at } },
          { type: 'TurnCancelled', data: { turnId: 't1', by: 'u1', reason: 'deleted', at } },
          { type: 'SubTurnEnded', data: { turnId: 't1', caller, at } },
        ]);
    });
  });
});
