// Governance in the console: starts that wait for approval or consent ("Check again"), the
// Requests page (decide others' requests, follow your own), consent and protection on "Who acted
// as me", and the tenant's Settings.

import {
  Feedback,
  SESSION_KEY,
  SignedOut,
  apiBase,
  asActor,
  cell,
  client,
  field,
  freeCell,
  h,
  modeLabel,
  nowrap,
  orDash,
  readableError,
  store,
  table,
  time,
} from './common.js';
import type { Ctx } from './common.js';
import { ActasApiError, bannerState, endImpersonation, isPending, readStoredSession } from './vendor/actas/index.js';
import type {
  ApprovalTerms,
  ImpersonationRequest,
  Me,
  PendingStart,
  Person,
  RoleSlug,
  SessionPayload,
  Settings,
  SettingsChanges,
  StartOptions,
} from './vendor/actas/index.js';

// ---------------------------------------------------------------------------------------------
// Words

const ROLES: Array<[RoleSlug, string]> = [
  ['user', 'User'],
  ['team-admin', 'Team Admin'],
  ['operator', 'Operator'],
  ['admin', 'Admin'],
  ['super-admin', 'Super Admin'],
];

/** The approver's terms in words ("read-only, at most 20 minutes"), or '' when they set none. */
export function approvedTerms(r: ImpersonationRequest): string {
  const parts: string[] = [];
  if (r.approved_mode) parts.push(modeLabel(r.approved_mode).toLowerCase());
  const s = r.approved_duration_seconds;
  if (typeof s === 'number') parts.push(`at most ${s % 60 === 0 ? `${s / 60} minutes` : `${s} seconds`}`);
  return parts.join(', ');
}

/** A person as the API names them (an object, or just a username); a dash for none. */
export function personName(p: Person | string | null | undefined): string {
  if (!p) return '—';
  if (typeof p === 'string') return p;
  return p.username || p.sub || '—';
}

/** Who may see the Requests page: everyone who may act as someone (team admins and up). */
export function mayDecide(who: Me): boolean {
  return who.role !== 'user';
}

/** Who may see and change the Settings page: the tenant's admins and super-admins. */
export function mayConfigure(who: Me): boolean {
  return who.role === 'admin' || who.role === 'super-admin';
}

/** What a pending request still waits for, e.g. "Waiting for approval" or "Waiting for X's consent". */
export function waitingFor(r: ImpersonationRequest): string {
  const approval = r.approval === 'pending';
  const consent = r.consent === 'pending';
  const target = personName(r.target);
  if (approval && consent) return `Waiting for approval and for ${target}'s consent`;
  if (consent) return `Waiting for ${target}'s consent`;
  return 'Waiting for approval';
}

/** The request's state in a word or two. */
export function statusLabel(r: ImpersonationRequest): string {
  switch (r.status) {
    case 'pending':
      return r.approval === 'pending' ? 'Pending approval' : r.consent === 'pending' ? 'Pending consent' : 'Pending';
    case 'approved':
      return 'Approved';
    case 'denied':
      return r.consent === 'declined' ? 'Declined' : 'Denied';
    case 'expired':
      return 'Expired';
    case 'used':
      return 'Used';
    default:
      return String(r.status);
  }
}

/** One sentence on how a request ended (denied, declined, expired, used), for an alert. */
export function endedMessage(r: ImpersonationRequest): string {
  const target = personName(r.target);
  const comment = r.comment ? ` Comment: “${r.comment}”` : '';
  switch (r.status) {
    case 'denied':
      if (r.consent === 'declined') return `${target} declined your request to act as them.${comment}`;
      return `${r.decided_by ? personName(r.decided_by) : 'An approver'} denied your request to act as ${target}.${comment}`;
    case 'expired':
      return `Your request to act as ${target} expired before it was ${r.approval === 'pending' ? 'approved' : 'accepted'}. Start again to ask anew.`;
    case 'used':
      return `Your request to act as ${target} was already used to start an impersonation. Start again to ask anew.`;
    default:
      return `Your request to act as ${target} is ${statusLabel(r).toLowerCase()}.`;
  }
}

const ENDED = new Set(['denied', 'expired', 'used']);

/** A request's details as a description list (reads well and wraps at any width). */
function facts(pairs: Array<[string, Node | string]>): HTMLElement {
  return h(
    'dl',
    { class: 'facts' },
    ...pairs.map(([term, value]) => h('div', { class: term === 'Reason' ? 'wide' : undefined }, h('dt', {}, term), h('dd', {}, value))),
  );
}

// ---------------------------------------------------------------------------------------------
// Starting, and waiting for approval or consent

/** Whom a start names: the id the start route takes (a sub) and the username to show. */
export interface StartTarget {
  id: string;
  username: string;
}

/** A start's result: the session, or the request it waits on. */
type Started = { session: SessionPayload } | PendingStart;

