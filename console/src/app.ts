// The actas console: sign in, act as someone, see and stop live impersonations, read the audit
// trail, and see who acted as you. Hash routes on one page; every call goes to the API this page
// is served by (relative URLs only).

import {
  ACTOR_KEY,
  Feedback,
  SESSION_KEY,
  SignedOut,
  apiBase,
  asActor,
  cell,
  client,
  field,
  freeCell,
  forget,
  h,
  loadConfig,
  modeLabel,
  nowrap,
  orDash,
  readActor,
  storeActor,
  table,
  time,
} from './common.js';
import type { Ctx } from './common.js';
import { consentAndProtection, mayConfigure, mayDecide, requestsPage, settingsPage, startImpersonation } from './governance.js';
import { bannerState, endImpersonation, formatTimeLeft, readStoredSession } from './vendor/actas/index.js';
import type {
  AuditEventFilter,
  AuditEventName,
  AuditQuery,
  AuditRecord,
  ImpersonationMode,
  ImpersonationView,
  Me,
  Profile,
  RecordedPerson,
} from './vendor/actas/index.js';

type RouteName = 'sign-in' | 'act-as' | 'active' | 'requests' | 'audit' | 'who-acted-as-me' | 'settings';

interface Route {
  title: string;
  nav?: string;
  /** Whether the nav offers the page to this user (the page itself also says when it is not theirs). */
  shown?(who: Me): boolean;
  render(ctx: Ctx, me: Me): void | Promise<void>;
}

const main = document.getElementById('main') as HTMLElement;
const navSlot = document.getElementById('nav-slot') as HTMLElement;
const userSlot = document.getElementById('user-slot') as HTMLElement;

let me: Me | null = null;
/** Where to go after signing in (the page asked for while signed out). */
let wanted: RouteName | null = null;
/** A message for the next page: an ended sign-in (alert) or a sign-out (status). */
let flash: { text: string; alert: boolean } | null = null;
let generation = 0;
let leave: Array<() => void> = [];
let firstPage = true;
let currentFeedback: Feedback | null = null;

const routes: Record<Exclude<RouteName, 'sign-in'>, Route> = {
  'act-as': { title: 'Act as', nav: 'Act as', shown: (who) => who.may_act_as, render: actAsPage },
  active: { title: 'Active impersonations', nav: 'Active', render: activePage },
  requests: { title: 'Requests', nav: 'Requests', shown: mayDecide, render: requestsPage },
  audit: { title: 'Audit log', nav: 'Audit', render: auditPage },
  'who-acted-as-me': { title: 'Who acted as me', nav: 'Who acted as me', render: whoActedAsMePage },
  settings: { title: 'Settings', nav: 'Settings', shown: mayConfigure, render: settingsPage },
};

/** Whether the nav offers the route to this user. */
function shown(name: RouteName, who: Me): boolean {
  const route = name === 'sign-in' ? undefined : routes[name];
  return !route?.shown || route.shown(who);
}

function routeName(): string {
  return /^#\/([a-z-]+)/.exec(location.hash)?.[1] ?? '';
}

function go(name: RouteName): void {
  if (routeName() === name) void render();
  else location.hash = `#/${name}`;
}

function defaultRoute(): RouteName {
  return me?.may_act_as ? 'act-as' : 'active';
}

/** The page's frame: h1, one alert slot, one status line, and the body. */
function frame(title: string): Ctx {
  for (const cleanup of leave) cleanup();
  leave = [];
  const mine = ++generation;
  const fb = new Feedback(signedOut);
  currentFeedback = fb;
  const heading = h('h1', { tabindex: -1 }, title);
  const body = h('div', { class: 'page' });
  main.replaceChildren(heading, fb.alertSlot, fb.status, body);
  document.title = `${title} · actas console`;
  if (flash) {
    if (flash.alert) fb.error(flash.text);
    else fb.say(flash.text);
    flash = null;
  }
  // Moving focus to the new heading tells screen-reader users the page changed.
  if (!firstPage) heading.focus();
  firstPage = false;
  return { fb, body, alive: () => generation === mine, onLeave: (cleanup) => leave.push(cleanup) };
}

