// A real govflow server on a fresh database, driven with server.inject(), plus users to act as.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Server, ServerInjectResponse } from '@hapi/hapi';
import { freshDb, type TestDb } from './db.ts';
import { createServer } from '../../src/web/server.ts';
import { importOrgs } from '../../src/orgs/import.ts';
import { createUser } from '../../src/auth/service.ts';
import type { Role } from '../../src/auth/models.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Folder of the reference data shared beside the checkout. */
export const sharedData = path.resolve(repoRoot, '../shared/data');
/** Password of every user made by these helpers. */
export const PASSWORD = 'TestPassword123';

/** A server on a fresh database. */
export interface TestApp {
  server: Server;
  db: TestDb;
  /** Stops the server and drops the database. */
  close(): Promise<void>;
}

/** Starts a server (not listening unless `listen`) on a fresh database, optionally with the 2025 org tree. */
export async function startApp(opts: { orgs?: boolean; listen?: boolean; env?: Record<string, string> } = {}): Promise<TestApp> {
  const db = await freshDb(opts.env);
  if (opts.orgs !== false) {
    await importOrgs(fs.readFileSync(path.join(repoRoot, 'seed/admin-units-2025.csv')));
    await importOrgs(fs.readFileSync(path.join(repoRoot, 'seed/agencies.csv')));
  }
  const server = await createServer();
  if (opts.listen) await server.start();
  return {
    server,
    db,
    async close() {
      await server.stop({ timeout: 1000 });
      await db.cleanup();
    },
  };
}

let counter = 0;

/** Creates a user holding one role (scoped to orgCode when given). */
export async function makeUser(role: Role, orgCode: string | null = null, extra: { username?: string; fullName?: string } = {}) {
  counter++;
  const username = extra.username ?? `${role}${counter}.${orgCode ?? 'all'}`.toLowerCase();
  return createUser({ username, fullName: extra.fullName ?? `Người dùng ${role} ${counter}`, email: `${username}@test.govflow.local`, password: PASSWORD, orgCode, roles: [{ role, orgCode }] }, null);
}

/** Cookies and CSRF token of a logged-in session, to replay on inject(). */
export interface Session {
  cookie: string;
  crumb: string;
}

function cookiesOf(res: ServerInjectResponse): Record<string, string> {
  const out: Record<string, string> = {};
  const set = res.headers['set-cookie'];
  for (const c of Array.isArray(set) ? set : set ? [set] : []) {
    const [pair] = c.split(';');
    const i = pair.indexOf('=');
    out[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return out;
}

/** A fresh anonymous session: the crumb cookie and its value. */
export async function anonymous(server: Server): Promise<Session> {
  const res = await server.inject('/login');
  const crumb = cookiesOf(res).crumb;
  return { cookie: `crumb=${crumb}`, crumb };
}

/** Logs in through the real form and returns the session. */
export async function login(server: Server, username: string, password = PASSWORD): Promise<Session> {
  const anon = await anonymous(server);
  const res = await server.inject({ method: 'POST', url: '/login', headers: { cookie: anon.cookie }, payload: { username, password, crumb: anon.crumb } });
  if (res.statusCode !== 302) throw new Error(`login of ${username} failed: ${res.statusCode}`);
  const { sid, crumb = anon.crumb } = cookiesOf(res);
  // Login replaces the anonymous CSRF token by one bound to the new session.
  return { cookie: `crumb=${crumb}; sid=${sid}`, crumb };
}

/** Sends a request as a session: a form post carries the crumb field, an API call the CSRF header. */
export async function call(server: Server, session: Session | null, method: string, url: string, payload?: unknown, headers: Record<string, string> = {}): Promise<ServerInjectResponse> {
  const isApi = url.startsWith('/api/');
  const isForm = !isApi && method !== 'GET' && payload && typeof payload === 'object' && !Buffer.isBuffer(payload);
  return server.inject({
    method,
    url,
    headers: { ...(session ? { cookie: session.cookie } : {}), ...(isApi && session ? { 'x-csrf-token': session.crumb } : {}), ...headers },
    payload: isForm ? { ...(payload as object), crumb: session?.crumb } : (payload as object | undefined),
  });
}

/** Polls /healthz of a listening server over HTTP while `work` runs; returns the latencies in ms. */
export async function healthzDuring(server: Server, work: () => Promise<void>): Promise<number[]> {
  const base = `http://127.0.0.1:${server.info.port}`;
  const latencies: number[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const t0 = performance.now();
      const r = await fetch(`${base}/healthz`);
      await r.text();
      if (r.status !== 200) throw new Error(`healthz answered ${r.status}`);
      latencies.push(performance.now() - t0);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 50));
  try {
    await work();
    await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    polling = false;
    await poller;
  }
  return latencies;
}
