/**
 * `esprit sa wireshark SA.json`: print the SAs as Wireshark esp_sa UAT entries
 * (capture/wireshark-uat.ts), ready to be saved as the `esp_sa` file of a Wireshark
 * profile or passed with `tshark -o 'uat:esp_sa:<line>'`.
 */
import { parseArgs } from 'node:util';
import { wiresharkEspSa } from '../../capture/wireshark-uat.js';
import { IpsecError } from '../../util/errors.js';
import { loadSaFile } from './pcap.js';

const USAGE = `usage:
  esprit sa wireshark SA.json

Prints one Wireshark 4.0 esp_sa (UAT) line per SA:
  "IPv4","src","dst","0xSPI","encryption algorithm","0xkey","authentication algorithm","0xkey"
Save the output as <profile>/esp_sa, or pass a line to tshark:
  tshark -o esp.enable_encryption_dissection:TRUE -o 'uat:esp_sa:<line>' -r capture.pcap
SAs Wireshark 4.0 cannot decrypt (ChaCha20-Poly1305, AES-GMAC, ESN) are listed on
stderr and left out.`;

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    if (sub === '--help' || sub === '-h' || sub === 'help') {
      console.log(USAGE);
      return 0;
    }
    if (sub !== 'wireshark') {
      console.error(
        `esprit sa: ${sub === undefined ? 'missing subcommand' : `unknown subcommand ${JSON.stringify(sub)}`}\n\n${USAGE}`,
      );
      return 2;
    }
    const { values, positionals } = parseArgs({
      args: rest,
      options: { help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    const [file, ...extra] = positionals;
    if (!file || extra.length > 0) {
      console.error(`esprit sa wireshark: needs exactly one SA file\n\n${USAGE}`);
      return 2;
    }
    const sas = loadSaFile(file);
    let written = 0;
    sas.forEach((sa, i) => {
      const e = wiresharkEspSa(sa);
      if (e.ok) {
        console.log(e.line);
        written++;
      } else {
        console.error(
          `esprit sa wireshark: ${file}: sas[${i}] (SPI 0x${sa.spi.toString(16).padStart(8, '0')}) left out: ${e.reason}`,
        );
      }
    });
    return written > 0 ? 0 : 1;
  } catch (e) {
    if (e instanceof IpsecError) {
      console.error(`esprit sa: ${e.message}`);
      return 1;
    }
    if (e instanceof Error && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS')) {
      console.error(`esprit sa: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
}
