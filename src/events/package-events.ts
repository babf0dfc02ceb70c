/**
 * What happened to an installed package (reference §5.13 packages): stream `package-<name>`. An
 * install (or an upgrade to another version) records the package's metadata and the resources it
 * manages now (`managed_by: pkg:<name>`); an uninstall records what it removed. The events name
 * resources, never a value.
 */
import { streamName } from './stream-names.js';

/** One resource a package manages: its config section, change-list type and natural key. */
export interface PackageResource {
  readonly section: string;
  readonly resourceType: string;
  readonly resourceName: string;
}

export interface PackageMetadata {
  readonly name: string;
  readonly version: string;
  readonly description?: string;
  readonly author?: string;
  readonly url?: string;
}

export type PackageEvent =
  | {
      readonly type: 'PackageInstalled';
      readonly data: PackageMetadata & {
        readonly resources: readonly PackageResource[];
        /** resources an earlier version managed that this one dropped, now deleted */
        readonly removed: readonly PackageResource[];
        readonly by: string;
        readonly at: string;
      };
    }
  | {
      readonly type: 'PackageUninstalled';
      readonly data: {
        readonly name: string;
        readonly removed: readonly PackageResource[];
        readonly by: string;
        readonly at: string;
      };
    };

export const PACKAGE_CATEGORY = 'package';
export const packageStream = (name: string) => streamName(PACKAGE_CATEGORY, name);
/** the `managed_by` of every resource package `name` installs */
export const packageManager = (name: string) => `pkg:${name}`;
