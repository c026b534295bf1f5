// The sample downstream app's page: the user's notes from `/demo/notes` (behind the actas
// authorizer), with `<actas-banner>` on top while someone acts as the user. It uses the
// impersonated session (`actas.session`) when one is open, otherwise the signed-in user's own.

import { Feedback, SESSION_KEY, SignedOut, actorTokens, apiBase, forget, h, modeLabel, readActor, readableError, sessionTokens, time } from './common.js';
import { ActasApiError, bannerState, readSession, readStoredSession } from './vendor/actas/index.js';
import type { ActasBannerElement, Person, SessionPayload } from './vendor/actas/index.js';

interface Note {
  id: string;
  text: string;
  created_at: string;
  user: Person;
  actor: Person | null;
  impersonation_id: string | null;
  mode: 'read_only' | 'full' | null;
}

type Who = { kind: 'impersonated'; payload: SessionPayload } | { kind: 'own'; username: string } | null;

/** The impersonated session has ended (stopped elsewhere, expired, refused a refresh). */
class Ended extends Error {
  constructor() {
    super('This impersonation has ended: its session can no longer be used.');
  }
}

const main = document.getElementById('main') as HTMLElement;
const whoSlot = document.getElementById('user-slot') as HTMLElement;
const banner = document.querySelector('actas-banner') as (HTMLElement & ActasBannerElement) | null;
if (banner) banner.apiUrl = apiBase();

function currentSession(): Who {
  const stored = readStoredSession();
  if (bannerState(stored)) return { kind: 'impersonated', payload: stored as SessionPayload };
  const actor = readActor();
  if (!actor) return null;
  try {
    return { kind: 'own', username: readSession(actor.idToken).username };
  } catch {
    return null;
  }
}

async function accessToken(who: Exclude<Who, null>): Promise<string> {
  if (who.kind === 'own') return (await actorTokens()).accessToken;
  try {
    return (await sessionTokens(who.payload)).session.accessToken;
  } catch (error) {
    if (error instanceof ActasApiError && error.status >= 400 && error.status < 500 && error.status !== 429) throw new Ended();
    throw error;
  }
}

/** One call to the sample service; a non-2xx throws ActasApiError with the service's message. */
async function call<T>(who: Exclude<Who, null>, method: string, path: string, body?: unknown): Promise<T> {
  const token = await accessToken(who);
  const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`${apiBase()}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (cause) {
    throw new ActasApiError(0, 'notes', 'could not reach the server', undefined, { cause });
  }
  const json = (await response.json().catch(() => undefined)) as { message?: unknown } | undefined;
  if (!response.ok) {
    const message = typeof json?.message === 'string' ? json.message : `HTTP ${response.status}`;
    if (response.status === 401) throw who.kind === 'impersonated' ? new Ended() : new SignedOut();
    throw new ActasApiError(response.status, 'notes', message);
  }
  return json as T;
}

function page(): void {
  const fb = new Feedback();
  const who = currentSession();
  const heading = h('h1', {}, 'Notes');
  const intro = h(
    'p',
    { class: 'hint' },
    'A sample app: its service sits behind the actas authorizer, which lets read-only impersonations read but refuses their changes.',
  );
  main.replaceChildren(heading, intro, fb.alertSlot, fb.status);

  if (!who) {
    whoSlot.replaceChildren();
    main.append(
      h('p', {}, 'Nobody is signed in here. Sign in to the console, then act as someone, or come back to use the app as yourself.'),
      h('p', {}, h('a', { href: './index.html#/sign-in' }, 'Go to the console')),
    );
    return;
  }

  const username = who.kind === 'impersonated' ? (bannerState(who.payload)?.targetUsername ?? who.payload.username) : who.username;
  whoSlot.replaceChildren(h('span', {}, 'Signed in as ', h('strong', {}, username)));

  const note = h('textarea', { id: 'note', name: 'note', rows: 3, maxlength: 1000 });
  const readOnly = who.kind === 'impersonated' && bannerState(who.payload)?.mode === 'read_only';
  const form = h(
    'form',
    { class: 'card', novalidate: true },
    h('h2', {}, 'New note'),
    h('p', { class: 'field' }, h('label', { for: 'note' }, 'Note'), readOnly ? h('span', { class: 'hint', id: 'note-hint' }, 'This is a read-only session: the service will refuse changes.') : null, note),
    h('p', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Add note')),
  );
  if (readOnly) note.setAttribute('aria-describedby', 'note-hint');
  // Nothing but the textarea is named "Note…": `getByLabel('Note')` must find it alone.
  const list = h('ul', { class: 'notes' });
  const notesSection = h('section', {}, h('h2', {}, `Written as ${username}`), list);
  main.append(form, notesSection);

  const notes: Note[] = [];
  let loaded = false;
  const draw = (): void => {
    list.replaceChildren(...notes.map(noteItem));
    if (loaded && notes.length === 0) list.append(h('li', { class: 'empty' }, 'No notes yet.'));
  };

  const failed = (error: unknown): void => {
    if (error instanceof Ended) {
      forget(SESSION_KEY);
      banner?.refresh();
    }
    fb.error(error instanceof Ended || error instanceof SignedOut ? error.message : readableError(error));
    if (error instanceof Ended || error instanceof SignedOut) {
      main.append(h('p', {}, h('a', { href: './index.html' }, 'Back to the console')));
      form.remove();
    }
  };

  let pending = false;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (pending) return;
    const text = note.value.trim();
    if (!text) {
      fb.error('Write a note first.');
      note.focus();
      return;
    }
    pending = true;
    fb.clearError();
    fb.say('Adding the note…');
    form.setAttribute('aria-busy', 'true');
    call<Note>(who, 'POST', '/demo/notes', { text })
      .then((created) => {
        notes.push(created);
        draw();
        note.value = '';
        fb.say('Note added.');
      })
      .catch((error: unknown) => {
        fb.say('');
        failed(error);
      })
      .finally(() => {
        pending = false;
        form.removeAttribute('aria-busy');
      });
  });

  fb.say('Loading notes…');
  notesSection.setAttribute('aria-busy', 'true');
  call<{ notes: Note[] }>(who, 'GET', '/demo/notes')
    .then((answer) => {
      notes.push(...answer.notes);
      loaded = true;
      draw();
      fb.say('');
    })
    .catch((error: unknown) => {
      fb.say('');
      failed(error);
    })
    .finally(() => notesSection.removeAttribute('aria-busy'));
}

function noteItem(n: Note): HTMLElement {
  const by = n.actor ? `by ${n.actor.username} acting as ${n.user.username}${n.mode ? ` (${modeLabel(n.mode)})` : ''}` : `by ${n.user.username}`;
  return h('li', { class: 'note' }, h('p', { class: 'note-text' }, n.text), h('p', { class: 'meta' }, by, ' · ', time(n.created_at)));
}

page();
