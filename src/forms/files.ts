// Files attached to `file` fields: checked against the field's types and size, stored once by content
// under DATA_DIR/uploads/<sha256>; the submission keeps `{ sha256, name, size, type }`.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FieldDef } from './definition.ts';
export { isFileValue } from './definition.ts';
import { getConfig } from '../config.ts';
import { AppError, NotFound } from '../errors.ts';

/** The value a file field holds. */
export interface FileValue {
  sha256: string;
  name: string;
  size: number;
  type: string;
}

/** A file as it arrives (multipart part or API upload). */
export interface Upload {
  name: string;
  type?: string;
  data: Buffer;
}

/** Media types by extension of the types a file field may accept. */
export const FILE_TYPES: Record<string, string> = {
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  doc: 'application/msword',
  xls: 'application/vnd.ms-excel',
  odt: 'application/vnd.oasis.opendocument.text',
  ods: 'application/vnd.oasis.opendocument.spreadsheet',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  txt: 'text/plain',
  zip: 'application/zip',
};

/** Accepted extensions when a field says nothing. */
export const DEFAULT_ACCEPT = ['pdf', 'docx', 'xlsx', 'png', 'jpg', 'jpeg'];
/** Size limit when a field says nothing: 10 MB. */
export const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
/** Largest limit a field may set (and the request limit of upload routes). */
export const MAX_FILE_BYTES = 50 * 1024 * 1024;

/** Extensions a field accepts (lower case, no dot). */
export function acceptOf(field: FieldDef): string[] {
  return (field.accept?.length ? field.accept : DEFAULT_ACCEPT).map((a) => a.toLowerCase().replace(/^\./, ''));
}

/** Size limit of a field in bytes. */
export function maxBytesOf(field: FieldDef): number {
  return field.maxBytes ?? DEFAULT_MAX_BYTES;
}

function uploadsDir(): string {
  return path.join(getConfig().dataDir, 'uploads');
}

/** Path of stored bytes. */
export function uploadPath(sha256: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw NotFound();
  return path.join(uploadsDir(), sha256);
}

/** Whether the bytes of a file are stored. */
export function hasUpload(sha256: string): boolean {
  return /^[0-9a-f]{64}$/.test(sha256) && fs.existsSync(uploadPath(sha256));
}

/** A size as people read it (`10 MB`, `12 KB`). */
export function sizeText(n: number): string {
  return n >= 1024 * 1024 ? `${Math.round((n / 1024 / 1024) * 10) / 10} MB` : `${Math.ceil(n / 1024)} KB`;
}

/** Types a browser may show in the page instead of downloading (images carry no script). */
const INLINE_TYPES = new Set(['image/png', 'image/jpeg']);

const ZIP = [0x50, 0x4b, 0x03, 0x04];
const OLE = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
/** The first bytes each binary type starts with. */
const MAGIC: Record<string, number[]> = {
  pdf: [0x25, 0x50, 0x44, 0x46, 0x2d],
  png: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  jpg: [0xff, 0xd8, 0xff],
  jpeg: [0xff, 0xd8, 0xff],
  docx: ZIP, xlsx: ZIP, odt: ZIP, ods: ZIP, zip: ZIP,
  doc: OLE, xls: OLE,
};

/** Whether the bytes look like the type their extension names (magic bytes; text is UTF-8 without NUL). */
export function contentMatches(ext: string, data: Buffer): boolean {
  const magic = MAGIC[ext];
  if (magic) return data.length >= magic.length && magic.every((b, i) => data[i] === b);
  if (ext === 'txt') return !data.includes(0) && Buffer.from(data.toString('utf8'), 'utf8').equals(data);
  // Extensions outside the known list are stored as opaque bytes and always downloaded.
  return true;
}

/** The media type stored and served for an extension: from the whitelist, never from the caller. */
export function mediaTypeOf(ext: string): string {
  return Object.hasOwn(FILE_TYPES, ext) ? FILE_TYPES[ext] : 'application/octet-stream';
}

/** A stored type made safe to serve: a whitelisted type, or opaque bytes. */
export function servedType(type: string): string {
  return Object.values(FILE_TYPES).includes(type) ? type : 'application/octet-stream';
}

/** Whether a stored type may be shown inline rather than downloaded. */
export function isInlineType(type: string): boolean {
  return INLINE_TYPES.has(type);
}

/** `Content-Disposition` of a download: RFC 6266 with an ASCII fallback and the UTF-8 name. */
export function contentDisposition(name: string, inline = false): string {
  const clean = name.replace(/[\r\n"\\]/g, '_');
  const ascii = clean.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').replace(/[^A-Za-z0-9._ -]/g, '_') || 'file';
  const encoded = encodeURIComponent(clean).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${inline ? 'inline' : 'attachment'}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/**
 * Checks an upload against a field: 400 for a type the field does not accept (by extension, declared
 * type and content) or an empty file, 413 when too large. The stored type comes from the whitelist.
 */
export function checkUpload(field: FieldDef, up: Upload): FileValue {
  const name = path.basename(String(up.name ?? '').replace(/\\/g, '/')).replace(/[\u0000-\u001f\u007f]/g, '').normalize('NFC').slice(0, 255);
  const ext = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1).toLowerCase() : '';
  const accept = acceptOf(field);
  const declared = (up.type ?? '').split(';')[0].trim().toLowerCase();
  const expected = Object.hasOwn(FILE_TYPES, ext) ? FILE_TYPES[ext] : undefined;
  const typeOk = !!ext && accept.includes(ext) && (!declared || declared === 'application/octet-stream' || !expected || declared === expected);
  if (!typeOk) throw new AppError('forms.file.badType', 400, { where: field.label, name, accept: accept.join(', ') });
  if (up.data.length > maxBytesOf(field)) throw new AppError('forms.file.tooLarge', 413, { where: field.label, name, max: sizeText(maxBytesOf(field)) });
  if (!up.data.length) throw new AppError('forms.file.empty', 400, { where: field.label, name });
  if (!contentMatches(ext, up.data)) throw new AppError('forms.file.badContent', 400, { where: field.label, name, ext });
  const sha256 = crypto.createHash('sha256').update(up.data).digest('hex');
  return { sha256, name, size: up.data.length, type: mediaTypeOf(ext) };
}

/** Stores the bytes of checked uploads (once per content). */
export async function storeUploads(files: Array<{ value: FileValue; data: Buffer }>): Promise<void> {
  if (!files.length) return;
  await fs.promises.mkdir(uploadsDir(), { recursive: true });
  for (const f of files) {
    const target = uploadPath(f.value.sha256);
    if (fs.existsSync(target)) continue;
    const tmp = `${target}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
    await fs.promises.writeFile(tmp, f.data);
    await fs.promises.rename(tmp, target);
  }
}

/** The stored bytes of a file, or 404. */
export async function readUpload(sha256: string): Promise<Buffer> {
  try {
    return await fs.promises.readFile(uploadPath(sha256));
  } catch {
    throw NotFound('forms.file.notFound');
  }
}
