// `govflow api-client add | list | revoke`: issue and withdraw the credentials of `/engine-rest` callers.
import { parseArgs } from 'node:util';
import type { Command } from '../main.ts';
import { addApiClient, listApiClients, revokeApiClient } from './service.ts';

const out = (line: string) => process.stdout.write(line + '\n');
const USAGE = 'api-client add NAME --topics a,b [--processes k1,k2] | api-client list | api-client revoke ID   credentials for /engine-rest (the secret is printed once)';

function usage(): Error {
  return Object.assign(new Error(`usage: govflow ${USAGE}`), { isUsage: true });
}

/** `api-client`. */
export const apiClientCommand: Command = {
  name: 'api-client',
  usage: USAGE,
  needsStore: true,
  async run(args) {
    const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { topics: { type: 'string' }, processes: { type: 'string' } } });
    const actor = { username: 'cli' };
    switch (positionals[0]) {
      case 'add': {
        const name = positionals.slice(1).join(' ');
        if (!name || (!values.topics && !values.processes)) throw usage();
        const { client, secret } = await addApiClient({ name, topics: values.topics ?? '', processes: values.processes ?? '' }, actor);
        out(`id: ${client.id}`);
        out(`secret: ${secret}`);
        out(`topics: ${client.topics.join(',') || '-'}`);
        out(`processes: ${client.processes.join(',') || '-'}`);
        out('The secret is shown only now; use id and secret as HTTP Basic username and password.');
        return 0;
      }
      case 'list': {
        for (const c of await listApiClients()) {
          out([c.id, c.isActive ? 'active' : 'revoked', c.name, `topics=${c.topics.join(',') || '-'}`, `processes=${c.processes.join(',') || '-'}`, `created=${c.createdAt.toISOString()}`, `lastUsed=${c.lastUsedAt ? c.lastUsedAt.toISOString() : '-'}`].join('\t'));
        }
        return 0;
      }
      case 'revoke': {
        if (!positionals[1]) throw usage();
        const c = await revokeApiClient(positionals[1], actor);
        out(`revoked ${c.id} (${c.name})`);
        return 0;
      }
      default:
        throw usage();
    }
  },
};
