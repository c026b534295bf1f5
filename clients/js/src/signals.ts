/**
 * A Shared Signals receiver (OpenID SSF 1.0, CAEP 1.0) for Node services: actas pushes a signed
 * Security Event Token (RFC 8417) when an impersonation ends; verify it, remember the session,
 * and the middleware refuses that session from the next request on — no online check.
 *
 * The session is the SET's subject (`sub_id`), in actas's complex format
 * `{"format":"complex","session":{"format":"opaque","id":<impersonation id>},...}`; its id is
 * the tokens' `impersonation_id` claim.
 */

import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { base64UrlDecode } from './session.js';

export const SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
export const TOKEN_CLAIMS_CHANGE = 'https://schemas.openid.net/secevent/caep/event-type/token-claims-change';

/** A refused SET, with RFC 8935's error code. */
export class SetError extends Error {
  override readonly name = 'SetError';
  readonly code: 'invalid_request' | 'invalid_key' | 'invalid_issuer' | 'invalid_audience';

  constructor(code: SetError['code'], description: string) {
    super(description);
    this.code = code;
  }
}

export interface SecurityEvent {
  jti: string;
  iat: number;
  eventType: string;
  event: Record<string, unknown>;
  /** The subject's session: the tokens' `impersonation_id`. */
  sessionId: string | null;
  userSub: string | null;
}

/** Where revoked sessions are kept. Several instances of a service need a shared store. */
export interface RevokedSessions {
  revoke(sessionId: string, untilEpochSeconds: number): Promise<void> | void;
  isRevoked(sessionId: string): Promise<boolean> | boolean;
}

/** Revoked sessions in this process's memory. */
export function memoryRevokedSessions(): RevokedSessions {
  const revoked = new Map<string, number>();
  return {
    revoke(sessionId, until) {
      const now = Date.now() / 1000;
      for (const [id, end] of revoked) if (end < now) revoked.delete(id);
      revoked.set(sessionId, until);
    },
    isRevoked(sessionId) {
      return revoked.has(sessionId);
    },
  };
}