async function render(): Promise<void> {
  const name = routeName();
  if (!readActor()) {
    me = null;
    drawHeader(null);
    if (name !== 'sign-in') {
      if (name in routes) wanted = name as RouteName;
      location.replace('#/sign-in');
      return;
    }
    signInPage(frame('Sign in'));
    return;
  }
  const route = routes[name as keyof typeof routes] as Route | undefined;
  const ctx = frame(route?.title ?? 'actas console');
  if (!me) {
    const loaded = await ctx.fb.busy(ctx.body, 'Loading your account…', () => asActor((token) => client().me(token)));
    if (!ctx.alive()) return;
    if (!loaded) {
      ctx.body.append(h('p', {}, h('button', { type: 'button', onclick: () => void render() }, 'Try again')));
      drawHeader(null, true);
      return;
    }
    me = loaded;
  }
  if (!route) {
    location.replace(`#/${defaultRoute()}`);
    return;
  }
  drawHeader(me, false, name);
  await route.render(ctx, me);
}

function drawHeader(who: Me | null, signOutOnly = false, current = ''): void {
  if (!who && !signOutOnly) {
    navSlot.replaceChildren();
    userSlot.replaceChildren();
    return;
  }
  const links = who
    ? (Object.entries(routes) as Array<[RouteName, Route]>)
        .filter(([name]) => shown(name, who))
        .map(([name, route]) =>
          h('li', {}, h('a', { href: `#/${name}`, 'aria-current': name === current ? 'page' : undefined }, route.nav ?? route.title)),
        )
    : [];
  navSlot.replaceChildren(
    h(
      'nav',
      { 'aria-label': 'Console' },
      h('ul', {}, ...links, h('li', {}, h('button', { type: 'button', class: 'link-button', onclick: () => void signOut() }, 'Sign out'))),
    ),
  );
  userSlot.replaceChildren(who ? h('span', {}, `Signed in as `, h('strong', {}, who.username), ` · ${who.role_name}`) : '');
}

function signedOut(error: SignedOut): void {
  forget(ACTOR_KEY);
  me = null;
  flash = { text: error.message, alert: true };
  wanted = (routeName() in routes ? routeName() : null) as RouteName | null;
  go('sign-in');
}

async function signOut(): Promise<void> {
  currentFeedback?.say('Signing out…');
  main.setAttribute('aria-busy', 'true');
  // An impersonation opened from this console ends with the sign-out.
  const open = readStoredSession();
  if (bannerState(open)) {
    try {
      await endImpersonation(open, { apiUrl: apiBase() });
    } catch {
      // Best effort: it still ends at its hard end, and shows in Active until then.
    }
  }
  main.removeAttribute('aria-busy');
  forget(SESSION_KEY);
  forget(ACTOR_KEY);
  me = null;
  wanted = null;
  flash = { text: 'You are signed out.', alert: false };
  go('sign-in');
}

// ---------------------------------------------------------------------------------------------
// Sign in

