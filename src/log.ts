import { type DestinationStream, type Logger, pino, stdSerializers, stdTimeFunctions } from 'pino';

/** Object paths that may hold a secret, wherever they appear one or two levels down. */
const SECRET_KEYS = [
  'token',
  'botToken',
  'appToken',
  'signingSecret',
  'clientSecret',
  'password',
  'authorization',
  'Authorization',
  'SLACK_BOT_TOKEN',
  'SLACK_APP_TOKEN',
  'SLACK_SIGNING_SECRET',
  'REDIS_URL',
];
export const REDACT_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  ...SECRET_KEYS.map((k) => `*.*.${k}`),
  'headers["x-slack-signature"]',
  '*.headers["x-slack-signature"]',
];

/** Slack tokens, bearer tokens and credentials in URLs, in free text (redact paths do not reach inside strings). */
const SECRET_PATTERNS: [RegExp, string][] = [
  [/\bx(?:ox[abposr]|app)-[A-Za-z0-9-]{6,}/g, '[Redacted]'],
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s:/@]*:[^\s@/]+@/gi, '$1[Redacted]@'],
  [/(\bBearer\s+)[A-Za-z0-9._~+/=-]{8,}/g, '$1[Redacted]'],
];

export function scrubSecrets(text: string): string {
  return SECRET_PATTERNS.reduce((out, [re, by]) => out.replace(re, by), text);
}

function scrubError(e: unknown): unknown {
  if (!(e instanceof Error)) return e;
  const ser = stdSerializers.err(e) as unknown as Record<string, unknown>;
  for (const k of ['message', 'stack', 'shortMessage', 'command', 'escapedCommand', 'stderr', 'stdout']) {
    if (typeof ser[k] === 'string') ser[k] = scrubSecrets(ser[k] as string);
  }
  return ser;
}

export function createLogger(opts: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { app: 'istio-upgrade-bot' },
      redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
      serializers: { err: scrubError, error: scrubError },
      hooks: {
        logMethod(args, method) {
          const clean = args.map((a) => (typeof a === 'string' ? scrubSecrets(a) : a)) as typeof args;
          method.apply(this, clean);
        },
      },
      timestamp: stdTimeFunctions.isoTime,
    },
    opts.destination,
  );
}

/** Correlation fields every line about one upgrade carries. */
export interface Correlation {
  upgradeId?: string;
  user?: string;
  cluster?: string;
  channel?: string;
}

export function forUpgrade(logger: Logger, c: Correlation): Logger {
  return logger.child(Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)));
}

export type { Logger };
