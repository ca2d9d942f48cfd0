// Accessibility checks the browser suites share: named controls, one heading, a main landmark, contrast.
import type { ExecutionContext } from 'ava';
import type { Page } from 'playwright-core';

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
