/**
 * The one place that turns a stream revision into the version people see, and back. Every read
 * model, response, `?version=N` and `/versions` of a kind goes through these two.
 */
export function versionOf(revision: bigint | number | string): number {
  return Number(revision);
}

/** the stream revision that holds version `version` */
export function revisionOfVersion(version: number): bigint {
  return BigInt(version);
}
