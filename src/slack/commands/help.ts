/** `/istio help [SUBCOMMAND]`: answered in the ack itself (no I/O). */
import type { HelpCommand } from '../../domain/command/types.js';
import { helpMessage } from '../blocks/replies.js';
import type { SlackMessage } from '../blocks/text.js';

export const help = (cmd: HelpCommand): SlackMessage => helpMessage(cmd.topic);
