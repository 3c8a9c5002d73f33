// What every browser test shares: the server under test, launching Chromium, signing in,
// screenshots, reading tables and money off a page, and the engine's own figures.
//
// Environment (scripts/browser-tests.sh sets all of it):
//   BASE_URL          the running `pooled demo`, e.g. http://127.0.0.1:41234
//   POOLED_BIN        the `pooled` binary the server runs
//   POOLED_DATABASE   the demo's SQLite file
//   SCREENSHOT_DIR    where screenshots go (default target/browser-screenshots)
//   CHROMIUM          the browser (default /usr/bin/chromium, Debian's package)

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ExcelJS from 'exceljs';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the browser tests with scripts/browser-tests.sh`);
  return value;
}

export const BASE_URL = required('BASE_URL').replace(/\/+$/, '');
export const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR || join(repo, 'target', 'browser-screenshots');
export const YEAR = '2016-17';
/// The demo's Oxfordshire agreement, whose year's pages are under AT.
export const AGREEMENT_ID = 'oxon-s75';
export const AT = `/agreements/${AGREEMENT_ID}/${YEAR}`;
export const MONTH = 'M6';
export const PASSWORD = 'pooled-demo-2026';
/// The widths every page is looked at: a laptop and a phone.
export const WIDTHS = [1280, 400];
/// How many pixels wider than the screen a page may be (scrollbars, rounding).
export const OVERFLOW_TOLERANCE = 4;

const OXFORDSHIRE = [AGREEMENT_ID, 'oxon-s75-2022'];
/// The demo's agreements of 2022-23 in which the ICB takes the CCGs' places.
const ICB_PLACES = ['oxon-s75-2022', 'bucks-bcf-2022'];

/// The demo's accounts: username, role (as `pooled user` names it), partner, and the
/// agreements it acts in (none given: every one).
export const ACCOUNTS = [
  { username: 'admin', role: 'administrator' },
  { username: 'manager', role: 'pool-manager' },
  { username: 'occ-finance', role: 'partner-finance', partner: 'OCC', agreements: OXFORDSHIRE },
  { username: 'occg-finance', role: 'partner-finance', partner: 'OCCG', agreements: OXFORDSHIRE },
  { username: 'bc-finance', role: 'partner-finance', partner: 'BC', agreements: ['bucks-bcf-2022'] },
  { username: 'icb-finance', role: 'partner-finance', partner: 'BOB-ICB', agreements: ICB_PLACES },
  { username: 'budget-holder', role: 'budget-holder', agreements: OXFORDSHIRE },
  { username: 'board', role: 'board-member' },
  { username: 'viewer', role: 'viewer' },
];

/// The read pages a signed-in account may open: (screenshot name, path, the agreements
/// whose figures it shows; the account must act in one of them, or in every one).
export const READ_PAGES = [
  ['agreements', '/', []],
  ['overview', `${AT}?month=${MONTH}`, [AGREEMENT_ID]],
  ['pool', `${AT}/pools/OP`, [AGREEMENT_ID]],
  ['cost-centre', `${AT}/pools/OP/cost-centres/OCC-OP01-001`, [AGREEMENT_ID]],
  ['risk-share', `${AT}/risk-share`, [AGREEMENT_ID]],
  ['settlement', `${AT}/settlement`, [AGREEMENT_ID]],
  ['what-if', `${AT}/what-if`, [AGREEMENT_ID]],
  ['variations', `${AT}/variations`, [AGREEMENT_ID]],
  ['overview-2022-23', '/agreements/oxon-s75-2022/2022-23', ['oxon-s75-2022']],
  ['overview-bucks-2022-23', '/agreements/bucks-bcf-2022/2022-23', ['bucks-bcf-2022']],
  ['partner', `/partners/OCCG/${YEAR}`, [AGREEMENT_ID]],
  ['partner-icb', '/partners/BOB-ICB/2022-23', ICB_PLACES],
  ['metrics-bcf', '/agreements/oxon-bcf/2021-22/metrics', ['oxon-bcf']],
];

/// The read pages `account` (one of ACCOUNTS) may open.
export function readPagesOf(account) {
  const actsIn = (agreements) =>
    !account.agreements || agreements.length === 0 || agreements.some((a) => account.agreements.includes(a));
  return READ_PAGES.filter(([, , agreements]) => actsIn(agreements));
}

export const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launch() {
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: LAUNCH_ARGS });
}

/// A page in a context of its own (its own cookies), `width` pixels wide.
export async function newPage(browser, width = 1280) {
  const context = await browser.newContext({ viewport: { width, height: 900 }, acceptDownloads: true });
  return context.newPage();
}

export const url = (path) => `${BASE_URL}${path}`;

/// Opens `path` and returns the response's status.
export async function open(page, path) {
  const response = await page.goto(url(path), { waitUntil: 'load' });
  return response ? response.status() : 0;
}

/// Signs `page` in as `username` through the sign-in form; throws, with the page's
/// error summary, if the server refuses.
export async function login(page, username, password = PASSWORD) {
  assert.equal(await open(page, '/login'), 200, '/login is served');
  await submitLogin(page, username, password);
  if (new URL(page.url()).pathname === '/login') {
    throw new Error(`signing in as ${username} failed: ${(await errorSummary(page)) || 'still on /login'}`);
  }
}

/// Fills and submits the sign-in form on the page (wherever it is), waiting for the next
/// page to load.
export async function submitLogin(page, username, password) {
  const form = page.locator('form[method="post"][action="/login"]');
  await form.locator('input[name="username"]').fill(username);
  await form.locator('input[name="password"]').fill(password);
  await submit(page, 'Sign in', form);
}

/// A fresh page signed in as `username`, `width` pixels wide.
export async function signedInPage(browser, username, width = 1280) {
  const page = await newPage(browser, width);
  await login(page, username);
  return page;
}

/// Opens `path` on a signed-in page and returns true; or, if the server does not serve
/// it yet (404), says so loudly, marks the test skipped and returns false.
export async function openOk(page, path) {
  assert.equal(await open(page, path), 200, `${path}: status`);
}

/// Clicks the button named `name` (within `scope`, default the page) and waits for the
/// page it leads to.
export async function submit(page, name, scope = page) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), scope.getByRole('button', { name }).click()]);
}

/// The text of the page's GOV.UK error summary, or '' if it has none.
export async function errorSummary(page) {
  const summary = page.locator('.govuk-error-summary');
  return (await summary.count()) ? (await summary.first().innerText()).trim() : '';
}

/// The text of the page header's top bar (the logo, who is signed in, the sign-out
/// button), without the service navigation below it.
export async function headerText(page) {
  const bar = page.locator('header .govuk-generic-header');
  const target = (await bar.count()) ? bar.first() : page.locator('header').first();
  return (await target.innerText()).replace(/\s+/g, ' ').trim();
}

/// Full-page PNGs of the page at each of WIDTHS, in SCREENSHOT_DIR as
/// `${name}-${width}.png`; leaves the page at the last width.
export async function screenshots(page, name) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  for (const width of WIDTHS) {
    await setWidth(page, width);
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${width}.png`), fullPage: true });
    // Wide tables scroll inside their box; the page itself never gets wider than the screen.
    const overflow = await horizontalOverflow(page);
    if (overflow > OVERFLOW_TOLERANCE) {
      const widest = await page.evaluate(() => {
        const out = [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 2);
        const e = out[out.length - 1];
        return e ? `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}` : 'unknown';
      });
      assert.fail(`${name} at ${width} px is ${overflow} px wider than the screen (e.g. ${widest})`);
    }
  }
}

