// A real SMTP server (smtp-server) for notification tests: records each accepted message, can refuse
// recipients with a reply code, hold DATA replies, or stop listening for a while.
import net from 'node:net';
import http from 'node:http';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { simpleParser } from 'mailparser';

/** A message the server accepted. */
export interface Received {
  to: string[];
  from: string;
  subject: string;
  text: string;
  messageId: string;
  govflowId: string;
}

/** The test SMTP server and what it received. */
export interface TestSmtp {
  port: number;
  url: string;
  received: Received[];
  /** Reply code for RCPT TO of an address (e.g. 550), or null to accept it. */
  refuse: (to: string) => number | null;
  /** While set, DATA replies wait (a message is accepted only when its reply is sent on a live connection). */
  hold: boolean;
  /** How many client connections have closed so far. */
  closedSessions(): number;
  /** Stops listening (the port is then refused). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Starts an SMTP server on a free port. */
export async function startSmtp(): Promise<TestSmtp> {
  const port = await freePort();
  const closed = new Set<string>();
  let server: SMTPServer | null = null;
  const state: TestSmtp = {
    port,
    url: `smtp://127.0.0.1:${port}`,
    received: [],
    refuse: () => null,
    hold: false,
    closedSessions: () => closed.size,
    async start() {
      server = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS', 'AUTH'],
        logger: false,
        size: 10 * 1024 * 1024,
        onClose(session: SMTPServerSession) {
          closed.add(session.id);
        },
        onRcptTo(address, _session, callback) {
          const code = state.refuse(address.address);
          if (code) return callback(Object.assign(new Error(`${code} mailbox ${address.address} unavailable`), { responseCode: code }));
          callback();
        },
        onData(stream, session, callback) {
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', async () => {
            while (state.hold && !closed.has(session.id)) await new Promise((r) => setTimeout(r, 20));
            // The client went away before the reply: as a real MTA, the message is not accepted.
            if (closed.has(session.id)) return callback(new Error('connection closed'));
            const mail = await simpleParser(Buffer.concat(chunks));
            state.received.push({
              to: session.envelope.rcptTo.map((r) => r.address),
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              subject: mail.subject ?? '',
              text: mail.text ?? '',
              messageId: mail.messageId ?? '',
              govflowId: String(mail.headers.get('x-govflow-message') ?? ''),
            });
            callback();
          });
        },
      });
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(port, '127.0.0.1', () => resolve());
      });
    },
    async stop() {
      const s = server;
      server = null;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
  await state.start();
  return state;
}

/** A message the test SMS gateway accepted. */
export interface ReceivedSms {
  to: string;
  text: string;
  brandname: string;
  reference: string;
}

/** A local SMS gateway speaking the HTTP adapter's protocol: JSON POST with `x-api-key`. */
export async function startSmsGateway(key: string): Promise<{ url: string; received: ReceivedSms[]; status: (to: string) => number; close(): Promise<void> }> {
  const received: ReceivedSms[] = [];
  const gw = { url: '', received, status: (_to: string) => 200, close: async () => {} };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.headers['x-api-key'] !== key) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"bad key"}');
        return;
      }
      const m = JSON.parse(body) as ReceivedSms;
      const code = gw.status(m.to);
      if (code === 200) received.push(m);
      res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(code === 200 ? { ok: true, id: received.length } : { error: 'refused' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  gw.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/sms`;
  gw.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return gw;
}
