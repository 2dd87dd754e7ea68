// STAND-IN for istiod's injection (and validation) webhook server, for the e2e cluster only.
// KWOK pods are fake, so no istiod answers the webhooks `istioctl install` and `istioctl tag set`
// create (failurePolicy Fail: pod creation in an injection-labelled namespace would fail).
// This serves HTTPS on 127.0.0.1 with a self-signed certificate and keeps every Istio webhook
// configuration pointed at itself (clientConfig.url + caBundle), as istiod keeps its caBundle
// patched. Injection: see injector-standin-mutate.ts. Validation: always allowed (stand-in).
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import {
  injectionPatch,
  injectionSkipReason,
  nativeSidecarAuto,
  type PodLike,
  parseInjectorValues,
  proxyImageFor,
} from './injector-standin-mutate.js';

const execFileP = promisify(execFile);
const ISTIO_NS = 'istio-system';
const INJECTOR_NAME = /^(istio-sidecar-injector(-.+)?|istio-revision-tag-.+)$/;
const VALIDATOR_NAME = /^(istio-validator(-.+)?|istiod-default-validator)$/;

export interface InjectorStandinOptions {
  kubeconfigPath: string;
  /** Where the key and certificate are written (created if missing). */
  certDir: string;
  port?: number;
  reconcileIntervalMs?: number;
  log?: (msg: string) => void;
}

interface AdmissionReview {
  apiVersion?: string;
  request?: { uid: string; namespace?: string; object?: PodLike; kind?: { kind?: string } };
}

/** Self-signed certificate for IP 127.0.0.1 (its own CA), made with openssl. */
export async function makeCertificate(dir: string): Promise<{ key: string; cert: string }> {
  await mkdir(dir, { recursive: true });
  const keyPath = join(dir, 'injector-standin.key');
  const certPath = join(dir, 'injector-standin.crt');
  const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath];
  args.push('-days', '7', '-subj', '/CN=istio-injector-standin', '-addext', 'subjectAltName=IP:127.0.0.1');
  await execFileP('openssl', args, { timeout: 30_000 });
  return { key: await readFile(keyPath, 'utf8'), cert: await readFile(certPath, 'utf8') };
}

export class InjectorStandin {
  private server: Server | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly core: k8s.CoreV1Api;
  private readonly admission: k8s.AdmissionregistrationV1Api;
  private caBundle = '';
  private baseUrl = '';
  private readonly log: (msg: string) => void;
  injected = 0;

  constructor(private readonly opts: InjectorStandinOptions) {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(opts.kubeconfigPath);
    this.core = kc.makeApiClient(k8s.CoreV1Api);
    this.admission = kc.makeApiClient(k8s.AdmissionregistrationV1Api);
    this.log = opts.log ?? (() => {});
  }

  /** Starts the HTTPS server and the webhook reconcile loop; returns the bound port. */
  async start(): Promise<number> {
    const { key, cert } = await makeCertificate(this.opts.certDir);
    this.caBundle = Buffer.from(cert).toString('base64');
    const server = createServer({ key, cert }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.handle(req.url ?? '/', Buffer.concat(chunks).toString('utf8'))
          .then((body) => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify(body));
          })
          .catch((err: unknown) => {
            this.log(`webhook error on ${req.url}: ${String(err)}`);
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(`injector stand-in: ${String(err)}`);
          });
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port ?? 0, '127.0.0.1', () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    this.baseUrl = `https://127.0.0.1:${port}`;
    await this.reconcileOnce().catch((e: unknown) => this.log(`reconcile: ${String(e)}`));
    const tick = (): void => {
      this.timer = setTimeout(() => {
        this.reconcileOnce()
          .catch((e: unknown) => this.log(`reconcile: ${String(e)}`))
          .finally(tick);
      }, this.opts.reconcileIntervalMs ?? 500);
    };
    tick();
    return port;
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    const s = this.server;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Points every Istio injector/validator webhook at this server. Returns how many were patched. */
  async reconcileOnce(): Promise<number> {
    let patched = 0;
    const mwcs = await this.admission.listMutatingWebhookConfiguration();
    for (const cfg of mwcs.items) {
      const name = cfg.metadata?.name ?? '';
      if (!INJECTOR_NAME.test(name)) continue;
      const rev = cfg.metadata?.labels?.['istio.io/rev'] || 'default';
      const ops = this.clientConfigOps(cfg.webhooks ?? [], `/inject/rev/${encodeURIComponent(rev)}`);
      if (ops.length === 0) continue;
      await this.admission.patchMutatingWebhookConfiguration(
        { name, body: ops },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
      );
      this.log(`pointed MutatingWebhookConfiguration ${name} (revision ${rev}) at ${this.baseUrl}`);
      patched++;
    }
    const vwcs = await this.admission.listValidatingWebhookConfiguration();
    for (const cfg of vwcs.items) {
      const name = cfg.metadata?.name ?? '';
      if (!VALIDATOR_NAME.test(name)) continue;
      const ops = this.clientConfigOps(cfg.webhooks ?? [], '/validate');
      if (ops.length === 0) continue;
      await this.admission.patchValidatingWebhookConfiguration(
        { name, body: ops },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
      );
      this.log(`pointed ValidatingWebhookConfiguration ${name} at ${this.baseUrl}`);
      patched++;
    }
    return patched;
  }