export async function setWidth(page, width) {
  await page.setViewportSize({ width, height: 900 });
}

/// How far the page is wider than its viewport, in pixels (0 when it is not).
export async function horizontalOverflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

// ---- money ----

/// `£1,234.56` -> 123456 and `(£1,234.56)` -> -123456 (pence, an exact integer), as the
/// pages show money; also takes `-1,234.56` and `1234.56` as the what-if form holds it.
export function parsePounds(text) {
  const t = text.replace(/\s+/g, '');
  const m = /^(\()?(-)?£?(\d{1,3}(?:,\d{3})*|\d+)\.(\d{2})(\))?$/.exec(t);
  if (!m || Boolean(m[1]) !== Boolean(m[5])) throw new Error(`not an amount of money: ${JSON.stringify(text)}`);
  const pence = Number(m[3].replaceAll(',', '')) * 100 + Number(m[4]);
  if (!Number.isSafeInteger(pence)) throw new Error(`amount too large: ${text}`);
  return m[1] || m[2] ? -pence : pence;
}

/// Pence as the pages show them: 123456 -> `£1,234.56`, -123456 -> `(£1,234.56)`.
export function formatPounds(pence) {
  const abs = Math.abs(pence);
  const pounds = String(Math.trunc(abs / 100)).replace(/\B(?=(\d{3})+$)/g, ',');
  const text = `£${pounds}.${String(abs % 100).padStart(2, '0')}`;
  return pence < 0 ? `(${text})` : text;
}