function signInPage(ctx: Ctx): void {
  const username = h('input', { id: 'username', name: 'username', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', required: true });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  let pending = false;
  const form = h(
    'form',
    { class: 'card narrow', novalidate: true },
    field('username', 'Username', username),
    field('password', 'Password', password),
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (pending) return;
    if (!username.value.trim() || !password.value) {
      ctx.fb.error('Enter your username and password.');
      (username.value.trim() ? password : username).focus();
      return;
    }
    pending = true;
    void ctx.fb
      .busy(form, 'Signing in…', async () => {
        const tokens = await client(await loadConfig()).signIn(username.value.trim(), password.value);
        const who = await client().me(tokens.idToken);
        return { tokens, who };
      })
      .then((result) => {
        pending = false;
        if (!result || !ctx.alive()) return;
        storeActor(result.tokens);
        me = result.who;
        const next = wanted && shown(wanted, me) ? wanted : defaultRoute();
        wanted = null;
        go(next);
      });
  });
  ctx.body.append(form);
  if (firstPageFocus()) username.focus();
  // Settings problems show before anyone types.
  loadConfig().catch((error: unknown) => ctx.alive() && ctx.fb.error(error));
}

function firstPageFocus(): boolean {
  return document.activeElement === document.body || document.activeElement === null;
}

/** "You are acting as X (Read-only). Open the sample app" while a session is open. */
function openSessionNotice(): HTMLElement | null {
  const state = bannerState(readStoredSession());
  if (!state) return null;
  return h(
    'p',
    { class: 'notice' },
    'You are acting as ',
    h('strong', {}, state.targetUsername),
    ` (${state.modeLabel}). `,
    h('a', { href: './demo.html' }, 'Open the sample app'),
  );
}

// ---------------------------------------------------------------------------------------------
// Act as

function actAsPage(ctx: Ctx, who: Me): void {
  if (!who.may_act_as) {
    ctx.body.append(h('p', {}, `Your role (${who.role_name}) cannot act as anyone.`));
    return;
  }
  const people: Profile[] = [];
  let next: string | null = null;
  let loaded = false;
  const search = h('input', { id: 'search', type: 'search', autocomplete: 'off', spellcheck: 'false' });
  const count = h('p', { class: 'hint', 'aria-live': 'polite' });
  const list = h('div', { class: 'list' });
  const more = h('p', {});
  const formSlot = h('div', {});
  const section = h('section', { 'aria-labelledby': 'people-title' }, h('h2', { id: 'people-title' }, 'Choose a person'), field('search', 'Search people', search), count, list, more);
  ctx.body.append(...[openSessionNotice(), section, formSlot].filter((n): n is HTMLElement => n !== null));

  const draw = (): void => {
    const q = search.value.trim().toLowerCase();
    const others = people.filter((p) => !p.IsCurrent);
    const shown = others.filter((p) => !q || [p.Username, p.FullName ?? '', p.Email ?? '', p.TeamId ?? ''].some((v) => v.toLowerCase().includes(q)));
    count.textContent = !loaded
      ? ''
      : others.length === 0
        ? 'Nobody to act as.'
        : `${shown.length} of ${others.length} loaded ${others.length === 1 ? 'person' : 'people'}${q ? ` match “${search.value.trim()}”` : ''}.`;
    list.replaceChildren(
      shown.length
        ? table(
            'People',
            ['Name', 'Username', 'Role', 'Team', 'Action'],
            shown.map((p) =>
              h(
                'tr',
                {},
                cell(orDash(p.FullName)),
                cell(nowrap(p.Username)),
                cell(p.Role),
                cell(orDash(p.TeamId)),
                cell(
                  p.CanImpersonate
                    ? h('button', { type: 'button', onclick: () => choose(p) }, `Act as ${p.Username}`)
                    : h('span', { class: 'muted' }, 'Not allowed'),
                ),
              ),
            ),
          )
        : '',
    );
    more.replaceChildren(next ? h('button', { type: 'button', onclick: () => void load() }, 'Load more') : '');
  };

  const load = async (): Promise<void> => {
    const page = await ctx.fb.busy(section, people.length ? 'Loading more people…' : 'Loading people…', () =>
      asActor((token) => client().profiles(next ? { nextToken: next } : {}, token)),
    );
    if (!page || !ctx.alive()) return;
    people.push(...page.Profiles);
    next = page.NextToken;
    loaded = true;
    draw();
  };

  const choose = (person: Profile): void => {
    formSlot.replaceChildren(startForm(ctx, who, person, () => formSlot.replaceChildren()));
    (formSlot.querySelector('h2') as HTMLElement | null)?.focus();
  };

  search.addEventListener('input', draw);
  draw();
  void load();
}

function startForm(ctx: Ctx, who: Me, person: Profile, cancel: () => void): HTMLElement {
  const modes: ImpersonationMode[] = who.modes.length ? who.modes : ['read_only'];
  // The radio's name is its label alone ("Read-only", "Full"); the explanation is its description.
  const radio = (value: ImpersonationMode, label: string, hint: string) =>
    h(
      'div',
      { class: 'choice' },
      h('input', {
        type: 'radio',
        id: `mode-${value}`,
        name: 'mode',
        value,
        'aria-describedby': `mode-${value}-hint`,
        checked: value === (modes.includes(who.default_mode) ? who.default_mode : modes[0]),
      }),
      h('span', {}, h('label', { for: `mode-${value}` }, label), h('span', { class: 'hint', id: `mode-${value}-hint` }, hint)),
    );
  const reason = h('textarea', { id: 'reason', name: 'reason', rows: 3, maxlength: 500 });
  const ticket = h('input', { id: 'ticket', name: 'ticket', maxlength: 200, autocomplete: 'off' });
  let pending = false;
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'start-title', novalidate: true },
    h('h2', { id: 'start-title', tabindex: -1 }, `Impersonate ${person.Username}`),
    h('p', { class: 'hint' }, `${orDash(person.FullName)} · ${person.Role}${person.TeamId ? ` · team ${person.TeamId}` : ''}`),
    h(
      'fieldset',
      { role: 'radiogroup', 'aria-labelledby': 'mode-legend' },
      h('legend', { id: 'mode-legend' }, 'Mode'),
      radio('read_only', 'Read-only', 'See what they see; every change is refused.'),
      modes.includes('full') ? radio('full', 'Full', 'Act as them completely, changes included.') : null,
    ),
    field('reason', 'Reason', reason, 'Why you need to act as them; recorded in the audit log.'),
    field('ticket', 'Ticket', ticket, 'Optional, e.g. SUP-123.'),
    h(
      'p',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, 'Start impersonation'),
      h('button', { type: 'button', onclick: cancel }, 'Cancel'),
    ),
  );
  // A start that needs approval or consent shows its request here, with "Check again".
  const requestSlot = h('div', {});
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (pending) return;
    pending = true;
    const mode = (form.querySelector('input[name=mode]:checked') as HTMLInputElement | null)?.value === 'full' ? 'full' : 'read_only';
    const options = { mode, reason: reason.value.trim() || undefined, ticket: ticket.value.trim() || undefined } as const;
    requestSlot.replaceChildren();
    void startImpersonation(ctx, ctx.fb, form, { id: person.Id, username: person.Username }, options, requestSlot).then(() => {
      pending = false;
    });
  });
  return h('div', {}, form, requestSlot);
}

