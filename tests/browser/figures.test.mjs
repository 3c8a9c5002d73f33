// The figures a reader sees are the engine's: the overview against `pooled report`, the
// what-if form's settlement against its own arithmetic, and an Excel download against
// the page it came from.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import {
  AT,
  MONTH,
  YEAR,
  engineReport,
  formatPounds,
  jsonPence,
  launch,
  open,
  parsePounds,
  plainPounds,
  readTable,
  rowObjects,
  signedInPage,
  submit,
  xlsxRows,
} from './helpers.mjs';

const OVERVIEW = `${AT}?month=${MONTH}`;
const sum = (amounts) => amounts.reduce((a, b) => a + b, 0);

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/// The overview's key figures: label -> pence.
async function keyFigures(page) {
  const items = await page.locator('.app-figures li').evaluateAll((lis) =>
    lis.map((li) => [li.querySelector('.app-figure__label').innerText, li.querySelector('.app-figure__value').innerText]),
  );
  return Object.fromEntries(items.map(([label, value]) => [label.trim(), parsePounds(value)]));
}

test('the overview shows the engine report: each pool, the totals and the partners\' shares', async () => {
  const report = engineReport();
  assert.equal(report.financial_year, YEAR);
  assert.equal(report.month, MONTH);
  const page = await signedInPage(browser, 'manager');
  try {
    assert.equal(await open(page, OVERVIEW), 200);
    const table = rowObjects(await readTable(page, 'pools'));
    const totals = { budget: 0, actual: 0, forecast: 0, variance: 0 };
    for (const pool of report.pools) {
      const figures = pool.rows.find((r) => r.level === 'pool');
      assert.ok(figures, `the report has ${pool.id}'s pool row`);
      const row = table.find((r) => r.Pool === `${pool.name} (${pool.id})`);
      assert.ok(row, `the overview has a row for ${pool.id}`);
      const expected = {
        Budget: jsonPence(figures.annual_budget),
        'Actual to date': jsonPence(figures.actual_to_date),
        'Forecast outturn': jsonPence(figures.forecast_outturn),
        'Forecast variance': jsonPence(figures.variance),
      };
      for (const partner of pool.risk_impact) expected[`${partner.id} share`] = jsonPence(partner.total);
      for (const [column, pence] of Object.entries(expected)) {
        assert.equal(row[column], formatPounds(pence), `${pool.id} ${column}`);
      }
      totals.budget += expected.Budget;
      totals.actual += expected['Actual to date'];
      totals.forecast += expected['Forecast outturn'];
      totals.variance += expected['Forecast variance'];
    }
    const all = table.find((r) => r.Pool === 'All pools');
    assert.ok(all, 'the overview has a total row');
    assert.equal(all.Budget, formatPounds(totals.budget), 'total budget');
    assert.equal(all['Actual to date'], formatPounds(totals.actual), 'total actual');
    assert.equal(all['Forecast outturn'], formatPounds(totals.forecast), 'total forecast outturn');
    assert.equal(all['Forecast variance'], formatPounds(totals.variance), 'total variance');
    assert.deepEqual(await keyFigures(page), {
      'Budget, all pools': totals.budget,
      'Actual to date': totals.actual,
      'Forecast outturn': totals.forecast,
      'Forecast variance': totals.variance,
    });
  } finally {
    await page.context().close();
  }
});

/// The what-if comparison table: rows of { pool, partner, forecast, whatIf, change } in
/// pence; partner is 'Pool variance' for a pool's own row.
async function comparison(page) {
  const table = await readTable(page, 'comparison');
  assert.deepEqual(table.headers.slice(0, 2), ['Pool', 'Partner']);
  assert.deepEqual(table.headers.slice(3), ['What if', 'Change']);
  return table.rows.map(([pool, partner, forecast, whatIf, change]) => ({
    pool,
    partner,
    forecast: parsePounds(forecast),
    whatIf: parsePounds(whatIf),
    change: parsePounds(change),
  }));
}

