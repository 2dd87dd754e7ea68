/**
 * What a finished step did, in words people read: built from the record where it holds the facts,
 * from the engine's detail otherwise, never with raw JSON (`{"revision":"1-24-2"}` becomes
 * `revision 1-24-2`). Pure.
 */
import type { Compensation, NamespaceTarget, UpgradeRecord } from '../../domain/upgrade/record.js';
import { esc } from './text.js';

const code = (s: string) => `\`${esc(s)}\``;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** Replaces every JSON object or array in `s` by its values in words; the rest is kept as is. */
export function inWords(s: string): string {
  return s.replace(/[{[][^{}[\]]*[}\]]/g, (m) => {
    try {
      const v = JSON.parse(m) as unknown;
      if (Array.isArray(v)) return v.map(String).join(', ');
      if (v && typeof v === 'object')
        return Object.entries(v)
          .map(([k, x]) => (k === 'injection' ? `istio-injection=${String(x)}` : `${k} ${String(x)}`))
          .join(', ');
    } catch {
      // not JSON: leave it
    }
    return m;
  });
}

export function targetWords(t: NamespaceTarget): string {
  if ('revision' in t) return `revision ${code(t.revision)}`;
  if ('tag' in t) return `tag ${code(t.tag)}`;
  return '`istio-injection=enabled` (the default revision)';
}

/** Where wave namespaces point after `move_namespaces`. */
export function waveTargetWords(r: UpgradeRecord): string {
  if (r.strategy === 'tags' && r.tags) return `tag ${code(r.tags.canary)} (now on ${code(r.to.revision)})`;
  return `revision ${code(r.to.revision)} (\`istio.io/rev=${esc(r.to.revision)}\`)`;
}

/** A compensation, said as what it will do. */
export function undoWords(r: UpgradeRecord, c: Compensation): string {
  switch (c.kind) {
    case 'move_namespaces_back':
      return `Move wave ${c.wave} (${plural(c.namespaces.length, 'namespace')}) back to ${targetWords(c.to)} and restart what runs on ${code(r.to.revision)}`;
    case 'move_gateways_back':
      return `Move the gateways back to ${code(c.revision)}`;
    case 'uninstall_canary':
      return `Uninstall the canary control plane ${code(c.revision)}`;
    case 'restore_gateways':
      return `Reinstall ${c.gateways.map(code).join(', ')} at ${code(c.revision)} (the canary install had upgraded them in place; uninstalling it would delete them)`;
    case 'restore_tags':
      return `Point the tags the canary install created or moved back where they were (${c.before.length ? c.before.map((t) => `${code(t.tag)} → ${code(t.revision)}`).join(', ') : 'there were none'})`;
    case 'restore_tag':
      return c.revision
        ? `Point tag ${code(c.tag)} back at ${code(c.revision)}`
        : `Remove tag ${code(c.tag)}`;
    case 'gateway_api_labels_back':
      return `Set the \`istio.io/rev\` label of Gateway API ${plural(c.gateways.length, 'gateway')} (${c.gateways.map((g) => code(g.gateway)).join(', ')}) back to ${code(c.revision)} and check istiod renders them there`;
    case 'verify_gateway_api':
      return `Check that the Gateway API gateways of ${c.phase} (${c.gateways.map(code).join(', ')}) are rendered by ${code(c.revision)} again`;
    case 'rollback_agents':
      return `Roll back the Helm releases ${c.releases.map((x) => code(x.release)).join(', ')} to their revision before ${esc(c.version)} (helm waits while the replaced nodes roll back)`;
    case 'uncordon':
      return `Uncordon the nodes node wave ${c.wave} cordoned (${c.nodes.map(code).join(', ')})`;
  }
}

/** `; Gateway API gateway(s) on <rev>: a, b` at the end of a step's detail, said in words (ADR 17). */
function gatewayApiNote(r: UpgradeRecord, detail: string): string {
  const m = /; Gateway API gateway\(s\) on \S+: (.+)$/.exec(detail);
  if (!m) return '';
  const names = m[1]!.split(', ');
  return `; Gateway API ${plural(names.length, 'gateway')} rendered by ${code(r.to.revision)}: ${names.map(code).join(', ')}`;
}

/** The note shown next to a finished step of the checklist. */
export function stepNote(r: UpgradeRecord, step: string, wave: number | undefined, detail = ''): string {
  const w = wave === undefined ? undefined : r.waves[wave - 1];
  const num = (re: RegExp) => {
    const m = re.exec(detail);
    return m ? Number(m[1]) : undefined;
  };
  switch (step) {
    case 'precheck': {
      const n = num(/^(\d+) finding/);
      if (n === 0) return 'no findings';
      if (n !== undefined) return `${plural(n, 'finding')}, no errors (warnings are posted below)`;
      break;
    }
    case 'install_control_plane':
      return `istiod ${esc(r.to.version)} installed as revision ${code(r.to.revision)}`;
    case 'verify_control_plane':
      return `istiod ${code(r.to.revision)} is ready`;
    case 'gateways': {
      const n = num(/^(\d+) gateway/);
      // which were moved, and which the install upgraded in place (a rollback reinstalls those)
      const how = /\((.*)\)$/.exec(detail)?.[1];
      if (n !== undefined)
        return `${plural(n, 'gateway')} now on ${code(r.to.revision)}${how ? ` (${esc(how)})` : ''}`;
      break;
    }
    case 'move_namespaces':
      if (w) return `${plural(w.namespaces.length, 'namespace')} now point at ${waveTargetWords(r)}`;
      break;
    case 'restart_workloads': {
      const n = w?.progress?.total ?? num(/^(\d+) workload/);
      if (n !== undefined) return `${plural(n, 'workload')} restarted, like \`kubectl rollout restart\``;
      break;
    }
    case 'wait_rollouts': {
      const n = num(/^(\d+) rollout/) ?? w?.progress?.total;
      if (n !== undefined) return `${plural(n, 'rollout')} complete`;
      break;
    }
    case 'verify_sidecars': {
      const n = num(/^(\d+) sidecar/);
      if (n !== undefined)
        return `${plural(n, 'pod')} checked: every sidecar runs ${code(r.to.revision)}${gatewayApiNote(r, detail)}`;
      break;
    }
    case 'post_diff':
      if (w?.diff)
        return `${w.diff.moved} moved, ${w.diff.partial} partial, ${w.diff.unchanged} unchanged, ${w.diff.notSynced} not synced: the diff is below`;
      break;
    case 'replace_nodes':
    case 'verify_nodes':
    case 'upgrade_agents':
    case 'release_hold':
      return esc(detail);
    case 'move_tags': {
      const m = /^(.*?) → ([^\s;]+)(;|$)/.exec(detail);
      if (m)
        return `${m[1]!.split(', ').map(code).join(', ')} now point at ${code(m[2]!)}${gatewayApiNote(r, detail)}`;
      break;
    }
    case 'check_old_unused':
      return `no pod uses ${code(r.from.revision)} any more`;
    case 'uninstall_old':
      return `${code(r.from.revision)} uninstalled`;
  }
  return esc(inWords(detail));
}
