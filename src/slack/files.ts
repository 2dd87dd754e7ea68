/**
 * Shares a file into an upgrade's thread with `files.uploadV2` (the `files:write` scope), once: the
 * file's id is kept in the notifier's store under a key, so the notifier and `/istio status` upload
 * each whole list or diff at most once and point at the same file.
 */
import type { webApi } from '@slack/bolt';
import type { UpgradeRecord } from '../domain/upgrade/record.js';
import type { ThreadFile } from './blocks/files.js';
import type { NotifierStore } from './store.js';

export const fileKey = {
  plan: 'file:plan',
  namespaces: (wave: number) => `file:ns:w${wave}`,
  diff: (wave: number) => `file:diff:w${wave}`,
  /** The chart of one analysis (its event key: each run of the analysis has its own). */
  chart: (eventKey: string) => `file:chart:${eventKey}`,
};

/** Shares `f` into the thread unless it is there already (by `key`); returns the file's name. */
export async function shareOnce(
  client: webApi.WebClient,
  store: NotifierStore,
  r: UpgradeRecord,
  thread: string,
  key: string,
  f: ThreadFile,
): Promise<string> {
  if (await store.getTs(r.id, key)) return f.name;
  const res = await client.filesUploadV2({
    channel_id: r.channel,
    thread_ts: thread,
    filename: f.name,
    title: f.title,
    ...(typeof f.content === 'string' ? { content: f.content } : { file: f.content }),
    initial_comment: f.comment,
  });
  const id = (res as { files?: { files?: { id?: string }[] }[] }).files?.[0]?.files?.[0]?.id;
  await store.setTs(r.id, key, id ?? f.name);
  return f.name;
}
