/**
 * The port through which the chat service renders an agent's initial messages with the chat's input:
 * commands never import the runtime's template engine; the composition root hands one in.
 */

/** Renders `template` with `vars`; what it does when rendering fails is the engine's decision. */
export type RenderTemplate = (template: string, vars: Readonly<Record<string, unknown>>) => string;