/** The seed 002 start the console uses: token then exchange, or the pending request (202). */
async function startOnce(target: StartTarget, options: StartOptions): Promise<Started> {
  const answer = await asActor((id) => client().requestCoworkerToken(target.id, options, id));
  if (isPending(answer)) return answer;
  return { session: await client().exchangeToken(answer) };
}

/** Keeps the new session (ending the console's previous one) and opens the sample app. */
async function openSession(fb: Feedback, session: SessionPayload, username: string): Promise<void> {
  const previous = readStoredSession();
  if (bannerState(previous)) await endImpersonation(previous, { apiUrl: apiBase() }).catch(() => undefined);
  store(SESSION_KEY, session);
  fb.say(`Acting as ${username}. Opening the sample app…`);
  location.assign('./demo.html');
}

/**
 * Starts an impersonation of `target`. A session opens the sample app; a start that needs
 * approval or consent (202) shows its request in `slot`, with "Check again". Resolves false when
 * nothing was started or asked (the error is shown in `fb`).
 */
export async function startImpersonation(
  ctx: Ctx,
  fb: Feedback,
  region: HTMLElement,
  target: StartTarget,
  options: StartOptions,
  slot: HTMLElement,
): Promise<boolean> {
  const result = await fb.busy(region, `Starting the impersonation of ${target.username}…`, () => startOnce(target, options));
  if (!result || !ctx.alive()) return false;
  if (isPending(result)) {
    showRequest(ctx, slot, target, options, result.request, true);
    return true;
  }
  await openSession(fb, result.session, target.username);
  return true;
}

/**
 * The request a start waits on: what it waits for, its status and expiry (role=status), and
 * "Check again", which repeats the same start (target, mode, reason, ticket): once approved, that
 * start redeems the approval and opens the sample app. A denied or expired request is an alert.
 */
function showRequest(ctx: Ctx, slot: HTMLElement, target: StartTarget, options: StartOptions, request: ImpersonationRequest, focus: boolean): void {
  const fb = new Feedback(ctx.fb.onSignedOut);
  const state = h('div', { role: 'status', class: 'request-state' });
  const actions = h('div', { class: 'request-actions' });
  const title = h('h2', { id: 'request-title', tabindex: -1 }, `Request to act as ${target.username}`);
  const panel = h(
    'section',
    { class: 'card waiting', 'aria-labelledby': 'request-title' },
    title,
    fb.alertSlot,
    state,
    actions,
    fb.status,
  );
  slot.replaceChildren(panel);

  const draw = (r: ImpersonationRequest): void => {
    const ended = ENDED.has(r.status);
    state.replaceChildren(
      h('p', { class: 'request-headline' }, h('strong', {}, r.status === 'pending' ? waitingFor(r) : r.status === 'approved' ? 'Approved' : statusLabel(r))),
      h(
        'p',
        {},
        `Status: ${statusLabel(r)}`,
        r.status === 'pending' || r.status === 'approved' ? h('span', {}, ' · expires ', time(r.expires_at)) : null,
      ),
      r.comment ? h('p', {}, `Comment from ${personName(r.decided_by)}: `, h('q', {}, r.comment)) : '',
    );
    if (ended) {
      fb.error(endedMessage(r));
      actions.replaceChildren(h('span', { class: 'hint' }, 'Change the reason or start again to ask anew.'));
      return;
    }
    actions.replaceChildren(
      h(
        'span',
        { class: 'hint' },
        r.status === 'approved'
          ? '“Check again” starts the impersonation.'
          : r.approval === 'pending'
            ? 'An approver decides on their Requests page. When it is approved, “Check again” starts the impersonation.'
            : `${target.username} answers on their “Who acted as me” page. When they accept, “Check again” starts the impersonation.`,
      ),
      h('button', { type: 'button', class: 'primary', onclick: () => void check() }, 'Check again'),
    );
  };

  let checking = false;
  const check = async (): Promise<void> => {
    if (checking) return;
    checking = true;
    const result = await fb.busy(panel, `Checking the request to act as ${target.username}…`, async () => {
      // A denied or expired request is reported, not asked again (that would make a new one).
      const mine = await asActor((id) => client().requests({ mine: true }, id)).catch((error: unknown) => {
        if (error instanceof SignedOut) throw error;
        return null;
      });
      const known = mine?.requests.find((r) => r.id === request.id);
      if (known && ENDED.has(known.status)) return { pending: true, request: known } as PendingStart;
      return startOnce(target, options);
    });
    checking = false;
    if (!result || !ctx.alive()) return;
    if (isPending(result)) {
      request = result.request;
      draw(request);
      if (request.status === 'pending') fb.say(`Checked: still ${waitingFor(request).toLowerCase()}.`);
      (actions.querySelector('button') as HTMLButtonElement | null)?.focus();
      return;
    }
    state.replaceChildren(h('p', {}, h('strong', {}, 'Approved'), ' · starting the impersonation.'));
    actions.replaceChildren();
    await openSession(fb, result.session, target.username);
  };

  draw(request);
  if (focus) title.focus();
}

