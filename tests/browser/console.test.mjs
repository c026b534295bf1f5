// Browser tests of the actas console, the <actas-banner> and the sample app (demo.html), against
// the deployed local stack, in the system Chromium (playwright-core, no downloaded browser).
//
//   ACTAS_STACK_FILE=.local/stack.json node --test console.test.mjs     (or scripts/browser.sh's browser_test)
//
// Without ACTAS_STACK_FILE every test is skipped with a message; with it, nothing is skipped.
// Screenshots go to .local/test-output/screenshots/ (failure-<test>.png when a step fails).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  CONSOLE_DIR, READ_ONLY, SCREENSHOTS, api, apiImpersonation, appear, assertAccessible, cell, cognitoSignIn,
  deepText, eventually, get, launch, loadStack, navLink, newPage, openFromNav, readTable, screenshot, settled, signIn,
  runTag, stepper, suiteOptions,
} from './lib.mjs';

const stack = loadStack();
const options = suiteOptions(stack);

const RUN = runTag();
const REASON = `Browser test ${RUN}: customer cannot see their invoices`;
const TICKET = `SUP-${RUN}`;

const startedAt = Date.now();
let browser;
// What test 1 did, for the audit test (which makes its own records when test 1 got nowhere).
const flow = { impersonationId: null, stopped: false };

before(async () => {
  if (!stack) return;
  // Failure screenshots of an earlier run would mislead.
  mkdirSync(SCREENSHOTS, { recursive: true });
  for (const f of readdirSync(SCREENSHOTS)) if (f.startsWith('failure-')) rmSync(join(SCREENSHOTS, f));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  console.log(`browser tests: total run time ${((Date.now() - startedAt) / 1000).toFixed(1)} s`
    + (stack ? ` (screenshots in ${SCREENSHOTS})` : ''));
});

const demoUrl = () => `${stack.consoleUrl}demo.html`;

/** Puts an impersonated session (and its actor's tokens) into the page's sessionStorage, as the console does. */
async function openDemoAs(page, imp) {
  await page.goto(demoUrl());
  await page.evaluate(([payload, actor]) => {
    sessionStorage.setItem('actas.session', JSON.stringify(payload));
    sessionStorage.setItem('actas.actor', JSON.stringify(actor));
  }, [imp.payload, { idToken: imp.actorTokens.IdToken, accessToken: imp.actorTokens.AccessToken, refreshToken: imp.actorTokens.RefreshToken }]);
  await page.reload();
  const banner = page.getByRole('region', { name: 'Impersonation', exact: true });
  await banner.waitFor();
  await settled(page); // the notes loaded: the layout is final
  return banner;
}

/** The deepest focused element, through shadow roots, described for a message. */
async function focused(page) {
  return page.evaluate(() => {
    let a = document.activeElement;
    while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
    if (!a) return '(nothing)';
    const name = a.getAttribute('aria-label') || (a.textContent || '').trim().slice(0, 40);
    return `<${a.localName}>${name ? ` "${name}"` : ''}`;
  });
}

async function isFocused(locator) {
  return locator.evaluate((b) => {
    let a = document.activeElement;
    while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
    return a === b;
  });
}

/** Exactly one visible <h1>: every page has its own heading. */
async function oneHeading(page) {
  const h1 = page.getByRole('heading', { level: 1 });
  await h1.first().waitFor();
  assert.equal(await h1.count(), 1, `expected one <h1>, found ${await h1.count()}: ${JSON.stringify(await h1.allInnerTexts())}`);
  return (await h1.innerText()).trim();
}

/** Clicks "Load more" until it is gone (bounded). */
async function loadAll(page) {
  for (let i = 0; i < 20; i++) {
    await settled(page);
    const more = page.getByRole('button', { name: 'Load more', exact: true });
    if (!(await more.count()) || !(await more.isVisible())) return;
    await more.click();
  }
  throw new Error('"Load more" still shown after 20 pages');
}

const normEvent = (s) => (s || '').trim().toLowerCase().replace(/[\s-]+/g, '_');

// ------------------------------------------------------------------------------------------------

