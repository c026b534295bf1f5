/**
 * `@actas/client/node`: what a Node service behind actas needs to trust a Cognito token and to
 * honour read-only impersonations.
 *
 * - `createVerifier` checks a token's RS256 signature against the pool's JWKS and its claims.
 * - `createRevocationCheck` asks actas whether the token is still good (a stopped impersonation
 *   is refused at once, long before its tokens expire).
 * - `actasMiddleware` does both for every request and refuses writes from read-only sessions.
 *
 * Every refusal fails closed: anything that cannot be checked is refused, never let through.
 * Messages never contain a token.
 */

import { createHash, createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import type { TokenStatus } from './client.js';
import { base64UrlDecode, sessionFromClaims, stripBearer } from './session.js';
import type { ActasSession, Claims } from './session.js';

import type { RevokedSessions } from './signals.js';

export type { ActasSession, Actor, Claims, ImpersonationMode } from './session.js';
export {
  SESSION_REVOKED,
  TOKEN_CLAIMS_CHANGE,
  SetError,
  createSetReceiver,
  memoryRevokedSessions,
} from './signals.js';
export type { RevokedSessions, SecurityEvent, SetReceiver, SetReceiverOptions } from './signals.js';
export type { ImpersonationView, TokenStatus } from './client.js';

/** The refusal text for a write from a read-only impersonation. */
export const READ_ONLY_MESSAGE = 'read-only impersonation: this session cannot make changes';

/**
 * A refusal with the HTTP status a service should answer: 401 for a bad, expired or revoked
 * token, 403 for a write from a read-only session, 502 when actas or the JWKS cannot be reached.
 */
export class ActasAuthError extends Error {
  override readonly name = 'ActasAuthError';
  readonly status: 401 | 403 | 502;

  constructor(status: 401 | 403 | 502, message: string) {
    super(message);
    this.status = status;
  }
}

/** A session whose token was verified, with what the token grants. */
export interface VerifiedSession extends ActasSession {
  tokenUse: 'id' | 'access';
  /** The access token's scopes (`actas/read`, `actas/write`, ...); empty for an id token. */
  scopes: string[];
  /** The app client the token was issued to. */
  clientId: string;
  /** Every claim of the verified token (groups, tenant, ...), for the service's own rules. */
  claims: Claims;
}

export interface VerifierOptions {
  /** The pool's JWKS, e.g. `https://cognito-idp.{region}.amazonaws.com/{poolId}/.well-known/jwks.json`. */
  jwksUrl: string;
  /** The exact `iss`, e.g. `https://cognito-idp.{region}.amazonaws.com/{poolId}`. */
  issuer: string;
  /** The app clients whose tokens are accepted (actas's sign-in, impersonation and revert clients). */
  clientIds: string[];
  /** Clock skew allowed on `exp`, `nbf` and the impersonation's end. Default 5. */
  leewaySeconds?: number;
  /** A token naming an unknown key refetches the JWKS at most this often. Default 30. */
  refetchIntervalSeconds?: number;
  /** How long to wait for the JWKS. Default 5000. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface Verifier {
  /** Resolves to the session, or rejects with an `ActasAuthError` (401, or 502 without the JWKS). */
  verify(tokenOrAuthorizationHeader: string): Promise<VerifiedSession>;
}

/**
 * A verifier of Cognito id and access tokens: RS256 only (so `none` and HS256 signed with the
 * public key are refused before any key is touched), the JWKS cached by `kid`, then issuer,
 * expiry, `token_use` and app client.
 *
 * The JWKS is fetched on first use and again only when a token names a key not in the cache,
 * at most once per `refetchIntervalSeconds`, so tokens with made-up `kid`s cannot turn every
 * request into a JWKS fetch. A refetch replaces the whole set, so a withdrawn key stops working.
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const { jwksUrl, issuer, clientIds } = options;
  if (!jwksUrl || !issuer || !Array.isArray(clientIds) || clientIds.length === 0) {
    throw new TypeError('createVerifier: jwksUrl, issuer and at least one client id are required');
  }
  const leeway = options.leewaySeconds ?? 5;
  const refetchMs = (options.refetchIntervalSeconds ?? 30) * 1000;
  const timeoutMs = options.timeoutMs ?? 5000;
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  const accepted = new Set(clientIds);

  let keys = new Map<string, KeyObject>();
  let fetchedAt = -Infinity;
  let inFlight: Promise<void> | null = null;

  async function loadKeys(): Promise<void> {
    let body: unknown;
    try {
      const response = await fetchImpl(jwksUrl, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      body = await response.json();
    } catch {
      throw new ActasAuthError(502, 'could not fetch the signing keys (JWKS)');
    }
    const list = isObject(body) ? body['keys'] : undefined;
    if (!Array.isArray(list)) throw new ActasAuthError(502, 'the JWKS has no keys');
    const next = new Map<string, KeyObject>();
    for (const jwk of list) {
      if (!isObject(jwk) || jwk['kty'] !== 'RSA' || typeof jwk['kid'] !== 'string') continue;
      if (jwk['use'] !== undefined && jwk['use'] !== 'sig') continue;
      if (jwk['alg'] !== undefined && jwk['alg'] !== 'RS256') continue;
      try {
        next.set(jwk['kid'], createPublicKey({ key: { kty: 'RSA', n: jwk['n'], e: jwk['e'] }, format: 'jwk' }));
      } catch {
        // A key Node cannot read cannot verify anything: leave it out.
      }
    }
    keys = next;
    fetchedAt = Date.now();
  }

  async function keyFor(kid: string): Promise<KeyObject | undefined> {
    const known = keys.get(kid);
    if (known) return known;
    if (Date.now() - fetchedAt < refetchMs) return undefined;
    // Concurrent requests share one fetch. A failed fetch does not count as one, so the next
    // request tries again rather than being locked out for the whole interval.
    inFlight ??= loadKeys().finally(() => {
      inFlight = null;
    });
    await inFlight;
    return keys.get(kid);
  }

  return {
    async verify(tokenOrAuthorizationHeader: string): Promise<VerifiedSession> {
      const token = typeof tokenOrAuthorizationHeader === 'string' ? stripBearer(tokenOrAuthorizationHeader) : '';
      if (!token) throw new ActasAuthError(401, 'missing token');
      const parts = token.split('.');
      if (parts.length !== 3) throw new ActasAuthError(401, 'malformed token');
      const [encodedHeader = '', encodedClaims = '', encodedSignature = ''] = parts;

      const header = parseSegment(encodedHeader);
      if (header['alg'] !== 'RS256') throw new ActasAuthError(401, 'token algorithm not accepted (RS256 only)');
      if (header['crit'] !== undefined) throw new ActasAuthError(401, 'token has critical header parameters');
      const kid = header['kid'];
      if (typeof kid !== 'string' || kid === '') throw new ActasAuthError(401, 'token names no signing key');

      let signature: Uint8Array;
      try {
        signature = base64UrlDecode(encodedSignature);
      } catch {
        throw new ActasAuthError(401, 'malformed token');
      }
      if (signature.length === 0) throw new ActasAuthError(401, 'token is not signed');

      const key = await keyFor(kid);
      if (!key) throw new ActasAuthError(401, 'token signed by an unknown key');
      const signed = new TextEncoder().encode(`${encodedHeader}.${encodedClaims}`);
      if (!cryptoVerify('sha256', signed, key, signature)) throw new ActasAuthError(401, 'bad token signature');

      // Only now, with the signature good, are the claims worth reading.
      const claims = parseSegment(encodedClaims);
      if (claims['iss'] !== issuer) throw new ActasAuthError(401, 'token from another issuer');
      const tokenUse = claims['token_use'];
      if (tokenUse !== 'id' && tokenUse !== 'access') throw new ActasAuthError(401, 'not an id or access token');
      const clientId = tokenUse === 'id' ? claims['aud'] : claims['client_id'];
      if (typeof clientId !== 'string' || !accepted.has(clientId)) {
        throw new ActasAuthError(401, 'token issued to an app client that is not accepted');
      }
      const now = Date.now() / 1000;
      const exp = claims['exp'];
      if (typeof exp !== 'number' || now >= exp + leeway) throw new ActasAuthError(401, 'token expired');
      const nbf = claims['nbf'];
      if (nbf !== undefined && (typeof nbf !== 'number' || now + leeway < nbf)) {
        throw new ActasAuthError(401, 'token not valid yet');
      }
      // Tokens should never outlive their impersonation's hard end; refuse them if one does.
      const hardEnd = claims['impersonation_expires_at'];
      if (typeof hardEnd === 'number' && now >= hardEnd + leeway) {
        throw new ActasAuthError(401, 'the impersonation is over');
      }

      let session: ActasSession;
      try {
        session = sessionFromClaims(claims);
      } catch {
        throw new ActasAuthError(401, 'token has no subject or expiry');
      }
      const scope = claims['scope'];
      return {
        ...session,
        tokenUse,
        scopes: typeof scope === 'string' ? scope.split(/\s+/).filter(Boolean) : [],
        clientId,
        claims,
      };
    },
  };
}

export interface RevocationOptions {
  /** actas's API base URL (the check is `GET {apiUrl}/auth/token`). */
  apiUrl: string;
  /**
   * How long a positive answer is reused. Default 0: every request asks, so a stopped
   * impersonation is refused at once. A cache delays revocation by up to this long.
   */
  cacheMs?: number;
  /** How long to wait for actas. Default 5000. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface RevocationCheck {
  /**
   * Resolves with actas's answer only when the token is valid now; rejects with an
   * `ActasAuthError`: 401 when actas refuses the token or says `valid: false` (stopped, reverted
   * or expired), 502 when actas cannot be reached or answers otherwise.
   */
  check(tokenOrAuthorizationHeader: string): Promise<TokenStatus>;
}