// ---------------------------------------------------------------------------------------------
// Requests

export function requestsPage(ctx: Ctx, who: Me): void {
  if (!mayDecide(who)) {
    ctx.body.append(h('p', {}, `Your role (${who.role_name}) has no requests to decide.`));
    return;
  }
  let toDecide: ImpersonationRequest[] = [];
  let mine: ImpersonationRequest[] = [];
  let loaded = false;
  let seq = 0;
  const refresh = h('button', { type: 'button', onclick: () => void load() }, 'Refresh');
  const decideList = h('div', { class: 'list' });
  const mineList = h('div', { class: 'list' });
  const startSlot = h('div', {});
  const decideSection = h(
    'section',
    { 'aria-labelledby': 'decide-title' },
    h('div', { class: 'section-head' }, h('h2', { id: 'decide-title' }, 'Waiting for your decision'), refresh),
    h('p', { class: 'hint' }, 'Requests by others to act as someone you may act as yourself. Approving lets the requester start once, with the same target, mode and reason.'),
    decideList,
  );
  const mineSection = h(
    'section',
    { 'aria-labelledby': 'mine-title' },
    h('h2', { id: 'mine-title' }, 'Your requests'),
    mineList,
    startSlot,
  );
  ctx.body.append(decideSection, mineSection);

  const draw = (): void => {
    if (!loaded) return;
    decideList.replaceChildren(
      toDecide.length === 0
        ? h('p', { class: 'empty' }, 'No requests are waiting for your decision.')
        : h('ul', { class: 'requests', 'aria-label': 'Requests waiting for your decision' }, ...toDecide.map((r) => decideItem(r))),
    );
    mineList.replaceChildren(
      mine.length === 0
        ? h('p', { class: 'empty' }, 'You have no requests.')
        : table(
            'Your requests',
            ['Target', 'Mode', 'Reason', 'Ticket', 'Status', 'Decided by', 'Comment', 'Expires'],
            mine.map((r) =>
              h(
                'tr',
                {},
                cell(nowrap(personName(r.target))),
                cell(nowrap(modeLabel(r.mode)), approvedTerms(r) ? h('span', { class: 'hint' }, ` approved: ${approvedTerms(r)}`) : null),
                freeCell(orDash(r.reason)),
                freeCell(orDash(r.ticket)),
                cell(
                  h('span', { class: `badge badge-${r.status}` }, statusLabel(r)),
                  r.status === 'approved'
                    ? h(
                        'span',
                        { class: 'cell-action' },
                        h(
                          'button',
                          {
                            type: 'button',
                            class: 'primary',
                            'aria-label': `Start impersonation of ${personName(r.target)}`,
                            onclick: () => void startApproved(r),
                          },
                          'Start',
                        ),
                      )
                    : null,
                ),
                cell(nowrap(r.decided_by ? personName(r.decided_by) : '—')),
                freeCell(orDash(r.comment)),
                cell(time(r.expires_at)),
              ),
            ),
          ),
    );
  };

  /** One request to decide: who, whom, how and why; a comment; Approve and Deny. */
  const decideItem = (r: ImpersonationRequest): HTMLLIElement => {
    const requester = personName(r.requester);
    const target = personName(r.target);
    const n = ++seq;
    const comment = h('input', { id: `comment-${n}`, name: 'comment', autocomplete: 'off', maxlength: 500, 'aria-describedby': `comment-${n}-hint` });
    // The approver's terms: a shorter session, and read-only for a full request; never more.
    const minutes = h('input', { id: `minutes-${n}`, name: 'minutes', type: 'number', inputmode: 'numeric', min: 1, step: 1, 'aria-describedby': `minutes-${n}-hint` });
    const readOnly = r.mode === 'full' ? h('input', { id: `read-only-${n}`, name: 'read_only', type: 'checkbox' }) : null;
    const terms = (): ApprovalTerms => {
      const m = Number(minutes.value);
      return {
        duration_seconds: minutes.value.trim() && Number.isFinite(m) ? Math.round(m * 60) : undefined,
        mode: readOnly?.checked ? 'read_only' : undefined,
      };
    };
    const decide = (approve: boolean) => void decideOn(r, approve, comment, approve ? terms() : {});
    return h(
      'li',
      { class: 'card request' },
      h('h3', {}, `${requester} asks to act as ${target}`),
      facts([
        ['Requester', requester],
        ['Target', target],
        ['Mode', modeLabel(r.mode)],
        ['Ticket', orDash(r.ticket)],
        ['Expires', time(r.expires_at)],
        ['Reason', orDash(r.reason)],
      ]),
      r.consent === 'pending' ? h('p', { class: 'hint' }, `It also needs ${target}'s consent.`) : null,
      h(
        'div',
        { class: 'decide' },
        h(
          'p',
          { class: 'field' },
          h('label', { for: `comment-${n}` }, 'Comment'),
          h('span', { class: 'hint', id: `comment-${n}-hint` }, 'Optional; the requester sees it.'),
          comment,
        ),
        h(
          'p',
          { class: 'field' },
          h('label', { for: `minutes-${n}` }, 'Approve for at most (minutes)'),
          h('span', { class: 'hint', id: `minutes-${n}-hint` }, 'Optional: a shorter session than the tenant’s maximum. Never longer.'),
          minutes,
        ),
        readOnly
          ? h('div', { class: 'choice' }, readOnly, h('label', { for: `read-only-${n}` }, 'Approve as read-only (looking, no changes)'))
          : null,
        h(
          'p',
          { class: 'actions' },
          h('button', { type: 'button', class: 'primary', 'aria-label': `Approve request from ${requester} to act as ${target}`, onclick: () => decide(true) }, 'Approve'),
          h('button', { type: 'button', class: 'danger', 'aria-label': `Deny request from ${requester} to act as ${target}`, onclick: () => decide(false) }, 'Deny'),
        ),
      ),
    );
  };

  let deciding = false;
  const decideOn = async (r: ImpersonationRequest, approve: boolean, comment: HTMLInputElement, terms: ApprovalTerms): Promise<void> => {
    if (deciding) return;
    deciding = true;
    const requester = personName(r.requester);
    const target = personName(r.target);
    const index = toDecide.indexOf(r);
    const done = await ctx.fb.busy(decideSection, `${approve ? 'Approving' : 'Denying'} the request from ${requester}…`, () =>
      asActor((token) => (approve ? client().approve(r.id, comment.value.trim(), token, terms) : client().deny(r.id, comment.value.trim(), token))),
    );
    deciding = false;
    if (!ctx.alive()) return;
    if (!done) {
      // Decided elsewhere or expired (409): the list is out of date; reload it, keeping the message.
      const message = ctx.fb.alertSlot.textContent;
      if (message) {
        await load();
        if (ctx.alive() && !ctx.fb.alertSlot.textContent) ctx.fb.error(message);
      }
      return;
    }
    toDecide = toDecide.filter((x) => x.id !== r.id);
    draw();
    const onTerms = approve ? approvedTerms(done) : '';
    ctx.fb.say(`${approve ? 'Approved' : 'Denied'} the request from ${requester} to act as ${target}${onTerms ? ` (${onTerms})` : ''}.`);
    const buttons = decideList.querySelectorAll<HTMLButtonElement>('button.primary');
    (buttons[Math.min(index, buttons.length - 1)] ?? refresh).focus();
  };

  const startApproved = (r: ImpersonationRequest): void => {
    const target = { id: r.target.sub || r.target.username, username: personName(r.target) };
    const options: StartOptions = { mode: r.mode, reason: r.reason ?? undefined, ticket: r.ticket ?? undefined };
    void startImpersonation(ctx, ctx.fb, mineSection, target, options, startSlot);
  };

  const load = async (): Promise<void> => {
    const result = await ctx.fb.busy(ctx.body, 'Loading requests…', () =>
      asActor(async (token) => {
        const [decidable, own] = await Promise.all([client().requests({}, token), client().requests({ mine: true }, token)]);
        return { decidable: decidable.requests, own: own.requests };
      }),
    );
    if (!result || !ctx.alive()) return;
    toDecide = result.decidable.filter((r) => r.status === 'pending');
    mine = result.own;
    loaded = true;
    draw();
  };

  void load();
}

