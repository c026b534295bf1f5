/**
 * `<actas-banner>`: the bar an app shows at the top while someone acts as its user — who, for
 * whom, read-only or full, the time left to the hard end, the idle time left (a session not
 * used — refreshed — for its idle timeout is over), and a button that ends it.
 *
 * Importing this module in a browser registers the element (only where `customElements`
 * exists, so Node can import the package too). The session comes from the `session` property,
 * the `session` attribute (a session payload as JSON, or an id token), or else
 * `sessionStorage['actas.session']`. Stop calls `DELETE {api-url}/auth/impersonate` with the
 * session's own token, clears `actas.session`, dispatches `actas-stopped` and goes to
 * `return-to` (default `./index.html#/active`).
 *
 * Idle time counts from the newest token the banner knows: the session's own, or the
 * payload's `impersonation.idle_ends_at`, whichever is later. The stored session is read again
 * every second, so an app that refreshes and stores the fresh payload (as the sample app does)
 * moves it on; one that refreshes elsewhere should store it too, or set `session`.
 *
 * The element decides nothing: the services that receive the session's tokens do. The DOM-free
 * parts (`bannerState`, `formatTimeLeft`, `idleNotice`, `readStoredSession`, `endImpersonation`)
 * are exported for apps that draw their own banner.
 */

import { ActasApiError, ActasClient } from './client.js';
import { decodeClaims, readSession } from './session.js';
import type { ImpersonationMode, SessionInput } from './session.js';

/** The `sessionStorage` key of the impersonated session's payload. */
export const SESSION_STORAGE_KEY = 'actas.session';

/** Where Stop goes unless the element's `return-to` says otherwise. */
export const DEFAULT_RETURN_TO = './index.html#/active';

/** Below this much idle time left the banner warns that the session is about to end. */
export const IDLE_WARNING_MS = 60_000;

/** What the banner shows, read from a session. */
export interface BannerState {
  /** The impersonated user's username. */
  targetUsername: string;
  /** Who is acting, when the session names them. */
  actorUsername: string | null;
  impersonationId: string | null;
  /** From the token (`read_only` when it names none: fail closed). */
  mode: ImpersonationMode;
  modeLabel: 'Read-only' | 'Full';
  /** The impersonation's hard end, when known. */
  endsAt: Date | null;
  /** How long the session may go unused (not refreshed) before it is over, in seconds; null when
   * unknown (a bare token) or there is none. */
  idleSeconds: number | null;
  /** When the session is over unless it is used (refreshed) before, when known. */
  idleEndsAt: Date | null;
  /** The session's id token (or the only token given), to end the session with. */
  token: string;
}

/**
 * Reads what the banner shows from a session payload (object or JSON text), an id token or a
 * token set. Null when there is no impersonation to show (an ordinary session, nothing, or
 * something unreadable). Verifies nothing: for display only.
 */
export function bannerState(input: unknown): BannerState | null {
  const value = typeof input === 'string' ? parseText(input) : input;
  if (value === null || value === undefined) return null;
  let session;
  try {
    session = readSession(value as SessionInput);
  } catch {
    return null;
  }
  if (!session.isImpersonating || session.mode === null) return null;
  const payload = isObject(value) ? value : {};
  const impersonation = isObject(payload['impersonation']) ? payload['impersonation'] : {};
  const payloadActor = isObject(impersonation['actor']) ? impersonation['actor'] : {};
  let endsAt = session.endsAt;
  if (endsAt === null && typeof impersonation['expires_at'] === 'string') {
    const parsed = Date.parse(impersonation['expires_at']);
    endsAt = Number.isNaN(parsed) ? null : new Date(parsed);
  }
  const token = sessionToken(value);
  const rawIdle = impersonation['idle_seconds'];
  const idleSeconds = typeof rawIdle === 'number' && Number.isFinite(rawIdle) && rawIdle > 0 ? rawIdle : null;
  return {
    targetUsername: session.username,
    actorUsername:
      session.actor?.username ?? (typeof payloadActor['username'] === 'string' ? payloadActor['username'] : null),
    impersonationId:
      session.impersonationId ?? (typeof impersonation['id'] === 'string' ? impersonation['id'] : null),
    mode: session.mode,
    modeLabel: session.mode === 'full' ? 'Full' : 'Read-only',
    endsAt,
    idleSeconds,
    idleEndsAt: idleSeconds === null ? null : idleEnd(idleSeconds, impersonation['idle_ends_at'], token),
    token,
  };
}

