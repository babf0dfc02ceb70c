/**
 * Jinja2 templates (agent system prompts, initial messages) rendered with nunjucks, configured as
 * the original platform configures Jinja2: autoescape on, trim_blocks and lstrip_blocks on, and
 * undefined variables are errors (StrictUndefined). What differs from Jinja2 is listed in the README.
 */
import nunjucks from 'nunjucks';

// Python-style methods and slices that Jinja2 templates use: {{ name.upper() }}, {% for k, v in d.items() %}, xs[1:3]
nunjucks.installJinjaCompat();

const env = new nunjucks.Environment(null, {
  autoescape: true,
  trimBlocks: true,
  lstripBlocks: true,
  throwOnUndefined: true,
});

/** Renders `template` with `vars`; throws on a syntax error or an undefined variable. */
export function renderTemplate(template: string, vars: Readonly<Record<string, unknown>>): string {
  return env.renderString(template, { ...vars });
}

/** Renders, or returns the raw text when rendering fails (the original platform's behaviour). */
export function renderOrRaw(
  template: string,
  vars: Readonly<Record<string, unknown>>,
  onError: (err: unknown) => void = () => {},
): string {
  try {
    return renderTemplate(template, vars);
  } catch (err) {
    onError(err);
    return template;
  }
}