// ---------------------------------------------------------------------------------------------
// Who acted as me: consent and protection

/** "Protect my account" (GET/PUT /auth/users/me/protection) and the requests waiting for my consent. */
export function consentAndProtection(ctx: Ctx): HTMLElement[] {
  // Protection
  const box = h('input', { type: 'checkbox', id: 'protect', disabled: true, 'aria-describedby': 'protect-hint' });
  const protectSection = h(
    'section',
    { 'aria-labelledby': 'protect-title', class: 'card' },
    h('h2', { id: 'protect-title' }, 'Your account'),
    h(
      'div',
      { class: 'choice' },
      box,
      h(
        'span',
        {},
        h('label', { for: 'protect' }, 'Protect my account'),
        h('span', { class: 'hint', id: 'protect-hint' }, 'Acting as you then needs an approver’s approval, or is refused, as your organisation decides.'),
      ),
    ),
  );
  let saving = false;
  box.addEventListener('change', () => {
    if (saving) return;
    saving = true;
    const want = box.checked;
    box.disabled = true;
    void ctx.fb
      .busy(protectSection, want ? 'Protecting your account…' : 'Removing the protection…', () => asActor((token) => client().setProtection('me', want, token)))
      .then((result) => {
        saving = false;
        if (!ctx.alive()) return;
        box.disabled = false;
        if (!result) {
          box.checked = !want;
          return;
        }
        box.checked = result.protected;
        ctx.fb.say(result.protected ? 'Your account is protected.' : 'Your account is no longer protected.');
        box.focus();
      });
  });
  void ctx.fb
    .busy(protectSection, 'Loading your account’s protection…', () => asActor((token) => client().protection('me', token)))
    .then((result) => {
      if (!result || !ctx.alive()) return;
      box.checked = result.protected;
      box.disabled = false;
    });

  // Consent
  let waiting: ImpersonationRequest[] = [];
  let loaded = false;
  const list = h('div', { class: 'list' });
  const consentSection = h(
    'section',
    { 'aria-labelledby': 'consent-title' },
    h('h2', { id: 'consent-title' }, 'Requests waiting for your consent'),
    list,
  );
  const draw = (): void => {
    if (!loaded) return;
    list.replaceChildren(
      waiting.length === 0
        ? h('p', { class: 'empty' }, 'No requests are waiting for your consent.')
        : h(
            'ul',
            { class: 'requests', 'aria-label': 'Requests waiting for your consent' },
            ...waiting.map((r) => {
              const requester = personName(r.requester);
              return h(
                'li',
                { class: 'card request' },
                h('h3', {}, `${requester} asks to act as you`),
                facts([
                  ['Mode', modeLabel(r.mode)],
                  ['Ticket', orDash(r.ticket)],
                  ['Expires', time(r.expires_at)],
                  ['Reason', orDash(r.reason)],
                ]),
                h(
                  'p',
                  { class: 'hint' },
                  r.mode === 'full'
                    ? 'Full mode: they could change things as you.'
                    : 'Read-only: they could see what you see, but change nothing.',
                  r.approval === 'pending' ? ' It also needs an approver’s approval.' : '',
                ),
                h(
                  'p',
                  { class: 'actions' },
                  h('button', { type: 'button', class: 'primary', 'aria-label': `Accept request from ${requester}`, onclick: () => void answer(r, true) }, 'Accept'),
                  h('button', { type: 'button', class: 'danger', 'aria-label': `Decline request from ${requester}`, onclick: () => void answer(r, false) }, 'Decline'),
                ),
              );
            }),
          ),
    );
  };
  let answering = false;
  const answer = async (r: ImpersonationRequest, accept: boolean): Promise<void> => {
    if (answering) return;
    answering = true;
    const requester = personName(r.requester);
    const done = await ctx.fb.busy(consentSection, `${accept ? 'Accepting' : 'Declining'} the request from ${requester}…`, () =>
      asActor((token) => client().consent(r.id, accept, token)),
    );
    answering = false;
    if (!done || !ctx.alive()) return;
    waiting = waiting.filter((x) => x.id !== r.id);
    draw();
    ctx.fb.say(
      accept
        ? `You accepted the request from ${requester}.${done.approval === 'pending' ? ' It still needs an approver’s approval.' : ''}`
        : `You declined the request from ${requester}.`,
    );
    const next = list.querySelector<HTMLButtonElement>('button');
    (next ?? (consentSection.querySelector('h2') as HTMLElement)).focus();
  };
  (consentSection.querySelector('h2') as HTMLElement).tabIndex = -1;
  void ctx.fb
    .busy(consentSection, 'Loading requests about you…', () => asActor((token) => client().requests({ target: 'me' }, token)))
    .then((result) => {
      if (!result || !ctx.alive()) return;
      waiting = result.requests.filter((r) => r.status === 'pending' && r.consent === 'pending');
      loaded = true;
      draw();
    });

  return [protectSection, consentSection];
}

