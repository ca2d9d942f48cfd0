// Bounds on an uploaded workbook, checked on the zip itself before exceljs inflates it: the central
// directory's entry count and declared sizes first, then every entry inflated as a stream with a running
// cap on the bytes actually produced (a declared size can lie) and a count of worksheet cells.
import yauzl from 'yauzl';
import { AppError, BadRequest } from '../errors.ts';
import { sizeText } from './files.ts';

/** What an uploaded workbook may hold: several times the largest template a definition within FORM_LIMITS gives. */
export const UPLOAD_LIMITS = {
  /** Compressed size of the upload (the request limit of the upload route). */
  fileBytes: 10 * 1024 * 1024,
  /** Entries of the zip. */
  entries: 500,
  /** Bytes of all entries once inflated (the largest template inflates to about 1 MB). */
  uncompressedBytes: 32 * 1024 * 1024,
  /** Cells of all worksheets (the largest template has about 20,000, its hidden sheets included). */
  cells: 200_000,
} as const;

function tooLarge(): AppError {
  return new AppError('forms.xlsx.tooLarge', 413, { max: sizeText(UPLOAD_LIMITS.uncompressedBytes) });
}

function open(buffer: Buffer): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false }, (err, zip) => (err || !zip ? reject(BadRequest('forms.xlsx.unreadable')) : resolve(zip)));
  });
}

/** Counts `<c ` and `<c>` (cell elements) across chunk boundaries. */
class CellCounter {
  count = 0;
  private tail = '';
  add(chunk: Buffer): void {
    const text = this.tail + chunk.toString('latin1');
    for (let i = text.indexOf('<c'); i >= 0; i = text.indexOf('<c', i + 2)) {
      const next = text[i + 2];
      if (next === ' ' || next === '>') this.count++;
    }
    this.tail = text.slice(-2);
  }
}

/**
 * Throws 413 (`forms.xlsx.tooLarge`, `forms.xlsx.tooManyEntries`) or 422 (`forms.xlsx.tooManyCells`)
 * when a workbook exceeds UPLOAD_LIMITS, and 400 when it is not a readable zip; memory stays bounded by
 * the chunk size whatever the file claims.
 */
export async function assertWorkbookWithinLimits(buffer: Buffer): Promise<void> {
  if (buffer.length > UPLOAD_LIMITS.fileBytes) throw new AppError('forms.xlsx.fileTooLarge', 413, { max: sizeText(UPLOAD_LIMITS.fileBytes) });
  const zip = await open(buffer);
  if (zip.entryCount > UPLOAD_LIMITS.entries) {
    zip.close();
    throw new AppError('forms.xlsx.tooManyEntries', 413, { count: zip.entryCount, max: UPLOAD_LIMITS.entries });
  }
  let declared = 0;
  let inflated = 0;
  const cells = new CellCounter();
  await new Promise<void>((resolve, reject) => {
    let done = false;
    const fail = (err: unknown) => {
      if (done) return;
      done = true;
      zip.close();
      reject(err);
    };
    zip.on('error', () => fail(BadRequest('forms.xlsx.unreadable')));
    zip.on('end', () => {
      if (!done) {
        done = true;
        resolve();
      }
    });
    zip.on('entry', (entry: yauzl.Entry) => {
      declared += entry.uncompressedSize;
      if (declared > UPLOAD_LIMITS.uncompressedBytes) return fail(tooLarge());
      if (/\/$/.test(entry.fileName)) return zip.readEntry();
      const isSheet = /^xl\/worksheets\/[^/]+\.xml$/i.test(entry.fileName);
      zip.openReadStream(entry, (err, stream) => {
        if (err || !stream) return fail(BadRequest('forms.xlsx.unreadable'));
        stream.on('data', (chunk: Buffer) => {
          inflated += chunk.length;
          if (isSheet) cells.add(chunk);
          if (inflated > UPLOAD_LIMITS.uncompressedBytes) {
            stream.destroy();
            fail(tooLarge());
          } else if (cells.count > UPLOAD_LIMITS.cells) {
            stream.destroy();
            fail(new AppError('forms.xlsx.tooManyCells', 422, { max: UPLOAD_LIMITS.cells.toLocaleString('vi-VN') }));
          }
        });
        // An entry that inflates to more than its declared size is a lie about its size: refused as too large.
        stream.on('error', (e: Error) => fail(/bytes in the stream/.test(e.message) ? tooLarge() : BadRequest('forms.xlsx.unreadable')));
        stream.on('end', () => {
          if (!done) zip.readEntry();
        });
      });
    });
    zip.readEntry();
  });
}
