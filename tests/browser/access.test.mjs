// Signing in and out: pages need a session, a wrong password is refused on the form, and
// signing out ends the session.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  PASSWORD,
  errorSummary,
  launch,
  login,
  newPage,
  open,
  submit,
  submitLogin,
  url,
} from './helpers.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('without a session, the overview sends the browser to the sign-in page', async () => {
  const response = await fetch(url('/'), { redirect: 'manual' });
  assert.equal(response.status, 303, 'a 303 redirect');
  const location = new URL(response.headers.get('location'), url('/'));
  assert.equal(location.pathname, '/login');
  assert.equal(location.searchParams.get('next'), '/');

  const page = await newPage(browser);
  try {
    await open(page, '/');
    assert.equal(new URL(page.url()).pathname, '/login', 'the browser lands on /login');
    const form = page.locator('form[method="post"][action="/login"]');
    assert.equal(await form.count(), 1, 'the sign-in form');
    for (const name of ['username', 'password']) {
      assert.equal(await form.locator(`input[name="${name}"]`).count(), 1, `input ${name}`);
    }
    for (const name of ['csrf_token', 'next']) {
      assert.equal(await form.locator(`input[type="hidden"][name="${name}"]`).count(), 1, `hidden ${name}`);
    }
    assert.equal(await form.locator('input[name="next"]').inputValue(), '/', 'next is the page asked for');
    // Signing in from there goes back to the page asked for.
    await submitLogin(page, 'viewer', PASSWORD);
    assert.equal(new URL(page.url()).pathname, '/', 'back on the list of agreements');
    assert.match(await page.locator('h1').innerText(), /Agreements/);
  } finally {
    await page.context().close();
  }
});

test('a deep link, query and all, survives signing in', async () => {
  const path = `/agreements/oxon-s75/2016-17/what-if?month=M3`;
  const page = await newPage(browser);
  try {
    await open(page, path);
    assert.equal(new URL(page.url()).pathname, '/login');
    await submitLogin(page, 'viewer', PASSWORD);
    const at = new URL(page.url());
    assert.equal(`${at.pathname}${at.search}`, path, 'back on the page asked for');
    assert.match(await page.locator('main').innerText(), /M3 \(June 2016\)/, 'at the month asked for');
  } finally {
    await page.context().close();
  }
});

test('a wrong password shows the error and stays on the sign-in page', async () => {
  const page = await newPage(browser);
  try {
    assert.equal(await open(page, '/login'), 200, '/login is served');
    await submitLogin(page, 'board', 'not-the-password');
    assert.equal(new URL(page.url()).pathname, '/login');
    assert.notEqual(await errorSummary(page), '', 'a GOV.UK error summary');
    assert.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 0, 'not signed in');
    assert.equal(await open(page, '/agreements/oxon-s75/2016-17/settlement'), 200);
    assert.equal(new URL(page.url()).pathname, '/login', 'still no session');
  } finally {
    await page.context().close();
  }
});

test('signing out ends the session', async () => {
  const page = await newPage(browser);
  try {
    await login(page, 'viewer');
    await submit(page, 'Sign out', page.locator('header'));
    await open(page, '/agreements/oxon-s75/2016-17/risk-share');
    assert.equal(new URL(page.url()).pathname, '/login', 'the old session no longer opens pages');
  } finally {
    await page.context().close();
  }
});