// ---------------------------------------------------------------------------------------------
// Settings

/** The settable keys, their labels, and the control a 422 about them points at. */
const SETTING_LABELS: Array<[string, string, string]> = [
  ['approval.protected_accounts', 'Approval for protected accounts', 's-approval-protected'],
  ['approval.target_roles', 'Approval for targets', 's-target-user'],
  ['approval.full_mode', 'Approval for full mode', 's-approval-full'],
  ['approval.always', 'Always need approval', 's-approval-always'],
  ['max_duration_seconds', 'Maximum duration (seconds)', 's-max-duration'],
  ['idle_seconds', 'Idle timeout (seconds)', 's-idle'],
  ['step_up.max_age_seconds', 'Fresh sign-in within (seconds)', 's-step-up'],
  ['step_up.read_only_starts', 'Fresh sign-in for read-only starts too', 's-step-up-read-only'],
  ['step_up', 'Fresh sign-in within (seconds)', 's-step-up'],
  ['full_mode_roles', 'Full mode allowed for', 's-full-user'],
  ['protected_accounts', 'Protected accounts', 's-protected'],
  ['notify_target', 'Notify the person acted as', 's-notify'],
  ['target_roles', 'Approval for targets', 's-target-user'],
  ['full_mode', 'Approval for full mode', 's-approval-full'],
  ['consent', 'Consent', 's-consent'],
  ['approval', 'Approval', 's-approval-always'],
];