test('0. the console, its config and the sample app are served under {API}/console/', options, async () => {
  if (CONSOLE_DIR) {
    // The console's files come from a local folder (ACTAS_CONSOLE_DIR): check the folder instead.
    for (const file of ['index.html', 'demo.html']) {
      const html = readFileSync(join(CONSOLE_DIR, file), 'utf8');
      assert.doesNotMatch(html, /(src|href)="\/(?!\/)/, `${file} has an absolute URL (src="/…" or href="/…"); they must be relative`);
    }
    console.log(`  (console served from ${CONSOLE_DIR}, not from the deployed function)`);
    return;
  }
  const index = await get(stack.consoleUrl);
  const html = index.text;
  assert.equal(index.status, 200, `GET ${stack.consoleUrl}: ${index.status} ${html.slice(0, 200)}`);
  assert.match(index.headers['content-type'] || '', /text\/html/, 'index content type');
  assert.doesNotMatch(html, /(src|href)="\/(?!\/)/, 'index.html has an absolute URL (src="/…" or href="/…"); they must be relative');
  const demo = await get(`${stack.consoleUrl}demo.html`);
  assert.equal(demo.status, 200, `GET demo.html: ${demo.status}`);
  assert.match(demo.headers['content-type'] || '', /text\/html/, 'demo.html content type');
  // Every script and stylesheet the two pages name is served, with a fitting content type.
  const assets = new Set([...`${html}\n${demo.text}`.matchAll(/(?:src|href)="(\.\/[^"#?]+\.(?:m?js|css))"/g)].map((m) => m[1]));
  assert.ok(assets.size > 0, 'the pages name no ./*.js or ./*.css');
  for (const asset of assets) {
    const r = await get(new URL(asset, stack.consoleUrl).href);
    assert.equal(r.status, 200, `GET ${asset}: ${r.status}`);
    const want = asset.endsWith('.css') ? /text\/css/ : /javascript/;
    assert.match(r.headers['content-type'] || '', want, `${asset} content type ${r.headers['content-type']}`);
  }
  const config = await get(`${stack.consoleUrl}config.json`);
  assert.equal(config.status, 200, `config.json: ${config.status} ${config.text}`);
  const json = config.json;
  for (const key of ['cognitoEndpoint', 'region', 'userPoolId', 'signInClientId']) {
    assert.ok(json?.[key], `config.json has no ${key}: ${config.text}`);
  }
  assert.equal(json.signInClientId, stack.signInClientId, 'config.json signInClientId');
  assert.equal(json.userPoolId, stack.userPoolId, 'config.json userPoolId');
  const missing = await get(`${stack.consoleUrl}no-such-file.js`);
  assert.equal(missing.status, 404, `a missing console file answers ${missing.status}, not 404`);
});

test('1. acme-admin acts as acme-support-1 read-only; the write is refused; Stop from the banner by keyboard ends it; the target sees it', options, async () => {
  const { context, page, log } = await newPage(browser);
  let current = page;
  const step = stepper('1-admin-flow', () => current, log);
  let payload = null;
  try {
    await step('open the console: the sign-in form', async () => {
      await page.goto(stack.consoleUrl);
      await page.getByLabel('Username', { exact: true }).waitFor();
      await page.getByLabel('Password', { exact: true }).waitFor();
      await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    });

    await step('sign in as acme-admin', () => signIn(page, stack, 'acme-admin'));

    await step('Act as: search and pick acme-support-1', async () => {
      const search = page.getByLabel('Search people', { exact: true });
      await openFromNav(page, 'Act as', search);
      await oneHeading(page);
      await search.fill('support-1');
      const pick = page.getByRole('button', { name: 'Act as acme-support-1', exact: true });
      await appear(page, pick);
      await eventually(
        async () => (await page.getByRole('button', { name: 'Act as acme-sales-1', exact: true }).count()) === 0
          && (await page.getByRole('button', { name: 'Act as acme-support-2', exact: true }).count()) === 0,
        'the search "support-1" still lists acme-sales-1 or acme-support-2',
      );
      await pick.click();
    });

    await step('mode Read-only, a reason and a ticket; Start', async () => {
      const readOnly = page.getByRole('radio', { name: 'Read-only', exact: true });
      await readOnly.check();
      assert.ok(await readOnly.isChecked(), 'Read-only is not checked');
      await page.getByLabel('Reason', { exact: true }).fill(REASON);
      await page.getByLabel('Ticket', { exact: true }).fill(TICKET);
      await screenshot(page, 'flow-1-act-as-form');
      await page.getByRole('button', { name: 'Start impersonation', exact: true }).click();
      await page.waitForURL(/\/demo\.html/);
    });

    const banner = page.getByRole('region', { name: 'Impersonation', exact: true });
    await step('the sample app opens as acme-support-1 with the banner: actor, mode, time left (ticking)', async () => {
      await banner.waitFor();
      payload = await page.evaluate(() => JSON.parse(sessionStorage.getItem('actas.session') || 'null'));
      assert.ok(payload?.impersonation?.id, `sessionStorage actas.session holds no impersonated session: ${JSON.stringify(payload)?.slice(0, 300)}`);
      flow.impersonationId = payload.impersonation.id;
      assert.equal(payload.username, 'acme-support-1', 'the session is not acme-support-1\'s');
      assert.equal(payload.impersonation.actor?.username, 'acme-admin', 'the session\'s actor');
      assert.equal(payload.impersonation.mode, 'read_only', 'the session\'s mode');
      assert.equal(payload.impersonation.reason, REASON, 'the session\'s reason');
      const text = await deepText(banner);
      assert.match(text, /Acting as acme-support-1/, `banner text: ${text}`);
      assert.match(text, /\b(for|by) acme-admin\b/, `banner text: ${text}`);
      assert.match(text, /read-only/i, `banner text: ${text}`);
      const time = text.match(/\b\d{1,2}(:\d{2}){1,2}\b/);
      assert.ok(time, `banner shows no time left (mm:ss): ${text}`);
      const later = await eventually(async () => {
        const t2 = (await deepText(banner)).match(/\b\d{1,2}(:\d{2}){1,2}\b/);
        return t2 && t2[0] !== time[0] ? t2[0] : null;
      }, `the banner's time left stays at ${time[0]} (not ticking)`, 5000);
      assert.notEqual(later, time[0]);
      // The banner's live status line, and no way to dismiss it.
      const live = await banner.evaluate((root) => {
        const all = [];
        const walk = (n) => { if (n.shadowRoot) walk(n.shadowRoot); for (const c of n.children || []) { all.push(c); walk(c); } };
        walk(root);
        if (root.shadowRoot) walk(root.shadowRoot);
        return [root, ...all].some((e) => e.getAttribute?.('aria-live') === 'polite' || e.getAttribute?.('role') === 'status');
      });
      assert.ok(live, 'the banner has no aria-live="polite" (or role=status) line');
      const buttons = banner.getByRole('button');
      const names = [];
      for (let i = 0; i < await buttons.count(); i++) {
        names.push((await buttons.nth(i).getAttribute('aria-label')) || (await buttons.nth(i).innerText()).trim());
      }
      assert.ok(names.every((n) => !/close|dismiss|hide|^×$|^x$/i.test(n)), `the banner has a dismiss control: ${JSON.stringify(names)}`);
      await banner.getByRole('button', { name: 'Stop impersonation', exact: true }).waitFor();
    });

    const note = `Note from ${RUN}`;
    await step('adding a note is refused with a readable read-only message (role=alert)', async () => {
      await page.getByLabel('Note', { exact: true }).fill(note);
      await page.getByRole('button', { name: 'Add note', exact: true }).click();
      const alert = page.getByRole('alert').filter({ hasText: /read-only/i });
      await alert.first().waitFor();
      const message = (await alert.first().innerText()).trim();
      assert.doesNotMatch(message, /[{}]|"status"|"message"|\\"/, `the alert shows raw JSON: ${message}`);
      assert.ok(message.length < 300, `the alert is too long to be a readable message: ${message}`);
      await screenshot(page, 'flow-2-read-only-refused');
      const notes = await api.notes(stack, payload.session.accessToken);
      assert.equal(notes.status, 200, `GET /demo/notes: ${notes.status} ${notes.text}`);
      assert.ok(!notes.text.includes(note), 'the refused note was stored anyway');
    });

    await step('Stop from the banner with the keyboard (Tab to the button, Enter)', async () => {
      // A fresh load puts the focus at the start of the document, as for a keyboard user.
      await page.reload();
      await banner.waitFor();
      const stop = banner.getByRole('button', { name: 'Stop impersonation', exact: true });
      await stop.waitFor();
      const seen = [];
      let tabs = 0;
      while (!(await isFocused(stop))) {
        if (tabs >= 40) throw new Error(`Tab never reached "Stop impersonation"; focus went: ${seen.join(' → ')}`);
        await page.keyboard.press('Tab');
        tabs += 1;
        seen.push(await focused(page));
      }
      if (process.env.ACTAS_BROWSER_VERBOSE) console.log(`  Stop reached after ${tabs} Tab(s): ${seen.join(' → ')}`);
      await page.keyboard.press('Enter');
      await page.waitForURL(/index\.html#\/active|\/console\/#\/active|#\/active/);
      flow.stopped = true;
      const left = await page.evaluate(() => sessionStorage.getItem('actas.session'));
      assert.equal(left, null, 'actas.session is still in sessionStorage after Stop');
    });

    await step('server side: the stopped session\'s token is invalid and its refresh is refused', async () => {
      for (const [kind, token] of [['access', payload.session.accessToken], ['id', payload.session.authorization]]) {
        const check = await api.tokenCheck(stack, token);
        assert.ok(check.status === 200 || check.status === 401, `GET /auth/token (${kind}): ${check.status} ${check.text}`);
        if (check.status === 200) assert.equal(check.json.valid, false, `GET /auth/token with the stopped session's ${kind} token: ${check.text}`);
      }
      const refresh = await api.refresh(payload);
      assert.notEqual(refresh.status, 200, `a refresh through endpointUrl still works after Stop: ${refresh.text.slice(0, 200)}`);
    });

    await step('the Active page (as acme-admin) no longer lists it', async () => {
      await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
      await oneHeading(page);
      await settled(page);
      await page.waitForTimeout(500);
      await settled(page);
      const rows = page.getByRole('row').filter({ hasText: REASON });
      assert.equal(await rows.count(), 0, 'the stopped impersonation is still listed on Active');
    });

    const target = await newPage(browser);
    current = target.page;
    log.push('--- (acme-support-1\'s page) ---');
    target.page.on('console', (m) => { if (m.type() === 'error') log.push(`console.error: ${m.text()}`); });
    try {
      await step('acme-support-1 signs in; "Who acted as me" lists it: actor acme-admin, reason, mode', async () => {
        const p = target.page;
        await signIn(p, stack, 'acme-support-1');
        const row = p.getByRole('row').filter({ hasText: REASON });
        await openFromNav(p, 'Who acted as me', row);
        await oneHeading(p);
        await settled(p);
        assert.equal(await row.count(), 1, 'the impersonation is listed more than once');
        const table = await readTable(p.getByRole('table').filter({ has: row }));
        const r = table.rows.find((x) => x._text.includes(REASON));
        assert.ok(r, `no row with the reason in ${JSON.stringify(table)}`);
        assert.match(cell(r, 'Actor') ?? r._text, /acme-admin/, `actor: ${JSON.stringify(r)}`);
        assert.match(cell(r, 'Mode') ?? r._text, READ_ONLY, `mode: ${JSON.stringify(r)}`);
        assert.match(cell(r, 'Reason') ?? r._text, new RegExp(REASON.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), `reason: ${JSON.stringify(r)}`);
        assert.match(cell(r, 'Ticket') ?? r._text, new RegExp(TICKET), `ticket: ${JSON.stringify(r)}`);
        const ended = cell(r, 'Ended');
        assert.ok(ended !== undefined, `no "Ended" column: ${JSON.stringify(table.headers)}`);
        assert.ok(ended && !/^(—|-|active|)$/i.test(ended), `"Ended" is empty for a stopped impersonation: ${JSON.stringify(r)}`);
        await screenshot(p, 'flow-3-who-acted-as-me');
      });
    } finally {
      await target.context.close();
    }
  } finally {
    // Never leave a live impersonation behind when a step failed before the Stop.
    if (payload && !flow.stopped) {
      const actor = await cognitoSignIn(stack, 'acme-admin');
      await api.stop(stack, actor.IdToken, payload.impersonation.id);
    }
    await context.close();
  }
});

test('2. a team admin sees only their team in Act as, and no "Full" mode', options, async () => {
  const { context, page, log } = await newPage(browser);
  const step = stepper('2-team-admin', page, log);
  try {
    await step('/auth/me of acme-team-admin allows read-only only', async () => {
      const tokens = await cognitoSignIn(stack, 'acme-team-admin');
      const me = await api.me(stack, tokens.IdToken);
      assert.equal(me.status, 200, `GET /auth/me: ${me.status} ${me.text}`);
      assert.equal(me.json.may_act_as, true, `may_act_as: ${me.text}`);
      assert.deepEqual(me.json.modes, ['read_only'], `modes: ${me.text}`);
    });
    await step('sign in as acme-team-admin; Act as lists acme-support-1 and -2 and nobody outside team support', async () => {
      await signIn(page, stack, 'acme-team-admin');
      await openFromNav(page, 'Act as', page.getByRole('button', { name: 'Act as acme-support-1', exact: true }));
      await page.getByLabel('Search people', { exact: true }).waitFor();
      await loadAll(page);
      const count = (name) => page.getByRole('button', { name: `Act as ${name}`, exact: true }).count();
      assert.equal(await count('acme-support-1'), 1, 'acme-support-1');
      assert.equal(await count('acme-support-2'), 1, 'acme-support-2');
      for (const outsider of ['acme-sales-1', 'acme-admin', 'acme-super', 'acme-operator', 'globex-admin', 'globex-user']) {
        assert.equal(await count(outsider), 0, `${outsider} is offered to the team admin of support`);
      }
      await page.getByLabel('Search people', { exact: true }).fill('sales');
      await settled(page);
      assert.equal(await count('acme-sales-1'), 0, 'searching "sales" offers acme-sales-1');
    });
    await step('pick acme-support-1: Read-only is offered, Full is not', async () => {
      await page.getByLabel('Search people', { exact: true }).fill('support-1');
      await page.getByRole('button', { name: 'Act as acme-support-1', exact: true }).click();
      const readOnly = page.getByRole('radio', { name: 'Read-only', exact: true });
      await readOnly.waitFor();
      assert.equal(await page.getByRole('radio', { name: 'Full', exact: true }).count(), 0, 'a "Full" radio is offered');
      assert.equal(await page.getByLabel('Full', { exact: true }).count(), 0, 'a control labelled "Full" is offered');
      await page.getByRole('button', { name: 'Start impersonation', exact: true }).waitFor();
      await screenshot(page, 'act-as-team-admin');
    });
  } finally {
    await context.close();
  }
});

test('3. a plain user sees no "Act as"', options, async () => {
  const { context, page, log } = await newPage(browser);
  const step = stepper('3-plain-user', page, log);
  try {
    await step('sign in as acme-support-2: the nav has "Who acted as me" but no "Act as"', async () => {
      await signIn(page, stack, 'acme-support-2');
      await navLink(page, 'Who acted as me').waitFor();
      await settled(page);
      assert.equal(await navLink(page, 'Act as').count(), 0, 'the nav shows "Act as" to a plain user');
      assert.equal(await page.getByRole('link', { name: 'Act as', exact: true }).count(), 0, 'a link "Act as" is on the page');
    });
    await step('#/act-as typed in by hand offers nobody to act as', async () => {
      await page.goto(`${stack.consoleUrl}#/act-as`);
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      await settled(page);
      await page.waitForTimeout(1000);
      assert.equal(await page.getByRole('button', { name: /^Act as / }).count(), 0, 'people to act as are offered to a plain user');
      assert.equal(await page.getByRole('button', { name: 'Start impersonation', exact: true }).count(), 0, 'a Start button is offered to a plain user');
      await screenshot(page, 'act-as-plain-user');
    });
  } finally {
    await context.close();
  }
});

test('4. the audit page shows this run\'s records, and the Event filter works', options, async () => {
  const { context, page, log } = await newPage(browser);
  const step = stepper('4-audit', page, log);
  let reason = REASON;
  try {
    if (!flow.stopped) {
      // Test 1 did not get to its Stop: make this test's own records (issued, exchanged, stopped).
      reason = `${REASON} (audit)`;
      const imp = await apiImpersonation(stack, 'acme-admin', 'acme-support-1', { reason, ticket: TICKET, mode: 'read_only' });
      const end = await api.endItself(stack, imp.payload.session.accessToken);
      assert.ok(end.status < 300, `DELETE /auth/impersonate: ${end.status} ${end.text}`);
      console.log('  (test 1 did not stop its impersonation: the audit test made its own records)');
    }
    const auditTable = () => page.getByRole('table').filter({ has: page.getByRole('columnheader', { name: /event/i }) });
    const ours = async () => {
      const { rows } = await readTable(auditTable());
      return rows.filter((r) => r._text.includes(reason));
    };
    await step('sign in as acme-admin; open Audit', async () => {
      await signIn(page, stack, 'acme-admin');
      await openFromNav(page, 'Audit', page.getByRole('button', { name: 'Apply filters', exact: true }));
      await oneHeading(page);
      for (const label of ['Actor', 'Target', 'Event', 'Since', 'Until']) {
        await page.getByLabel(label, { exact: true }).waitFor();
      }
      await settled(page);
      await appear(page, auditTable());
    });
    await step('filter Target acme-support-1: this run\'s start/exchange and stop are listed', async () => {
      await page.getByLabel('Target', { exact: true }).fill('acme-support-1');
      await page.getByRole('button', { name: 'Apply filters', exact: true }).click();
      await settled(page);
      const rows = await eventually(async () => {
        const { rows: all } = await readTable(auditTable());
        if (!all.length || !all.every((x) => /acme-support-1/.test(cell(x, 'Target') ?? ''))) return null;
        const r = all.filter((x) => x._text.includes(reason));
        const events = r.map((x) => normEvent(cell(x, 'Event')));
        return events.includes('stopped') && events.some((e) => ['started', 'exchanged', 'token_issued'].includes(e)) ? r : null;
      }, async () => {
        const { rows: all } = await readTable(auditTable());
        return `rows all for target acme-support-1, among them this run's (reason "${reason}") start and stop; the table shows ${all.length} rows: ${JSON.stringify(all.slice(0, 8).map((x) => x._text))}`;
      });
      for (const r of rows) {
        assert.match(cell(r, 'Target') ?? '', /acme-support-1/, `target: ${JSON.stringify(r)}`);
        assert.match(cell(r, 'Actor') ?? '', /acme-admin/, `actor: ${JSON.stringify(r)}`);
        assert.match(cell(r, 'Mode') ?? '', READ_ONLY, `mode: ${JSON.stringify(r)}`);
      }
    });
    const selectEvent = async (name) => {
      const select = page.getByLabel('Event', { exact: true });
      const opts = await select.locator('option').evaluateAll((os) => os.map((o) => ({ value: o.value, label: o.textContent.trim() })));
      assert.ok(opts.some((o) => /^any$/i.test(o.label)), `the Event filter has no "Any": ${JSON.stringify(opts)}`);
      const opt = opts.find((o) => o.value === name || normEvent(o.label) === name);
      assert.ok(opt, `the Event filter has no option ${name}: ${JSON.stringify(opts)}`);
      await select.selectOption(opt.value);
      await page.getByRole('button', { name: 'Apply filters', exact: true }).click();
      await settled(page);
    };
    for (const [event, other] of [['stopped', 'exchanged'], ['exchanged', 'stopped']]) {
      await step(`Event = ${event}: only ${event} records, this run's among them`, async () => {
        await selectEvent(event);
        await eventually(async () => {
          const { rows } = await readTable(auditTable());
          return rows.length > 0 && rows.every((r) => normEvent(cell(r, 'Event')) === event);
        }, async () => `rows other than ${event}: ${JSON.stringify((await readTable(auditTable())).rows.filter((r) => normEvent(cell(r, 'Event')) !== event).slice(0, 5).map((r) => r._text))}`);
        const mine = await ours();
        assert.ok(mine.length >= 1, `this run's ${event} record is not listed`);
        assert.ok(mine.every((r) => normEvent(cell(r, 'Event')) !== other), `a ${other} record passed the ${event} filter`);
      });
    }
  } finally {
    await context.close();
  }
});

test('5. the banner on a 320 px wide screen: visible, Stop visible and clear, no horizontal scroll, sticky', options, async () => {
  const { context, page, log } = await newPage(browser, { width: 320, height: 640 });
  const step = stepper('5-banner-320', page, log);
  const imp = await apiImpersonation(stack, 'acme-admin', 'acme-support-2', { reason: `${REASON} (320 px)`, ticket: TICKET, mode: 'read_only' });
  try {
    let banner;
    await step('the sample app with an impersonated session at 320 × 640', async () => {
      banner = await openDemoAs(page, imp);
      assert.ok(await banner.isVisible(), 'the banner is not visible');
    });
    await step('the banner and its Stop button fit in the width and do not overlap anything', async () => {
      const stop = banner.getByRole('button', { name: 'Stop impersonation', exact: true });
      assert.ok(await stop.isVisible(), 'Stop impersonation is not visible');
      const layout = await stop.evaluate((button) => {
        const r = button.getBoundingClientRect();
        const within = (n) => n === button || button.contains(n) || (n.nodeType === 1 && n.contains(button));
        const clashes = [];
        const hit = (q) => q.width > 0 && q.height > 0 && q.left < r.right - 0.5 && q.right > r.left + 0.5
          && q.top < r.bottom - 0.5 && q.bottom > r.top + 0.5;
        const walk = (n) => {
          if (n.shadowRoot) walk(n.shadowRoot);
          for (const c of n.childNodes) {
            if (c.nodeType === Node.TEXT_NODE && c.textContent.trim() && !button.contains(c)) {
              const range = document.createRange();
              range.selectNodeContents(c);
              for (const q of range.getClientRects()) if (hit(q)) clashes.push(`text "${c.textContent.trim().slice(0, 30)}"`);
            } else if (c.nodeType === 1 && !within(c)) {
              const tag = c.localName;
              if (['input', 'textarea', 'button', 'select', 'a', 'img'].includes(tag) && hit(c.getBoundingClientRect())) clashes.push(`<${tag}>`);
              walk(c);
            } else if (c.nodeType === 1) walk(c);
          }
        };
        walk(document.body);
        const vw = document.documentElement.clientWidth;
        return { rect: { left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height }, vw, clashes };
      });
      assert.ok(layout.rect.left >= 0 && layout.rect.right <= layout.vw + 0.5, `Stop is outside the ${layout.vw} px viewport: ${JSON.stringify(layout.rect)}`);
      assert.ok(layout.rect.height >= 24 && layout.rect.width >= 24, `Stop is smaller than 24 × 24 px: ${JSON.stringify(layout.rect)}`);
      assert.deepEqual(layout.clashes, [], `Stop overlaps: ${layout.clashes.join(', ')}`);
      const box = await banner.boundingBox();
      assert.ok(box && box.x >= -0.5 && box.x + box.width <= 320.5, `the banner is wider than the screen: ${JSON.stringify(box)}`);
      const heading = page.getByRole('heading', { level: 1 });
      if (await heading.count()) {
        const h = await heading.first().boundingBox();
        assert.ok(h.y >= box.y + box.height - 1, `the banner covers the page heading: banner ${JSON.stringify(box)}, h1 ${JSON.stringify(h)}`);
      }
      await screenshot(page, 'banner-320', { fullPage: false });
    });
    await step('no horizontal scroll at 320 px', async () => {
      const sizes = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth, body: document.body.scrollWidth }));
      assert.ok(sizes.scroll <= sizes.client && sizes.body <= sizes.client, `the page scrolls horizontally: ${JSON.stringify(sizes)}`);
    });
    await step('the banner keeps its place at the top when the page scrolls', async () => {
      await page.evaluate(() => {
        const spacer = document.createElement('div');
        spacer.style.height = '3000px';
        spacer.setAttribute('aria-hidden', 'true');
        document.body.append(spacer);
        window.scrollTo(0, document.documentElement.scrollHeight);
      });
      await page.waitForTimeout(200);
      const box = await banner.boundingBox();
      assert.ok(box && Math.abs(box.y) <= 1, `after scrolling the banner is at y=${box?.y} (not sticky at the top)`);
      assert.ok(await banner.getByRole('button', { name: 'Stop impersonation', exact: true }).isVisible(), 'Stop is not visible after scrolling');
      await screenshot(page, 'banner-320-scrolled', { fullPage: false });
    });
  } finally {
    await imp.end();
    await context.close();
  }
});

test('6. axe-core finds no serious or critical violation on any page; screenshots of each', options, async (t) => {
  const imp = await apiImpersonation(stack, 'acme-admin', 'acme-support-1', { reason: `${REASON} (axe)`, ticket: TICKET, mode: 'read_only' });
  const admin = await newPage(browser);
  const target = await newPage(browser);
  const failures = [];
  // Every page is checked even when another failed; the test fails at the end with all of them.
  const page = async (name, p, log, open) => {
    await t.test(name, async () => {
      const step = stepper(`6-${name}`, p, log);
      try {
        await step(`open ${name}`, open);
        await step(`screenshot ${name}`, () => screenshot(p, name));
        await assertAccessible(p, name);
      } catch (error) {
        failures.push(name);
        throw error;
      }
    });
  };
  try {
    const a = admin.page;
    await page('sign-in', a, admin.log, async () => {
      await a.goto(`${stack.consoleUrl}#/sign-in`);
      await a.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
      await oneHeading(a);
    });
    await page('sign-in-error', a, admin.log, async () => {
      await a.getByLabel('Username', { exact: true }).fill('acme-admin');
      await a.getByLabel('Password', { exact: true }).fill('not-the-password');
      await a.getByRole('button', { name: 'Sign in', exact: true }).click();
      const alert = a.getByRole('alert').filter({ hasText: /\S/ });
      await alert.first().waitFor();
      const text = await alert.first().innerText();
      assert.doesNotMatch(text, /[{}]|"message"|__type/, `the sign-in error shows raw JSON: ${text}`);
    });
    await page('act-as', a, admin.log, async () => {
      await signIn(a, stack, 'acme-admin');
      await openFromNav(a, 'Act as', a.getByLabel('Search people', { exact: true }));
      await a.getByLabel('Search people', { exact: true }).fill('acme-support-1');
      await a.getByRole('button', { name: 'Act as acme-support-1', exact: true }).click();
      await a.getByRole('button', { name: 'Start impersonation', exact: true }).waitFor();
      await settled(a);
    });
    await page('active', a, admin.log, async () => {
      await openFromNav(a, 'Active', a.getByRole('row').filter({ hasText: `${REASON} (axe)` }));
      await oneHeading(a);
      await settled(a);
    });
    await page('audit', a, admin.log, async () => {
      await openFromNav(a, 'Audit', a.getByRole('button', { name: 'Apply filters', exact: true }));
      await appear(a, a.getByRole('table').filter({ has: a.getByRole('columnheader', { name: /event/i }) }));
      await oneHeading(a);
      await settled(a);
    });
    await page('who-acted-as-me', target.page, target.log, async () => {
      await signIn(target.page, stack, 'acme-support-1');
      await openFromNav(target.page, 'Who acted as me',
        target.page.getByRole('table').filter({ has: target.page.getByRole('columnheader', { name: /ended/i }) }));
      await oneHeading(target.page);
      await settled(target.page);
    });
    await page('banner', a, admin.log, async () => {
      await openDemoAs(a, imp);
      await a.getByRole('button', { name: 'Add note', exact: true }).waitFor();
      await settled(a);
    });
    assert.deepEqual(failures, [], `pages that failed (above): ${failures.join(', ')}`);
  } finally {
    await imp.end();
    await admin.context.close();
    await target.context.close();
  }
});

test('7. the Active page lists a live impersonation (time left ticking) and its Stop ends it', options, async () => {
  const reason = `${REASON} (active)`;
  const imp = await apiImpersonation(stack, 'acme-admin', 'acme-support-2', { reason, ticket: TICKET, mode: 'read_only' });
  const { context, page, log } = await newPage(browser);
  const step = stepper('7-active', page, log);
  try {
    const row = page.getByRole('row').filter({ hasText: reason });
    await step('sign in as acme-admin; Active lists it: actor, target, mode, reason, time left', async () => {
      await signIn(page, stack, 'acme-admin');
      await openFromNav(page, 'Active', row);
      await oneHeading(page);
      assert.equal(await row.count(), 1, 'listed more than once');
      const text = (await row.innerText()).replace(/\s+/g, ' ');
      assert.match(text, /acme-admin/, `actor: ${text}`);
      assert.match(text, /acme-support-2/, `target: ${text}`);
      assert.match(text, READ_ONLY, `mode: ${text}`);
      const time = text.match(/\b\d{1,2}(:\d{2}){1,2}\b/);
      assert.ok(time, `no time left (mm:ss): ${text}`);
      await eventually(async () => {
        const t2 = (await row.innerText()).match(/\b\d{1,2}(:\d{2}){1,2}\b/);
        return t2 && t2[0] !== time[0];
      }, `the time left stays at ${time[0]} (not ticking)`, 5000);
    });
    await step('its Stop (aria-label "Stop impersonation of acme-support-2") ends it', async () => {
      page.on('dialog', (d) => d.accept());
      await row.getByRole('button', { name: 'Stop impersonation of acme-support-2', exact: true }).click();
      await eventually(async () => (await row.count()) === 0, 'the row is still listed after Stop');
      const check = await api.tokenCheck(stack, imp.payload.session.accessToken);
      assert.ok(check.status === 401 || check.json?.valid === false, `the stopped session's token is still valid: ${check.status} ${check.text}`);
    });
  } finally {
    await imp.end();
    await context.close();
  }
});
