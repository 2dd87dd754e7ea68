/** Ephemeral answers: user errors with their usage line, refusals, help, short confirmations. Pure. */
import { helpText, type Subcommand, USAGE } from '../../domain/command/index.js';
import type { CommandError } from '../../domain/command/types.js';
import { clip, context, esc, LIMITS, type SlackMessage, section } from './text.js';

export function commandErrorMessage(e: CommandError): SlackMessage {
  const usage = e.subcommand ? `\`${USAGE[e.subcommand].line}\`` : helpText();
  const text = `:x: ${e.message}`;
  return {
    text: clip(`${e.message}\nUsage: ${usage}`, LIMITS.messageText),
    blocks: [section(text), section(`*Usage*\n${usage}`), context('`/istio help` lists every command')],
  };
}

export function helpMessage(topic?: Subcommand): SlackMessage {
  const body = helpText(topic);
  // one section per paragraph (or per subcommand in the overview): each stays within 3,000 characters
  const parts = topic ? body.split('\n\n') : body.split(/\n(?=`)/);
  return {
    text: clip(body, LIMITS.messageText),
    blocks: [
      section(topic ? `*/istio ${topic}*` : '*/istio*: canary upgrades of Istio, wave by wave'),
      ...parts.slice(0, LIMITS.blocks - 1).map((p) => section(p)),
    ],
  };
}

export function refusalMessage(action: string, reason: string): SlackMessage {
  const text = `:no_entry: Not allowed to ${action}: ${reason}`;
  return { text: clip(text, LIMITS.messageText), blocks: [section(text)] };
}

/** A refusal from the engine (`cluster_busy`, `step_not_pending`, …): what and, if known, how to go on. */
export function domainErrorMessage(
  action: string,
  e: { code: string; message: string; hint?: string },
): SlackMessage {
  const text = `:x: Could not ${action}: ${e.message}${e.hint ? `\n${e.hint}` : ''}`;
  return { text: clip(text, LIMITS.messageText), blocks: [section(text), context(`\`${esc(e.code)}\``)] };
}

export function infoMessage(text: string): SlackMessage {
  return { text: clip(text, LIMITS.messageText), blocks: [section(text)] };
}
