/**
 * Usage of `/istio`: one entry per subcommand with its usage line (shown with every refusal), a
 * one-line summary (the `help` overview) and the detail with examples (`help <subcommand>`). Keep it
 * true to what the handlers in src/slack/commands do: every example must parse, and the usage line
 * must name exactly the flags the parser knows (test/slack/help.test.ts).
 */
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

export interface Usage {
  line: string;
  about: string;
  /** What `help <subcommand>` adds: how it behaves, who may, what the flags do. */
  detail: string[];
  /** Command lines (after `/istio `) that parse and do what `detail` says. */
  examples: string[];
}

export const USAGE: Record<Subcommand, Usage> = {
  upgrade: {
    line: '/istio upgrade <version> [--revision R] [--waves "ns1,ns2;ns3"] [--strategy labels|tags] [--cluster NAME] [--analysis NAME|none] [--auto] [--dry-run]',
    about:
      'Plan a canary upgrade (or downgrade) to <version>: install the new revision beside the old one, move namespaces wave by wave, each wave behind an approval.',
    detail: [
      'At most two minor versions a jump, up or down. The plan is posted as a thread in this channel; nothing changes until the control plane steps run, and no namespace moves before someone approves its wave (four eyes: not the requester, unless the policy says `fourEyes: false`).',
      '`--cluster`: which cluster. Without it, the cluster this channel is bound to in the policy; a channel bound to several means `DEFAULT_CLUSTER` if it is one of them, else say which. One upgrade per cluster at a time.',
      '`--waves`: namespaces per wave, `,` between namespaces and `;` between waves. Without it, every injected namespace not yet on the new revision: the first one alone as wave 1, then the others in alphabetical order, five per wave.',
      '`--revision`: the new revision name (default from the version, `1.26.3` → `1-26-3`). `--strategy labels` (default) points namespaces at the revision with `istio.io/rev`; `tags` moves them with the `prod-canary` tag, and the finish moves `prod-stable`. `--dry-run` plans and posts the plan, and changes nothing.',
      "`--analysis NAME`: which of the cluster's traffic analyses gates each wave (default: the policy's `analysis`); an unknown name is refused with the names there are. `--analysis none` runs without one, only where the policy says `analysisOptional: true`.",
      "`--auto`: progressive mode — when a wave's analysis passed, the next wave starts after the bake time without a click (the policy's `progressive.bakeTime`, else 10m), inside the change windows; wave 1 and the finish still need approvals unless the policy says otherwise. Refused for a cluster without an analysis. A pause cancels the scheduled start.",
      'Who: the policy `requesters`, from a channel that drives the cluster (not from incident channels).',
    ],
    examples: [
      'upgrade 1.26.3 --dry-run',
      'upgrade 1.26.3 --analysis strict --auto',
      'upgrade 1.26.3 --waves "payments,checkout;search" --cluster prod-eu1',
      'upgrade 1.25.3 --strategy tags',
    ],
  },
  status: {
    line: '/istio status [ID] [--details] [--wave N]',
    about:
      'Show one upgrade (or the active ones); --wave N lists a whole wave, --details every line of the diffs.',
    detail: [
      'Without an id: the active upgrades of the clusters this channel may view. With one: the plan, the state and step, every wave, the latest decisions and a link to the thread.',
      '`--wave N`: every namespace of wave N, its state, who approved it, its rollout progress and its proxy-status diff counts: what an approver approves, in full.',
      "`--details`: every line of each wave's proxy-status diff (moved, partial, not synced, added, removed, unchanged). When it is too long for Slack, the whole diff is in the thread as a file and the answer names it.",
      "Answered only to you. From channels that drive the upgrade's cluster, and incident channels.",
    ],
    examples: ['status', 'status up-7k3q', 'status up-7k3q --wave 2', 'status up-7k3q --details'],
  },
  list: {
    line: '/istio list [--page N] [--refusals]',
    about:
      'List recent upgrades of the clusters this channel may view. --refusals lists the latest refused requests instead.',
    detail: [
      'The 20 most recent upgrades (any state) of the clusters this channel drives; incident channels see every cluster. `--page 2` shows the 20 before those, and so on.',
      '`--refusals`: the latest 20 refused requests (who, where, what, why) about those clusters, and those refused in this channel. Every refusal is also in the refusal log and, for an upgrade, its audit log.',
    ],
    examples: ['list', 'list --page 2', 'list --refusals'],
  },
  rollback: {
    line: '/istio rollback ID [reason…]',
    about:
      'Roll an upgrade back: undo completed waves in reverse, move gateways back. A reason is required from incident channels: everything after the id, as typed (no quotes needed).',
    detail: [
      'Stops the running step, then undoes what was done, last first: namespaces of each wave back where they pointed (restarting only workloads on the new revision), revision tags restored, gateways moved back, the new control plane uninstalled. Its checklist is posted in the thread.',
      "From the upgrade's channel: its requester, approvers and operators; the reason is optional. From an incident channel: the policy `incidentResponders` and operators, and the reason is required; the rollback is posted there and in the thread.",
    ],
    examples: ['rollback up-7k3q INC-123 5xx in payments since 14:02', "rollback up-7k3q can't reach the db"],
  },
  abort: {
    line: '/istio abort ID',
    about: 'Stop an upgrade where it is, without undoing anything.',
    detail: [
      'The running step is stopped and nothing is undone: namespaces already moved stay on the new revision. The cluster is free once that step has stopped (seconds); `rollback` undoes instead.',
      'Who: the requester, approvers and operators, from a channel that drives the cluster.',
    ],
    examples: ['abort up-7k3q'],
  },
  pause: {
    line: '/istio pause ID',
    about: 'Pause an upgrade after the step that is running.',
    detail: [
      'The running step finishes, then nothing more runs until `resume`. A waiting approval is paused too: its buttons stop working and `resume` posts a new one.',
      'Who: the requester, approvers and operators, from a channel that drives the cluster.',
    ],
    examples: ['pause up-7k3q'],
  },
  resume: {
    line: '/istio resume ID',
    about: 'Resume a paused upgrade.',
    detail: [
      'Runs the next step, or posts a new approval when it was paused at one (also after an approval expired).',
      'Who: the requester, approvers and operators, from a channel that drives the cluster.',
    ],
    examples: ['resume up-7k3q'],
  },
  retry: {
    line: '/istio retry ID',
    about: 'Retry the step that stopped an upgrade.',
    detail: [
      'For a stopped upgrade (its cause is in the thread and in `status`): runs the failed step again; a stopped rollback goes on rolling back. Steps are idempotent: what was already done is not done twice.',
      'Who: the requester, approvers and operators, from a channel that drives the cluster.',
    ],
    examples: ['retry up-7k3q'],
  },
  ps: {
    line: '/istio ps [NAMESPACE] [--cluster NAME]',
    about: 'Proxy status per revision: which workloads run on which control plane, and what is not synced.',
    detail: [
      'Reads the cluster now (`PROXY_STATUS_SOURCE`): proxies per revision and those not synced, for one namespace or all. The cluster is `--cluster`, else the one this channel is bound to.',
      'From channels that drive the cluster and incident channels; answered only to you.',
    ],
    examples: ['ps', 'ps payments', 'ps --cluster prod-eu1'],
  },
  unlock: {
    line: '/istio unlock CLUSTER',
    about:
      'Operators: free a cluster whose lock outlived its upgrade record (a new upgrade is refused with "record is gone"). Refused while an upgrade there is active or a step runs. Audited.',
    detail: [
      'Only for a lock whose upgrade record is gone or finished; an active upgrade is stopped with `abort` or `rollback` instead.',
      'Who: the policy `operators`.',
    ],
    examples: ['unlock prod-eu1'],
  },
  help: {
    line: '/istio help [SUBCOMMAND]',
    about: 'Show this help, or one subcommand in detail.',
    detail: ['Answered only to you, at once.'],
    examples: ['help', 'help upgrade'],
  },
};

/** The overview (every usage line and summary), or one subcommand with its detail and examples. */
export function helpText(sub?: Subcommand): string {
  if (sub) {
    const u = USAGE[sub];
    return [
      `\`${u.line}\``,
      u.about,
      ...u.detail,
      `*Examples*\n${u.examples.map((e) => `\`/istio ${e}\``).join('\n')}`,
    ].join('\n\n');
  }
  return `${SUBCOMMANDS.map((s) => `\`${USAGE[s].line}\`\n    ${USAGE[s].about}`).join('\n')}\n\`/istio help <subcommand>\` gives the detail, with examples.`;
}
