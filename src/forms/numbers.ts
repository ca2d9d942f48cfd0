// Numbers as Vietnamese users type and read them: `1.234,5` (dot groups thousands, comma marks decimals).

/** Parses a number typed as text; understands `1.234,5`, `12,5`, `1 234`, `1,234.5` and a trailing `%`. Null when it is not a number. */
export function parseVnNumber(text: string): number | null {
  let s = text.normalize('NFC').replace(/[\s\u00a0\u202f]/g, '').replace(/%$/, '');
  if (!s) return null;
  let sign = 1;
  if (/^\(.*\)$/.test(s)) {
    sign = -1;
    s = s.slice(1, -1);
  }
  if (s.startsWith('-') || s.startsWith('−')) {
    sign *= -1;
    s = s.slice(1);
  } else if (s.startsWith('+')) s = s.slice(1);
  if (!/^[0-9.,]+$/.test(s) || !/[0-9]/.test(s)) return null;
  const lastDot = s.lastIndexOf('.');
  const lastComma = s.lastIndexOf(',');
  let intPart: string;
  let frac = '';
  const grouped = (p: string, sep: string) => new RegExp(`^\\d{1,3}(\\${sep}\\d{3})+$`).test(p);
  if (lastDot >= 0 && lastComma >= 0) {
    const dec = lastDot > lastComma ? '.' : ',';
    const grp = dec === '.' ? ',' : '.';
    const at = s.lastIndexOf(dec);
    intPart = s.slice(0, at);
    frac = s.slice(at + 1);
    if (!grouped(intPart, grp) && intPart.includes(grp)) return null;
    if (frac.includes(grp) || frac.includes(dec)) return null;
    intPart = intPart.split(grp).join('');
  } else if (lastComma >= 0) {
    // Vietnamese: a single comma is the decimal mark; several commas in groups of three group thousands.
    const parts = s.split(',');
    if (parts.length > 2) {
      if (!grouped(s, ',')) return null;
      intPart = parts.join('');
    } else [intPart, frac] = parts;
  } else if (lastDot >= 0) {
    // Vietnamese: the dot groups thousands (1.234 or 1.234.567); otherwise it is a decimal point.
    if (grouped(s, '.')) intPart = s.split('.').join('');
    else {
      const parts = s.split('.');
      if (parts.length > 2) return null;
      [intPart, frac] = parts;
    }
  } else intPart = s;
  if (intPart === '' && frac === '') return null;
  const n = Number(`${intPart || '0'}.${frac || '0'}`);
  return Number.isFinite(n) ? sign * n : null;
}

/** Formats a number the Vietnamese way without Intl (identical in Node and every browser). */
export function formatVnNumber(n: number | null | undefined, decimals?: number): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '';
  const fixed = decimals === undefined ? String(Math.round(n * 1e6) / 1e6) : n.toFixed(decimals);
  const neg = fixed.startsWith('-');
  const [i, f] = (neg ? fixed.slice(1) : fixed).split('.');
  const grouped = i.replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  return `${neg ? '-' : ''}${grouped}${f ? ',' + f : ''}`;
}
