// Accessibility checks the browser suites share: axe-core's WCAG 2.2 AA rules and sideways scrolling at
// phone width on every page a browser test opens (wired in test/helpers/browser.ts), plus the older
// hand-written checks (named controls, one heading, a main landmark, contrast).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ExecutionContext } from 'ava';
import type { Page } from 'playwright-core';

/** The axe-core rule tags every page must pass: WCAG 2.0, 2.1 and 2.2, levels A and AA. */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/** Third-party widget regions axe skips, each with the reason. Only regions whose markup govflow does not
 * write belong here (never a whole page, never a govflow template); each entry needs its reason. */
export const THIRD_PARTY_REGIONS: ReadonlyArray<{ selector: string; why: string }> = [];

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** One problem found on a page: an axe rule, or sideways scrolling at phone width. */
export interface A11yFinding {
  rule: string;
  impact: string;
  help: string;
  helpUrl: string;
  targets: string[];
}

/** Runs axe-core (WCAG 2.2 AA tags) on the page as it is now and, at phone width, checks that nothing
 * scrolls sideways. Pages that are not HTML (JSON, PDF, downloads) have nothing to check. Plain
 * JavaScript inside the page: the TypeScript loader's helpers do not exist there. */
export async function findA11yProblems(page: Page, opts: { phone?: boolean } = {}): Promise<A11yFinding[]> {
  const html = await page.evaluate(`(() => {
    if (document.contentType !== 'text/html') return false;
    if (typeof window.axe === 'undefined') { ${AXE_SOURCE}\n }
    return true;
  })()`);
  if (!html) return [];
  const exclude = THIRD_PARTY_REGIONS.map((r) => r.selector).filter((s) => s);
  const axeFindings: A11yFinding[] = await page.evaluate(`(async () => {
    const context = { include: [document], exclude: ${JSON.stringify(exclude)}.filter((s) => document.querySelector(s)) };
    const r = await window.axe.run(context, { runOnly: { type: 'tag', values: ${JSON.stringify(AXE_TAGS)} }, resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      rule: v.id, impact: v.impact || 'unknown', help: v.help, helpUrl: v.helpUrl,
      targets: v.nodes.slice(0, 8).map((n) => n.target.join(' ') + '  ' + n.html.replace(/\\s+/g, ' ').slice(0, 140)
        + (n.failureSummary ? '\\n        ' + n.failureSummary.replace(/\\s+/g, ' ').slice(0, 200) : '')),
    }));
  })()`);
  if (!opts.phone) return axeFindings;
  const overflow: A11yFinding | null = await page.evaluate(`(() => {
    const width = document.documentElement.clientWidth;
    const scroll = document.documentElement.scrollWidth;
    if (scroll <= width) return null;
    // Name the innermost elements that stick out; those inside their own scroll container do not count.
    const clipped = (el) => { for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) { if (getComputedStyle(e).overflowX !== 'visible') return true; } return false; };
    const out = [...document.body.querySelectorAll('*')].filter((el) => el.getBoundingClientRect().right > width + 1 && !clipped(el));
    const innermost = out.filter((el) => !out.some((o) => o !== el && el.contains(o)));
    const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
    return { rule: 'horizontal-overflow', impact: 'serious', help: 'The page scrolls sideways at ' + width + ' px (content is ' + scroll + ' px wide)',
      helpUrl: 'https://www.w3.org/WAI/WCAG22/Understanding/reflow.html',
      targets: innermost.slice(0, 8).map((el) => name(el) + ' right edge at ' + Math.round(el.getBoundingClientRect().right) + ' px') };
  })()`);
  return overflow ? [...axeFindings, overflow] : axeFindings;
}

/** The findings as a list a person can act on: rule, impact, help, then each target. */
export function formatA11yFindings(where: string, findings: A11yFinding[]): string {
  const lines = [`Accessibility problems on ${where}:`];
  for (const f of findings) {
    lines.push(`  - ${f.rule} (${f.impact}): ${f.help}  [${f.helpUrl}]`);
    for (const target of f.targets) lines.push(`      ${target}`);
  }
  return lines.join('\n');
}

/** Checks the page as it is now (e.g. after a client-side change) and throws the readable list on a problem. */
export async function expectAccessible(page: Page, opts: { phone?: boolean; label?: string } = {}): Promise<void> {
  const phone = opts.phone ?? (page.viewportSize()?.width ?? 1280) <= 360;
  const findings = await findA11yProblems(page, { phone });
  if (findings.length) throw new Error(formatA11yFindings(opts.label ? `${page.url()} (${opts.label})` : page.url(), findings));
}

/** Form controls without an accessible name (label, aria-label or aria-labelledby; text for buttons). */
export function unnamedControls(page: Page) {
  return page.evaluate(() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
    .filter((el) => {
      const e = el as HTMLInputElement;
      const named = (e.labels && e.labels.length > 0) || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby') || (e.tagName === 'BUTTON' && e.textContent!.trim());
      return !named;
    })
    .map((el) => el.outerHTML.slice(0, 120)));
}

/** Text whose contrast with its background is below WCAG AA (4.5:1). Plain JavaScript: the
 * TypeScript loader's helpers do not exist inside the page. */
const LOW_CONTRAST = `(() => {
  const parse = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lin = (v) => { const s = v / 255; return s <= 0.03928 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4); };
  const lum = (c) => 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const bad = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.offsetParent === null || el.closest('[aria-hidden="true"]')) continue;
    const a = lum(parse(getComputedStyle(el).color).slice(0, 3));
    const b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) bad.push(el.tagName.toLowerCase() + '.' + el.className + ' "' + el.textContent.trim().slice(0, 30) + '" ' + ratio.toFixed(2));
  }
  return bad;
})()`;

export function lowContrast(page: Page): Promise<string[]> {
  return page.evaluate(LOW_CONTRAST);
}

/** Opens a page and checks that its controls are named, it has one h1 and a main landmark, and its text is readable. */
export async function checkPageA11y(t: ExecutionContext, page: Page, url: string): Promise<void> {
  await page.goto(url);
  t.deepEqual(await unnamedControls(page), [], `${url}: every control has a name`);
  t.is(await page.locator('h1').count(), 1, `${url}: one h1`);
  t.is(await page.locator('main#main').count(), 1, `${url}: a main landmark`);
  t.deepEqual(await lowContrast(page), [], `${url}: text contrast at least 4.5:1`);
}
