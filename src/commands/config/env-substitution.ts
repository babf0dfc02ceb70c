/**
 * `${NAME}` substitution in write-only values (secret values, provider API keys), from the API
 * process's environment at apply time. A missing variable is an error naming it; `$${` is a literal `${`.
 */
const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export interface Substituted {
  readonly value: string;
  /** the variables named but not set */
  readonly missing: readonly string[];
  /** whether the value named any variable (a literal secret in a config file earns a warning) */
  readonly referenced: boolean;
}

export function substituteEnv(text: string, env: Readonly<Record<string, string | undefined>>): Substituted {
  const missing: string[] = [];
  let referenced = false;
  const value = text.replace(REFERENCE, (whole, name: string | undefined) => {
    if (name === undefined) return '${';
    referenced = true;
    const v = env[name];
    if (v === undefined) {
      missing.push(name);
      return whole;
    }
    return v;
  });
  return { value, missing, referenced };
}
