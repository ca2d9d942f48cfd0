// Instants are stored in UTC and shown in Vietnam time (UTC+07:00, no daylight saving).
const offsetMs = 7 * 3600 * 1000;

/** ISO 8601 in Vietnam time with its offset, e.g. `2026-11-23T10:22:15+07:00`. */
export function toVnIso(d: Date | string | number | null | undefined): string | null {
  if (d === null || d === undefined) return null;
  const t = new Date(d).getTime();
  if (Number.isNaN(t)) return null;
  return new Date(t + offsetMs).toISOString().replace(/\.\d{3}Z$/, '+07:00');
}

/** Human form for pages: `23/11/2026 10:22` in Vietnam time. */
export function formatVn(d: Date | string | number | null | undefined): string {
  const iso = toVnIso(d);
  if (!iso) return '';
  const [date, time] = iso.split('T');
  const [y, m, day] = date.split('-');
  return `${day}/${m}/${y} ${time.slice(0, 5)}`;
}