// ---------------------------------------------------------------------------------------------
// Active

function activePage(ctx: Ctx): void {
  const items: ImpersonationView[] = [];
  let next: string | null = null;
  let loaded = false;
  const list = h('div', { class: 'list' });
  const more = h('p', {});
  const refresh = h('button', { type: 'button', onclick: () => void reload() }, 'Refresh');
  const section = h('section', { 'aria-label': 'Live impersonations' }, h('p', { class: 'toolbar' }, refresh), list, more);
  const notice = openSessionNotice();
  if (notice) ctx.body.append(notice);
  ctx.body.append(section);
  // Each row's time left to its hard end, and to its idle end (moved on by each refresh of the
  // session: reload to see it move).
  const timers: Array<{ node: HTMLElement; ends: number; over: string }> = [];

  const tick = (): void => {
    const now = Date.now();
    for (const t of timers) t.node.textContent = t.ends > now ? formatTimeLeft(t.ends - now) : t.over;
  };
  const ticker = setInterval(tick, 1000);
  ctx.onLeave(() => clearInterval(ticker));

  const draw = (): void => {
    timers.length = 0;
    list.replaceChildren(
      !loaded
        ? ''
        : items.length === 0
          ? h('p', { class: 'empty' }, 'No impersonations are active.')
          : table(
              'Live impersonations',
              ['Actor', 'Target', 'Mode', 'Time left', 'Idle left', 'Reason', 'Action'],
              items.map((item) => {
                const left = h('span', { class: 'num' });
                timers.push({ node: left, ends: Date.parse(item.ends_at), over: 'Ended' });
                const idleLeft = h('span', { class: 'num' }, '—');
                const idleEnds = item.idle_ends_at ? Date.parse(item.idle_ends_at) : Number.NaN;
                if (Number.isFinite(idleEnds)) timers.push({ node: idleLeft, ends: idleEnds, over: 'Idle: ended' });
                return h(
                  'tr',
                  {},
                  cell(nowrap(item.actor.username)),
                  cell(nowrap(item.target.username)),
                  cell(nowrap(modeLabel(item.mode))),
                  cell(left),
                  cell(idleLeft),
                  freeCell(orDash(item.reason)),
                  cell(
                    h(
                      'button',
                      { type: 'button', class: 'danger', 'aria-label': `Stop impersonation of ${item.target.username}`, onclick: () => void stop(item) },
                      'Stop',
                    ),
                  ),
                );
              }),
            ),
    );
    tick();
    more.replaceChildren(next ? h('button', { type: 'button', onclick: () => void load() }, 'Load more') : '');
  };

  const load = async (): Promise<void> => {
    const page = await ctx.fb.busy(section, 'Loading active impersonations…', () =>
      asActor((token) => client().listImpersonations({ active: true, ...(next ? { nextToken: next } : {}) }, token)),
    );
    if (!page || !ctx.alive()) return;
    items.push(...page.impersonations.filter((i) => i.active !== false));
    next = page.next_token;
    loaded = true;
    draw();
  };

  const reload = async (): Promise<void> => {
    items.length = 0;
    next = null;
    await load();
  };

  const stop = async (item: ImpersonationView): Promise<void> => {
    const target = item.target.username;
    const index = items.indexOf(item);
    const done = await ctx.fb.busy(section, `Stopping the impersonation of ${target}…`, () => asActor((token) => client().stop(item.id, token)));
    if (!done || !ctx.alive()) return;
    if (bannerState(readStoredSession())?.impersonationId === item.id) forget(SESSION_KEY);
    items.splice(items.indexOf(item), 1);
    draw();
    ctx.fb.say(`Stopped the impersonation of ${target}.`);
    const buttons = list.querySelectorAll<HTMLButtonElement>('button.danger');
    (buttons[Math.min(index, buttons.length - 1)] ?? refresh).focus();
  };

  void load();
}