/**
 * When a session with this idle timeout is over unless used: the later of the payload's
 * `idle_ends_at` (set at the start) and the token's `iat` plus the timeout (each refresh mints
 * tokens, and moves the idle end on).
 */
function idleEnd(idleSeconds: number, stated: unknown, token: string): Date | null {
  const candidates: number[] = [];
  if (typeof stated === 'string') candidates.push(Date.parse(stated));
  try {
    const iat = decodeClaims(token)['iat'];
    if (typeof iat === 'number') candidates.push((iat + idleSeconds) * 1000);
  } catch {
    // No readable token: the payload's word alone.
  }
  const known = candidates.filter(Number.isFinite);
  return known.length > 0 ? new Date(Math.max(...known)) : null;
}

/**
 * What the banner says about idle time `ms` before the idle end: `Idle left mm:ss`, a warning
 * from `IDLE_WARNING_MS` on ("Idle: the session ends in 0:45 unless it is used"), or that it
 * is over. `warning` is true for the last two.
 */
export function idleNotice(ms: number): { text: string; warning: boolean } {
  if (!Number.isFinite(ms) || ms <= 0) return { text: 'Idle: the session has ended (unused for too long)', warning: true };
  if (ms < IDLE_WARNING_MS) {
    const seconds = Math.ceil(ms / 1000);
    return { text: `Idle: the session ends in ${Math.floor(seconds / 60)}:${pad(seconds % 60)} unless it is used`, warning: true };
  }
  return { text: `Idle left ${formatTimeLeft(ms)}`, warning: false };
}

/**
 * Time left as `mm:ss`, or `h:mm:ss` from one hour on; `00:00` once over. Rounds up, so the
 * display reads `00:00` only when the time is really up.
 */
export function formatTimeLeft(ms: number): string {
  const total = Number.isFinite(ms) && ms > 0 ? Math.ceil(ms / 1000) : 0;
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const mmss = `${pad(minutes)}:${pad(seconds)}`;
  return hours > 0 ? `${hours}:${mmss}` : mmss;
}

/** The part of `sessionStorage` used here (structural, so Node tests can pass a map). */
export interface StorageLike {
  getItem(key: string): string | null;
  removeItem(key: string): void;
}

/**
 * The session payload stored under `actas.session`, or null when there is none, it is not
 * JSON, or the storage cannot be read (storage disabled, no `sessionStorage` in Node).
 */