  private clientConfigOps(
    webhooks: { clientConfig: k8s.AdmissionregistrationV1WebhookClientConfig }[],
    path: string,
  ) {
    const url = `${this.baseUrl}${path}`;
    const ops: { op: 'replace'; path: string; value: unknown }[] = [];
    webhooks.forEach((w, i) => {
      const cc = w.clientConfig;
      if (cc.url === url && cc.service === undefined && cc.caBundle === this.caBundle) return;
      ops.push({
        op: 'replace',
        path: `/webhooks/${i}/clientConfig`,
        value: { url, caBundle: this.caBundle },
      });
    });
    return ops;
  }

  private async handle(url: string, body: string): Promise<unknown> {
    const review = JSON.parse(body) as AdmissionReview;
    const req = review.request;
    if (!req) throw new Error('AdmissionReview without request');
    const base = { apiVersion: review.apiVersion ?? 'admission.k8s.io/v1', kind: 'AdmissionReview' };
    if (url.startsWith('/validate')) return { ...base, response: { uid: req.uid, allowed: true } };
    const m = /^\/inject\/rev\/([^/?]+)/.exec(url);
    if (!m) throw new Error(`unknown path ${url}`);
    const revision = decodeURIComponent(m[1]!);
    const pod = req.object ?? {};
    const namespace = req.namespace ?? pod.metadata?.namespace ?? 'default';
    const skip = injectionSkipReason(pod, namespace);
    if (skip) return { ...base, response: { uid: req.uid, allowed: true } };
    const patch = await this.patchFor(pod, revision);
    this.injected++;
    this.log(
      `injected ${namespace}/${pod.metadata?.name ?? pod.metadata?.generateName ?? '?'} rev=${revision}`,
    );
    return {
      ...base,
      response: {
        uid: req.uid,
        allowed: true,
        patchType: 'JSONPatch',
        patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
      },
    };
  }

  private async patchFor(pod: PodLike, revision: string) {
    const cmName = revision === 'default' ? 'istio-sidecar-injector' : `istio-sidecar-injector-${revision}`;
    // The injector ConfigMap is what istiod renders from; if the revision is gone, so is istiod:
    // answer 500 so the API server applies the webhook's failurePolicy, as it would then.
    const cm = await this.core.readNamespacedConfigMap({ name: cmName, namespace: ISTIO_NS });
    const valuesJson = cm.data?.values;
    if (!valuesJson) throw new Error(`ConfigMap ${ISTIO_NS}/${cmName} has no values`);
    const values = parseInjectorValues(valuesJson);
    const override = pod.metadata?.annotations?.['sidecar.istio.io/proxyImage'];
    const image = override ?? proxyImageFor(values);
    const minor = Number(/^\d+\.(\d+)/.exec(values.tag)?.[1] ?? '0');
    const nodes = await this.core.listNode();
    const nodeName = pod.spec?.nodeName;
    const relevant = nodes.items.filter((n) => !nodeName || n.metadata?.name === nodeName);
    const native = nativeSidecarAuto(
      minor,
      relevant.map((n) => n.status?.nodeInfo?.kubeletVersion ?? ''),
    );
    const nativeAnn = pod.metadata?.annotations?.['sidecar.istio.io/nativeSidecar'];
    return injectionPatch(pod, {
      revision,
      image,
      native: nativeAnn === 'true' ? true : nativeAnn === 'false' ? false : native,
    });
  }
}
