/**
 * `esprit import vpnc FILE.conf` / `esprit import shrew FILE.vpn`: print the equivalent esprit
 * connection (swanctl.conf syntax, with its secrets) on stdout. What the profile says that
 * esprit cannot express is listed as `# not translated:` comments at the top and on stderr.
 */
import { readFileSync } from 'node:fs';
import { connectionName, renderSwanctl } from '../../config/import/profile.js';
import { importShrew } from '../../config/import/shrew-vpn.js';
import { importVpnc } from '../../config/import/vpnc-conf.js';

const USAGE = `usage: esprit import vpnc|shrew FILE [--name NAME]
  Translate a vpnc configuration file or a Shrew Soft VPN client site file (.vpn) into an
  esprit connection in swanctl.conf syntax, printed on stdout with its secrets (PSK, XAUTH
  password; vpnc's obfuscated secrets are decoded). Settings esprit has no counterpart for are
  listed as "# not translated:" comments and on stderr. Exit 1 when FILE cannot be read or has
  errors.`;

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const nameAt = argv.indexOf('--name');
  const name = nameAt >= 0 ? argv[nameAt + 1] : undefined;
  const args = nameAt >= 0 ? argv.filter((_, i) => i !== nameAt && i !== nameAt + 1) : argv;
  const [kind, file, ...rest] = args;
  if ((kind !== 'vpnc' && kind !== 'shrew') || !file || rest.length > 0 || (nameAt >= 0 && !name)) {
    console.error(USAGE);
    return 2;
  }
  let text: string;
  try {
    text = readFileSync(file, 'latin1');
  } catch (e) {
    console.error(`${file}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
  const conn = name ?? connectionName(file);
  const r = kind === 'vpnc' ? importVpnc(text, conn) : importShrew(text, conn);
  for (const e of r.errors) console.error(`${file}: ${e}`);
  if (!r.profile) return 1;
  for (const n of r.profile.notes) console.error(`${file}: not translated: ${n}`);
  process.stdout.write(renderSwanctl(r.profile, `${kind} ${file}`));
  return 0;
}
