import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, forUpgrade, scrubSecrets } from '../src/log.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, logger: createLogger({ destination, level: 'debug' }) };
}

const BOT = 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx';
const APP = 'xapp-1-A0123456789-1234567890123-0123456789abcdef';
const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';

describe('logger', () => {
  it('never writes a token or signing secret, whether in fields, nested objects, messages or errors', () => {
    const { lines, logger } = capture();
    logger.info({ token: BOT }, 'field');
    logger.info(
      { config: { SLACK_BOT_TOKEN: BOT, SLACK_APP_TOKEN: APP, SLACK_SIGNING_SECRET: SECRET } },
      'config',
    );
    logger.info(
      { req: { headers: { authorization: `Bearer ${BOT}`, 'x-slack-signature': 'v0=abc' } } },
      'req',
    );
    logger.warn(`calling with ${BOT} and redis://:hunter2@redis:6379`);
    logger.error({ err: new Error(`istioctl failed: Authorization: Bearer ${BOT}`) }, 'boom');
    const out = lines.join('');
    expect(lines).toHaveLength(5);
    for (const s of [BOT, APP, SECRET, 'hunter2', 'v0=abc']) expect(out).not.toContain(s);
    expect(out).toContain('[Redacted]');
    expect(JSON.parse(lines[4]!).err.message).toBe('istioctl failed: Authorization: Bearer [Redacted]');
  });

  it('child loggers carry the correlation fields', () => {
    const { lines, logger } = capture();
    forUpgrade(logger, { upgradeId: 'up-7k3q', user: 'U1', cluster: 'prod', channel: undefined }).info(
      'step',
    );
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({ upgradeId: 'up-7k3q', user: 'U1', cluster: 'prod', msg: 'step' });
    expect(line).not.toHaveProperty('channel');
  });

  it('scrubs tokens in free text', () => {
    expect(scrubSecrets(`t=${BOT} a=${APP}`)).toBe('t=[Redacted] a=[Redacted]');
    expect(scrubSecrets('https://user:pass@host/x')).toBe('https://[Redacted]@host/x');
  });
});
