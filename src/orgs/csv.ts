// A small RFC 4180 CSV reader that keeps the line number where each record starts.

/** One record of a CSV file. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/** Parses CSV text (comma separator, double-quote quoting, CRLF or LF). */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let startLine = 1;
  let inQuotes = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inQuotes) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && field === '') inQuotes = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      fields.push(field);
      records.push({ line: startLine, fields });
      fields = [];
      field = '';
      line++;
      startLine = line;
    } else field += c;
  }
  if (field !== '' || fields.length) {
    fields.push(field);
    records.push({ line: startLine, fields });
  }
  return records;
}
