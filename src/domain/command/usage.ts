/** Usage lines for `/istio`, one per subcommand; shown with every refusal and by `help`. */
export const SUBCOMMANDS = [
  'upgrade',
  'status',
  'list',
  'rollback',
  'abort',
  'pause',
  'resume',
  'retry',
  'ps',
  'unlock',
  'help',
] as const;
export type Subcommand = (typeof SUBCOMMANDS)[number];

export const USAGE: Record<Subcommand, { line: string; about: string }> = {
  upgrade: {
    line: '/istio upgrade <version> [--revision R] [--waves "ns1,ns2;ns3"] [--strategy labels|tags] [--cluster NAME] [--dry-run]',
    about:
      'Plan a canary upgrade (or downgrade) to <version>: install the new revision beside the old one, move namespaces wave by wave, each wave behind an approval.',
  },
  status: {
    line: '/istio status [ID] [--details]',
    about: 'Show one upgrade (or the active ones). --details lists every workload of the last diff.',
  },
  list: {
    line: '/istio list [--refusals]',
    about: 'List recent upgrades on every cluster. --refusals lists the latest refused requests instead.',
  },
  rollback: {
    line: '/istio rollback ID [reason…]',
    about:
      'Roll an upgrade back: undo completed waves in reverse, move gateways back. A reason is required from incident channels: everything after the id, as typed (no quotes needed).',
  },
  abort: { line: '/istio abort ID', about: 'Stop an upgrade where it is, without undoing anything.' },
  pause: { line: '/istio pause ID', about: 'Pause an upgrade after the step that is running.' },
  resume: { line: '/istio resume ID', about: 'Resume a paused upgrade.' },
  retry: { line: '/istio retry ID', about: 'Retry the step that stopped an upgrade.' },
  ps: {
    line: '/istio ps [NAMESPACE] [--cluster NAME]',
    about: 'Proxy status per revision: which workloads run on which control plane, and what is not synced.',
  },
  unlock: {
    line: '/istio unlock CLUSTER',
    about:
      'Operators: free a cluster whose lock outlived its upgrade record (a new upgrade is refused with "record is gone"). Refused while an upgrade there is active or a step runs. Audited.',
  },
  help: { line: '/istio help [SUBCOMMAND]', about: 'Show this help, or one subcommand in detail.' },
};

export function helpText(sub?: Subcommand): string {
  if (sub) return `\`${USAGE[sub].line}\`\n${USAGE[sub].about}`;
  return SUBCOMMANDS.map((s) => `\`${USAGE[s].line}\`\n    ${USAGE[s].about}`).join('\n');
}