// ---------------------------------------------------------------------------------------------
// Audit

const EVENTS: Array<[AuditEventFilter, string]> = [
  ['starts', 'Every start (any dialect)'],
  ['started', 'Started'],
  ['token_issued', 'Token issued'],
  ['exchanged', 'Exchanged'],
  ['reverted', 'Reverted'],
  ['stopped', 'Stopped'],
  ['expired', 'Expired'],
  ['denied', 'Denied'],
  ['approval_requested', 'Approval requested'],
  ['approval_approved', 'Approval approved'],
  ['approval_denied', 'Approval denied'],
  ['consent_given', 'Consent given'],
  ['consent_declined', 'Consent declined'],
  ['protection_changed', 'Protection changed'],
  ['settings_changed', 'Settings changed'],
];

function auditPage(ctx: Ctx): void {
  const actor = h('input', { id: 'f-actor', name: 'actor', autocomplete: 'off', spellcheck: 'false' });
  const target = h('input', { id: 'f-target', name: 'target', autocomplete: 'off', spellcheck: 'false' });
  const event = h('select', { id: 'f-event', name: 'event' }, h('option', { value: '' }, 'Any'), ...EVENTS.map(([value, label]) => h('option', { value }, label)));
  const since = h('input', { id: 'f-since', name: 'since', type: 'datetime-local', step: 1 });
  const until = h('input', { id: 'f-until', name: 'until', type: 'datetime-local', step: 1 });
  const filters = h(
    'form',
    { class: 'card filters', 'aria-label': 'Filters', novalidate: true },
    field('f-actor', 'Actor', actor),
    field('f-target', 'Target', target),
    field('f-event', 'Event', event),
    field('f-since', 'Since', since),
    field('f-until', 'Until', until),
    h('p', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Apply filters')),
  );
  const records: AuditRecord[] = [];
  let next: string | null = null;
  let query: AuditQuery = {};
  let loaded = false;
  const list = h('div', { class: 'list' });
  const more = h('p', {});
  const section = h('section', { 'aria-label': 'Audit records' }, list, more);
  ctx.body.append(filters, section);

  const draw = (): void => {
    list.replaceChildren(
      !loaded
        ? ''
        : records.length === 0
          ? h('p', { class: 'empty' }, 'No audit records match.')
          : table(
              'Audit records',
              ['Time', 'Event', 'Outcome', 'Actor', 'Target', 'Mode', 'Reason', 'Ticket'],
              records.map((r) =>
                h(
                  'tr',
                  {},
                  cell(time(r.at)),
                  cell(EVENTS.find(([value]) => value === r.event)?.[1] ?? r.event),
                  cell(outcome(r), r.cause ? h('span', { class: 'hint' }, causeText(r.cause)) : null),
                  cell(nowrap(person(r.actor))),
                  cell(nowrap(person(r.target))),
                  cell(nowrap(r.mode ? modeLabel(r.mode) : '—')),
                  freeCell(orDash(r.reason)),
                  freeCell(orDash(r.ticket)),
                ),
              ),
            ),
    );
    more.replaceChildren(next ? h('button', { type: 'button', onclick: () => void load() }, 'Load more') : '');
  };

  // Each filter change starts a new query: a late answer to an earlier one is dropped.
  let queryNumber = 0;
  const load = async (): Promise<void> => {
    const mine = queryNumber;
    const page = await ctx.fb.busy(section, records.length ? 'Loading more audit records…' : 'Loading audit records…', () =>
      asActor((token) => client().audit({ ...query, ...(next ? { nextToken: next } : {}) }, token)),
    );
    if (!page || !ctx.alive() || mine !== queryNumber) return;
    records.push(...page.records);
    next = page.next_token;
    loaded = true;
    draw();
  };

  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    const from = localTime(since.value);
    const to = localTime(until.value);
    if (from === null || to === null) {
      ctx.fb.error('Enter “Since” and “Until” as a date and time, or leave them empty.');
      return;
    }
    if (from && to && from >= to) {
      ctx.fb.error('“Since” must be before “Until”.');
      return;
    }
    query = {
      actor: actor.value.trim() || undefined,
      target: target.value.trim() || undefined,
      event: (event.value || undefined) as AuditEventFilter | undefined,
      since: from || undefined,
      until: to || undefined,
    };
    records.length = 0;
    next = null;
    loaded = false;
    queryNumber += 1;
    draw();
    void load();
  });

  void load();
}

