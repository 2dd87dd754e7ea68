/** `/istio resume ID`. */
import type { IdCommand } from '../../domain/command/types.js';
import type { Asked } from '../context.js';
import { control } from './control.js';

export function resume(ask: Asked, cmd: IdCommand): Promise<void> {
  return control(
    ask,
    cmd.id,
    'resume',
    (r) => ask.deps.service.resume(r.id, ask.actor),
    (r) => `:arrow_forward: ${r.id} resumes.`,
  );
}
