/**
 * What a declarative config apply recorded (reference §6): stream `config-<metadata.name>`, one event
 * per apply that wrote anything. An apply that changed nothing records nothing. The events name the
 * resources written and their checksums, never a value (secret values and API keys stay out).
 */
import { streamName } from './stream-names.js';

export interface ConfigChangeRecord {
  readonly action: 'create' | 'update';
  readonly resourceType: string;
  readonly resourceName: string;
  /** SHA-256 of the resource's canonical config fields (write-only values excluded) */
  readonly checksum: string;
}

export type ConfigEvent =
  | {
      readonly type: 'ConfigApplied';
      readonly data: {
        readonly applyId: string;
        readonly configName: string;
        /** SHA-256 of the whole canonical config (write-only values excluded) */
        readonly checksum: string;
        readonly written: readonly ConfigChangeRecord[];
        readonly at: string;
      };
    }
  | {
      /** the apply stopped at `failed`: `written` were written before it, the rest were not */
      readonly type: 'ConfigApplyFailed';
      readonly data: {
        readonly applyId: string;
        readonly configName: string;
        readonly checksum: string;
        readonly written: readonly ConfigChangeRecord[];
        readonly failed: {
          readonly resourceType: string;
          readonly resourceName: string;
          readonly error: string;
        };
        readonly notWritten: readonly { readonly resourceType: string; readonly resourceName: string }[];
        readonly at: string;
      };
    };

export const configStream = (configName: string) => streamName('config', configName);

/** The metadata key a config apply sets on every event it writes: who manages the resource now. */
export const MANAGED_BY = 'managedBy';
export const CONFIG_MANAGER = 'config';
