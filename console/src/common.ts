// What the console and the sample app share: where the API is, the stored sessions, readable
// errors, progress, and a small DOM builder.

import { ActasApiError, ActasClient, decodeClaims, isStepUpRequired } from './vendor/actas/index.js';
import type { SessionPayload, SignInResult } from './vendor/actas/index.js';

/** sessionStorage: the signed-in user's own tokens, {idToken, accessToken, refreshToken}. */
export const ACTOR_KEY = 'actas.actor';
/** sessionStorage: the impersonated session's payload, while one is open. */
export const SESSION_KEY = 'actas.session';

export interface ActorTokens {
  idToken: string;
  accessToken: string;
  refreshToken: string;
}

/** What `./config.json` (served by the console function) says about sign-in. */
export interface Config {
  cognitoEndpoint: string;
  region: string;
  userPoolId: string;
  signInClientId: string;
}

/** The actas API: this page's URL up to (not including) `/console/`. */
export function apiBase(): string {
  const here = location.origin + location.pathname;
  const at = here.lastIndexOf('/console/');
  return at >= 0 ? here.slice(0, at) : new URL('..', here).href.replace(/\/$/, '');
}

let config: Promise<Config> | undefined;

/** `./config.json`, fetched once (again after a failure). */
export function loadConfig(): Promise<Config> {
  config ??= (async () => {
    const response = await fetch('./config.json', { cache: 'no-store', headers: { accept: 'application/json' } });
    const value: unknown = response.ok ? await response.json() : null;
    const c = value as Partial<Config> | null;
    if (!c || typeof c.cognitoEndpoint !== 'string' || typeof c.signInClientId !== 'string') {
      throw new Error('The console could not load its settings (config.json). Reload the page to try again.');
    }
    return c as Config;
  })().catch((error: unknown) => {
    config = undefined;
    throw error instanceof ActasApiError || (error instanceof Error && error.message.startsWith('The console'))
      ? error
      : new Error('The console could not load its settings (config.json). Reload the page to try again.');
  });
  return config;
}

/** A client for this API; with Cognito's settings when `config` is given (sign-in, refresh). */
export function client(c?: Config): ActasClient {
  return new ActasClient({
    apiUrl: apiBase(),
    ...(c ? { cognitoEndpoint: c.cognitoEndpoint, region: c.region, signInClientId: c.signInClientId } : {}),
  });
}

export function readStored<T>(key: string): T | null {
  try {
    const text = sessionStorage.getItem(key);
    return text ? (JSON.parse(text) as T) : null;
  } catch {
    return null;
  }
}

export function store(key: string, value: unknown): void {
  try {
    sessionStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or disabled: the page still works until it is reloaded.
  }
}

export function forget(key: string): void {
  try {
    sessionStorage.removeItem(key);
  } catch {
    // nothing stored then
  }
}

export function readActor(): ActorTokens | null {
  const a = readStored<Partial<ActorTokens>>(ACTOR_KEY);
  return a && typeof a.idToken === 'string' && typeof a.accessToken === 'string'
    ? { idToken: a.idToken, accessToken: a.accessToken, refreshToken: a.refreshToken ?? '' }
    : null;
}

export function storeActor(tokens: SignInResult | ActorTokens): void {
  store(ACTOR_KEY, { idToken: tokens.idToken, accessToken: tokens.accessToken, refreshToken: tokens.refreshToken });
}

/** Whether a JWT expires within `marginSeconds` (or cannot be read). */
export function expiresSoon(token: string, marginSeconds = 60): boolean {
  try {
    const exp = decodeClaims(token)['exp'];
    return typeof exp !== 'number' || exp * 1000 <= Date.now() + marginSeconds * 1000;
  } catch {
    return true;
  }
}

/** The user's sign-in has ended (expired and not renewable, or refused): sign in again. */
export class SignedOut extends Error {
  constructor() {
    super('Your sign-in has expired. Sign in again.');
  }
}

/** The signed-in user's own tokens, refreshed at Cognito when the id token is about to expire. */
export async function actorTokens(): Promise<ActorTokens> {
  const actor = readActor();
  if (!actor) throw new SignedOut();
  if (!expiresSoon(actor.idToken) && !expiresSoon(actor.accessToken)) return actor;
  if (!actor.refreshToken) throw new SignedOut();
  try {
    const fresh = await client(await loadConfig()).refresh(actor.refreshToken);
    storeActor(fresh);
    return { idToken: fresh.idToken, accessToken: fresh.accessToken, refreshToken: fresh.refreshToken };
  } catch (error) {
    if (error instanceof ActasApiError && error.status >= 400 && error.status < 500 && error.status !== 429) throw new SignedOut();
    throw error;
  }
}

