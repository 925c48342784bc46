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
  config: { module: './commands/config.js', summary: 'check a swanctl.conf-style configuration' },
  import: {
    module: './commands/import.js',
    summary: 'translate a vpnc or Shrew Soft profile into an esprit connection',
  },
  start: { module: './commands/start.js', summary: 'run one host from a swanctl.conf: data plane and IKEv2' },
  iked: { module: './commands/start.js', summary: 'the IKEv2 daemon alone, against a running ipsecd' },
  up: { module: './commands/ikectl.js', summary: 'initiate a connection and wait for its CHILD SA' },
  down: { module: './commands/ikectl.js', summary: "delete a connection's IKE SAs" },
  'list-sas': { module: './commands/ikectl.js', summary: 'IKE and CHILD SAs with NAT state and counters' },
  'list-conns': { module: './commands/ikectl.js', summary: 'the loaded connections' },
  reload: { module: './commands/ikectl.js', summary: 're-read the configuration' },
  monitor: { module: './commands/ikectl.js', summary: 'stream IKE events (ike-up, nat-detected, ...)' },
};

function usage(): string {
  const lines = ['usage: esprit <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
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
  const mod = (await import(cmd.module)) as { run(argv: string[], name: string): Promise<number> };
  return mod.run(rest, name);
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
