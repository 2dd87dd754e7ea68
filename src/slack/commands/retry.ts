/** `/istio retry ID`. */
import type { IdCommand } from '../../domain/command/types.js';
import type { Asked } from '../context.js';
import { control } from './control.js';

export function retry(ask: Asked, cmd: IdCommand): Promise<void> {
  return control(
    ask,
    cmd.id,
    'retry',
    (r) => ask.deps.service.retry(r.id, ask.actor),
    (r) => `:repeat: Retrying the step that stopped ${r.id}.`,
  );
}