/**
 * A 422's message with the setting's key replaced by its label ("max_duration_seconds must be …"
 * → "“Maximum duration (seconds)” must be …"), and the control it names.
 */
export function settingError(message: string): { text: string; control: string | null } {
  let control: string | null = null;
  let text = message;
  for (const [key, label, id] of SETTING_LABELS) {
    // Snake-case and dotted keys anywhere; the plain words (consent, approval) only when quoted.
    const plain = !/[._]/.test(key);
    const pattern = plain
      ? new RegExp(`[\`'"“]${key}[\`'"”]`, 'gi')
      : new RegExp(`[\`'"“]?(?<![\\w.])${key.replace(/\./g, '\\.')}(?![\\w])[\`'"”]?`, 'gi');
    if (pattern.test(text)) {
      control ??= id;
      text = text.replace(pattern, `“${label}”`);
    }
  }
  return { text, control };
}

export function settingsPage(ctx: Ctx, who: Me): void {
  if (!mayConfigure(who)) {
    ctx.body.append(h('p', {}, `Your role (${who.role_name}) cannot change the settings.`));
    return;
  }
  const superAdmin = who.role === 'super-admin';
  let tenant: string | null = who.tenant;
  let current: Settings | null = null;

  // The tenant (super-admins only)
  const tenantInput = h('input', { id: 's-tenant', name: 'tenant', autocomplete: 'off', spellcheck: 'false', value: who.tenant ?? '' });
  const tenantForm = superAdmin
    ? h(
        'form',
        { class: 'card filters', 'aria-label': 'Choose a tenant', novalidate: true },
        field('s-tenant', 'Tenant', tenantInput, 'Any tenant; yours by default.'),
        h('p', { class: 'actions' }, h('button', { type: 'submit' }, 'Load settings')),
      )
    : null;

  // Each checkbox with its label (and hint) in a row, kept by id for the form below.
  const checkRows = new Map<string, HTMLElement>();
  const check = (id: string, label: Node | string, hint?: string): HTMLInputElement => {
    const input = h('input', { type: 'checkbox', id, name: id, ...(hint ? { 'aria-describedby': `${id}-hint` } : {}) });
    checkRows.set(id, h('div', { class: 'choice' }, input, h('span', {}, h('label', { for: id }, label), hint ? h('span', { class: 'hint', id: `${id}-hint` }, hint) : null)));
    return input;
  };
  const row = (id: string): HTMLElement => checkRows.get(id) as HTMLElement;
  // The visible label says "User"; its accessible name "Approval for targets: User".
  const prefixed = (prefix: string, label: string): Node => h('span', {}, h('span', { class: 'visually-hidden' }, `${prefix}: `), label);

  const always = check('s-approval-always', 'Always need approval', 'Every start waits for an approver.');
  const fullMode = check('s-approval-full', 'Approval for full mode', 'Full-mode starts wait for an approver.');
  const protectedApproval = check('s-approval-protected', 'Approval for protected accounts', 'Starts on accounts their owners protected wait for an approver.');
  const targetRoles = ROLES.filter(([slug]) => slug !== 'super-admin').map(
    ([slug, label]) => [slug, check(`s-target-${slug}`, prefixed('Approval for targets', label))] as const,
  );
  const consent = h(
    'select',
    { id: 's-consent', name: 'consent' },
    h('option', { value: 'never' }, 'Never'),
    h('option', { value: 'full' }, 'For full mode'),
    h('option', { value: 'always' }, 'Always'),
  );
  const notify = check('s-notify', 'Notify the person acted as', 'They get an email when someone starts and ends acting as them.');
  const protectedMode = h(
    'select',
    { id: 's-protected', name: 'protected_accounts' },
    h('option', { value: 'approval' }, 'Need approval'),
    h('option', { value: 'refuse' }, 'Refused'),
  );
  const maxDuration = h('input', { id: 's-max-duration', name: 'max_duration_seconds', type: 'number', min: 300, step: 1, inputmode: 'numeric' });
  const idleTimeout = h('input', { id: 's-idle', name: 'idle_seconds', type: 'number', min: 300, step: 1, inputmode: 'numeric' });
  const fullRoles = ROLES.map(([slug, label]) => [slug, check(`s-full-${slug}`, prefixed('Full mode allowed for', label))] as const);
  const stepUpAge = h('input', { id: 's-step-up', name: 'step_up_max_age_seconds', type: 'number', min: 0, step: 1, inputmode: 'numeric' });
  const stepUpReadOnly = check('s-step-up-read-only', 'Fresh sign-in for read-only starts too', 'Full and break-glass starts and approvals always need it.');
  const updated = h('p', { class: 'hint' });
  // Saving speaks next to its button: the form may be taller than the screen.
  const saveFb = new Feedback(ctx.fb.onSignedOut);
  saveFb.alertSlot.id = 'settings-save-alert';
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save settings');

  const form = h(
    'form',
    { class: 'card settings', 'aria-labelledby': 'settings-title', novalidate: true, hidden: true },
    h('h2', { id: 'settings-title', tabindex: -1 }, 'Settings'),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Approval'),
      row('s-approval-always'),
      row('s-approval-full'),
      row('s-approval-protected'),
      h(
        'fieldset',
        { class: 'inner' },
        h('legend', {}, 'Approval for targets'),
        h('span', { class: 'hint' }, 'Starts on people with these roles wait for an approver.'),
        h('div', { class: 'choices' }, ...targetRoles.map(([slug]) => row(`s-target-${slug}`))),
      ),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'The person acted as'),
      field('s-consent', 'Consent', consent, 'When the person acted as must accept first.'),
      row('s-notify'),
      field('s-protected', 'Protected accounts', protectedMode, 'What happens to a start on an account its owner protected.'),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Limits'),
      field('s-max-duration', 'Maximum duration (seconds)', maxDuration, 'The longest an impersonation may last; at least 300.'),
      field(
        's-idle',
        'Idle timeout (seconds)',
        idleTimeout,
        'A session not used (refreshed) for this long is over; at least 300, at most the deployment’s.',
      ),
      h(
        'fieldset',
        { class: 'inner' },
        h('legend', {}, 'Full mode allowed for'),
        h('span', { class: 'hint' }, 'Roles that may start full-mode impersonations (within what the deployment allows).'),
        h('div', { class: 'choices' }, ...fullRoles.map(([slug]) => row(`s-full-${slug}`))),
      ),
    ),
    h(
      'fieldset',
      { id: 's-step-up-set' },
      h('legend', {}, 'Step-up'),
      field(
        's-step-up',
        'Fresh sign-in within (seconds)',
        stepUpAge,
        'Starting, breaking glass and approving need a sign-in at most this old; 0 is off.',
      ),
      row('s-step-up-read-only'),
    ),
    updated,
    saveFb.alertSlot,
    h('p', { class: 'actions' }, save),
    saveFb.status,
  );
  ctx.body.append(...[tenantForm, form].filter((n): n is HTMLFormElement => n !== null));

  const fill = (s: Settings): void => {
    current = s;
    always.checked = s.approval.always;
    fullMode.checked = s.approval.full_mode;
    protectedApproval.checked = s.approval.protected_accounts;
    for (const [slug, box] of targetRoles) box.checked = (s.approval.target_roles as string[]).includes(slug);
    consent.value = s.consent;
    notify.checked = s.notify_target;
    protectedMode.value = s.protected_accounts;
    maxDuration.value = String(s.max_duration_seconds);
    // A deployment older than idle timeouts has none to show.
    idleTimeout.value = typeof s.idle_seconds === 'number' ? String(s.idle_seconds) : '';
    idleTimeout.closest('.field')?.toggleAttribute('hidden', typeof s.idle_seconds !== 'number');
    for (const [slug, box] of fullRoles) box.checked = s.full_mode_roles.includes(slug);
    // A deployment older than step-up has none to show.
    const stepUp = s.step_up as Settings['step_up'] | undefined;
    stepUpAge.value = stepUp ? String(stepUp.max_age_seconds) : '';
    stepUpReadOnly.checked = stepUp?.read_only_starts ?? false;
    (form.querySelector('#s-step-up-set') as HTMLElement).toggleAttribute('hidden', !stepUp);
    for (const invalid of form.querySelectorAll('[aria-invalid]')) revalidate(invalid as HTMLElement);
    (form.querySelector('#settings-title') as HTMLElement).textContent = `Settings of ${s.tenant}`;
    updated.replaceChildren(
      ...(s.updated_at
        ? ['Last changed ', time(s.updated_at), s.updated_by ? ` by ${personName(s.updated_by)}` : '', '.']
        : ['Never changed: these are the defaults.']),
    );
    form.hidden = false;
  };

  /** Marks a control invalid and describes it by the save alert too; `revalidate` undoes it. */
  const invalidate = (input: HTMLElement): void => {
    input.setAttribute('aria-invalid', 'true');
    const ids = (input.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean);
    if (!ids.includes(saveFb.alertSlot.id)) input.setAttribute('aria-describedby', [...ids, saveFb.alertSlot.id].join(' '));
  };
  const revalidate = (input: HTMLElement): void => {
    input.removeAttribute('aria-invalid');
    const ids = (input.getAttribute('aria-describedby') ?? '').split(/\s+/).filter((id) => id && id !== saveFb.alertSlot.id);
    if (ids.length) input.setAttribute('aria-describedby', ids.join(' '));
    else input.removeAttribute('aria-describedby');
  };

  /** What the form says, as the keys that differ from the loaded settings. */
  const changes = (s: Settings): SettingsChanges | string => {
    const seconds = Number(maxDuration.value);
    for (const invalid of form.querySelectorAll('[aria-invalid]')) revalidate(invalid as HTMLElement);
    if (!maxDuration.value.trim() || !Number.isInteger(seconds) || seconds < 300) {
      invalidate(maxDuration);
      queueMicrotask(() => maxDuration.focus());
      return '“Maximum duration (seconds)” must be a whole number of seconds, at least 300.';
    }
    const idleKnown = typeof s.idle_seconds === 'number';
    const idleSeconds = Number(idleTimeout.value);
    if (idleKnown && (!idleTimeout.value.trim() || !Number.isInteger(idleSeconds) || idleSeconds < 300)) {
      invalidate(idleTimeout);
      queueMicrotask(() => idleTimeout.focus());
      return '“Idle timeout (seconds)” must be a whole number of seconds, at least 300.';
    }
    const stepUpKnown = typeof (s.step_up as Settings['step_up'] | undefined)?.max_age_seconds === 'number';
    const stepUpSeconds = Number(stepUpAge.value);
    if (stepUpKnown && (!stepUpAge.value.trim() || !Number.isInteger(stepUpSeconds) || stepUpSeconds < 0)) {
      invalidate(stepUpAge);
      queueMicrotask(() => stepUpAge.focus());
      return '“Fresh sign-in within (seconds)” must be a whole number of seconds, 0 for off.';
    }
    const next: SettingsChanges = {
      approval: {
        always: always.checked,
        full_mode: fullMode.checked,
        protected_accounts: protectedApproval.checked,
        target_roles: targetRoles.filter(([, box]) => box.checked).map(([slug]) => slug as Exclude<RoleSlug, 'super-admin'>),
      },
      consent: consent.value as Settings['consent'],
      notify_target: notify.checked,
      protected_accounts: protectedMode.value as Settings['protected_accounts'],
      max_duration_seconds: seconds,
      ...(idleKnown ? { idle_seconds: idleSeconds } : {}),
      full_mode_roles: fullRoles.filter(([, box]) => box.checked).map(([slug]) => slug),
      ...(stepUpKnown ? { step_up: { max_age_seconds: stepUpSeconds, read_only_starts: stepUpReadOnly.checked } } : {}),
    };
    const same = (a: unknown, b: unknown): boolean => JSON.stringify(normal(a)) === JSON.stringify(normal(b));
    const out: SettingsChanges = {};
    for (const key of Object.keys(next) as Array<keyof SettingsChanges>) {
      if (!same(next[key], s[key])) (out as Record<string, unknown>)[key] = next[key];
    }
    return out;
  };

  const load = async (): Promise<void> => {
    const wanted = superAdmin ? tenantInput.value.trim() || null : null;
    const s = await ctx.fb.busy(ctx.body, `Loading the settings${wanted ? ` of ${wanted}` : ''}…`, () =>
      asActor((token) => client().settings(superAdmin ? wanted : undefined, token)),
    );
    if (!s || !ctx.alive()) return;
    tenant = wanted;
    fill(s);
  };

  let saving = false;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (saving || !current) return;
    ctx.fb.clearError();
    saveFb.clearError();
    saveFb.say('');
    const diff = changes(current);
    if (typeof diff === 'string') {
      saveFb.error(diff);
      return;
    }
    if (Object.keys(diff).length === 0) {
      saveFb.say('Nothing to save: no setting changed.');
      return;
    }
    saving = true;
    const target = superAdmin ? tenant : undefined;
    void (async () => {
      let failure: unknown = null;
      const s = await saveFb.busy(form, 'Saving the settings…', () =>
        asActor((token) => client().updateSettings(diff, target, token)).catch((error: unknown) => {
          failure = error;
          throw error;
        }),
      );
      saving = false;
      if (!ctx.alive()) return;
      if (!s) {
        if (failure instanceof ActasApiError && (failure.status === 422 || failure.status === 400)) {
          const { text, control } = settingError(failure.message.trim() || readableError(failure));
          saveFb.error(`The settings were not saved: ${text}${/[.!?]$/.test(text) ? '' : '.'}`);
          const input = control ? (form.querySelector(`#${control}`) as HTMLElement | null) : null;
          if (input) {
            // Focused, the field also reads out the message.
            invalidate(input);
            input.focus();
          }
        }
        return;
      }
      fill(s);
      saveFb.say(`Settings of ${s.tenant} saved.`);
    })();
  });

  tenantForm?.addEventListener('submit', (event) => {
    event.preventDefault();
    void load();
  });

  void load();
}

/** Sorted arrays, so that a different order of the same roles is no change. */
function normal(value: unknown): unknown {
  if (Array.isArray(value)) return [...value].map(String).sort();
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, normal(v)]));
  }
  return value;
}
