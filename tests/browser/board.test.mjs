// The board (issue 5) in a browser: the pool manager records a whole meeting through the
// forms, watching the live quorum change with each attendee, then opens the agenda pack
// (the print view, and a PDF of it) and the decision log's CSV export.

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import {
  AT,
  SCREENSHOT_DIR,
  YEAR,
  launch,
  open,
  openOk,
  screenshots,
  setWidth,
  signedInPage,
  submit,
} from './helpers.mjs';

/// A Thursday in October 2016 with no meeting in the demo (its meetings are on
/// 2016-09-15 and 2017-01-05). Agenda and papers are due five working days before, on
/// 2016-10-06 (Sch 4 5.2); the minutes fourteen days after, by 2016-10-27 (6.3).
const DATE = '2016-10-13';
const MEETING = `${AT}/board/meetings/${DATE}`;
const ITEM = 'Finance and performance report M6';
const PAPER = 'Older People pool: action plan for the forecast overspend';
const SUBJECT = 'Approve the OP action plan';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/// The meeting page's form that makes the change `action` (its hidden `action` field).
const form = (page, action) => page.locator(`form:has(input[name="action"][value="${action}"])`);

const quorum = async (page) => (await page.locator('#quorum').textContent()).replace(/\s+/g, ' ').trim();

