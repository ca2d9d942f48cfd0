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

/** Checks an upload against a field: 400 for a type the field does not accept, 413 when too large. */
export function checkUpload(field: FieldDef, up: Upload): FileValue {
  const name = path.basename(String(up.name ?? '').replace(/\\/g, '/')).normalize('NFC').slice(0, 255);
  const ext = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1).toLowerCase() : '';
  const accept = acceptOf(field);
  const declared = (up.type ?? '').split(';')[0].trim().toLowerCase();
  const expected = FILE_TYPES[ext];
  const typeOk = !!ext && accept.includes(ext) && (!declared || declared === 'application/octet-stream' || !expected || declared === expected);
  if (!typeOk) throw new AppError('forms.file.badType', 400, { where: field.label, name, accept: accept.join(', ') });
  if (up.data.length > maxBytesOf(field)) throw new AppError('forms.file.tooLarge', 413, { where: field.label, name, max: sizeText(maxBytesOf(field)) });
  if (!up.data.length) throw new AppError('forms.file.empty', 400, { where: field.label, name });
  const sha256 = crypto.createHash('sha256').update(up.data).digest('hex');
  return { sha256, name, size: up.data.length, type: expected ?? (declared || 'application/octet-stream') };
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
