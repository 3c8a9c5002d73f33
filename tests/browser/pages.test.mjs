// Every demo account signs in, sees its name in the header and opens every read page;
// each page is photographed at a laptop's and a phone's width, and the overview is no
// wider than a phone's screen.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  ACCOUNTS,
  READ_PAGES,
  readPagesOf,
  databaseAccounts,
  headerText,
  OVERFLOW_TOLERANCE,
  horizontalOverflow,
  launch,
  login,
  newPage,
  open,
  screenshots,
  setWidth,
  signedInPage,
} from './helpers.mjs';

/// A phone's width, and the pixels a page may be wider than it (scroll bars, rounding).
const PHONE = 400;

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('the sign-in page, photographed at each width', async () => {
  const page = await newPage(browser);
  try {
    assert.equal(await open(page, '/login'), 200, '/login is served');
    await screenshots(page, 'login');
  } finally {
    await page.context().close();
  }
});

test('the demo has its accounts, each with its role', () => {
  const accounts = databaseAccounts();
  for (const { username, role, partner, agreements } of ACCOUNTS) {
    const account = accounts.get(username);
    assert.ok(account, `${username} exists`);
    assert.equal(account.role, role, `${username}'s role`);
    assert.equal(account.partner, partner, `${username}'s partner`);
    assert.deepEqual(account.agreements, agreements, `${username}'s agreements`);
  }
  assert.ok(accounts.get('budget-holder').costCentres.every((c) => c.startsWith('OCC-')), 'OCC cost centres');
});

for (const account of ACCOUNTS) {
  const { username } = account;
  test(`${username} signs in, sees their name in the header and opens every read page of its agreements`, async () => {
    const name = databaseAccounts().get(username)?.name;
    assert.ok(name, `${username} has a display name`);
    const page = await newPage(browser);
    try {
      await login(page, username);
      for (const [what, path] of readPagesOf(account)) {
        assert.equal(await open(page, path), 200, `${username}: ${path}`);
        assert.equal(new URL(page.url()).pathname, new URL(path, 'http://x').pathname, `${path}: not redirected`);
        const header = await headerText(page);
        assert.ok(header.includes(name), `${path}: the header names ${name}: ${header}`);
        assert.match(header, /Sign out/, `${path}: the header has the sign-out button`);
        assert.equal(await page.locator('h1').count(), 1, `${path}: one page heading`);
        assert.equal(await page.locator('.govuk-error-summary').count(), 0, `${path}: no error`);
        if (what === 'pool') {
          assert.equal(await page.locator('main svg').count(), 2, `${path}: the two charts`);
          assert.ok(await page.locator('a[href*="/cost-centres/"]').count(), `${path}: links to cost centres`);
        }
      }
    } finally {
      await page.context().close();
    }
  });
}

test('every read page photographed at each width; the overview fits a phone', async () => {
  // The pool manager sees every page as the people who run the pool do.
  const page = await signedInPage(browser, 'manager');
  try {
    for (const [what, path] of READ_PAGES) {
      assert.equal(await open(page, path), 200, path);
      await screenshots(page, what);
      if (what === 'overview') {
        await setWidth(page, PHONE);
        const overflow = await horizontalOverflow(page);
        assert.ok(overflow <= OVERFLOW_TOLERANCE, `the overview is ${overflow} px wider than a ${PHONE} px screen`);
      }
    }
  } finally {
    await page.context().close();
  }
});
