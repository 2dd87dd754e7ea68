/** `/istio pause ID`. */
import type { IdCommand } from '../../domain/command/types.js';
import type { Asked } from '../context.js';
import { control } from './control.js';

export function pause(ask: Asked, cmd: IdCommand): Promise<void> {
  return control(
    ask,
    cmd.id,
    'pause',
    (r) => ask.deps.service.pause(r.id, ask.actor),
    (r) =>
      `:double_vertical_bar: ${r.id} will pause after the step that is running. \`/istio resume ${r.id}\` continues it.`,
  );
}
