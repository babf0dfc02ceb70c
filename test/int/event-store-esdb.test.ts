/**
 * The EventStore contract against a real EventStoreDB at EVENTSTORE_URL
 * (e.g. `EVENTSTORE_URL='esdb://localhost:2113?tls=false' npm test -- test/int`).
 * No server is packaged for the development machines, so without the variable every test here
 * is reported SKIPPED, loudly.
 *
 * `$all` on a server is shared by every run: the contract uses a fresh category per test and
 * starts `$all` reads from the head, so old events only cost scan time.
 */
import { EsdbEventStore } from '../../src/events/esdb/esdb-event-store.js';
import { skipLoudly } from '../support/skip.js';
import { eventStoreContract } from './event-store.contract.js';

const url = process.env.EVENTSTORE_URL || undefined;

describe('EventStoreDB adapter', function () {
  before(function () {
    if (!url)
      skipLoudly(this, 'EventStoreDB', 'set EVENTSTORE_URL (esdb://host:2113?tls=false) to run the contract');
  });

  eventStoreContract('esdb', async () => {
    if (!url) throw new Error('EVENTSTORE_URL is not set');
    const store = await EsdbEventStore.connect(url);
    return { store, cleanup: () => store.close() };
  });
});
