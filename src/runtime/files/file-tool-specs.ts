/**
 * The five file tools as the model sees them (reference §4.1, §5.8): names with a single `_`
 * between namespace and collection, fixed descriptions, argument schemas, and the status key
 * (`collection:<ns>/<name>`) with the §4.2 fallback texts.
 */
import type { LlmTool } from '../llm/llm.js';

export type FileTool = 'search' | 'get' | 'write' | 'edit' | 'delete';

export const READ_TOOLS: readonly FileTool[] = ['search', 'get'];
export const WRITE_TOOLS: readonly FileTool[] = ['write', 'edit', 'delete'];

const PREFIX: Readonly<Record<FileTool, string>> = {
  search: 'search_collection_',
  get: 'get_file_',
  write: 'write_file_',
  edit: 'edit_file_',
  delete: 'delete_file_',
};

export const FALLBACK: Readonly<Record<FileTool, string>> = {
  search: 'Searching files',
  get: 'Reading file',
  write: 'Writing file',
  edit: 'Editing file',
  delete: 'Deleting file',
};

export const fileToolName = (tool: FileTool, namespace: string, name: string) =>
  `${PREFIX[tool]}${namespace}_${name}`;

const FILENAME = { type: 'string', minLength: 1, maxLength: 255, description: 'the file name' };

const SPECS: Readonly<Record<FileTool, { description: string; parameters: Record<string, unknown> }>> = {
  search: {
    description:
      'Search the files of the collection {ref}: by words in file names and metadata, then by a case-insensitive regular expression over text files. Returns {files:[{filename, content_type, version, metadata, visibility}], count}.',
    parameters: {
      type: 'object',
      properties: {
        query: { type: 'string', maxLength: 1000 },
        metadata_filter: { type: 'object', description: 'metadata values the files must equal' },
      },
    },
  },
  get: {
    description:
      'Read a file of the collection {ref}. Text comes with line numbers (offset: first line, from 1; limit: how many lines); binary files come as a link.',
    parameters: {
      type: 'object',
      required: ['filename'],
      properties: {
        filename: FILENAME,
        offset: { type: 'integer', minimum: 1 },
        limit: { type: 'integer', minimum: 1 },
      },
    },
  },
  write: {
    description:
      'Write a text file to the collection {ref}: a new version of an existing file of that name, else a new shared file.',
    parameters: {
      type: 'object',
      required: ['filename', 'content'],
      properties: { filename: FILENAME, content: { type: 'string' } },
    },
  },
  edit: {
    description:
      'Edit a text file of the collection {ref}: replace old_string (which must occur exactly once, unless replace_all) with new_string.',
    parameters: {
      type: 'object',
      required: ['filename', 'old_string', 'new_string'],
      properties: {
        filename: FILENAME,
        old_string: { type: 'string', minLength: 1 },
        new_string: { type: 'string' },
        replace_all: { type: 'boolean', default: false },
      },
    },
  },
  delete: {
    description: 'Delete a file of the collection {ref} and all its versions.',
    parameters: { type: 'object', required: ['filename'], properties: { filename: FILENAME } },
  },
};

export function fileLlmTool(tool: FileTool, namespace: string, name: string): LlmTool {
  const spec = SPECS[tool];
  return {
    type: 'function',
    function: {
      name: fileToolName(tool, namespace, name),
      description: spec.description.replace('{ref}', `${namespace}/${name}`),
      parameters: spec.parameters,
    },
  };
}