/** An impersonated session's tokens, refreshed at its `endpointUrl` when about to expire. */
export async function sessionTokens(payload: SessionPayload): Promise<SessionPayload> {
  const s = payload.session;
  if (!expiresSoon(s.accessToken, 30) && !expiresSoon(s.authorization, 30)) return payload;
  const fresh = await client().refresh(s.refreshToken, { endpointUrl: payload.endpointUrl, clientId: payload.clientId });
  const next: SessionPayload = {
    ...payload,
    token: fresh.idToken,
    session: { ...s, authorization: fresh.idToken, accessToken: fresh.accessToken, expireEpoch: Date.now() + fresh.expiresIn * 1000 },
  };
  store(SESSION_KEY, next);
  return next;
}

const READ_ONLY = /read-only impersonation|read.only/i;

/**
 * One readable sentence for a failure: the server's message, tidied; never JSON, a URL or a
 * token (the client's messages hold neither).
 */
export function readableError(error: unknown): string {
  if (error instanceof SignedOut) return error.message;
  if (error instanceof ActasApiError) {
    if (error.status === 0) return 'Could not reach the server. Check your connection and try again.';
    if (error.status === 429) return 'Too many requests. Wait a moment and try again.';
    if (error.status === 403 && READ_ONLY.test(error.message)) return 'This session is read-only: it cannot make changes.';
    const text = tidy(error.message);
    if (error.status >= 500) return text ? `The server could not do that: ${lower(text)}` : 'The server could not do that. Try again later.';
    return text || `The request failed (HTTP ${error.status}).`;
  }
  if (error instanceof Error) return tidy(error.message) || 'Something went wrong.';
  return 'Something went wrong.';
}

/** Removes the client's `op:` prefix and raw-status wording, capitalises, ends with a full stop. */
function tidy(message: string): string {
  let text = message.trim().replace(/^[a-zA-Z]+: /, '');
  if (!text || /^[[{<]/.test(text) || /^HTTP \d{3}/.test(text) || /not a JSON answer|the answer is not JSON/.test(text)) return '';
  text = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

function lower(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

type Child = Node | string | null | undefined | false;
type Props = Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>;

/** `h('button', {type: 'button', onclick: f}, 'Stop')`: attributes, listeners (`on...`), children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') node.addEventListener(name.slice(2), value);
    else if (name === 'class') node.className = String(value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

/** Where a page says what is going on: one status line, one alert at most. */
export class Feedback {
  /** `onSignedOut`: what to do when the user's sign-in is over (the console: go to sign in). */
  constructor(readonly onSignedOut?: (error: SignedOut) => void) {}

  readonly status: HTMLElement = h('p', { role: 'status', class: 'status' });
  readonly alertSlot: HTMLElement = h('div', { class: 'alert-slot' });

  /** Shows `message` as the page's one alert (role="alert"). */
  error(error: unknown): void {
    const text = typeof error === 'string' ? error : readableError(error);
    this.alertSlot.replaceChildren(h('div', { role: 'alert', class: 'alert' }, text));
  }

  clearError(): void {
    this.alertSlot.replaceChildren();
  }

  say(text: string): void {
    this.status.textContent = text;
  }

  /**
   * Runs `work` with `text` (e.g. "Loading…") in the status line and `aria-busy` on `region`;
   * clears both afterwards. Failures go to the alert (an ended sign-in to `onSignedOut`) and
   * resolve undefined. A step-up refusal (the sign-in is too old for this) asks for the password
   * again and, once signed in, runs `work` again: the start or approval resumes.
   */
  async busy<T>(region: HTMLElement, text: string, work: () => Promise<T>): Promise<T | undefined> {
    for (;;) {
      this.clearError();
      this.say(text);
      region.setAttribute('aria-busy', 'true');
      let stepUp: ActasApiError | null = null;
      try {
        return await work();
      } catch (error) {
        if (isStepUpRequired(error)) stepUp = error;
        else if (error instanceof SignedOut && this.onSignedOut) this.onSignedOut(error);
        else this.error(error);
      } finally {
        region.removeAttribute('aria-busy');
        if (this.status.textContent === text) this.say('');
      }
      if (!stepUp || !(await this.signInAgain(stepUp))) return undefined;
    }
  }

  /**
   * Step-up: says why, and asks for the signed-in person's password; resolves true once they
   * signed in again (the new tokens stored), false if they cancel.
   */
  signInAgain(error: ActasApiError): Promise<boolean> {
    const username = actorUsername();
    if (!username) {
      this.error('Sign in again to continue.');
      return Promise.resolve(false);
    }
    return new Promise((resolve) => {
      const password = h('input', { id: 'step-up-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
      const problem = h('div', { class: 'alert-slot' });
      const form = h(
        'form',
        { class: 'step-up', novalidate: true, 'aria-labelledby': 'step-up-title' },
        h('p', { id: 'step-up-title' }, h('strong', {}, 'Sign in again to continue'), ` (as ${username}).`),
        field('step-up-password', 'Password', password),
        problem,
        h(
          'p',
          { class: 'actions' },
          h('button', { type: 'submit', class: 'primary' }, 'Sign in again'),
          h('button', { type: 'button', onclick: () => { this.clearError(); resolve(false); } }, 'Cancel'),
        ),
      );
      let pending = false;
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        if (pending) return;
        if (!password.value) {
          problem.replaceChildren(h('p', { role: 'alert', class: 'alert' }, 'Enter your password.'));
          password.focus();
          return;
        }
        pending = true;
        this.say('Signing in…');
        loadConfig()
          .then((config) => client(config).signIn(username, password.value))
          .then((tokens) => {
            storeActor(tokens);
            resolve(true);
          })
          .catch((failure: unknown) => {
            pending = false;
            this.say('');
            problem.replaceChildren(h('p', { role: 'alert', class: 'alert' }, readableError(failure)));
            password.focus();
          });
      });
      this.alertSlot.replaceChildren(
        h('div', { role: 'alert', class: 'alert' }, stepUpMessage(error.maxAgeSeconds)),
        form,
      );
      password.focus();
    });
  }
}

/** Why a fresh sign-in is needed, in words: "… within the last 15 minutes …". */
export function stepUpMessage(maxAgeSeconds: number | undefined): string {
  const age = maxAgeSeconds ?? 0;
  const span = age >= 120 && age % 60 === 0 ? `${age / 60} minutes` : `${age} second${age === 1 ? '' : 's'}`;
  return `For this, you must have signed in within the last ${span}. Sign in again to continue.`;
}

/** The signed-in person's username, from their stored id token. */
function actorUsername(): string | null {
  const actor = readActor();
  if (!actor) return null;
  try {
    const name = decodeClaims(actor.idToken)['cognito:username'];
    return typeof name === 'string' && name ? name : null;
  } catch {
    return null;
  }
}

// Short and with its time zone: an audit is read across offices.
// (`dateStyle`/`timeStyle` cannot be combined with `timeZoneName`.)
const dateTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric', month: 'short', day: 'numeric',
  hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short',
});

/** A `<time>` for an RFC 3339 instant, in the reader's time zone; a dash for none. */
export function time(iso: string | null | undefined): Node {
  if (!iso) return document.createTextNode('—');
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? document.createTextNode(iso) : h('time', { datetime: at.toISOString() }, dateTime.format(at));
}

export function modeLabel(mode: string | null | undefined): string {
  return mode === 'full' ? 'Full' : 'Read-only';
}

/** A table in a scrollable, focusable region (narrow screens scroll it sideways). */
export function table(label: string, headers: string[], rows: HTMLTableRowElement[]): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap', role: 'region', 'aria-label': label, tabindex: 0 },
    h(
      'table',
      {},
      h('thead', {}, h('tr', {}, ...headers.map((title) => h('th', { scope: 'col' }, title)))),
      h('tbody', {}, ...rows),
    ),
  );
}

