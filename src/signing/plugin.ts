// Signing screens: the public verify page and API, a leader's certificate (PKCS#12 upload with PIN) and
// the page where a leader signs a PDF.
import { Readable } from 'node:stream';
import type { Plugin, Request, ResponseToolkit } from '@hapi/hapi';
import Joi from 'joi';
import { t } from '../i18n/index.ts';
import { mustViewer, wantsJson } from '../web/route-helpers.ts';
import { registerNav } from '../web/nav.ts';
import type { Role } from '../auth/models.ts';
import { AppError, BadRequest } from '../errors.ts';
import { canonicalJson, listCertificates, listSignatures, signingStatus, signPdf, uploadPkcs12, verifyData, verifyPdf, verifySignatureId, type VerifyReport } from './service.ts';
import { presentReport } from './presenters.ts';

// Leaders sign; administrators may too (e.g. to test a deployment's CA), and the security suite expects them to reach every staff route.
const SIGNERS: Role[] = ['leader', 'admin'];
const leaders = { govflow: { roles: SIGNERS } };
// Verification is open to anyone: a citizen or another agency checks what they received.
const anyone = { govflow: { public: true } };
const MAX_UPLOAD = 25 * 1024 * 1024;
const publicId = Joi.string().trim().lowercase().guid({ version: 'uuidv4' });
const multipart = { output: 'data' as const, parse: true, multipart: { output: 'stream' as const }, maxBytes: MAX_UPLOAD };
const file = Joi.object().instance(Readable);

async function bytesOf(v: unknown): Promise<Buffer | null> {
  if (!(v instanceof Readable)) return null;
  const b = Buffer.concat(await v.toArray());
  return b.length ? b : null;
}

/** Runs the check the caller asked for: a signed PDF, data + signature, or a signature id. */
async function runVerify(input: { pdf?: Buffer | null; data?: Buffer | null; signature?: Buffer | null; id?: string | null }): Promise<VerifyReport> {
  if (input.pdf) {
    if (input.pdf.subarray(0, 5).toString('latin1') !== '%PDF-') throw BadRequest('signing.notPdf');
    return verifyPdf(input.pdf);
  }
  if (input.data && input.signature) return verifyData(input.data, input.signature);
  if (input.id) return verifySignatureId(input.id);
  throw BadRequest('signing.verifyNeedsInput');
}

function verifyView(request: Request, h: ResponseToolkit, ctx: Record<string, unknown> = {}) {
  return h.view('pages/signing/verify', { pageTitle: t(request.app.locale, 'signing.verify.title'), ...ctx });
}

async function certificatesView(request: Request, h: ResponseToolkit, ctx: Record<string, unknown> = {}) {
  const viewer = mustViewer(request);
  const certs = await listCertificates(viewer.userId);
  return h.view('pages/signing/certificates', { pageTitle: t(request.app.locale, 'signing.certificates.title'), current: certs.find((c) => c.status === 'active') ?? null, history: certs.filter((c) => c.status !== 'active'), ...ctx });
}

async function signView(request: Request, h: ResponseToolkit, ctx: Record<string, unknown> = {}) {
  const viewer = mustViewer(request);
  return h.view('pages/signing/sign', { pageTitle: t(request.app.locale, 'signing.sign.title'), status: await signingStatus(viewer.userId), recent: await listSignatures(viewer.userId, 10), ...ctx });
}

