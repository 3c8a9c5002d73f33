// Every demo account signs in, sees its name in the header and opens every read page;
// each page is photographed at a laptop's and a phone's width, and nothing is wider than
// a phone's screen.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  ACCOUNTS,
  READ_PAGES,
  headerText,
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
const OVERFLOW_TOLERANCE = 4;

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

const names = new Map();
for (const account of ACCOUNTS) {
  test(`${account.username} signs in, sees their name and opens every read page`, async () => {
    const page = await newPage(browser);
    try {
      assert.ok(await login(page, account.username), 'the server has a sign-in page');
      const header = await headerText(page);
      assert.match(header, /Sign out/, 'the header has the sign-out button');
      assert.ok(header.includes(account.role), `the header names the role ${account.role}: ${header}`);
      // The display name: the header less the parts every signed-in page has.
      const name = header.replace(/\bpooled\b/, '').replace('Sign out', '').replace(`(${account.role})`, '').trim();
      assert.ok(name.length > 0, `the header shows a display name: ${header}`);
      names.set(account.username, name);
      for (const [what, path] of READ_PAGES) {
        assert.equal(await open(page, path), 200, `${account.username}: ${path}`);
        assert.equal(new URL(page.url()).pathname, new URL(path, 'http://x').pathname, `${path}: not redirected`);
        assert.ok((await headerText(page)).includes(name), `${path}: the header names ${account.username}`);
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

test('each account has a display name of its own', () => {
  assert.equal(names.size, ACCOUNTS.length, 'every account signed in');
  assert.equal(new Set(names.values()).size, names.size, JSON.stringify(Object.fromEntries(names)));
});

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