export function cell(...children: Child[]): HTMLTableCellElement {
  return h('td', {}, ...children);
}

/** A cell of free text (reason, ticket): wraps anywhere rather than widening the table. */
export function freeCell(text: string): HTMLTableCellElement {
  return h('td', { class: 'free' }, text);
}

/** Text kept on one line (names, modes). */
export function nowrap(text: string): HTMLElement {
  return h('span', { class: 'nowrap' }, text);
}

export function orDash(value: string | null | undefined): string {
  return value ? value : '—';
}

/** What a page of the console gets: its feedback, its body, and whether it is still shown. */
export interface Ctx {
  fb: Feedback;
  body: HTMLElement;
  /** False once the user went to another page: late answers are dropped. */
  alive(): boolean;
  /** Runs when the page is left (timers). */
  onLeave(cleanup: () => void): void;
}

/** Calls the API with the signed-in user's id token; a 401 ends the sign-in. */
export async function asActor<T>(call: (idToken: string) => Promise<T>): Promise<T> {
  const { idToken } = await actorTokens();
  try {
    return await call(idToken);
  } catch (error) {
    // A step-up refusal is not the end of the sign-in: `Feedback.busy` asks to sign in again.
    if (error instanceof ActasApiError && error.status === 401 && !isStepUpRequired(error)) throw new SignedOut();
    throw error;
  }
}

/** A labelled form field (label above the control), with an optional hint as its description. */
export function field(id: string, label: string, control: HTMLElement, hint?: string): HTMLElement {
  if (hint) control.setAttribute('aria-describedby', `${id}-hint`);
  return h('p', { class: 'field' }, h('label', { for: id }, label), hint ? h('span', { class: 'hint', id: `${id}-hint` }, hint) : null, control);
}