const MAX_CACHED = 10_000;

/** The online check: asks actas whether a token (and its impersonation) is still live. */
export function createRevocationCheck(options: RevocationOptions): RevocationCheck {
  if (!options.apiUrl) throw new TypeError('createRevocationCheck: apiUrl is required');
  const url = `${options.apiUrl.replace(/\/+$/, '')}/auth/token`;
  const cacheMs = options.cacheMs ?? 0;
  const timeoutMs = options.timeoutMs ?? 5000;
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  // Keyed by the token's SHA-256, so the cache holds no tokens.
  const cache = new Map<string, { until: number; status: TokenStatus }>();

  return {
    async check(tokenOrAuthorizationHeader: string): Promise<TokenStatus> {
      const token = typeof tokenOrAuthorizationHeader === 'string' ? stripBearer(tokenOrAuthorizationHeader) : '';
      if (!token) throw new ActasAuthError(401, 'missing token');
      const key = cacheMs > 0 ? createHash('sha256').update(token).digest('hex') : '';
      if (cacheMs > 0) {
        const hit = cache.get(key);
        if (hit && hit.until > Date.now()) return hit.status;
      }

      let response: Response;
      let body: unknown;
      try {
        response = await fetchImpl(url, {
          headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
          signal: AbortSignal.timeout(timeoutMs),
        });
        body = await response.json().catch(() => undefined);
      } catch {
        throw new ActasAuthError(502, 'could not reach actas to check the token');
      }
      const fields = isObject(body) ? body : {};
      if (response.status === 401) {
        const message = fields['message'];
        throw new ActasAuthError(401, typeof message === 'string' && message ? message : 'actas refused the token');
      }
      if (!response.ok || typeof fields['valid'] !== 'boolean') {
        throw new ActasAuthError(502, `actas could not check the token (HTTP ${response.status})`);
      }
      if (fields['valid'] !== true) {
        throw new ActasAuthError(401, 'token no longer valid: its impersonation has ended');
      }
      const status = body as TokenStatus;
      if (cacheMs > 0) {
        const now = Date.now();
        if (cache.size >= MAX_CACHED) {
          for (const [k, v] of cache) if (v.until <= now) cache.delete(k);
          if (cache.size >= MAX_CACHED) cache.clear();
        }
        cache.set(key, { until: now + cacheMs, status });
      }
      return status;
    },
  };
}