export function readStoredSession(storage: StorageLike | null | undefined = defaultStorage()): unknown {
  try {
    const text = storage?.getItem(SESSION_STORAGE_KEY);
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

/** Removes `actas.session`; false when the storage cannot be written. */
export function clearStoredSession(storage: StorageLike | null | undefined = defaultStorage()): boolean {
  try {
    storage?.removeItem(SESSION_STORAGE_KEY);
    return storage !== null && storage !== undefined;
  } catch {
    return false;
  }
}

/**
 * The actas API's base URL from a session payload's `endpointUrl` (`{api}/auth/cognito` for an
 * impersonated session), or null.
 */
export function apiUrlFromSession(payload: unknown): string | null {
  const endpoint = isObject(payload) ? payload['endpointUrl'] : undefined;
  if (typeof endpoint !== 'string') return null;
  const match = /^(https?:\/\/.+)\/auth\/cognito\/?$/.exec(endpoint);
  return match?.[1] ?? null;
}

export interface EndOptions {
  /** The actas API's base URL. */
  apiUrl: string;
  /** A fetch to use instead of the global one. */
  fetch?: typeof fetch;
  /** Now, for tests. */
  now?: () => number;
}

/**
 * Ends an impersonated session from the session itself: `DELETE /auth/impersonate` with its
 * token. A payload whose id token has expired is first refreshed at its `endpointUrl`, so a
 * session left open past its token's life can still end itself.
 *
 * Resolves `{alreadyEnded: false}` when this call ended it, and `{alreadyEnded: true}` when
 * actas no longer knows the session as live (401 or 404, or a refused refresh): either way it
 * is over. Rejects with `ActasApiError` when actas could not be asked or failed (status 0, 5xx,
 * 429), and with a TypeError for something that is not an impersonated session.
 */
export async function endImpersonation(session: unknown, options: EndOptions): Promise<{ alreadyEnded: boolean }> {
  const value = typeof session === 'string' ? parseText(session) : session;
  const state = bannerState(value);
  if (!state) throw new TypeError('endImpersonation: not an impersonated session');
  const client = new ActasClient({ apiUrl: options.apiUrl, ...(options.fetch ? { fetch: options.fetch } : {}) });
  const now = options.now ?? Date.now;
  let token = state.token;
  try {
    if (tokenExpired(token, now())) {
      const refresh = refreshMaterial(value);
      if (!refresh) return { alreadyEnded: true }; // an expired token and no way to renew it: nothing can use it
      token = (await client.refresh(refresh.refreshToken, refresh)).idToken;
    }
    await client.signOut(token);
    return { alreadyEnded: false };
  } catch (error) {
    if (isOver(error)) return { alreadyEnded: true };
    throw error;
  }
}

/** What the element exposes (structural, so the declarations need no DOM types). */
export interface ActasBannerElement {
  /** A session payload, token or token set; `undefined` reads the attribute or storage. */
  session: unknown;
  /** The actas API's base URL (`api-url`); defaults to the one in the payload's `endpointUrl`. */
  apiUrl: string | null;
  /** Where Stop goes afterwards (`return-to`). */
  returnTo: string;
  /** Reads the session again (after the app changed `actas.session`) and redraws. */
  refresh(): void;
  /** Ends the session, as the Stop button does. */
  stop(): Promise<void>;
}

/**
 * Registers `<actas-banner>` (or `name`) and returns its class; does nothing and returns
 * undefined where there are no custom elements (Node). Registering twice returns the first.
 */
export function defineActasBanner(name = 'actas-banner'): (new () => ActasBannerElement) | undefined {
  if (typeof customElements === 'undefined' || typeof HTMLElement === 'undefined') return undefined;
  const existing = customElements.get(name);
  if (existing) return existing as unknown as new () => ActasBannerElement;
  const element = createBannerClass();
  customElements.define(name, element);
  return element as unknown as new () => ActasBannerElement;
}

const STYLE = `
:host{display:block;position:sticky;top:0;z-index:2147483000;font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
:host([hidden]){display:none}
.bar{display:flex;flex-wrap:wrap;align-items:center;gap:.375rem 1rem;padding:.5rem 1rem;background:#ffd43b;color:#1a1a1a;border-bottom:2px solid #1a1a1a}
.line{margin:0;flex:1 1 14rem;min-width:0;overflow-wrap:anywhere}
.mode{display:inline-block;margin-left:.25rem;padding:0 .4rem;border:1px solid #1a1a1a;border-radius:.25rem;background:#fff;font-size:.85em;font-weight:600;white-space:nowrap}
.mode.full{background:#a4001d;border-color:#a4001d;color:#fff}
.time{margin:0;white-space:nowrap;font-variant-numeric:tabular-nums}
.idle{margin:0;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
.idle:empty{display:none}
.idle.warn{padding:0 .4rem;border-radius:.25rem;background:#1a1a1a;color:#fff;font-weight:700}
button{font:inherit;font-weight:600;padding:.3rem .8rem;border:2px solid #1a1a1a;border-radius:.3rem;background:#1a1a1a;color:#fff;cursor:pointer}
button:hover{background:#3a3a3a}
button:focus-visible{outline:3px solid #1a1a1a;outline-offset:2px}
button[aria-disabled=true]{cursor:progress}
.error{flex-basis:100%;margin:0;font-weight:600}
.error:empty{display:none}
`;

function createBannerClass() {
  class ActasBanner extends HTMLElement implements ActasBannerElement {
    static observedAttributes = ['session', 'api-url', 'return-to'];

    #session: unknown = undefined;
    #state: BannerState | null = null;
    #timer: ReturnType<typeof setInterval> | undefined;
    #busy = false;
    #announced = '';
    readonly #line: HTMLElement;
    readonly #who: HTMLElement;
    readonly #mode: HTMLElement;
    readonly #notice: HTMLElement;
    readonly #time: HTMLElement;
    readonly #idle: HTMLElement;
    readonly #button: HTMLButtonElement;
    readonly #error: HTMLElement;
    readonly #onStorage = (event: StorageEvent) => {
      if (event.key === null || event.key === SESSION_STORAGE_KEY) this.refresh();
    };

    constructor() {
      super();
      const root = this.attachShadow({ mode: 'open' });
      const style = document.createElement('style');
      style.textContent = STYLE;
      const bar = el('div', 'bar');
      bar.setAttribute('role', 'region');
      bar.setAttribute('aria-label', 'Impersonation');
      bar.setAttribute('part', 'bar');
      this.#line = el('p', 'line');
      this.#line.setAttribute('aria-live', 'polite');
      this.#who = el('strong', '');
      this.#mode = el('span', 'mode');
      this.#notice = el('span', '');
      this.#line.append(this.#who, ' ', this.#mode, this.#notice);
      const time = el('p', 'time');
      this.#time = el('span', '');
      this.#time.setAttribute('role', 'timer');
      time.append('Time left ', this.#time);
      // Idle time left, every second: a timer (not live); the live line says when it is short.
      this.#idle = el('p', 'idle');
      this.#idle.setAttribute('role', 'timer');
      this.#button = el('button', '') as HTMLButtonElement;
      this.#button.type = 'button';
      this.#button.textContent = 'Stop impersonation';
      this.#button.setAttribute('part', 'button');
      this.#button.addEventListener('click', () => void this.stop());
      this.#error = el('p', 'error');
      bar.append(this.#line, time, this.#idle, this.#button, this.#error);
      root.append(style, bar);
    }

    get session(): unknown {
      return this.#session;
    }
    set session(value: unknown) {
      this.#session = value;
      this.refresh();
    }

    get apiUrl(): string | null {
      return this.getAttribute('api-url');
    }
    set apiUrl(value: string | null) {
      if (value === null) this.removeAttribute('api-url');
      else this.setAttribute('api-url', value);
    }

    get returnTo(): string {
      return this.getAttribute('return-to') || DEFAULT_RETURN_TO;
    }
    set returnTo(value: string) {
      this.setAttribute('return-to', value);
    }

    connectedCallback(): void {
      window.addEventListener('storage', this.#onStorage);
      this.refresh();
    }

    disconnectedCallback(): void {
      window.removeEventListener('storage', this.#onStorage);
      this.#stopTicking();
    }

    attributeChangedCallback(name: string): void {
      if (name === 'session' && this.isConnected) this.refresh();
    }

    /** The session as given: property, then attribute, then storage. */
    #source(): unknown {
      if (this.#session !== undefined) return this.#session;
      const attribute = this.getAttribute('session');
      if (attribute) return attribute;
      return readStoredSession();
    }

    refresh(): void {
      const state = bannerState(this.#source());
      this.#state = state;
      this.#stopTicking();
      this.hidden = state === null;
      if (!state) return;
      const { targetUsername, actorUsername, mode, modeLabel } = state;
      this.#who.textContent = `Acting as ${targetUsername}` + (actorUsername ? ` for ${actorUsername}` : '');
      this.#mode.textContent = modeLabel;
      this.#mode.className = mode === 'full' ? 'mode full' : 'mode';
      this.#announced = '';
      this.#notice.textContent = '';
      this.#error.textContent = '';
      this.#error.removeAttribute('role');
      this.#tick();
      if ((state.endsAt || state.idleEndsAt) && this.isConnected) this.#timer = setInterval(() => this.#tick(), 1000);
    }

    #tick(): void {
      const state = this.#state;
      if (!state) return;
      const now = Date.now();
      const left = state.endsAt ? state.endsAt.getTime() - now : null;
      this.#time.textContent = left === null ? 'unknown' : formatTimeLeft(left);
      const idleLeft = this.#idleLeft(state, now, left);
      if (idleLeft === null) {
        this.#idle.textContent = '';
        this.#idle.className = 'idle';
      } else {
        const { text, warning } = idleNotice(idleLeft);
        this.#idle.textContent = text;
        this.#idle.className = warning ? 'idle warn' : 'idle';
      }
      // The status line is live: say it at a few moments only, not every second.
      const notice =
        left !== null && left <= 0
          ? ' The impersonation has ended.'
          : idleLeft !== null && idleLeft <= 0
            ? ' The impersonation has ended: the session was not used for too long.'
            : idleLeft !== null && idleLeft < IDLE_WARNING_MS
              ? ' Idle: the session ends in less than a minute unless it is used.'
              : left !== null && left <= 60_000
                ? ' Less than a minute left.'
                : left !== null && left <= 300_000
                  ? ' Less than 5 minutes left.'
                  : '';
      if (notice !== this.#announced) {
        this.#announced = notice;
        this.#notice.textContent = notice;
      }
      if (left !== null && left <= 0) this.#stopTicking();
    }

    /**
     * Idle time left, or null when there is none to show (no idle timeout known, or the hard
     * end comes first). The session is read again: an app that refreshed it and stored the
     * fresh payload has moved the idle end on.
     */
    #idleLeft(state: BannerState, now: number, left: number | null): number | null {
      const fresh = bannerState(this.#source());
      const latest = [state.idleEndsAt, fresh?.impersonationId === state.impersonationId ? fresh?.idleEndsAt : null]
        .filter((d): d is Date => d instanceof Date)
        .map((d) => d.getTime());
      if (latest.length === 0) return null;
      const idleEnds = Math.max(...latest);
      state.idleEndsAt = new Date(idleEnds);
      const idleLeft = idleEnds - now;
      return left !== null && (left <= 0 || left <= idleLeft) ? null : idleLeft;
    }

    #stopTicking(): void {
      if (this.#timer !== undefined) clearInterval(this.#timer);
      this.#timer = undefined;
    }

    async stop(): Promise<void> {
      if (this.#busy) return;
      const source = this.#source();
      const state = bannerState(source);
      if (!state) return this.#finish(null, true);
      const apiUrl = this.apiUrl || apiUrlFromSession(typeof source === 'string' ? parseText(source) : source);
      if (!apiUrl) {
        this.#showError('Could not stop the impersonation: this page does not say where actas is (api-url).');
        return;
      }
      this.#busy = true;
      this.#button.setAttribute('aria-disabled', 'true');
      this.#notice.textContent = ' Stopping…';
      this.#error.textContent = '';
      try {
        const { alreadyEnded } = await endImpersonation(source, { apiUrl });
        this.#finish(state.impersonationId, alreadyEnded);
      } catch (error) {
        this.#notice.textContent = this.#announced;
        this.#showError(`Could not stop the impersonation: ${readableReason(error)} Try again.`);
      } finally {
        this.#busy = false;
        this.#button.removeAttribute('aria-disabled');
      }
    }

    #showError(message: string): void {
      this.#error.setAttribute('role', 'alert');
      this.#error.textContent = message;
    }

    #finish(impersonationId: string | null, alreadyEnded: boolean): void {
      clearStoredSession();
      this.#session = undefined;
      this.removeAttribute('session');
      this.refresh();
      const event = new CustomEvent('actas-stopped', {
        bubbles: true,
        composed: true,
        cancelable: true,
        detail: { impersonationId, alreadyEnded },
      });
      if (this.dispatchEvent(event)) location.assign(this.returnTo);
    }
  }
  return ActasBanner;
}

function el(tag: string, className: string): HTMLElement {
  const node = document.createElement(tag);
  if (className) node.className = className;
  return node;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** JSON text (a payload) parsed; anything else (a token) as it is. */
function parseText(text: string): unknown {
  const trimmed = text.trim();
  if (!trimmed) return null;
  if (!trimmed.startsWith('{')) return trimmed;
  try {
    return JSON.parse(trimmed);
  } catch {
    return null;
  }
}

function sessionToken(value: unknown): string {
  if (typeof value === 'string') return value;
  if (isObject(value)) {
    const session = value['session'];
    if (isObject(session) && typeof session['authorization'] === 'string') return session['authorization'];
    if (typeof value['idToken'] === 'string') return value['idToken'];
    if (typeof value['accessToken'] === 'string') return value['accessToken'];
  }
  return '';
}

function tokenExpired(token: string, nowMs: number): boolean {
  try {
    const exp = decodeClaims(token)['exp'];
    return typeof exp === 'number' && exp * 1000 <= nowMs + 5000;
  } catch {
    return false;
  }
}

function refreshMaterial(value: unknown): { refreshToken: string; endpointUrl: string; clientId: string } | null {
  if (!isObject(value) || !isObject(value['session'])) return null;
  const refreshToken = value['session']['refreshToken'];
  const endpointUrl = value['endpointUrl'];
  const clientId = value['clientId'];
  return typeof refreshToken === 'string' && refreshToken && typeof endpointUrl === 'string' && typeof clientId === 'string'
    ? { refreshToken, endpointUrl, clientId }
    : null;
}

/** An answer that says the session is no longer live: unauthenticated, unknown, or refused a refresh. */
function isOver(error: unknown): boolean {
  return error instanceof ActasApiError && (error.status === 401 || error.status === 404 || (error.operation === 'refresh' && error.status >= 400 && error.status < 500 && error.status !== 429));
}

/** One sentence for a failed call: the server's message, without a leading `op:`. */
function readableReason(error: unknown): string {
  if (error instanceof ActasApiError && error.status === 0) return 'actas could not be reached.';
  const text = error instanceof Error ? error.message.replace(/^[a-zA-Z]+: /, '').trim() : '';
  if (!text || text.startsWith('{') || text.startsWith('[')) return 'something went wrong.';
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

function defaultStorage(): StorageLike | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage;
  } catch {
    return null;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

defineActasBanner();