test('the pool manager records a whole meeting: late paper, quorum, a decision, minutes, the pack', async () => {
  const page = await signedInPage(browser, 'manager');
  try {
    // Schedule it from the board's page.
    await openOk(page, `${AT}/board`);
    await screenshots(page, 'board');
    await setWidth(page, 1280);
    await page.locator('form[action$="/meetings"] input[name="date"]').fill(DATE);
    await submit(page, 'Schedule meeting');
    assert.equal(new URL(page.url()).pathname, MEETING, 'the new meeting has its page');
    assert.match(await quorum(page), /^Not quorate\. OCC: 0 of 3 needed, short by 3\. OCCG: 0 of 3 needed, short by 3\./);

    // An agenda item and a paper published after the deadline: the warning shows.
    const item = form(page, 'item');
    await item.locator('input[name="title"]').fill(ITEM);
    await submit(page, 'Add item', item);
    const paper = form(page, 'paper');
    await paper.locator('select[name="item"]').selectOption('1');
    await paper.locator('input[name="title"]').fill(PAPER);
    await paper.locator('input[name="published"]').fill('2016-10-10');
    await submit(page, 'Add paper', paper);
    const papers = await page.locator('#papers').innerText();
    assert.ok(papers.includes(PAPER), papers);
    assert.match(papers, /published 2016-10-10/);
    assert.equal(await page.locator('#papers .app-late').count(), 1, 'the late paper is marked');
    assert.match(await page.locator('#papers .app-late').innerText(), /Late: due by 2016-10-06 \(Sch 4 5\.2\)/);

    // Attendance, one person at a time, until quorate: the count changes with each.
    const attendees = [
      ['occ-cm', '', /OCC: 1 of 3 needed, short by 2\./],
      ['occ-dass-deputy', 'occ-dass', /OCC: 2 of 3 needed, short by 1\./],
      ['occ-cfo', '', /OCC: 3 of 3 needed\. OCCG: 0 of 3 needed, short by 3\./],
      ['occg-dcc', '', /OCCG: 1 of 3 needed, short by 2\./],
      ['occg-ddl', '', /OCCG: 2 of 3 needed, short by 1\./],
      ['occg-cfo-deputy', 'occg-cfo', /^Quorate\. OCC: 3 of 3 needed\. OCCG: 3 of 3 needed\./],
    ];
    let previous = await quorum(page);
    for (const [person, deputisingFor, expected] of attendees) {
      const attend = form(page, 'attend');
      await attend.locator('input[name="person"]').fill(person);
      await attend.locator('select[name="deputising_for"]').selectOption(deputisingFor);
      await submit(page, 'Record attendance', attend);
      const now = await quorum(page);
      assert.notEqual(now, previous, `the quorum changes after ${person}`);
      assert.match(now, expected, `after ${person}`);
      if (expected.source.startsWith('^Quorate')) break;
      assert.match(now, /^Not quorate\./, `not yet quorate after ${person}`);
      previous = now;
    }
    assert.match(await quorum(page), /^Quorate\./);
    assert.ok(await page.locator('#quorum.app-quorate').count(), 'the quorate style');

    // A decision on an element OCC leads, with one abstention: the lead's discretion.
    const decision = form(page, 'decision');
    await decision.locator('input[name="subject"]').fill(SUBJECT);
    await decision.locator('select[name="element_lead"]').selectOption('OCC');
    for (const seat of ['occ-cm', 'occ-dass', 'occ-cfo', 'occg-dcc', 'occg-ddl', 'occg-cfo']) {
      await decision.locator(`select[name="vote:${seat}"]`).selectOption(seat === 'occg-ddl' ? 'abstain' : 'for');
    }
    await submit(page, 'Record decision', decision);
    const decisions = await page.locator('#decisions').innerText();
    assert.ok(decisions.includes(SUBJECT), decisions);
    assert.match(decisions, /not unanimous: at the lead commissioner's discretion \(OCC\) \(Sch 4 6\.2\)/);
    assert.match(decisions, /occg-ddl abstain/);

    // The minutes, circulated a week later: on time.
    const dates = form(page, 'dates');
    await dates.locator('input[name="minutes_circulated"]').fill('2016-10-20');
    await submit(page, 'Save dates', dates);
    const main = await page.locator('main').innerText();
    assert.match(main, /Minutes by 2016-10-27 \(Sch 4 6\.3\): done on 2016-10-20, on time/);
    assert.match(await page.locator('#minutes').innerText(), new RegExp(SUBJECT));
    await screenshots(page, 'meeting');
    await setWidth(page, 1280);

    // The agenda pack: the agenda with the late mark, the finance and performance reports,
    // the risk shares.
    await openOk(page, `${MEETING}/pack`);
    const agenda = await page.locator('#agenda').innerText();
    assert.ok(agenda.includes(ITEM) && agenda.includes(PAPER), agenda);
    assert.match(agenda, /Late: due by 2016-10-06/);
    assert.match(await page.locator('#pack-finance').innerText(), /M6 \(September 2016\)/);
    assert.ok(await page.locator('#table-pools').count(), 'the pools table');
    assert.match(await page.locator('#table-OP').innerText(), /50\.24%/);
    assert.match(await page.locator('#print-hint').innerText(), /Print/);
    await screenshots(page, 'agenda-pack');
    await setWidth(page, 1280);

    // Printed: no header, navigation, footer or forms; each section on a new page.
    await page.emulateMedia({ media: 'print' });
    for (const chrome of ['header.govuk-template__header', '.govuk-service-navigation', 'footer', '#print-hint']) {
      assert.equal(await page.locator(chrome).first().isVisible(), false, `${chrome} is not printed`);
    }
    // The cover, the agenda, the finance report, the performance report, the risk shares.
    const breaks = await page.locator('.app-pack__section').evaluateAll((sections) =>
      sections.map((s) => `${s.id}: ${getComputedStyle(s).breakBefore}`));
    assert.deepEqual(
      breaks,
      ['pack-cover: auto', 'pack-agenda: page', 'pack-finance: page', 'pack-performance: page', 'pack-risk-share: page'],
      'each section after the first starts a page',
    );
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    assert.equal(pdf.subarray(0, 5).toString(), '%PDF-', 'the pack prints to PDF');
    writeFileSync(join(SCREENSHOT_DIR, 'agenda-pack.pdf'), pdf);
    await page.emulateMedia({ media: 'screen' });

    // The decision log's CSV export, once the log is served.
    const log = `${AT}/board/decisions`;
    if ((await open(page, log)) === 404) {
      // The decision log (another part of issue 5) is not served yet: this step did not run.
      console.error(`SKIPPED: ${log} not yet served: the decision log's CSV export was not checked`);
    } else {
      assert.equal(await open(page, log), 200, `${log}: status`);
      assert.ok((await page.locator('main').innerText()).includes(SUBJECT), 'the decision is in the log');
      const href = await page.locator('main a', { hasText: /^CSV$/ }).first().getAttribute('href');
      assert.ok(href, 'the log links to its CSV');
      const response = await page.request.get(new URL(href, page.url()).href);
      assert.equal(response.status(), 200, 'the CSV is served');
      assert.match(response.headers()['content-type'] ?? '', /text\/csv/);
      const csv = await response.text();
      const row = csv.split('\n').find((line) => line.includes(SUBJECT));
      assert.ok(row, `the decision is in the CSV:\n${csv}`);
      assert.ok(row.includes(DATE), `its row names the meeting: ${row}`);
    }
  } finally {
    await page.context().close();
  }
});

test('a viewer opens the pack without the confidential items', async () => {
  // The meeting of 2016-09-15 from the demo, as a reader who is not on the board.
  const page = await signedInPage(browser, 'viewer');
  try {
    await openOk(page, `${AT}/board/meetings/2016-09-15/pack`);
    assert.match(await page.locator('#pack-version').innerText(), /Public version/);
    assert.equal(await page.locator('#agenda .govuk-tag--red').count(), 0, 'no confidential item');
  } finally {
    await page.context().close();
  }
});