/** A datetime-local value (the reader's time zone) as RFC 3339; '' for empty, null for invalid. */
function localTime(value: string): string | null {
  if (!value) return '';
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? null : at.toISOString();
}

function outcome(r: AuditRecord): string {
  const word = r.outcome === 'success' ? 'Success' : r.outcome === 'denied' ? 'Denied' : r.outcome === 'failed' ? 'Failed' : r.outcome;
  return r.count > 1 ? `${word} (×${r.count})` : word;
}

/**
 * A record's cause for reading: a settings change records its changes as JSON, shown as
 * "approval.always: on; consent: never" rather than raw JSON; anything else as it is.
 */
function causeText(cause: string): string {
  if (!/^\s*\{/.test(cause)) return cause;
  try {
    const parts: string[] = [];
    const walk = (value: unknown, path: string): void => {
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        for (const [key, inner] of Object.entries(value as Record<string, unknown>)) walk(inner, path ? `${path}.${key}` : key);
      } else {
        const shown = value === true ? 'on' : value === false ? 'off' : Array.isArray(value) ? (value.length ? value.join(', ') : 'none') : value === null ? '—' : String(value);
        parts.push(`${path}: ${shown}`);
      }
    };
    walk(JSON.parse(cause), '');
    return parts.join('; ');
  } catch {
    return cause;
  }
}

function person(p: RecordedPerson | null): string {
  return p?.username ?? p?.sub ?? '—';
}

// ---------------------------------------------------------------------------------------------
// Who acted as me

function whoActedAsMePage(ctx: Ctx): void {
  const items: ImpersonationView[] = [];
  let next: string | null = null;
  let loaded = false;
  const list = h('div', { class: 'list' });
  const more = h('p', {});
  const section = h(
    'section',
    { 'aria-labelledby': 'history-title' },
    h('h2', { id: 'history-title' }, 'Impersonations of you'),
    h('p', { class: 'hint' }, 'Everyone who acted as you, newest first.'),
    list,
    more,
  );
  const [protection, consent] = consentAndProtection(ctx);
  ctx.body.append(consent as HTMLElement, section, protection as HTMLElement);

  const draw = (): void => {
    list.replaceChildren(
      !loaded
        ? ''
        : items.length === 0
          ? h('p', { class: 'empty' }, 'Nobody has acted as you.')
          : table(
              'Impersonations of you',
              ['Actor', 'Reason', 'Ticket', 'Mode', 'Started', 'Ended'],
              items.map((item) =>
                h(
                  'tr',
                  {},
                  cell(nowrap(item.actor.username)),
                  freeCell(orDash(item.reason)),
                  freeCell(orDash(item.ticket)),
                  cell(nowrap(modeLabel(item.mode))),
                  cell(time(item.started_at)),
                  cell(item.ended_at ? time(item.ended_at) : item.active ? h('span', {}, 'Still active, until ', time(item.ends_at)) : time(item.ends_at)),
                ),
              ),
            ),
    );
    more.replaceChildren(next ? h('button', { type: 'button', onclick: () => void load() }, 'Load more') : '');
  };

  const load = async (): Promise<void> => {
    const page = await ctx.fb.busy(section, 'Loading…', () =>
      asActor((token) => client().listImpersonations({ target: 'me', ...(next ? { nextToken: next } : {}) }, token)),
    );
    if (!page || !ctx.alive()) return;
    items.push(...page.impersonations);
    next = page.next_token;
    loaded = true;
    draw();
  };

  void load();
}

window.addEventListener('hashchange', () => void render());
void render();
