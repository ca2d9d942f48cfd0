// Personal data hidden from the public page: e-mail addresses, phone numbers, ID numbers (CCCD 12 digits,
// CMND 9 digits), the submitter's name and names after a form of address ("ông Trần Văn Bình").
// Masking errs on the side of hiding: a 10-digit tax code reads like a phone number and is hidden too.

/** What replaces a hidden piece of text. */
export const MASK = '***';

const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/gu;
// Vietnamese numbers: 0 or +84/84 then 8–10 more digits, in groups split by spaces, dots or dashes.
const PHONE = /(?<![\p{N}])(?:\(?\+?84\)?|0)(?:[ .-]?\p{N}){8,10}(?![\p{N}])/gu;
// CCCD (12) and CMND (9) numbers, also written in groups of three or four.
const ID_NUMBER = /(?<![\p{N}])(?:\p{N}{12}|\p{N}{9}|\p{N}{3}[ .]\p{N}{3}[ .]\p{N}{3}[ .]\p{N}{3}|\p{N}{4}[ .]\p{N}{4}[ .]\p{N}{4})(?![\p{N}])/gu;
// A word that starts with a capital letter (a name part).
const NAME_WORD = '\\p{Lu}[\\p{Ll}\\p{M}]*';
// Forms of address written in lower case before a person's name; a capital "Bà" starts place names (Bà Rịa, Bà Điểm) and is left alone.
const HONORIFIC = new RegExp(`(?<![\\p{L}])(ông|bà|anh|chị|cô|chú|bác|cháu|em|cụ|đồng chí|tôi tên là|tôi là|họ và tên|họ tên|tên là)(:?\\s+)(${NAME_WORD}(?:\\s+${NAME_WORD}){0,3})`, 'gu');
// Words after a form of address that name a place or an office, not a person.
const NOT_A_NAME = new Set(['Phường', 'Xã', 'Thị', 'Quận', 'Huyện', 'Tỉnh', 'Thành', 'Ủy', 'Uỷ', 'UBND', 'Sở', 'Bộ', 'Phòng', 'Ban', 'Cục', 'Chi', 'Trung', 'Công', 'Trường', 'Bệnh', 'Đội', 'Tổ', 'Văn', 'Nhà']);

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The name variants of a person to hide: the full name and the given name without the family name. */
function nameVariants(name: string): string[] {
  const words = name.normalize('NFC').trim().split(/\s+/).filter(Boolean);
  const out = new Set<string>();
  if (words.length) out.add(words.join(' '));
  if (words.length >= 3) out.add(words.slice(1).join(' '));
  if (words.length >= 2) out.add(words[words.length - 1].length >= 3 ? words.slice(-2).join(' ') : words.join(' '));
  return [...out].filter((v) => v.length >= 3).sort((a, b) => b.length - a.length);
}

/** The text with personal data replaced by MASK; `names` are people's names known to appear (the submitter's). */
export function maskPersonalData(text: string, names: readonly string[] = []): string {
  let out = text.normalize('NFC');
  out = out.replace(EMAIL, MASK);
  out = out.replace(ID_NUMBER, MASK);
  out = out.replace(PHONE, MASK);
  for (const name of names) {
    for (const v of nameVariants(name)) {
      out = out.replace(new RegExp(`(?<![\\p{L}])${escapeRegExp(v).replace(/\s+/g, '\\s+')}(?![\\p{L}])`, 'giu'), MASK);
    }
  }
  out = out.replace(HONORIFIC, (whole, title: string, gap: string, person: string) => {
    const first = person.split(/\s+/)[0];
    return NOT_A_NAME.has(first) ? whole : `${title}${gap}${MASK}`;
  });
  return out;
}

/** A phone number's last four digits, or null when it has fewer. */
export function lastFourDigits(phone: string | null | undefined): string | null {
  const digits = (phone ?? '').replace(/\D/g, '');
  return digits.length >= 4 ? digits.slice(-4) : null;
}
