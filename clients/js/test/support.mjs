// Shared test helpers: RSA keys, self-signed Cognito-like tokens, small local HTTP servers.
// Not a test file itself (the test script runs test/*.test.mjs only).

import { createHmac, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { createServer } from 'node:http';

export const ISSUER = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_unittest';
export const SIGN_IN_CLIENT = 'signinclient0000000000000';
export const IMPERSONATION_CLIENT = 'impersonationclient000000';
export const REVERT_CLIENT = 'revertclient0000000000000';
export const CLIENT_IDS = [SIGN_IN_CLIENT, IMPERSONATION_CLIENT, REVERT_CLIENT];

export const ADMIN = { sub: '1563a32a-0000-4000-8000-00000000admn', username: 'acme-admin' };
export const USER = { sub: 'a6a23937-0000-4000-8000-00000000user', username: 'acme-support-1' };

/** A fresh RSA key pair with a kid and its public JWK. */
export function makeKey(kid = randomUUID()) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  return { kid, privateKey, publicKey, jwk };
}

export function b64url(value) {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** Signs claims RS256 with `key` (a makeKey result); `header` adds or overrides header fields. */
export function signRs256(claims, key, header = {}) {
  const head = b64url({ alg: 'RS256', kid: key.kid, ...header });
  const body = b64url(claims);
  const signature = sign('sha256', Buffer.from(`${head}.${body}`), key.privateKey).toString('base64url');
  return `${head}.${body}.${signature}`;
}

/** Signs claims HS256 with `secret` (for the alg-confusion attack). */
export function signHs256(claims, secret, header = {}) {
  const head = b64url({ alg: 'HS256', ...header });
  const body = b64url(claims);
  const signature = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${signature}`;
}

const now = () => Math.floor(Date.now() / 1000);

/** Claims of a Cognito id token of `who`, ordinary unless `impersonation` is given. */
export function idClaims(who = USER, { clientId = SIGN_IN_CLIENT, impersonation, ...extra } = {}) {
  return {
    sub: who.sub,
    iss: ISSUER,
    token_use: 'id',
    aud: clientId,
    iat: now(),
    exp: now() + 900,
    jti: randomUUID(), // every token distinct, even within one second
    'cognito:username': who.username,
    'custom:tenant_id': 'acme',
    ...impersonationClaims(impersonation),
    ...extra,
  };
}

/** Claims of a Cognito access token of `who`. */
export function accessClaims(who = USER, { clientId = SIGN_IN_CLIENT, impersonation, scope, ...extra } = {}) {
  const readOnly = impersonation && impersonation.mode !== 'full';
  return {
    sub: who.sub,
    iss: ISSUER,
    token_use: 'access',
    client_id: clientId,
    iat: now(),
    exp: now() + 900,
    jti: randomUUID(),
    username: who.username,
    scope: scope ?? (readOnly ? 'actas/read' : 'actas/read actas/write'),
    ...impersonationClaims(impersonation),
    ...extra,
  };
}

/**
 * `impersonation`: { mode?: 'read_only' | 'full' | undefined (claim left out), actor?, id?, endsAt? }.
 */
function impersonationClaims(impersonation) {
  if (!impersonation) return {};
  const claims = {
    act: impersonation.actor ?? ADMIN,
    impersonation_id: impersonation.id ?? 'imp-0001',
    impersonation_expires_at: impersonation.endsAt ?? now() + 3600,
  };
  if (impersonation.mode !== undefined) claims.impersonation_mode = impersonation.mode;
  return claims;
}

/** Starts a node:http server on 127.0.0.1, port 0. Resolves to { url, server, close }. */
export async function listen(handler) {
  const server = createServer(handler);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** A JWKS server whose key list can be changed; `hits` counts fetches, `status` forces an error. */
export async function jwksServer(keys) {
  const state = { keys: [...keys], hits: 0, status: 200 };
  const srv = await listen((req, res) => {
    state.hits++;
    if (state.status !== 200) {
      res.statusCode = state.status;
      res.end('broken');
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: state.keys.map((k) => k.jwk) }));
  });
  return Object.assign(state, { url: `${srv.url}/us-east-1_unittest/.well-known/jwks.json`, close: srv.close });
}

/** A URL on 127.0.0.1 where nothing listens (a server bound, then closed). */
export async function deadUrl() {
  const srv = await listen(() => {});
  await srv.close();
  return srv.url;
}

/** Reads a request body as text. */
export function readBody(req) {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (text += chunk));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}