/// Each pool's partners' shares add up to its variance, every change is what if less
/// forecast, and each partner's all-pools total adds up its pools.
function assertConsistent(rows) {
  const pools = [...new Set(rows.filter((r) => r.pool !== 'All pools').map((r) => r.pool))];
  assert.ok(pools.includes('OP'), 'the comparison has the OP pool');
  for (const r of rows) assert.equal(r.change, r.whatIf - r.forecast, `${r.pool} ${r.partner}: change`);
  for (const pool of pools) {
    const variance = rows.find((r) => r.pool === pool && r.partner === 'Pool variance');
    const partners = rows.filter((r) => r.pool === pool && r.partner !== 'Pool variance');
    assert.ok(variance && partners.length >= 2, `${pool}: a variance row and the partners`);
    assert.equal(sum(partners.map((r) => r.whatIf)), variance.whatIf, `${pool}: partners' what-if shares`);
    assert.equal(sum(partners.map((r) => r.forecast)), variance.forecast, `${pool}: partners' forecast shares`);
  }
  for (const total of rows.filter((r) => r.pool === 'All pools')) {
    const own = rows.filter((r) => r.pool !== 'All pools' && r.partner === total.partner);
    assert.equal(sum(own.map((r) => r.whatIf)), total.whatIf, `${total.partner}: all pools`);
  }
}

test('what-if: a changed line outturn resettles the pool, and the partners still share its whole variance', async () => {
  const page = await signedInPage(browser, 'manager');
  try {
    assert.equal(await open(page, `${AT}/what-if`), 200);
    const before = await comparison(page);
    assertConsistent(before);
    for (const r of before) assert.equal(r.change, 0, `${r.pool} ${r.partner}: unchanged at first`);

    // Home support £500,000 below its forecast outturn.
    const field = page.locator('input[name="line:OP:home-support"]');
    const forecast = parsePounds(await field.inputValue());
    const changed = forecast - 500_000_00;
    await field.fill(plainPounds(changed));
    await submit(page, 'Show the settlement');
    assert.equal(new URL(page.url()).pathname, `${AT}/what-if`);
    assert.equal(await page.locator('.govuk-error-summary').count(), 0, 'the amount is accepted');
    assert.equal(parsePounds(await page.locator('input[name="line:OP:home-support"]').inputValue()), changed);

    const rows = await comparison(page);
    assertConsistent(rows);
    const op = rows.find((r) => r.pool === 'OP' && r.partner === 'Pool variance');
    assert.equal(op.change, -500_000_00, 'the OP variance falls by £500,000');
    const opPartners = rows.filter((r) => r.pool === 'OP' && r.partner !== 'Pool variance');
    assert.ok(opPartners.some((r) => r.change !== 0), 'some partner\'s settlement changes');
    for (const r of rows.filter((r) => r.pool !== 'OP' && r.pool !== 'All pools')) {
      assert.equal(r.change, 0, `${r.pool} ${r.partner}: other pools unchanged`);
    }
    // The part-by-part table agrees with the comparison.
    const parts = await readTable(page, 'parts-OP');
    for (const r of opPartners) {
      const total = parts.rows.find((cells) => cells[0] === `${r.partner} total`);
      assert.ok(total, `parts-OP has ${r.partner}'s total`);
      assert.equal(parsePounds(total.at(-1)), r.whatIf, `parts-OP ${r.partner} total`);
    }
  } finally {
    await page.context().close();
  }
});

test('the overview\'s Excel download holds the totals the page shows', async () => {
  const page = await signedInPage(browser, 'manager');
  const dir = mkdtempSync(join(tmpdir(), 'pooled-xlsx-'));
  try {
    assert.equal(await open(page, OVERVIEW), 200);
    const shown = rowObjects(await readTable(page, 'pools')).find((r) => r.Pool === 'All pools');
    const link = page.locator('a[href*="format=xlsx"][href*="table=pools"]');
    assert.equal(await link.count(), 1, 'an Excel link for the pools table');
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    assert.match(download.suggestedFilename(), /\.xlsx$/);
    const file = join(dir, download.suggestedFilename());
    await download.saveAs(file);

    const rows = await xlsxRows(file);
    const header = rows.find((r) => r.includes('Budget'));
    assert.ok(header, 'a header row');
    const total = rows.find((r) => r[0] === 'All pools');
    assert.ok(total, 'an All pools row');
    for (const column of ['Budget', 'Actual to date', 'Forecast outturn', 'Forecast variance']) {
      const value = total[header.indexOf(column)];
      assert.equal(typeof value, 'number', `${column} is a number in the workbook`);
      assert.equal(formatPounds(Math.round(value * 100)), shown[column], `${column}: workbook and page`);
    }
  } finally {
    await page.context().close();
    rmSync(dir, { recursive: true, force: true });
  }
});
