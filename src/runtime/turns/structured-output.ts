/**
 * Structured output (reference §3.8 step 8, applied on every path, streaming too): when the agent's
 * output_schema has properties, the model is asked for JSON matching it (instruction plus
 * response_format), and the reply is checked with ajv; one corrective round is allowed.
 */
import { ValidationError } from '../../errors.js';
import { validate, type JSONSchema } from '../../commands/validation.js';
import type { LlmMessage, LlmResponseFormat } from '../llm/llm.js';

export interface StructuredOutput {
  readonly responseFormat: LlmResponseFormat;
  readonly instruction: string;
  /** undefined when `content` is JSON matching the schema; otherwise what is wrong */
  problem(content: string): string | undefined;
  /** the messages that ask the model to correct `content` */
  correction(content: string, problem: string): LlmMessage[];
}

export function structuredOutput(
  spec: Readonly<Record<string, unknown>>,
  agentName: string,
): StructuredOutput | undefined {
  const schema = spec.output_schema as JSONSchema | undefined;
  if (!schema || typeof schema !== 'object' || !('properties' in schema)) return undefined;
  const strictSchema = { ...schema, additionalProperties: schema.additionalProperties ?? false };
  const pretty = JSON.stringify(schema, null, 2);
  return {
    responseFormat: {
      type: 'json_schema',
      json_schema: {
        name: `${agentName.toLowerCase().replace(/[^a-z0-9_-]+/g, '_')}_response`,
        schema: strictSchema,
        strict: true,
      },
    },
    instruction: `\n\nReply only with a JSON object that matches this JSON Schema, and nothing else:\n${pretty}`,
    problem(content) {
      let value: unknown;
      try {
        value = JSON.parse(content);
      } catch {
        return 'the reply is not valid JSON';
      }
      try {
        validate(strictSchema, value);
        return undefined;
      } catch (err) {
        return err instanceof ValidationError
          ? err.errors.map((e) => `${e.field || 'reply'}: ${e.message}`).join('; ')
          : String(err);
      }
    },
    correction(content, problem) {
      return [
        { role: 'assistant', content },
        {
          role: 'user',
          content: `That reply did not match the required JSON Schema (${problem}). Reply again with only a JSON object that matches it.`,
        },
      ];
    },
  };
}
