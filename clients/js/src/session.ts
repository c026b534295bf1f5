/**
 * Reading actas sessions in the browser (or anywhere): who is signed in, whether someone is
 * acting as them, and whether the session may make changes.
 *
 * Nothing here verifies a signature. A browser cannot trust its own tokens anyway: the server
 * that receives them must verify them (see `@actas/client/node`). This module is for showing a
 * banner such as "acme-admin is acting as you, read-only, until 14:05" and for hiding buttons a
 * read-only session could not use — never for deciding access.
 */

/** The RFC 8693 actor of an impersonated session: the person really at the keyboard. */
export interface Actor {
  sub: string;
  username: string;
}

/**
 * What an impersonated session may do. `read_only` sessions can look but not change anything;
 * `full` sessions may act as the user completely.
 */
export type ImpersonationMode = 'read_only' | 'full';

/** A session as read from its tokens. */
export interface ActasSession {
  /** The signed-in user's `sub` (for an impersonation: the target's). */
  sub: string;
  /** The signed-in user's Cognito username (for an impersonation: the target's). */
  username: string;
  /** True when someone else is acting as this user. */
  isImpersonating: boolean;
  /** Who is acting, or null for an ordinary session. */
  actor: Actor | null;
  /** The impersonation's id (to stop it, or to look it up), or null for an ordinary session. */
  impersonationId: string | null;
  /** The impersonation's mode, or null for an ordinary session. */
  mode: ImpersonationMode | null;
  /** The impersonation's hard end, or null for an ordinary session. */
  endsAt: Date | null;
  /** When the token expires. */
  expiresAt: Date;
  /**
   * Whether this session may make changes: ordinary sessions and `full` impersonations may,
   * `read_only` impersonations may not.
   */
  mayWrite: boolean;
}

/** Cognito's three tokens, as `ActasClient.signIn` returns them. */
export interface TokenSet {
  idToken?: string;
  accessToken?: string;
  refreshToken?: string;
}

/** The part of an actas session payload (any start or exchange) that this module reads. */
export interface SessionPayloadLike {
  session: { authorization: string; accessToken?: string; refreshToken?: string; expireEpoch?: number };
}

/** Anything `readSession` accepts: a JWT (optionally `Bearer ...`), a token set or a session payload. */
export type SessionInput = string | TokenSet | SessionPayloadLike;

/** A JWT's claims, as decoded. */
export type Claims = Record<string, unknown>;

/**
 * Decodes a JWT's payload WITHOUT verifying it. For display only: anyone can write a token
 * that decodes to anything. Servers verify with `createVerifier` from `@actas/client/node`.
 *
 * Throws a TypeError for something that is not a JWT. The message never contains the token.
 */
export function decodeClaims(jwt: string): Claims {
  const parts = stripBearer(jwt).split('.');
  if (parts.length !== 3 || !parts[1]) {
    throw new TypeError('not a JWT: expected three dot-separated parts');
  }
  let claims: unknown;
  try {
    claims = JSON.parse(new TextDecoder().decode(base64UrlDecode(parts[1])));
  } catch {
    throw new TypeError('not a JWT: the payload is not base64url-encoded JSON');
  }
  if (!isObject(claims)) {
    throw new TypeError('not a JWT: the payload is not a JSON object');
  }
  return claims;
}

/**
 * Reads a session from its id token (or access token), a token set, or an actas session
 * payload, WITHOUT verifying it (see `decodeClaims`).
 *
 * The mode is read from the token's `impersonation_mode` claim, because the token is what
 * services enforce. An impersonated token whose mode is missing or unknown reads as
 * `read_only`: a session is never shown as able to write when a service would refuse it.
 */
export function readSession(input: SessionInput): ActasSession {
  return sessionFromClaims(decodeClaims(pickToken(input)));
}

/** Builds a session from claims, decoded (`readSession`) or verified (`createVerifier`). */
export function sessionFromClaims(claims: Claims): ActasSession {
  const sub = claims['sub'];
  const exp = claims['exp'];
  if (typeof sub !== 'string' || sub === '') {
    throw new TypeError('token has no sub');
  }
  if (typeof exp !== 'number' || !Number.isFinite(exp)) {
    throw new TypeError('token has no exp');
  }
  const username = stringClaim(claims, 'cognito:username') ?? stringClaim(claims, 'username') ?? sub;
  const act = claims['act'];
  const impersonationId = stringClaim(claims, 'impersonation_id');
  // Either claim marks an impersonation: a token carrying only one of them is still one, and
  // treating it as ordinary would let it write.
  const isImpersonating = act !== undefined || impersonationId !== null;
  const actor =
    isObject(act) && typeof act['sub'] === 'string' && typeof act['username'] === 'string'
      ? { sub: act['sub'], username: act['username'] }
      : null;
  const rawMode = claims['impersonation_mode'];
  const mode: ImpersonationMode | null = !isImpersonating
    ? null
    : rawMode === 'full'
      ? 'full'
      : 'read_only';
  const hardEnd = claims['impersonation_expires_at'];
  return {
    sub,
    username,
    isImpersonating,
    actor,
    impersonationId,
    mode,
    endsAt: isImpersonating && typeof hardEnd === 'number' ? new Date(hardEnd * 1000) : null,
    expiresAt: new Date(exp * 1000),
    mayWrite: !isImpersonating || mode === 'full',
  };
}

/** Whether someone else is acting as the user of this session. */
export function isImpersonating(s: ActasSession | SessionInput): boolean {
  return toSession(s).isImpersonating;
}

/** Who is acting as the user, or null for an ordinary session. */
export function actor(s: ActasSession | SessionInput): Actor | null {
  return toSession(s).actor;
}

/** The impersonation's mode (`read_only` when the token names none), or null for an ordinary session. */
export function mode(s: ActasSession | SessionInput): ImpersonationMode | null {
  return toSession(s).mode;
}

/** The impersonation's hard end, or null for an ordinary session. */
export function endsAt(s: ActasSession | SessionInput): Date | null {
  return toSession(s).endsAt;
}

/** Whether the session may make changes (false for read-only impersonations). */
export function mayWrite(s: ActasSession | SessionInput): boolean {
  return toSession(s).mayWrite;
}

function toSession(s: ActasSession | SessionInput): ActasSession {
  return typeof s === 'object' && 'mayWrite' in s ? s : readSession(s);
}

function pickToken(input: SessionInput): string {
  if (typeof input === 'string') return input;
  if (isObject(input)) {
    const session = input['session'];
    if (isObject(session) && typeof session['authorization'] === 'string') return session['authorization'];
    if (typeof input['idToken'] === 'string') return input['idToken'];
    if (typeof input['accessToken'] === 'string') return input['accessToken'];
  }
  throw new TypeError('expected a JWT, {idToken, accessToken, refreshToken} or an actas session payload');
}

/** Removes an optional `Bearer ` prefix (any case) and surrounding spaces. */
export function stripBearer(value: string): string {
  const trimmed = value.trim();
  return /^bearer\s/i.test(trimmed) ? trimmed.slice(7).trim() : trimmed;
}

/** Decodes unpadded base64url (RFC 7515), strictly: anything outside its alphabet throws. */
export function base64UrlDecode(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
    throw new TypeError('not base64url');
  }
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function stringClaim(claims: Claims, name: string): string | null {
  const value = claims[name];
  return typeof value === 'string' && value !== '' ? value : null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
