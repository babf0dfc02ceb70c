import { expect } from 'chai';
import type { ChatService } from '../../src/commands/chat/chat-service.js';
import type { IdentityService } from '../../src/commands/identity/identity-service.js';
import { asChatId, asTurnId, asUserId, newChatId, type ChatId, type TurnId } from '../../src/events/ids.js';

/** Compiled, never run: the type checker refuses an id of one kind where another is wanted. */
function mixUps(chats: ChatService, identity: IdentityService, chatId: ChatId, turnId: TurnId) {
  const ctx = { commandId: 'c', actor: 'u1' };
  // @ts-expect-error a turn id is not a chat id
  void chats.cancel(turnId, ctx);
  // @ts-expect-error a bare string must be read as a chat id first
  void chats.postMessage('c1', {}, ctx);
  // @ts-expect-error a chat id is not a user id
  void identity.addMember('Admins', chatId, ctx);
  void chats.cancel(chatId, ctx);
  void identity.addMember('Admins', asUserId('u1'), ctx);
}

describe('branded ids', () => {
  it('are the same strings at run time', () => {
    expect(asChatId('c1')).to.equal('c1');
    expect(asTurnId('t1')).to.equal('t1');
    expect(newChatId()).to.match(/^[0-9a-f-]{36}$/);
    expect(mixUps).to.be.a('function');
  });
});
