// ESLint flat config: typescript-eslint's recommended rules over src, test and bench, and the one
// direction imports run between the layers of src (see layerRules below).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Imports run one way (DESIGN §5): http → command services and read queries; commands → events;
 * projections → events; runtime reacts to events. A restriction per folder, as regexes over the
 * import specifier (relative paths differ by depth, so a folder is matched by name).
 *
 * src/http may name event shapes as types (`import type { ChatEvent }`): it renders durable events
 * as SSE frames under their own names (DESIGN §8), and a type carries no behaviour. It may not
 * import any value from src/events (stream names, upcasters, codecs, event builders), nor the
 * EventStore port even as a type: whatever reads or appends events is a service it is handed.
 */
const layer = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
const HTTP_EVENTS = {
  regex: '(^|/)events/',
  allowTypeImports: true,
  message: 'src/http reads and writes events only through command services and read queries',
};
const HTTP_EVENT_STORE = {
  regex: '(^|/)events/(event-store|esdb/|postgres/)',
  importNames: ['EventStore'],
  message: 'src/http never holds the EventStore: a command service or read query does',
};
const HTTP_PROJECTIONS = {
  regex: '(^|/)projections/(?!(.+-queries|waiter)\\.js$)',
  message: 'src/http reads projections only through their *-queries.ts modules (and waits with waiter.ts)',
};
const COMMANDS_DOWN = {
  regex: '(^|/)(runtime|projections)/',
  message: 'src/commands never imports src/runtime or src/projections: define a port in commands instead',
};
const PROJECTIONS_DOWN = {
  regex: '(^|/)runtime/',
  message: 'src/projections have no side effects: they never import src/runtime',
};
export const layerRules = [
  { files: ['src/http/**/*.ts'], rules: layer(HTTP_EVENTS, HTTP_EVENT_STORE, HTTP_PROJECTIONS) },
  { files: ['src/commands/**/*.ts'], rules: layer(COMMANDS_DOWN) },
  { files: ['src/projections/**/*.ts'], rules: layer(PROJECTIONS_DOWN) },
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    // the console's browser script (src/http/console/): served as is, so plain browser JavaScript
    files: ['src/http/console/**/*.js'],
    languageOptions: {
      globals: {
        document: 'readonly',
        location: 'readonly',
        history: 'readonly',
        fetch: 'readonly',
        URLSearchParams: 'readonly',
        Node: 'readonly',
      },
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  ...layerRules,
);
