/**
 * Repeated connection errors (Redis refusing a password, a server down) are logged once, then at most
 * once per `everyMs` with how many were not logged in between: the cause stays visible, the log is
 * not flooded (ioredis and BullMQ report every reconnect attempt, several a second).
 */
export function throttled(
  log: (fields: { err: Error; repeated?: number }, msg: string) => void,
  msg: string,
  everyMs = 30_000,
  now: () => number = Date.now,
): (e: Error) => void {
  let last = Number.NEGATIVE_INFINITY;
  let quiet = 0;
  let lastMessage = '';
  return (e) => {
    const t = now();
    // a different error is news: log it at once
    if (t - last < everyMs && e.message === lastMessage) {
      quiet++;
      return;
    }
    log(quiet > 0 ? { err: e, repeated: quiet } : { err: e }, msg);
    last = t;
    quiet = 0;
    lastMessage = e.message;
  };
}