export interface SetReceiverOptions {
  /** actas's issuer (its `/.well-known/ssf-configuration` `issuer`). */
  issuer: string;
  /** This receiver's audience, as registered with `actas ssf receiver add --audience`. */
  audience: string;
  /** actas's SET key set (`jwks_uri`, `{api}/ssf/jwks`). */
  jwksUrl: string;
  revokedSessions: RevokedSessions;
  /** Oldest `iat` accepted. Default a week. */
  maxAgeSeconds?: number;
  /** Clock skew allowed on `iat`. Default 60. */
  leewaySeconds?: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface SetReceiver {
  /** Verifies a SET; rejects with a `SetError`. */
  verify(set: string): Promise<SecurityEvent>;
  /**
   * The push endpoint (RFC 8935): verifies the body and records a `session-revoked`. Answers
   * `{status: 202}`, or `{status: 400, body: {err, description}}`, or 503 when the revocation
   * could not be kept (actas tries again).
   */
  receive(body: string): Promise<{ status: 202 | 400 | 503; body?: { err: string; description: string } }>;
}

const REFETCH_MS = 10_000;
const REMEMBER_SECONDS = 2 * 86_400;

export function createSetReceiver(options: SetReceiverOptions): SetReceiver {
  const { issuer, audience, jwksUrl, revokedSessions } = options;
  if (!issuer || !audience || !jwksUrl || !revokedSessions) {
    throw new TypeError('createSetReceiver: issuer, audience, jwksUrl and revokedSessions are required');
  }
  const maxAge = options.maxAgeSeconds ?? 7 * 86_400;
  const leeway = options.leewaySeconds ?? 60;
  const timeoutMs = options.timeoutMs ?? 5000;
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  let keys = new Map<string, KeyObject>();
  let fetchedAt = -Infinity;

  async function keyFor(kid: string): Promise<KeyObject | undefined> {
    const known = keys.get(kid);
    if (known || Date.now() - fetchedAt < REFETCH_MS) return known;
    fetchedAt = Date.now();
    let body: unknown;
    try {
      const response = await fetchImpl(jwksUrl, { signal: AbortSignal.timeout(timeoutMs) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      body = await response.json();
    } catch {
      throw new SetError('invalid_key', "the transmitter's keys are unavailable");
    }
    const list = isObject(body) && Array.isArray(body['keys']) ? body['keys'] : [];
    const next = new Map<string, KeyObject>();
    for (const jwk of list) {
      if (!isObject(jwk) || jwk['kty'] !== 'RSA' || typeof jwk['kid'] !== 'string') continue;
      if (jwk['alg'] !== undefined && jwk['alg'] !== 'RS256') continue;
      try {
        next.set(jwk['kid'], createPublicKey({ key: { kty: 'RSA', n: jwk['n'], e: jwk['e'] }, format: 'jwk' }));
      } catch {
        // unreadable: left out
      }
    }
    keys = next;
    return keys.get(kid);
  }

  async function verify(set: string): Promise<SecurityEvent> {
    const parts = typeof set === 'string' ? set.trim().split('.') : [];
    if (parts.length !== 3 || set.length > 16 * 1024) throw new SetError('invalid_request', 'not a signed SET');
    const [h = '', p = '', s = ''] = parts;
    const header = segment(h);
    if (header['alg'] !== 'RS256') throw new SetError('invalid_key', 'unsupported algorithm');
    if (header['typ'] !== 'secevent+jwt') throw new SetError('invalid_request', 'typ must be secevent+jwt');
    if (header['crit'] !== undefined) throw new SetError('invalid_request', 'unsupported critical header');
    const kid = header['kid'];
    if (typeof kid !== 'string' || !kid) throw new SetError('invalid_key', 'no key id');
    const key = await keyFor(kid);
    if (!key) throw new SetError('invalid_key', 'unknown key');
    let signature: Uint8Array;
    try {
      signature = base64UrlDecode(s);
    } catch {
      throw new SetError('invalid_request', 'not a signed SET');
    }
    if (!cryptoVerify('sha256', new TextEncoder().encode(`${h}.${p}`), key, signature)) {
      throw new SetError('invalid_key', 'bad signature');
    }
    const claims = segment(p);
    if (claims['iss'] !== issuer) throw new SetError('invalid_issuer', 'wrong issuer');
    const aud = claims['aud'];
    if (!(aud === audience || (Array.isArray(aud) && aud.includes(audience)))) {
      throw new SetError('invalid_audience', 'wrong audience');
    }
    const iat = claims['iat'];
    const now = Date.now() / 1000;
    if (typeof iat !== 'number') throw new SetError('invalid_request', 'no iat');
    if (iat > now + leeway) throw new SetError('invalid_request', 'issued in the future');
    if (iat < now - maxAge) throw new SetError('invalid_request', 'too old');
    const jti = claims['jti'];
    if (typeof jti !== 'string' || !jti) throw new SetError('invalid_request', 'no jti');
    if (claims['exp'] !== undefined) throw new SetError('invalid_request', 'a SET has no exp');
    const events = claims['events'];
    const entries = isObject(events) ? Object.entries(events) : [];
    const [only] = entries;
    if (entries.length !== 1 || !only || !isObject(only[1])) {
      throw new SetError('invalid_request', 'exactly one event is expected');
    }
    const [eventType, event] = only;
    const subject = isObject(claims['sub_id']) ? claims['sub_id'] : isObject(event['subject']) ? event['subject'] : {};
    const opaque = (value: unknown): string | null =>
      isObject(value) && value['format'] === 'opaque' && typeof value['id'] === 'string' ? value['id'] : null;
    const complex = subject['format'] === 'complex';
    const sessionId = complex ? opaque(subject['session']) : null;
    const userSub = complex ? opaque(subject['user']) : null;
    if ((eventType === SESSION_REVOKED || eventType === TOKEN_CLAIMS_CHANGE) && !sessionId) {
      throw new SetError('invalid_request', 'the subject names no session');
    }
    return { jti, iat, eventType, event, sessionId, userSub };
  }

  return {
    verify,
    async receive(body) {
      let event: SecurityEvent;
      try {
        event = await verify(body);
      } catch (err) {
        if (err instanceof SetError) return { status: 400, body: { err: err.code, description: err.message } };
        return { status: 400, body: { err: 'invalid_request', description: 'not a SET' } };
      }
      if (event.eventType === SESSION_REVOKED && event.sessionId) {
        try {
          await revokedSessions.revoke(event.sessionId, Math.floor(Date.now() / 1000) + REMEMBER_SECONDS);
        } catch {
          return { status: 503, body: { err: 'temporarily_unavailable', description: 'try again' } };
        }
      }
      return { status: 202 };
    },
  };
}

function segment(part: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(base64UrlDecode(part)));
  } catch {
    throw new SetError('invalid_request', 'not a signed SET');
  }
  if (!isObject(value)) throw new SetError('invalid_request', 'not a signed SET');
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
