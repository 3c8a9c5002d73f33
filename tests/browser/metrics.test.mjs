// The Better Care Fund example's metrics in the browser: the pool manager enters a
// quarter's actuals on the dashboard, sees each status change, and downloads the quarterly
// return to NHS England whose Metrics sheet holds the figures just entered.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { errorSummary, launch, open, signedInPage, submit, xlsxRows } from './helpers.mjs';

/// The demo's Better Care Fund of 2021-22, its metrics dashboard and the quarter entered.
const BCF = '/agreements/oxon-bcf/2021-22';
const METRICS = `${BCF}/metrics`;
const QUARTER = 'Q2';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/// The text of the element `selector`, trimmed ('' if it shows none).
async function textOf(page, selector) {
  return ((await page.locator(selector).textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

/// A figure as the page shows it (`1,000`, `11.5`) as the form takes it (`1000`).
const plain = (shown) => shown.replaceAll(',', '');

/// A figure worse than `plan` by one in the metric's direction, with as many decimal
/// places as the plan.
function worseThan(plan, lowerIsBetter) {
  const places = plan.includes('.') ? plan.split('.')[1].length : 0;
  return (Number(plan) + (lowerIsBetter ? 1 : -1)).toFixed(places);
}

test('the pool manager enters a quarter\'s metric actuals, sees the statuses change and downloads the quarterly return', async () => {
  const page = await signedInPage(browser, 'manager');
  const dir = mkdtempSync(join(tmpdir(), 'pooled-return-'));
  try {
    assert.equal(await open(page, METRICS), 200, `${METRICS}: status`);
    const form = page.locator('#entry-quarter');
    assert.equal(await form.count(), 1, 'the quarter entry form');
    const ids = await form
      .locator('input[id^="figure-"]')
      .evaluateAll((inputs) => inputs.map((i) => i.id.slice('figure-'.length)));
    assert.ok(ids.length >= 2, `the quarterly series to enter: ${ids}`);

    // Each series' quarter as it stands, and an actual that changes its status: the plan
    // (equal to the plan is on track) where it is not on track or not available, one
    // worse than the plan where it is on track.
    const entries = [];
    for (const id of ids) {
      const hint = await textOf(page, `#figure-${id}-hint`);
      assert.match(hint, /(lower|higher) is better/, `${id}: the form says which way is better`);
      const lowerIsBetter = hint.includes('lower is better');
      const row = `#period-${id}-${QUARTER}`;
      const plan = plain(await textOf(page, `${row} td:nth-of-type(1)`));
      assert.match(plan, /^-?\d+(\.\d+)?$/, `${id} ${QUARTER} has a plan: ${plan}`);
      const was = await textOf(page, `${row}-status`);
      assert.ok(['on track', 'not on track', 'not available'].includes(was), `${id} ${QUARTER} status: ${was}`);
      const [actual, expected] = was === 'on track' ? [worseThan(plan, lowerIsBetter), 'not on track'] : [plan, 'on track'];
      entries.push({ id, was, actual, expected });
    }
    assert.ok(entries.some((e) => e.was === 'not available'), 'the demo has a quarter whose data is not available');

    await form.locator('#period-quarter').selectOption(QUARTER);
    await form.locator('#kind-quarter-actual').check();
    for (const e of entries) await form.locator(`#figure-${e.id}`).fill(e.actual);
    await submit(page, 'Save figures', form);
    assert.equal(await errorSummary(page), '', 'the figures are accepted');
    assert.equal(new URL(page.url()).pathname, METRICS, 'back on the dashboard');

    for (const e of entries) {
      const row = `#period-${e.id}-${QUARTER}`;
      assert.equal(plain(await textOf(page, `${row} td:nth-of-type(2)`)), e.actual, `${e.id} ${QUARTER}: the actual entered`);
      const now = await textOf(page, `${row}-status`);
      assert.equal(now, e.expected, `${e.id} ${QUARTER}: ${e.was} became ${now}`);
      assert.notEqual(now, e.was, `${e.id} ${QUARTER}: the status changed`);
      // The quarter is now the series' latest with an actual: the listing shows it.
      assert.equal(await textOf(page, `#series-${e.id}-status`), e.expected, `${e.id} in the listing`);
    }

    // The quarterly return, downloaded from the dashboard: its Metrics sheet holds the
    // actuals just entered.
    const link = page.locator(`a[href$="/bcf/returns/${QUARTER}.xlsx"]`);
    assert.equal(await link.count(), 1, `the dashboard links to the ${QUARTER} return`);
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    assert.match(download.suggestedFilename(), /\.xlsx$/);
    const file = join(dir, download.suggestedFilename());
    await download.saveAs(file);

    const rows = await xlsxRows(file, 'Metrics');
    const header = rows.find((r) => r.includes('Metric') && r.includes('Period') && r.includes('Actual'));
    assert.ok(header, `the Metrics sheet has a header row: ${JSON.stringify(rows.slice(0, 3))}`);
    const column = (name) => header.indexOf(name);
    for (const e of entries) {
      const row = rows.find((r) => r[column('Metric')] === e.id && r[column('Period')] === QUARTER);
      assert.ok(row, `${e.id} ${QUARTER} in the Metrics sheet`);
      assert.equal(String(row[column('Actual')]), e.actual, `${e.id} ${QUARTER}: the workbook's actual is the one entered`);
    }
  } finally {
    await page.context().close();
    rmSync(dir, { recursive: true, force: true });
  }
});
