// The signing CLI: the development CA, signing a PDF or a JSON file as a user, verifying a signature.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import type { Command } from '../main.ts';
import type { VerifyReport } from './service.ts';

const out = (line: string) => process.stdout.write(line + '\n');

function usage(text: string): Error {
  return Object.assign(new Error(`usage: govflow ${text}`), { isUsage: true });
}

function printReport(r: VerifyReport): void {
  if (!r.signatures.length) out('no signature found');
  for (const [i, s] of r.signatures.entries()) {
    out(`signature ${i + 1}: ${s.isValid ? 'VALID' : 'INVALID'}${s.problem ? ` (${s.problem})` : ''}`);
    out(`  signer:  ${s.signer ? `${s.signer.name}${s.signer.title ? `, ${s.signer.title}` : ''}` : '—'}`);
    out(`  time:    ${s.signingTime ?? '—'}`);
    out(`  intact:  ${s.isIntact === null ? 'not checked (no content)' : s.isIntact ? 'yes' : 'NO'}`);
    out(`  trusted: ${s.isTrusted ? 'yes' : 'NO'}${s.isRevoked ? ' (revoked)' : ''}`);
    for (const c of s.chain) out(`  chain:   ${c.subject}`);
    if (s.record) out(`  record:  ${s.record.id} ${s.record.verifyUrl}`);
  }
}

/** `ca`, `sign`, `verify`. */
export const signingCommands: Command[] = [
  {
    name: 'ca',
    usage: 'ca init [--root-name NAME] [--force] | ca issue USERNAME | ca revoke USERNAME | ca root   development CA: make it, give a user a certificate, revoke it (CRL), print the root PEM',
    needsStore: true,
    async run(args) {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { 'root-name': { type: 'string' }, force: { type: 'boolean' } } });
      const s = await import('./service.ts');
      const [sub, username] = positionals;
      if (sub === 'init') {
        const r = await s.initCa({ rootName: values['root-name'], force: values.force });
        out(r.isCreated ? `created development CA in ${r.dir}; its root is trusted through ${r.trustFile}` : `development CA already exists in ${r.dir} (use --force to replace it)`);
        return 0;
      }
      if (sub === 'root') {
        process.stdout.write(s.caRootPem());
        return 0;
      }
      if (sub === 'issue' && username) {
        const c = await s.issueUserCertificate(username, { username: 'cli' });
        out(`issued certificate to ${username}: ${c.subject}\n  fingerprint ${c.fingerprint}\n  valid until ${c.notAfter}`);
        return 0;
      }
      if (sub === 'revoke' && username) {
        const c = await s.revokeUserCertificate(username, { username: 'cli' });
        out(`revoked certificate ${c.fingerprint} of ${username}`);
        return 0;
      }
      throw usage('ca init | ca issue USERNAME | ca revoke USERNAME | ca root');
    },
  },
  {
    name: 'sign',
    usage: 'sign pdf IN.pdf OUT.pdf --user USERNAME [--pin PIN] | sign data IN.json OUT.p7s --user USERNAME [--pin PIN]   sign as a user (data: detached CMS over the canonical JSON, written to OUT.p7s.json)',
    needsStore: true,
    async run(args) {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { user: { type: 'string' }, pin: { type: 'string' } } });
      const [kind, input, output] = positionals;
      if (!['pdf', 'data'].includes(kind) || !input || !output || !values.user) throw usage('sign pdf|data IN OUT --user USERNAME [--pin PIN]');
      const s = await import('./service.ts');
      const signer = { username: values.user, pin: values.pin };
      if (kind === 'pdf') {
        const r = await s.signPdf(signer, fs.readFileSync(input), { label: input.split('/').pop() });
        fs.writeFileSync(output, r.pdf);
        out(`signed ${output} as ${r.signature.signerName} at ${r.signature.signedAt}; verify at ${r.signature.verifyUrl}`);
        return 0;
      }
      let value: unknown;
      try {
        value = JSON.parse(fs.readFileSync(input, 'utf8'));
      } catch {
        throw usage(`sign data: ${input} is not JSON`);
      }
      const r = await s.signData(signer, value, { label: input.split('/').pop() });
      fs.writeFileSync(output, r.cms);
      fs.writeFileSync(`${output}.json`, r.canonical);
      out(`signed ${output} (canonical data in ${output}.json) as ${r.signature.signerName} at ${r.signature.signedAt}; verify at ${r.signature.verifyUrl}`);
      return 0;
    },
  },
  {
    name: 'verify',
    usage: 'verify FILE [--data FILE.json]   check a signed PDF, a detached signature (over --data, default FILE.json) or a signature id; exits 1 when broken or untrusted',
    needsStore: true,
    async run(args) {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { data: { type: 'string' } } });
      const file = positionals[0];
      if (!file) throw usage('verify FILE [--data FILE.json]');
      const s = await import('./service.ts');
      let r: VerifyReport;
      if (!fs.existsSync(file) && /^[0-9a-f-]{36}$/i.test(file)) r = await s.verifySignatureId(file);
      else {
        const bytes = fs.readFileSync(file);
        if (bytes.subarray(0, 5).toString('latin1') === '%PDF-') r = await s.verifyPdf(bytes);
        else {
          const dataFile = values.data ?? `${file}.json`;
          if (!fs.existsSync(dataFile)) throw usage('verify FILE.p7s --data FILE.json');
          r = await s.verifyData(fs.readFileSync(dataFile), bytes);
        }
      }
      printReport(r);
      return r.isValid ? 0 : 1;
    },
  },
];
