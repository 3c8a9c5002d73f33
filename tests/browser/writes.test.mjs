// The pages that change things: importing a ledger extract, entering forecasts, recording
// payments, and the audit log that names who did each.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  AGREEMENT_ID,
  AT,
  MONTH,
  YEAR,
  engineReport,
  errorSummary,
  formatPounds,
  jsonPence,
  launch,
  openOk,
  parsePounds,
  plainPounds,
  pooled,
  screenshots,
  setWidth,
  signedInPage,
  submit,
} from './helpers.mjs';

const AGREEMENT = resolve(fileURLToPath(import.meta.url), '..', '..', '..', 'examples', 'oxfordshire-2016-17.toml');
/// How long an import may take to finish after its upload.
const IMPORT_SECONDS = 60;

let browser;
let dir;
before(async () => {
  browser = await launch();
  dir = mkdtempSync(join(tmpdir(), 'pooled-writes-'));
});
after(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/// Who imported what, for the audit log's test: set once an import has gone through.
let imported;

/// A generated OCC extract (Unit4 layout, the demo's mapping for OCC) for `period`:
/// its path and its net amount in pence.
function extract(period, rows, seed) {
  const path = join(dir, `occ-${period}.csv`);
  pooled('gen-ledger', '--agreement', AGREEMENT, '--partner', 'OCC', '--period', period, '--rows', String(rows),
    '--seed', String(seed), '--preset', 'unit4', '-o', path);
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  assert.equal(lines[0].split(',').at(-1), 'Amount', 'the amount is the last column');
  const net = lines.slice(1).reduce((total, line) => total + parsePounds(line.slice(line.lastIndexOf(',') + 1)), 0);
  return { path, lines, net };
}

/// Fills and sends the upload form, then waits on /imports/{id} until the import has
/// finished (reloading, in case the progress page does not refresh itself).
async function upload(page, partner, period, file) {
  await page.locator('select[name="partner"]').selectOption(partner);
  await page.locator('input[name="period"]').fill(period);
  await page.locator('input[type="file"][name="file"]').setInputFiles(file);
  await submit(page, 'Import');
  assert.match(new URL(page.url()).pathname, new RegExp(`^${AT}/imports/[0-9]+$`), 'the import has a page of its own');
  const deadline = Date.now() + IMPORT_SECONDS * 1000;
  for (;;) {
    const text = await page.locator('main').innerText();
    const badRows = await page.locator('main table').count();
    if (badRows || /\bimported\b/i.test(text) || (await errorSummary(page))) {
      if (!/\b(importing|in progress|queued)\b/i.test(text)) return text;
    }
    assert.ok(Date.now() < deadline, `the import finished within ${IMPORT_SECONDS} s: ${text}`);
    await page.waitForTimeout(500);
    await page.reload({ waitUntil: 'load' });
  }
}

/// The pools' actual to date in the engine's report at `month`, in pence.
function actualToDate(month) {
  const report = engineReport(YEAR, month);
  return report.pools.map((p) => jsonPence(p.rows.find((r) => r.level === 'pool').actual_to_date)).reduce((a, b) => a + b);
}

test('a partner finance officer imports a month of ledger through the upload form', async () => {
  const page = await signedInPage(browser, 'occ-finance');
  try {
    await openOk(page, `${AT}/imports/new`);
    await screenshots(page, 'imports-new');
    await setWidth(page, 1280);
    const file = extract('2016-10', 50, 7);
    const before = actualToDate('M7');
    const text = await upload(page, 'OCC', '2016-10', file.path);
    assert.equal(await errorSummary(page), '', 'no error');
    assert.match(text, /\b50\b/, 'the summary gives the rows imported');
    assert.ok(text.includes(formatPounds(file.net)), `the summary gives the net amount ${formatPounds(file.net)}`);
    await screenshots(page, 'import-summary');
    assert.equal(actualToDate('M7') - before, file.net, 'the engine has the imported rows');
    imported = { user: 'occ-finance', period: '2016-10' };
  } finally {
    await page.context().close();
  }
});

test('an extract with bad rows imports nothing and lists each bad row with its column', async () => {
  const page = await signedInPage(browser, 'occ-finance');
  try {
    await openOk(page, `${AT}/imports/new`);
    const { lines } = extract('2016-11', 20, 11);
    // Row 3 (the header is row 1): an amount with a fraction of a penny; row 5: an
    // unknown cost centre.
    lines[2] = `${lines[2].slice(0, lines[2].lastIndexOf(','))},12.345`;
    lines[4] = `NOPE-001${lines[4].slice(lines[4].indexOf(','))}`;
    const bad = join(dir, 'occ-2016-11-bad.csv');
    writeFileSync(bad, `${lines.join('\n')}\n`);
    const before = actualToDate('M8');
    await upload(page, 'OCC', '2016-11', bad);
    const rows = await page.locator('main table tbody tr').allInnerTexts();
    const has = (row, column) => rows.some((r) => new RegExp(`(^|\\s)${row}(\\s|$)`).test(r) && r.includes(column));
    assert.ok(has(3, 'Amount'), `row 3, Amount: ${JSON.stringify(rows)}`);
    assert.ok(has(5, 'Cost Centre'), `row 5, Cost Centre: ${JSON.stringify(rows)}`);
    await screenshots(page, 'import-bad-rows');
    assert.equal(actualToDate('M8'), before, 'nothing was imported');
  } finally {
    await page.context().close();
  }
});

/// A cost centre code in text: `OCC-OP01-001`.
const CODE = /\b[A-Z]+-[A-Z]+\d+-\d+\b/;

test('a budget holder enters a forecast for one of their cost centres', async () => {
  const page = await signedInPage(browser, 'budget-holder');
  try {
    await openOk(page, `${AT}/forecasts`);
    await screenshots(page, 'forecasts');
    await setWidth(page, 1280);
    const codes = (await page.locator('main').innerText()).match(new RegExp(CODE, 'g')) ?? [];
    assert.ok(codes.length > 0, 'the page lists the budget holder\'s cost centres');
    assert.ok(codes.every((c) => c.startsWith('OCC-')), `only the budget holder's OCC cost centres: ${codes}`);
    // A form with an outturn field: one per cost centre, or one for the cost centre chosen.
    const form = page.locator('form').filter({ has: page.locator('input[name="outturn"]') }).first();
    assert.equal(await form.count(), 1, 'a forecast form');
    const { about, month } = await form.evaluate((f) => ({
      about: `${(f.closest('tr') ?? f).innerText} ${[...f.querySelectorAll('input[type=hidden]')].map((i) => i.value).join(' ')}`,
      month: f.querySelector('input[name="month"]')?.value,
    }));
    const code = CODE.exec(about)?.[0];
    assert.ok(code?.startsWith('OCC-'), `the form names its cost centre: ${about}`);

    const outturn = 123_456_78;
    await form.locator('input[name="outturn"]').fill(plainPounds(outturn));
    // Six months in, the cost centre may have spent more than this: confirm it is meant.
    await form.locator('input[name="confirm_below_actual"]').check();
    await submit(page, 'Save forecast', form);
    assert.equal(await errorSummary(page), '', 'the forecast is accepted');
    // Shown as money, or kept in the form's field.
    const shown = `${await page.locator('main').innerText()} ${await page.locator('input[name="outturn"]').evaluateAll((inputs) => inputs.map((i) => i.value).join(' '))}`;
    assert.ok(shown.includes('123,456.78') || shown.includes('123456.78'), 'the page shows the forecast saved');
    // The month the form was for (the latest with actuals unless it says).
    const report = engineReport(YEAR, month ?? MONTH);
    const row = report.pools.flatMap((p) => p.rows).find((r) => r.cost_centre === code);
    assert.ok(row, `the report has ${code}`);
    assert.equal(jsonPence(row.forecast_outturn), outturn, `the engine's forecast for ${code} at ${report.month}`);
  } finally {
    await page.context().close();
  }
});

test('a finance officer records an instalment as raised and paid, and the audit log names them', async () => {
  const page = await signedInPage(browser, 'occg-finance');
  try {
    await openOk(page, `${AT}/payments?pool=OP`);
    await screenshots(page, 'payments');
    // The demo recorded M1 to M6: OCCG's M7 instalment to the OP pool's host, due on
    // 2016-09-01 (a month in advance), is the first with nothing recorded.
    const recordable = page.locator('#table-schedule tbody tr', { has: page.locator('button:has-text("Record")') });
    const row = recordable.filter({ hasText: 'M7' }).first();
    const cells = await row.locator('th, td').allInnerTexts();
    assert.deepEqual(cells.slice(0, 4).map((c) => c.trim()), ['OP', 'OCCG', 'OCC', 'M7']);
    await row.locator('input[name="raised_on"]').fill('2016-08-17');
    await row.locator('input[name="paid_on"]').fill('2016-08-31');
    await submit(page, 'Record', row);
    const banner = await page.locator('.govuk-notification-banner').innerText();
    assert.match(banner, /Recorded/);
    const after = page.locator('#table-schedule tbody tr').filter({ hasText: 'M7' }).filter({ hasText: 'OCCG' }).first();
    assert.match(await after.innerText(), /Paid/);
    // The engine's record of it.
    const tracked = JSON.parse(pooled('payments', '--agreement', AGREEMENT_ID, '--year', YEAR, '--json', '--database', process.env.POOLED_DATABASE));
    const text = JSON.stringify(tracked);
    assert.ok(text.includes('2016-08-31'), 'the paid date is in the store');
  } finally {
    await page.context().close();
  }
  const admin = await signedInPage(browser, 'admin');
  try {
    await openOk(admin, '/audit');
    const text = await admin.locator('main').innerText();
    assert.match(text, /occg-finance\s+record-payment/, 'the payment, by whom');
    assert.match(text, /pooled demo/, 'the demo\'s own changes');
    if (imported) assert.ok(text.includes(imported.user), `the import by ${imported.user}`);
    await admin.locator('#check-chain').click();
    await admin.waitForLoadState();
    assert.match(await admin.locator('main').innerText(), /The audit log is intact: \d+ entries verified/);
    await screenshots(admin, 'audit');
  } finally {
    await admin.context().close();
  }
});
