import type { Strategy } from '../upgrade/record.js';
import type { Subcommand } from './usage.js';

export interface UpgradeCommand {
  kind: 'upgrade';
  version: string; // normalised, e.g. `1.26.3`
  revision?: string;
  /** Namespaces per wave, in order; absent = the engine plans waves from the cluster. */
  waves?: string[][];
  strategy: Strategy;
  cluster?: string;
  dryRun: boolean;
  /** `--analysis NAME`: which of the cluster's traffic analyses gates the waves (`none`: no analysis,
   * where the policy allows it); absent: the cluster's default. */
  analysis?: string;
  /** `--auto`: progressive mode, a wave whose predecessor's analysis passed starts after the bake time. */
  auto?: boolean;
}
export interface StatusCommand {
  kind: 'status';
  id?: string;
  details: boolean;
  /** List this wave in full (1-based). */
  wave?: number;
}
export interface ListCommand {
  kind: 'list';
  /** The latest refused requests (policy and engine refusals), not the upgrades. */
  refusals: boolean;
  /** Which page of upgrades (20 a page, newest first); 1 when absent. */
  page?: number;
}
export interface RollbackCommand {
  kind: 'rollback';
  id: string;
  reason?: string;
}
export interface IdCommand {
  kind: 'abort' | 'pause' | 'resume' | 'retry';
  id: string;
}
export interface PsCommand {
  kind: 'ps';
  namespace?: string;
  cluster?: string;
}
export interface UnlockCommand {
  kind: 'unlock';
  cluster: string;
}
export interface HelpCommand {
  kind: 'help';
  topic?: Subcommand;
}

export type IstioCommand =
  | UpgradeCommand
  | StatusCommand
  | ListCommand
  | RollbackCommand
  | IdCommand
  | PsCommand
  | UnlockCommand
  | HelpCommand;

/** A refusal of what was typed: what was wrong, and the usage line that shows how to write it. */
export interface CommandError {
  code:
    | 'empty'
    | 'unknown_subcommand'
    | 'missing_argument'
    | 'extra_argument'
    | 'unknown_flag'
    | 'missing_flag_value'
    | 'duplicate_flag'
    | 'invalid_value'
    | 'unclosed_quote';
  message: string;
  subcommand?: Subcommand;
  usage: string;
}
