import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, forUpgrade, scrubSecrets, scrubValue } from '../src/log.js';

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
    expect(JSON.parse(lines[4]!).err.message).toBe('istioctl failed: Authorization: [Redacted]');
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

describe('error serializer', () => {
  const PASSWORD = 'redis-pa55word-never-logged';
  const COOKIE = 'session=cookie-value-never-logged';

  /** The shape of a WebClient request error: axios error in `original`, its config and raw request. */
  function webApiError(): Error {
    const original = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
      config: {
        url: 'https://slack.com/api/chat.postMessage',
        headers: { Authorization: `Bearer ${BOT}`, 'User-Agent': 'x', Cookie: COOKIE },
        data: `token=${BOT}&channel=C1`,
      },
      request: Object.assign(new Writable(), {
        _header: `POST /api/chat.postMessage HTTP/1.1\r\nAuthorization: Bearer ${BOT}\r\n`,
      }),
      response: {
        status: 503,
        headers: { 'set-cookie': [COOKIE] },
        request: { _header: `Authorization: Bearer ${BOT}` },
      },
    });
    return Object.assign(new Error('A request error occurred: connect ECONNREFUSED'), {
      code: 'slack_webapi_request_error',
      original,
    });
  }

  it('scrubs at any depth: headers, raw requests, cookies, credentials in URLs and text', () => {
    const { lines, logger } = capture();
    logger.error({ err: webApiError() }, 'Slack failed');
    logger.warn(
      { deep: { a: { b: { c: { d: { headers: { authorization: `Bearer ${BOT}` } } } } } } },
      'deep',
    );
    logger.error({ err: new Error('outer', { cause: new Error(`inner redis://u:${PASSWORD}@h:6379`) }) });
    logger.error(webApiError());
    const out = lines.join('');
    for (const s of [BOT, PASSWORD, COOKIE, 'cookie-value-never-logged']) expect(out).not.toContain(s);
    const first = JSON.parse(lines[0]!);
    expect(first.err.original.config.headers.Authorization).toBe('[Redacted]');
    expect(first.err.original.config.url).toBe('https://slack.com/api/chat.postMessage');
    expect(first.err.original.request).toBe('[Writable]');
    expect(first.err.original.code).toBe('ECONNREFUSED');
    expect(JSON.parse(lines[2]!).err.cause.message).toBe('inner redis://[Redacted]@h:6379');
  });

  it('scrubs the arguments of Redis AUTH and HELLO commands', () => {
    const { lines, logger } = capture();
    const refused = (name: string, args: string[]) =>
      Object.assign(new Error('WRONGPASS invalid username-password pair'), { command: { name, args } });
    logger.warn({ err: refused('auth', ['default', PASSWORD]) }, 'Redis connection error');
    logger.warn({ err: refused('hello', ['3', 'AUTH', 'default', PASSWORD]) }, 'Redis connection error');
    logger.warn({ err: refused('get', ['iub:up:up-1234']) }, 'other command');
    const out = lines.join('');
    expect(out).not.toContain(PASSWORD);
    expect(JSON.parse(lines[0]!).err.command).toEqual({ name: 'auth', args: '[Redacted]' });
    expect(JSON.parse(lines[2]!).err.command.args).toEqual(['iub:up:up-1234']);
  });

  it('scrubs child bindings, circular values and message arguments', () => {
    const { lines, logger } = capture();
    const loop: Record<string, unknown> = { password: PASSWORD };
    loop.self = loop;
    logger.child({ config: { SLACK_BOT_TOKEN: BOT } }).info({ loop }, 'with %s', `xapp-1-A1-${APP}`);
    const out = lines.join('');
    for (const s of [BOT, APP, PASSWORD]) expect(out).not.toContain(s);
    expect(JSON.parse(lines[0]!).loop.self).toBe('[Circular]');
  });

  it('finds Slack, bearer and JWT tokens and query-string secrets in free text', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJlLXBhcnQ';
    const text = `a=xoxp-1-2-3-abcdef b=xoxa-2-abcdefg c=xoxr-abcdefgh ${jwt} https://h/x?token=abc123&x=1 Bearer abcdefghij`;
    const out = scrubSecrets(text);
    for (const s of ['xoxp-1', 'xoxa-2', 'xoxr-abc', jwt, 'abc123', 'abcdefghij'])
      expect(out).not.toContain(s);
    expect(out).toContain('x=1');
  });

  it('keeps values that are not secrets', () => {
    expect(scrubValue({ upgradeId: 'up-7k3q', n: 3, list: ['a'], at: 'now' })).toEqual({
      upgradeId: 'up-7k3q',
      n: 3,
      list: ['a'],
      at: 'now',
    });
  });
});
