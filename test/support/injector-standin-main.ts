// Daemon entry of the istiod STAND-INs: the injection webhook (injector-standin.ts) and the gateway
// deployment controller (gateway-controller-standin.ts); started by test/cluster/up.sh and stopped
// by test/cluster/down.sh.
// Usage: node --import tsx test/support/injector-standin-main.ts --kubeconfig <file> --state-dir <dir>
// Writes <state-dir>/injector-standin.port once serving.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GatewayControllerStandin } from './gateway-controller-standin.js';
import { InjectorStandin } from './injector-standin.js';

const { values } = parseArgs({
  options: {
    kubeconfig: { type: 'string' },
    'state-dir': { type: 'string' },
    port: { type: 'string' },
  },
});
if (!values.kubeconfig || !values['state-dir']) {
  console.error('usage: injector-standin-main.ts --kubeconfig <file> --state-dir <dir> [--port N]');
  process.exit(2);
}
const stateDir = values['state-dir'];
const log = (msg: string): void => console.log(`${new Date().toISOString()} injector-standin: ${msg}`);
const standin = new InjectorStandin({
  kubeconfigPath: values.kubeconfig,
  certDir: join(stateDir, 'injector-standin'),
  port: values.port ? Number(values.port) : 0,
  log,
});
const port = await standin.start();
const gateways = new GatewayControllerStandin({ kubeconfigPath: values.kubeconfig, log });
gateways.start();
await writeFile(join(stateDir, 'injector-standin.port'), `${port}\n`);
log(`serving https://127.0.0.1:${port} (pid ${process.pid})`);
const stop = (): void => {
  log('stopping');
  gateways.stop();
  standin.stop().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
