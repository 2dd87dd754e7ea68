/** Where the notifier's messages are: an upgrade's thread and each message ts it stored (read by the
 * notifier, the commands and the actions). */
import type { UpgradeRecord } from '../domain/upgrade/record.js';
import type { NotifierStore } from './store.js';

/** The thread of an upgrade (its parent message ts), if it was posted. */
export async function threadOf(r: UpgradeRecord, store: NotifierStore): Promise<string | undefined> {
  return r.threadTs ?? tsOf(r, 'parent', store);
}

/** A message ts the notifier stored: in the record when the engine keeps it, else in the store. */
export async function tsOf(r: UpgradeRecord, key: string, store: NotifierStore): Promise<string | undefined> {
  return r.messages?.[key] ?? (await store.getTs(r.id, key));
}
