// API clients: admins issue an id and a secret per machine caller, scoped to topics and process keys.
// The secret is shown once; only its SHA-256 is stored. A salted slow hash (scrypt) guards passwords people
// choose; a 256-bit random secret cannot be guessed from its hash, and a fast hash keeps each request cheap.
import crypto from 'node:crypto';
import { ApiClient } from './models.ts';
import { audited, type Actor } from '../audit/service.ts';
import { BadRequest, Conflict, NotFound } from '../errors.ts';
import type { MachineCaller } from '../access/index.ts';

/** A topic or process key an API client may be granted: a name as BPMN files use them, or `*` for all. */
const SCOPE_ITEM = /^(?:\*|[\p{L}\p{N}_.:-]{1,190})$/u;

/** An API client as it leaves the domain (never with its secret or hash). */
export interface ApiClientView {
  id: string;
  name: string;
  topics: string[];
  processes: string[];
  createdBy: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  revokedBy: string | null;
  isActive: boolean;
}

const listOf = (text: string) => text.split(',').filter(Boolean);

function present(c: ApiClient): ApiClientView {
  return {
    id: c.id, name: c.name, topics: listOf(c.topics), processes: listOf(c.processes), createdBy: c.createdBy, createdAt: c.createdAt,
    lastUsedAt: c.lastUsedAt, revokedAt: c.revokedAt, revokedBy: c.revokedBy, isActive: !c.revokedAt,
  };
}

function hashOf(secret: string): string {
  return `sha256:${crypto.createHash('sha256').update(secret, 'utf8').digest('hex')}`;
}

/** Splits `a, b,c` into a checked list of scope items (duplicates dropped). */
export function parseScope(input: string | readonly string[] | null | undefined, field: 'topics' | 'processes'): string[] {
  const items = (typeof input === 'string' ? input.split(',') : [...(input ?? [])]).map((s) => s.trim()).filter(Boolean);
  for (const item of items) if (!SCOPE_ITEM.test(item)) throw BadRequest('apiclients.badScopeItem', { field, item: item.slice(0, 60) });
  return [...new Set(items)];
}

/** Issues a new API client; the answer carries the secret, which is never shown again. */
export async function addApiClient(input: { name: string; topics?: string | readonly string[]; processes?: string | readonly string[] }, actor: Actor | null): Promise<{ client: ApiClientView; secret: string }> {
  const name = String(input.name ?? '').trim();
  if (!name || name.length > 190 || /[\u0000-\u001f\u007f]/.test(name)) throw BadRequest('apiclients.badName');
  const topics = parseScope(input.topics, 'topics');
  const processes = parseScope(input.processes, 'processes');
  if (!topics.length && !processes.length) throw BadRequest('apiclients.emptyScope');
  const id = `gfc_${crypto.randomBytes(8).toString('hex')}`;
  const secret = crypto.randomBytes(32).toString('base64url');
  const row = await audited(actor, { action: 'apiclient.add', targetType: 'api_client', targetId: id, detail: { name, topics, processes } }, (t) =>
    ApiClient.create({ id, name, secretHash: hashOf(secret), topics: topics.join(','), processes: processes.join(','), createdBy: actor?.username ?? null }, { transaction: t }));
  return { client: present(row), secret };
}

/** Every API client, newest first (revoked ones too, for the record). */
export async function listApiClients(): Promise<ApiClientView[]> {
  const rows = await ApiClient.findAll({ order: [['createdAt', 'DESC'], ['id', 'ASC']] });
  return rows.map(present);
}

/** Revokes an API client: its credentials stop working at once, on every node. */
export async function revokeApiClient(id: string, actor: Actor | null): Promise<ApiClientView> {
  return audited(actor, { action: 'apiclient.revoke', targetType: 'api_client', targetId: id }, async (t) => {
    const row = await ApiClient.findByPk(id, { transaction: t, lock: t.LOCK.UPDATE });
    if (!row) throw NotFound('apiclients.notFound', { id });
    if (row.revokedAt) throw Conflict('apiclients.alreadyRevoked', { id });
    row.revokedAt = new Date();
    row.revokedBy = actor?.username ?? null;
    await row.save({ transaction: t });
    return present(row);
  });
}

/** How often the last-use time of one client is written at most (a write per request would cost more than the request). */
const TOUCH_MS = 60_000;
const touched = new Map<string, number>();

/**
 * The API client an `Authorization: Basic base64(id:secret)` header names, when the secret matches
 * and the client is not revoked; otherwise null. This is the header camunda-external-task-client-js's
 * BasicAuthInterceptor sends with `username` = id and `password` = secret.
 */
export async function authenticateBasic(header: string | undefined): Promise<MachineCaller | null> {
  const m = /^Basic\s+([A-Za-z0-9+/=]{1,2000})\s*$/i.exec(String(header ?? ''));
  if (!m) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  const id = decoded.slice(0, colon);
  const secret = decoded.slice(colon + 1);
  if (!/^gfc_[0-9a-f]{16}$/.test(id) || !secret) return null;
  const row = await ApiClient.findByPk(id);
  if (!row || row.revokedAt) return null;
  const a = Buffer.from(row.secretHash);
  const b = Buffer.from(hashOf(secret));
  if (a.length !== b.length || !crypto.timingSafeEqual(a, b)) return null;
  const now = Date.now();
  if ((touched.get(id) ?? 0) + TOUCH_MS < now) {
    touched.set(id, now);
    await ApiClient.update({ lastUsedAt: new Date(now) }, { where: { id } });
  }
  return { clientId: row.id, name: row.name, topics: listOf(row.topics), processes: listOf(row.processes) };
}
