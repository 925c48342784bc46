#!/usr/bin/env node
/**
 * `esprit` command-line entry. Each subcommand lives in its own module under
 * cli/commands/ and exports `run(argv: string[]): Promise<number>` (the exit code).
 */
import { IpsecError } from '../util/errors.js';

const COMMANDS: Record<string, { module: string; summary: string }> = {
  pcap: { module: './commands/pcap.js', summary: 'decrypt or encrypt ESP in pcap/pcapng captures' },
  sa: { module: './commands/sa.js', summary: 'SA file tools (wireshark: print esp_sa entries)' },
  setkey: { module: './commands/setkey.js', summary: 'KAME setkey-compatible PF_KEY client' },
  ipsecd: { module: './commands/ipsecd.js', summary: 'the IPsec daemon: PF_KEY key engine and data plane' },
  status: { module: './commands/status.js', summary: "show a running ipsecd's SAs, policies and counters" },
};

function usage(): string {
  const lines = ['usage: esprit <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(8)} ${c.summary}`);
  lines.push('', 'Run `esprit <command> --help` for the options of each.');
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    console.log('esprit 0.1.0');
    return 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    console.error(`esprit: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return 2;
  }
  const mod = (await import(cmd.module)) as { run(argv: string[]): Promise<number> };
  return mod.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof IpsecError) console.error(`esprit: ${err.message}`);
    else console.error(err);
    process.exitCode = 1;
  },
);
