// istio-upgrade-bot command-line entry: a thin router from the first argument to a subcommand module.
// Each subcommand takes its argv tail and resolves to an exit code (0 ok, 1 failure, 2 usage error).
import { runPs } from './ps.js';

export type Subcommand = (argv: string[]) => Promise<number> | number;

const commands: Record<string, { run: Subcommand; summary: string }> = {
  ps: { run: runPs, summary: 'parse and diff istioctl proxy-status output (see `ps --help`)' },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(8)}${c.summary}`);
  return `usage: istio-upgrade-bot <command> [args]\n\ncommands:\n${lines.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    (name === undefined ? process.stderr : process.stdout).write(usage());
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (command === undefined) {
    process.stderr.write(`istio-upgrade-bot: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return command.run(rest);
}

process.exitCode = await main(process.argv.slice(2));
