// Plugin `govflow/rankings`: the public Decision 766 rankings (docs/rankings.md) — the ranking page, one unit's score
// card, the drill-down from a sub-indicator's lost points to the rows behind them, and the open JSON API.
import type { Plugin, Request } from '@hapi/hapi';
import Joi from 'joi';
import { t, formatNumber, type Locale } from '../i18n/index.ts';
import { missedItems, parsePeriod, rankingConfig, rankings, scoreCard, type Period, type UnitScore } from './rankings.ts';
import { vnDate } from './contrib.ts';
import { registerNav } from '../web/nav.ts';

const pub = { govflow: { public: true } };
const periodQuery = Joi.object({ period: Joi.string().trim().max(10).allow('') });
const orgParam = Joi.string().trim().pattern(/^[0-9A-Za-z.]{1,40}$/).required();
const PAGE = 100;

/** Up to 20 periods to pick from: the years, quarters and months around the current one. */
function periodChoices(now = new Date()): string[] {
  const today = vnDate(now);
  const y = Number(today.slice(0, 4));
  const m = Number(today.slice(5, 7));
  const out = [String(y), String(y - 1)];
  for (let q = Math.ceil(m / 3); q >= 1; q--) out.push(`${y}-Q${q}`);
  for (let i = m; i >= 1; i--) out.push(`${y}-${String(i).padStart(2, '0')}`);
  return out;
}

/** How a period reads in a locale: `Năm 2026`, `Quý 3/2026`, `Tháng 11/2026`. */
export function periodLabel(locale: Locale, p: Period): string {
  if (p.kind === 'year') return t(locale, 'rankings.periodYear', { year: p.key });
  if (p.kind === 'quarter') return t(locale, 'rankings.periodQuarter', { year: p.key.slice(0, 4), quarter: p.key.slice(6) });
  return t(locale, 'rankings.periodMonth', { year: p.key.slice(0, 4), month: Number(p.key.slice(5, 7)) });
}

const fmt = (locale: Locale, n: number) => formatNumber(n, locale, Number.isInteger(n) ? 0 : 2);

/** A unit's row as the pages show it. */
function shown(locale: Locale, u: UnitScore) {
  return { ...u, scoreText: fmt(locale, u.score), groups: u.groups.map((g) => ({ ...g, scoreText: fmt(locale, g.score), indicators: g.indicators.map((i) => ({ ...i, scoreText: fmt(locale, i.score), lostText: fmt(locale, i.lost) })) })) };
}

function chartOf(locale: Locale, units: UnitScore[]) {
  const ranked = units.filter((u) => u.hasData);
  const groups = ranked[0]?.groups ?? [];
  return JSON.stringify({
    labels: ranked.map((u) => u.name),
    series: groups.map((g, gi) => ({ name: t(locale, `rankings.group.${g.key}`), data: ranked.map((u) => u.groups[gi]?.score ?? 0) })),
    axis: t(locale, 'rankings.axisPoints'),
  });
}

export const rankingsPlugin: Plugin<void> = {
  name: 'govflow/rankings',
  register(server) {
    // A missing or malformed RANKING_CONFIG fails the start-up, with its problems named, not the first request.
    rankingConfig();
    registerNav({ href: '/xep-hang', label: 'rankings.nav', roles: [], order: 7 });
    server.route([
      {
        method: 'GET', path: '/xep-hang', options: { plugins: pub, validate: { query: periodQuery } },
        async handler(request: Request, h) {
          const locale = request.app.locale;
          const period = parsePeriod((request.query as { period?: string }).period);
          const r = await rankings(period);
          return h.view('pages/insight/rankings', {
            pageTitle: t(locale, 'rankings.title'), period, periodText: periodLabel(locale, period), decision: r.decision,
            choices: periodChoices().map((k) => ({ key: k, label: periodLabel(locale, parsePeriod(k)) })),
            tables: [
              { key: 'provinces', units: r.provinces.map((u) => shown(locale, u)), chartJson: chartOf(locale, r.provinces) },
              { key: 'ministries', units: r.ministries.map((u) => shown(locale, u)), chartJson: chartOf(locale, r.ministries) },
            ],
            groups: rankingConfig().groups,
          });
        },
      },
      {
        method: 'GET', path: '/xep-hang/{org}', options: { plugins: pub, validate: { params: Joi.object({ org: orgParam }), query: periodQuery } },
        async handler(request: Request, h) {
          const locale = request.app.locale;
          const period = parsePeriod((request.query as { period?: string }).period);
          const card = await scoreCard(String(request.params.org), period);
          return h.view('pages/insight/rankings-unit', { pageTitle: `${card.name} — ${t(locale, 'rankings.title')}`, period, periodText: periodLabel(locale, period), card: shown(locale, card) });
        },
      },
      {
        method: 'GET', path: '/xep-hang/{org}/{indicator}',
        options: { plugins: pub, validate: { params: Joi.object({ org: orgParam, indicator: Joi.string().pattern(/^[a-zA-Z][a-zA-Z0-9]{0,40}$/).required() }), query: periodQuery.keys({ page: Joi.number().integer().min(1).max(100000).default(1) }) } },
        async handler(request: Request, h) {
          const locale = request.app.locale;
          const { period: key, page } = request.query as { period?: string; page: number };
          const period = parsePeriod(key);
          const [card, missed] = await Promise.all([scoreCard(String(request.params.org), period), missedItems(String(request.params.org), String(request.params.indicator), period)]);
          const group = card.groups.find((g) => g.key === missed.group)!;
          const ind = group.indicators.find((i) => i.key === missed.indicator.key)!;
          const pages = Math.max(1, Math.ceil(missed.items.length / PAGE));
          return h.view('pages/insight/rankings-drill', {
            pageTitle: `${t(locale, `rankings.indicator.${ind.key}`)} — ${card.name}`, period, periodText: periodLabel(locale, period), card: shown(locale, card), group: missed.group,
            ind: { ...ind, scoreText: fmt(locale, ind.score), lostText: fmt(locale, ind.lost), eachText: ind.missed ? fmt(locale, Math.round((ind.lost / ind.missed) * 1000) / 1000) : '0' },
            items: missed.items.slice((page - 1) * PAGE, page * PAGE), count: missed.items.length, page: Math.min(page, pages), pages,
          });
        },
      },
      {
        method: 'GET', path: '/api/rankings', options: { plugins: pub, validate: { query: periodQuery } },
        async handler(request: Request) {
          return rankings(parsePeriod((request.query as { period?: string }).period));
        },
      },
      {
        method: 'GET', path: '/api/rankings/{org}', options: { plugins: pub, validate: { params: Joi.object({ org: orgParam }), query: periodQuery.keys({ indicator: Joi.string().pattern(/^[a-zA-Z][a-zA-Z0-9]{0,40}$/) }) } },
        async handler(request: Request) {
          const { period: key, indicator } = request.query as { period?: string; indicator?: string };
          const period = parsePeriod(key);
          const card = await scoreCard(String(request.params.org), period);
          if (!indicator) return { period, unit: card };
          const missed = await missedItems(String(request.params.org), indicator, period);
          return { period, unit: card, indicator: missed.indicator.key, group: missed.group, items: missed.items };
        },
      },
    ]);
  },
};
