/** The one place that builds and parses stream names: `<category>-<id>` (DESIGN §4). */
export function streamName(category: string, id: string): string {
  if (!category || category.includes('-')) throw new Error(`bad stream category: ${category}`);
  return `${category}-${id}`;
}

export function categoryOf(stream: string): string {
  const i = stream.indexOf('-');
  return i < 0 ? stream : stream.slice(0, i);
}

export function idOf(stream: string): string {
  const i = stream.indexOf('-');
  return i < 0 ? '' : stream.slice(i + 1);
}

export const streams = {
  agent: (namespace: string, name: string) => streamName('agent', `${namespace}/${name}`),
  apiKey: (id: string) => streamName('apikey', id),
  chat: (id: string) => streamName('chat', id),
  /** the forks made of a chat (`ChatForked`), kept apart so the original's stream stays untouched */
  chatForks: (id: string) => streamName('chatforks', id),
  execution: (id: string) => streamName('execution', id),
  user: (id: string) => streamName('user', id),
  email: (normalized: string) => streamName('email', normalized),
  role: (name: string) => streamName('role', name),
  function: (namespace: string, name: string) => streamName('function', `${namespace}/${name}`),
  session: (agent: string, key: string) => streamName('session', `${agent}/${key}`),
  login: (userId: string) => streamName('login', userId),
  /** one stream per UTC day: `security-2025-01-31` */
  security: (at: Date) => streamName('security', at.toISOString().slice(0, 10)),
} as const;