/** Plugin `govflow/signing`. */
export const signingPlugin: Plugin<void> = {
  name: 'govflow/signing',
  register(server) {
    registerNav({ href: '/sign', label: 'signing.nav.sign', roles: SIGNERS, order: 60 });
    registerNav({ href: '/me/certificates', label: 'signing.nav.certificates', roles: SIGNERS, order: 61 });
    registerNav({ href: '/verify', label: 'signing.nav.verify', roles: [], order: 90 });

    server.route([
      {
        method: 'GET',
        path: '/verify',
        options: { plugins: anyone },
        handler: (request, h) => verifyView(request, h),
      },
      {
        method: 'GET',
        path: '/verify/{id}',
        options: { plugins: anyone, validate: { params: Joi.object({ id: publicId.required() }) } },
        handler: async (request, h) => {
          const report = await verifySignatureId((request.params as { id: string }).id);
          return verifyView(request, h, { report: presentReport(request.app.locale, report), id: (request.params as { id: string }).id });
        },
      },
      {
        method: 'POST',
        path: '/verify',
        options: {
          plugins: anyone,
          payload: multipart,
          validate: { payload: Joi.object({ crumb: Joi.string(), pdf: file, data: file, signature: file, id: Joi.alternatives(publicId, Joi.string().valid('')) }) },
        },
        handler: async (request, h) => {
          const p = request.payload as { pdf?: Readable; data?: Readable; signature?: Readable; id?: string };
          const input = { pdf: await bytesOf(p.pdf), data: await bytesOf(p.data), signature: await bytesOf(p.signature), id: p.id || null };
          try {
            const report = await runVerify(input);
            return verifyView(request, h, { report: presentReport(request.app.locale, report), id: input.id ?? '' });
          } catch (err) {
            if (!(err instanceof AppError) || err.status >= 500) throw err;
            return verifyView(request, h, { error: t(request.app.locale, err.code, err.params), id: input.id ?? '' }).code(err.status);
          }
        },
      },
      {
        method: 'POST',
        path: '/api/verify',
        options: {
          plugins: { govflow: { public: true, maxText: 40 * 1024 * 1024 } },
          payload: { ...multipart, maxBytes: 40 * 1024 * 1024 },
          validate: {
            payload: Joi.object({
              pdf: Joi.alternatives(file, Joi.string().base64()),
              // The data as the signed text, or as JSON values (checked in their canonical form).
              data: Joi.alternatives(file, Joi.string(), Joi.object().unknown(true), Joi.array()),
              signature: Joi.alternatives(file, Joi.string().base64()),
              id: publicId,
            }),
          },
        },
        handler: async (request) => {
          const p = request.payload as Record<string, unknown>;
          const pick = async (v: unknown, enc: 'base64' | 'utf8') => {
            if (typeof v === 'string') return Buffer.from(v, enc);
            if (v && typeof v === 'object' && !(v instanceof Readable)) return Buffer.from(canonicalJson(v), 'utf8');
            return bytesOf(v);
          };
          const report = await runVerify({ pdf: await pick(p.pdf, 'base64'), data: await pick(p.data, 'utf8'), signature: await pick(p.signature, 'base64'), id: (p.id as string | undefined) ?? null });
          return report;
        },
      },
      {
        method: 'GET',
        path: '/me/certificates',
        options: { plugins: leaders, validate: { query: Joi.object({ uploaded: Joi.string().valid('1') }) } },
        handler: async (request, h) => certificatesView(request, h, { uploaded: (request.query as { uploaded?: string }).uploaded === '1' }),
      },
      {
        method: 'POST',
        path: '/me/certificates',
        options: {
          plugins: leaders,
          payload: { ...multipart, maxBytes: 1024 * 1024 },
          validate: {
            payload: Joi.object({ crumb: Joi.string(), file: file.required(), pin: Joi.string().min(1).max(128).required() }),
            failAction: async (request, h) => (await certificatesView(request, h, { error: t(request.app.locale, 'signing.wrongPin') })).code(400).takeover(),
          },
        },
        handler: async (request, h) => {
          const p = request.payload as { file: Readable; pin: string };
          const bytes = (await bytesOf(p.file)) ?? Buffer.alloc(0);
          try {
            const c = await uploadPkcs12(mustViewer(request), bytes, p.pin);
            if (wantsJson(request)) return c;
            return h.redirect('/me/certificates?uploaded=1');
          } catch (err) {
            if (!(err instanceof AppError) || err.status >= 500) throw err;
            return (await certificatesView(request, h, { error: t(request.app.locale, err.code, err.params) })).code(err.status);
          }
        },
      },
      {
        method: 'GET',
        path: '/sign',
        options: { plugins: leaders },
        handler: async (request, h) => signView(request, h),
      },
      {
        method: 'POST',
        path: '/sign',
        options: {
          plugins: leaders,
          payload: multipart,
          validate: { payload: Joi.object({ crumb: Joi.string(), file: file.required(), pin: Joi.string().max(128).allow('') }) },
        },
        handler: async (request, h) => {
          const viewer = mustViewer(request);
          const p = request.payload as { file: Readable & { hapi?: { filename?: string } }; pin?: string };
          const bytes = await bytesOf(p.file);
          const name = (p.file.hapi?.filename || 'document.pdf').replace(/[^\p{L}\p{N}._ -]+/gu, '_').slice(0, 120);
          try {
            if (!bytes || bytes.subarray(0, 5).toString('latin1') !== '%PDF-') throw BadRequest('signing.notPdf');
            const r = await signPdf({ userId: viewer.userId, pin: p.pin || undefined, ip: viewer.ip }, bytes, { label: name });
            const outName = name.replace(/\.pdf$/i, '') + '-signed.pdf';
            return h.response(r.pdf).type('application/pdf')
              .header('content-disposition', `attachment; filename="${outName.replace(/[^\x20-\x7e]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(outName)}`)
              .header('x-signature-id', r.signature.id);
          } catch (err) {
            if (!(err instanceof AppError) || err.status >= 500) throw err;
            return (await signView(request, h, { error: t(request.app.locale, err.code, err.params) })).code(err.status);
          }
        },
      },
    ]);
  },
};
