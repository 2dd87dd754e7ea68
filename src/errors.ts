/**
 * Errors that cross a layer carry a stable code so the Slack layer can say something useful
 * (and tests can assert on it) instead of "something went wrong".
 */
export const ErrorCode = {
  ConfigInvalid: 'config_invalid',
  UpgradeNotFound: 'upgrade_not_found',
  ClusterBusy: 'cluster_busy',
  StepNotPending: 'step_not_pending',
  NotAllowed: 'not_allowed',
  InvalidState: 'invalid_state',
  IstioctlMissing: 'istioctl_missing',
  IstioctlFailed: 'istioctl_failed',
  IstioctlTimeout: 'istioctl_timeout',
  /** A helm call (the Helm canary path) failed, timed out, was cancelled or could not start. */
  HelmFailed: 'helm_failed',
  KubeApi: 'kube_api',
  RolloutFailed: 'rollout_failed',
  RolloutTimeout: 'rollout_timeout',
  VerifyFailed: 'verify_failed',
  PrecheckFailed: 'precheck_failed',
  NoWorker: 'no_worker',
  UnknownCluster: 'unknown_cluster',
  /** The call was cancelled by its AbortSignal (the step was superseded). */
  Cancelled: 'cancelled',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class CodedError extends Error {
  override readonly name = 'CodedError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const isCodedError = (e: unknown): e is CodedError => e instanceof CodedError;
