// TEST INSTRUMENT (not a stand-in for anything the bot talks to): a validating admission webhook on
// 127.0.0.1 that lets the first `pass` workload restarts in a namespace through and holds the next
// ones until `release()`, so a test can act (e.g. kill a worker) after exactly `pass` restarts of a
// wave, on the real API server. A restart is an UPDATE (a PATCH is admitted as one) of a Deployment
// whose pod template's `kubectl.kubernetes.io/restartedAt` changes — what `kubectl rollout restart`
// and the bot send. failurePolicy Ignore and a 30 s timeout: if the test dies, the cluster goes on.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import { kubeConfig } from './cluster-harness.js';
import { makeCertificate } from './injector-standin.js';

const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

type Obj = {
  metadata?: { name?: string };
  spec?: { template?: { metadata?: { annotations?: Record<string, string> } } };
};
interface Review {
  apiVersion?: string;
  request?: { uid: string; namespace?: string; object?: Obj; oldObject?: Obj };
}

const stampOf = (o: Obj | undefined) => o?.spec?.template?.metadata?.annotations?.[RESTARTED_AT];

export class RestartGate {
  /** Restarts let through, `<namespace>/<name>`, in order. */
  readonly admitted: string[] = [];
  /** Restarts being held, `<namespace>/<name>`. */
  readonly held: string[] = [];
  private readonly waiting: (() => void)[] = [];
  private released = false;
  private server: Server | undefined;
  private readonly admission = kubeConfig().makeApiClient(k8s.AdmissionregistrationV1Api);
  readonly name: string;

  constructor(
    private readonly namespace: string,
    private readonly pass: number,
  ) {
    this.name = `iub-test-restart-gate-${namespace}`;
  }

  async start(certDir: string): Promise<void> {
    const { key, cert } = await makeCertificate(certDir);
    const server = createServer({ key, cert }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Review;
        void this.decide(review).then(() => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              apiVersion: review.apiVersion ?? 'admission.k8s.io/v1',
              kind: 'AdmissionReview',
              response: { uid: review.request?.uid, allowed: true },
            }),
          );
        });
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as AddressInfo).port;
    await this.admission.createValidatingWebhookConfiguration({
      body: {
        metadata: { name: this.name },
        webhooks: [
          {
            name: 'restart-gate.iub.test',
            clientConfig: {
              url: `https://127.0.0.1:${port}/`,
              caBundle: Buffer.from(cert).toString('base64'),
            },
            rules: [
              {
                apiGroups: ['apps'],
                apiVersions: ['v1'],
                operations: ['UPDATE'],
                resources: ['deployments'],
              },
            ],
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': this.namespace } },
            failurePolicy: 'Ignore',
            sideEffects: 'None',
            admissionReviewVersions: ['v1'],
            timeoutSeconds: 30,
          },
        ],
      },
    });
  }

  private async decide(review: Review): Promise<void> {
    const r = review.request;
    const now = stampOf(r?.object);
    if (!r || now === undefined || now === stampOf(r.oldObject)) return; // not a restart
    const id = `${r.namespace}/${r.object?.metadata?.name}`;
    if (this.released || this.admitted.length < this.pass) {
      this.admitted.push(id);
      return;
    }
    this.held.push(id);
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** Lets every held and later restart through. */
  release(): void {
    this.released = true;
    for (const w of this.waiting.splice(0)) w();
  }

  async stop(): Promise<void> {
    this.release();
    await this.admission.deleteValidatingWebhookConfiguration({ name: this.name }).catch(() => undefined);
    const s = this.server;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