/// Pence as the what-if form takes them: -123456 -> `-1234.56`.
export function plainPounds(pence) {
  const abs = Math.abs(pence);
  return `${pence < 0 ? '-' : ''}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

// ---- tables ----

/// The table `#table-${id}` as the reader sees it: its column headers, and each body
/// row's cells' text (the row's heading cell first).
export async function readTable(page, id) {
  return page.locator(`#table-${id}`).evaluate((table) => {
    const text = (cell) => cell.innerText.replace(/\s+/g, ' ').trim();
    return {
      headers: [...table.querySelectorAll('thead th')].map(text),
      rows: [...table.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('th, td')].map(text)),
    };
  });
}

/// The rows of `table` as objects keyed by column header.
export function rowObjects(table) {
  return table.rows.map((cells) => Object.fromEntries(table.headers.map((h, i) => [h, cells[i] ?? ''])));
}

// ---- workbooks ----

/// Reads a sheet of an .xlsx file (the first, or the one named `sheetName`): each row's
/// cell values (text, or numbers as given; a formula's cached result).
export async function xlsxRows(path, sheetName) {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(path);
  const sheet = sheetName === undefined ? workbook.worksheets[0] : workbook.getWorksheet(sheetName);
  assert.ok(sheet, `${path} has a sheet ${sheetName ?? ''}: it has ${workbook.worksheets.map((w) => w.name).join(', ')}`);
  const rows = [];
  sheet.eachRow({ includeEmpty: false }, (row) => {
    rows.push(row.values.slice(1).map((v) => (v && typeof v === 'object' && 'result' in v ? v.result : v)));
  });
  return rows;
}

// ---- the engine ----

/// Runs the `pooled` binary (POOLED_BIN) and returns its standard output.
export function pooled(...args) {
  return execFileSync(required('POOLED_BIN'), args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
}

/// The engine's monthly report of the demo database, as `pooled report --format json`
/// gives it.
export function engineReport(year = YEAR, month = MONTH) {
  const out = pooled('report', '--database', required('POOLED_DATABASE'), '--agreement', AGREEMENT_ID, '--year', year, '--month', month, '--format', 'json');
  return JSON.parse(out);
}

/// The accounts in the database, as `pooled user list` gives them: username ->
/// { role, name (the display name), partner, costCentres, agreements (none: every one) }.
export function databaseAccounts() {
  const accounts = new Map();
  for (const line of pooled('user', 'list', '--database', required('POOLED_DATABASE')).split('\n')) {
    const m = /^(\S+) (\S+) "(.*)"(?: partner=(\S+))?(?: cost-centres=(\S+))?(?: agreements=(\S+))?$/.exec(line);
    if (m) {
      const [, username, role, name, partner, costCentres, agreements] = m;
      accounts.set(username, { role, name, partner, costCentres: costCentres?.split(',') ?? [], agreements: agreements?.split(',') });
    }
  }
  return accounts;
}

/// A JSON amount (a string like "1234.56" or "-1234.56", or a number of pounds) in pence.
export function jsonPence(value) {
  if (typeof value === 'number') return Math.round(value * 100);
  if (typeof value === 'string') return parsePounds(value);
  throw new Error(`not an amount: ${JSON.stringify(value)}`);
}
