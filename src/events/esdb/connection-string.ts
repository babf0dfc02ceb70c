/**
 * KurrentDB (EventStoreDB's new name) spells its connection strings `kurrentdb://` and
 * `kurrentdb+discover://`; this client (v6) only parses `esdb://` and `esdb+discover://`.
 * The rest of the string is the same format, so only the scheme is rewritten.
 */
export function toEsdbConnectionString(url: string): string {
  return url.replace(
    /^kurrent(?:db)?(\+discover)?:\/\//i,
    (_, discover: string | undefined) => `esdb${discover ?? ''}://`,
  );
}
