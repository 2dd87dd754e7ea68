/** Bolt's Logger interface on top of pino (secrets are scrubbed by src/log.ts). Formats lazily: Bolt
 * logs whole request bodies at debug level, which must cost nothing when debug is off. */
import type { Logger as BoltLogger, LogLevel } from '@slack/bolt';
import type { Logger } from '../log.js';

type Level = 'debug' | 'info' | 'warn' | 'error';
const fmt = (msg: unknown[]): string =>
  msg.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join(' ');

export function boltLogger(logger: Logger, name = 'bolt'): BoltLogger {
  let log = logger.child({ component: name });
  const at =
    (level: Level) =>
    (...m: unknown[]) => {
      if (log.isLevelEnabled(level)) log[level](fmt(m));
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
