// Reading the published texts of a procedure: time limits, fees, levels and channels (docs/catalog.md).

/** A time limit as published: working days, calendar days or hours; null amount when the text says no number. */
export interface ProcessingTime {
  amount: number | null;
  unit: 'workday' | 'day' | 'hour' | null;
  text: string;
}

/**
 * Parses `30 Ngày làm việc`, `05 ngày làm việc` (working days), `60 Ngày` (calendar days), `01 Giờ`, `0.5 Giờ` (hours)
 * and `Trong ngày` / `Ngay trong ngày…` (0.5 working day: the dossier is settled before the next working day ends).
 * Anything else keeps only its text.
 */
export function parseProcessingTime(raw: string): ProcessingTime {
  const text = raw.trim();
  const m = /^(\d+(?:[.,]\d+)?)\s*(ngày làm việc|ngày|giờ)\.?$/iu.exec(text);
  if (m) {
    const amount = Number(m[1].replace(',', '.'));
    const unit = m[2].toLowerCase();
    return { amount, unit: unit === 'ngày làm việc' ? 'workday' : unit === 'ngày' ? 'day' : 'hour', text };
  }
  if (/^(ngay )?trong ngày(?=$|[\s,.;])/iu.test(text)) return { amount: 0.5, unit: 'workday', text };
  return { amount: null, unit: null, text };
}

/** A fee in VND: one amount, a range, or unknown (null) when the text names no amount in đồng. */
export interface Fee {
  min: number | null;
  max: number | null;
  text: string;
}

const AMOUNT_VND = /(\d{1,3}(?:\.\d{3})+|\d+)\s*(?:đồng|Đồng|VNĐ|VND)/gu;

/** Reads the fee from the `fee_vnd` column (`0`, `50000`, `2000000-5000000`) or else from the amounts in đồng in the text. */
export function parseFee(feeText: string, feeVnd = ''): Fee {
  const text = feeText.trim();
  const col = feeVnd.trim();
  const range = /^(\d+)(?:-(\d+))?$/.exec(col);
  if (range) return { min: Number(range[1]), max: Number(range[2] ?? range[1]), text };
  if (/^(phí|lệ phí)\s*:\s*không\s*đồng/iu.test(text)) return { min: 0, max: 0, text };
  const amounts = [...text.matchAll(AMOUNT_VND)].map((m) => Number(m[1].replace(/\./g, ''))).filter((n) => Number.isSafeInteger(n));
  if (!amounts.length) return { min: null, max: null, text };
  return { min: Math.min(...amounts), max: Math.max(...amounts), text };
}

/** The levels of `Cấp Bộ, Cấp Tỉnh, Cấp Xã`, each on its own. */
export function splitLevels(level: string): string[] {
  return level.split(',').map((s) => s.trim()).filter(Boolean);
}

/** The channels of `Trực tiếp; Trực tuyến; Dịch vụ bưu chính`, each on its own. */
export function splitChannels(channels: string): string[] {
  return channels.split(';').map((s) => s.trim()).filter(Boolean);
}

/** Online levels of the public service: `full` (toàn trình) or `partial` (một phần). */
export const ONLINE_LEVELS = ['full', 'partial'] as const;
export type OnlineLevel = (typeof ONLINE_LEVELS)[number];

/** Reads an online level as written in a file (`toàn trình`, `một phần`, `full`, `partial`); undefined when it is something else. */
export function parseOnlineLevel(raw: string): OnlineLevel | null | undefined {
  const s = raw.trim().toLowerCase();
  if (!s) return null;
  if (s === 'full' || s === 'toàn trình') return 'full';
  if (s === 'partial' || s === 'một phần') return 'partial';
  return undefined;
}

/** Text for search: lower case, without diacritics, with đ read as d (so `dang ky` finds `Đăng ký`). */
export function fold(text: string): string {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'd').toLowerCase();
}
