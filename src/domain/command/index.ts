export { parseCommand, parseWaves, UPGRADE_ID } from './parse.js';
export { normalizeChatText, tokenize } from './tokenize.js';
export type * from './types.js';
export { helpText, SUBCOMMANDS, type Subcommand, USAGE } from './usage.js';
