// Chart RBAC, call path 4: Gateway API gateways as the chart's ServiceAccount — without the Gateway
// API CRDs there are none (RBAC lets the list through to the 404); with the REAL CRDs (module cache)
// a Gateway of class istio labelled with the old revision is listed, verified where istiod (the
// gateway controller stand-in) rendered it, relabelled with the new revision and verified rolled
// there. get/list/watch/patch allowed, create/delete not. A custom GatewayClass with istiod's
// controller name (GatewayClasses: get/list only): its Gateway listed, moved and verified the same way;
// one of another controller's class not listed. Run in order by test/helm/rbac.test.ts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { kubectlPath, run } from '../support/cluster-harness.js';
import { installGatewayApiCrds, removeGatewayApiCrds } from '../support/gateway-api-crds.js';
import { kubectl, mayI, type RbacRun } from './rbac-context.js';

const GATEWAYS = 'gateways.gateway.networking.k8s.io';
const CLASSES = 'gatewayclasses.gateway.networking.k8s.io';

export async function gatewayApi(r: RbacRun): Promise<void> {
  const port = r.a.gatewayApi;
  if (!port) throw new Error('the cluster adapters have no Gateway API port');
  const ns = r.OTHER;
  const gw = { namespace: ns, name: `gw-${r.S}` };
  // by group and resource (a SelfSubjectAccessReview: `kubectl auth can-i` needs the CRD to map it)
  const may = async (verb: string) =>
    `${verb} ${GATEWAYS}: ${await mayI(r.tokenConfig, verb, 'gateway.networking.k8s.io', 'gateways', ns)}`;
  for (const verb of ['get', 'list', 'watch', 'patch'])
    expect(await may(verb)).toBe(`${verb} ${GATEWAYS}: true`);
  for (const verb of ['create', 'delete', 'update'])
    expect(await may(verb)).toBe(`${verb} ${GATEWAYS}: false`);
  // GatewayClasses (cluster-scoped): read only, to know which classes are istiod's
  const mayClass = async (verb: string) =>
    `${verb} ${CLASSES}: ${await mayI(r.tokenConfig, verb, 'gateway.networking.k8s.io', 'gatewayclasses')}`;
  for (const verb of ['get', 'list']) expect(await mayClass(verb)).toBe(`${verb} ${CLASSES}: true`);
  for (const verb of ['create', 'patch', 'delete'])
    expect(await mayClass(verb)).toBe(`${verb} ${CLASSES}: false`);

  const custom = `iub-edge-${r.S}`;
  const foreign = `iub-other-${r.S}`;
  const customGw = { namespace: ns, name: `gw-edge-${r.S}` };
  const foreignGw = `gw-other-${r.S}`;
  const gatewayClass = (name: string, controller: string) => [
    'apiVersion: gateway.networking.k8s.io/v1',
    'kind: GatewayClass',
    `metadata: { name: ${name} }`,
    `spec: { controllerName: ${controller} }`,
  ];
  const gateway = (name: string, cls: string) => [
    'apiVersion: gateway.networking.k8s.io/v1',
    'kind: Gateway',
    `metadata: { name: ${name}, namespace: ${ns}, labels: { istio.io/rev: ${r.R_OLD} } }`,
    'spec:',
    `  gatewayClassName: ${cls}`,
    '  listeners: [{ name: http, port: 80, protocol: HTTP }]',
  ];
  const crdBefore = (await run(kubectlPath(), ['get', 'crd', GATEWAYS])).exitCode === 0;
  if (!crdBefore) expect(await port.list()).toEqual([]);
  const version = await installGatewayApiCrds();
  console.log(`[rbac] Gateway API CRDs ${version} installed`);
  try {
    const file = join(r.dir, 'gateway.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: gateway.networking.k8s.io/v1',
        'kind: Gateway',
        `metadata: { name: ${gw.name}, namespace: ${ns}, labels: { istio.io/rev: ${r.R_OLD} } }`,
        'spec:',
        '  gatewayClassName: istio',
        '  listeners: [{ name: http, port: 80, protocol: HTTP }]',
      ].join('\n'),
    );
    await kubectl(['apply', '-f', file]);
    // rendered by the old revision's istiod (stand-in), rolled out, its pods on it
    await port.verify([gw], r.R_OLD, { timeoutMs: 120_000 });
    expect((await port.list()).find((g) => g.name === gw.name)).toEqual({
      ...gw,
      revLabel: r.R_OLD,
      namespaceRev: null,
      managed: true,
      deployment: `${gw.name}-istio`,
      renderedBy: r.R_OLD,
    });
    expect(await port.setRevLabel(gw, r.R_NEW)).toBe(true);
    await port.verify([gw], r.R_NEW, { timeoutMs: 120_000 });
    expect((await port.list()).find((g) => g.name === gw.name)).toMatchObject({
      revLabel: r.R_NEW,
      renderedBy: r.R_NEW,
    });
    // one that is gone: nothing to label
    expect(await port.setRevLabel({ namespace: ns, name: 'no-such-gateway' }, r.R_NEW)).toBe(false);

    // a custom GatewayClass with istiod's controller name: its Gateway is listed (Deployment
    // <name>-<class>), rendered by the revision it names, moved and verified like class istio; one of
    // another controller's class is not istiod's to move
    writeFileSync(
      file,
      [
        ...gatewayClass(custom, 'istio.io/gateway-controller'),
        '---',
        ...gatewayClass(foreign, 'example.com/other-controller'),
        '---',
        ...gateway(customGw.name, custom),
        '---',
        ...gateway(foreignGw, foreign),
      ].join('\n'),
    );
    await kubectl(['apply', '-f', file]);
    const listed = (await port.list()).filter((g) => g.namespace === ns && g.name !== gw.name);
    expect(listed).toEqual([
      {
        ...customGw,
        className: custom,
        revLabel: r.R_OLD,
        namespaceRev: null,
        managed: true,
        deployment: `${customGw.name}-${custom}`,
        renderedBy: expect.toBeOneOf([null, r.R_OLD]),
      },
    ]);
    await port.verify([customGw], r.R_OLD, { timeoutMs: 120_000 });
    expect(await port.setRevLabel(customGw, r.R_NEW)).toBe(true);
    await port.verify([customGw], r.R_NEW, { timeoutMs: 120_000 });
  } finally {
    await run(kubectlPath(), [
      'delete',
      'gateway',
      '-n',
      ns,
      gw.name,
      customGw.name,
      foreignGw,
      '--ignore-not-found',
    ]);
    await run(kubectlPath(), ['delete', 'gatewayclass', custom, foreign, '--ignore-not-found']);
    if (!crdBefore) await removeGatewayApiCrds();
  }
}
