/** `/istio abort ID`. */
import type { IdCommand } from '../../domain/command/types.js';
import type { Asked } from '../context.js';
import { control } from './control.js';

export function abort(ask: Asked, cmd: IdCommand): Promise<void> {
  return control(
    ask,
    cmd.id,
    'abort',
    (r) => ask.deps.service.abort(r.id, ask.actor),
    (r) =>
      r.state === 'aborting'
        ? `:no_entry: ${r.id} is being aborted where it is: its running step is being stopped, nothing will be undone. The cluster is free once that step has stopped (seconds; \`/istio status ${r.id}\`).`
        : `:no_entry: ${r.id} is aborted where it was; nothing was undone. \`/istio rollback ${r.id} <reason>\` undoes the waves.`,
  );
}
