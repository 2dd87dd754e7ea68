/**
 * A worker process for the crash scenario (test glue): `node --import tsx test/support/e2e-worker-entry.ts`
 * with IUB_PREFIX, IUB_KUBECONFIG, IUB_CONTEXT, IUB_SLACK_API_URL, IUB_SLACK_TOKEN (IUB_CONCURRENCY:
 * API requests at once per wave). The REAL cluster registry and engine, as src/main.ts builds them
 * for ROLE=worker. IUB_WAIT_FOR_GO: load everything,
 * print `loaded`, start only when `go` arrives on stdin. Prints `ready` when the worker runs.
 */
import { closeOnSignals } from '../../src/engine/index.js';
import { buildE2EBot } from './e2e-bot.js';
import { silentLogger } from './engine-harness.js';

const need = (k: string): string => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is required`);
  return v;
};
const bot = buildE2EBot({
  prefix: need('IUB_PREFIX'),
  kubeconfig: need('IUB_KUBECONFIG'),
  context: need('IUB_CONTEXT'),
  slackApiUrl: need('IUB_SLACK_API_URL'),
  slackToken: need('IUB_SLACK_TOKEN'),
  ...(process.env.IUB_CONCURRENCY ? { concurrency: Number(process.env.IUB_CONCURRENCY) } : {}),
});
if (process.env.IUB_WAIT_FOR_GO) {
  process.stdout.write('loaded\n');
  await new Promise<void>((resolve) => {
    process.stdin.on('data', (b: Buffer) => {
      if (b.toString().includes('go')) resolve();
    });
  });
}
await bot.engine.startWorker();
closeOnSignals(() => bot.close(), silentLogger());
process.stdout.write('ready\n');
