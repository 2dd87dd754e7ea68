/** Bolt's Logger interface on top of pino. Bolt and the WebClient log errors and objects (request
 * bodies, axios errors with the Authorization header): an Error goes to pino as `err` (the scrubbing
 * serializer of src/log.ts), other objects are scrubbed before they are stringified. Formats lazily:
 * Bolt logs whole request bodies at debug level, which must cost nothing when debug is off. */
import type { Logger as BoltLogger, LogLevel } from '@slack/bolt';
import { type Logger, scrubValue } from '../log.js';

type Level = 'debug' | 'info' | 'warn' | 'error';

function text(m: unknown): string {
  if (typeof m === 'string') return m;
  if (m instanceof Error) return m.message;
  try {
    return JSON.stringify(scrubValue(m)) ?? String(m);
  } catch {
    return String(m);
  }
}

export function boltLogger(logger: Logger, name = 'bolt'): BoltLogger {
  let log = logger.child({ component: name });
  const at =
    (level: Level) =>
    (...m: unknown[]) => {
      if (!log.isLevelEnabled(level)) return;
      const msg = m.map(text).join(' ');
      const err = m.find((x) => x instanceof Error);
      if (err) log[level]({ err }, msg);
      else log[level](msg);
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    setLevel: () => {},
    getLevel: () => (logger.isLevelEnabled('debug') ? 'debug' : 'info') as LogLevel,
    setName: (n: string) => {
      log = logger.child({ component: n });
    },
  };
}