/** The parts of a request the middleware reads (a `node:http` IncomingMessage or Express request). */
export interface ActasRequest {
  method?: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  /** Set by the middleware when it lets the request through. */
  actas?: VerifiedSession;
}

/** The parts of a response the middleware writes (a `node:http` ServerResponse or Express response). */
export interface ActasResponse {
  statusCode: number;
  headersSent?: boolean;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
}

export interface MiddlewareOptions {
  /** A verifier, or the options to make one. */
  verifier: Verifier | VerifierOptions;
  /**
   * The methods that count as writes. Default: every method but GET, HEAD, OPTIONS and TRACE,
   * so an unusual method (PROPFIND, a custom verb) is refused rather than missed.
   */
  writeMethods?: string[];
  /** Also ask actas for every request whether the token is still live (a check, or its options). */
  revocation?: RevocationCheck | RevocationOptions;
  /**
   * Sessions revoked by Shared Signals SETs (see `createSetReceiver`): refused offline from the
   * next request on. A store that fails refuses.
   */
  revokedSessions?: RevokedSessions;
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** Whether a request method is a write: in `writeMethods` if given, else anything but a safe method. */
export function isWriteMethod(method: string, writeMethods?: string[]): boolean {
  const m = method.toUpperCase();
  return writeMethods ? writeMethods.some((w) => w.toUpperCase() === m) : !READ_METHODS.has(m);
}

/**
 * Express-style middleware `(req, res, next)` that also works on a plain `node:http` server
 * (it uses only `statusCode`, `setHeader` and `end`). It reads `Authorization`, verifies the
 * token, optionally checks revocation, and refuses writes from read-only impersonations. On
 * success it sets `req.actas` and calls `next()`; otherwise it answers
 * `{"status":"error","message"}` with 401 (bad, missing, expired or revoked token), 403
 * (read-only write) or 502 (actas or the JWKS unreachable), and does not call `next`.
 */
export function actasMiddleware(
  options: MiddlewareOptions,
): (req: ActasRequest, res: ActasResponse, next: (err?: unknown) => void) => Promise<void> {
  const verifier = isVerifier(options.verifier) ? options.verifier : createVerifier(options.verifier);
  const revocation =
    options.revocation === undefined
      ? undefined
      : isRevocationCheck(options.revocation)
        ? options.revocation
        : createRevocationCheck(options.revocation);
  const writeMethods = options.writeMethods;
  const revokedSessions = options.revokedSessions;

  return async function actas(req, res, next) {
    let session: VerifiedSession;
    try {
      const header = req.headers['authorization'];
      if (typeof header !== 'string' || header.trim() === '') {
        throw new ActasAuthError(401, 'missing Authorization header');
      }
      session = await verifier.verify(header);
      if (revokedSessions && session.impersonationId) {
        let revoked: boolean;
        try {
          revoked = await revokedSessions.isRevoked(session.impersonationId);
        } catch {
          throw new ActasAuthError(502, 'could not check the revoked sessions');
        }
        if (revoked) throw new ActasAuthError(401, 'token revoked: the session has ended');
      }
      if (revocation) await revocation.check(header);
    } catch (err) {
      if (err instanceof ActasAuthError) return refuse(res, err.status, err.message);
      return refuse(res, 500, 'could not check the token');
    }
    // A missing method reads as a write: fail closed.
    if (!session.mayWrite && isWriteMethod(req.method ?? '', writeMethods)) {
      return refuse(res, 403, READ_ONLY_MESSAGE);
    }
    req.actas = session;
    next();
  };
}

function refuse(res: ActasResponse, status: number, message: string): void {
  if (res.headersSent) return;
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.setHeader('cache-control', 'no-store');
  if (status === 401) res.setHeader('www-authenticate', 'Bearer');
  res.end(JSON.stringify({ status: 'error', message }));
}

function parseSegment(segment: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(base64UrlDecode(segment)));
  } catch {
    throw new ActasAuthError(401, 'malformed token');
  }
  if (!isObject(value)) throw new ActasAuthError(401, 'malformed token');
  return value;
}

function isVerifier(value: Verifier | VerifierOptions): value is Verifier {
  return typeof (value as Partial<Verifier>).verify === 'function';
}

function isRevocationCheck(value: RevocationCheck | RevocationOptions): value is RevocationCheck {
  return typeof (value as Partial<RevocationCheck>).check === 'function';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
