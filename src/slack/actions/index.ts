import type { App } from '@slack/bolt';
import type { SlackDeps } from '../context.js';
import { registerApprove } from './approve.js';
import { registerApproveAt } from './approve-at.js';
import { registerPause } from './pause.js';
import { registerRollback } from './rollback.js';

export function registerActions(app: App, deps: SlackDeps): void {
  registerApprove(app, deps);
  registerApproveAt(app, deps);
  registerRollback(app, deps);
  registerPause(app, deps);
}
