/**
 * A small client for the actas API and Cognito's password sign-in, on the global `fetch`
 * (browsers and Node 20+). Routes and payloads are those of actas's docs/openapi.yaml.
 */

import type { ImpersonationMode, TokenSet } from './session.js';
import { stripBearer } from './session.js';

/**
 * Thrown for every answer that is not a 2xx, and when the server cannot be reached (status 0).
 * `message` is the server's own `message` when it sent one (actas's `{"status":"error","message"}`
 * or Cognito's error), otherwise a readable line naming the HTTP status.
 */
export class ActasApiError extends Error {
  override readonly name = 'ActasApiError';
  /** The HTTP status, or 0 when there was no answer (network error, timeout). */
  readonly status: number;
  /** The client method that failed, e.g. `impersonate`. */
  readonly operation: string;
  /** Cognito's error name (`__type`, e.g. `NotAuthorizedException`) when there is one. */
  readonly code: string | undefined;
  /** actas's machine-readable reason when it gave one: `step_up_required` (see `isStepUpRequired`). */
  readonly reason: string | undefined;
  /** With `step_up_required`: how recent (seconds) a sign-in must be. */
  readonly maxAgeSeconds: number | undefined;

  constructor(
    status: number,
    operation: string,
    message: string,
    code?: string,
    options?: { cause?: unknown; reason?: string; maxAgeSeconds?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.operation = operation;
    this.code = code;
    this.reason = options?.reason;
    this.maxAgeSeconds = options?.maxAgeSeconds;
  }
}

/**
 * Whether an error is actas's step-up refusal (401, `reason: step_up_required`): the caller's
 * sign-in is older than the tenant allows for this (a full or break-glass start, an approval).
 * Sign in again and repeat the call with the new token; `maxAgeSeconds` says how recent it must be.
 */
export function isStepUpRequired(error: unknown): error is ActasApiError & { maxAgeSeconds: number } {
  return error instanceof ActasApiError && error.status === 401 && error.reason === 'step_up_required';
}

/** Who impersonated whom. */
export interface Person {
  sub: string;
  username: string;
}

/** An actas session payload: what every start and exchange returns (seed 001's and 000's fields). */
export interface SessionPayload {
  /** Where the session refreshes (Cognito's protocol): actas's `/auth/cognito` for impersonations. */
  endpointUrl: string;
  clientId: string;
  userPoolId: string;
  username: string;
  session: {
    /** The id token. */
    authorization: string;
    accessToken: string;
    refreshToken: string;
    /** When the tokens expire, epoch milliseconds. */
    expireEpoch: number;
  };
  /** The id token again (seed 000's bearer token). */
  token: string;
  role: 'User' | 'Team Admin' | 'Operator' | 'Admin' | 'Super Admin';
  timezone: string;
  provider: string;
  /** Ends the impersonation once (`revert`); null on an impersonator's own session. */
  impersonator_revert_token: string | null;
  created_at: string;
  updated_at: string;
  impersonation?: {
    id: string;
    actor: Person;
    reason: string | null;
    ticket: string | null;
    expires_at: string;
    /** Absent from deployments older than read-only mode; read the token's mode (`readSession`). */
    mode?: ImpersonationMode;
    /** How long the session may go unused (not refreshed) before it is over; 0 for none. Absent
     * from deployments older than idle timeouts. */
    idle_seconds?: number;
    /** When the session is over unless it is refreshed before (each refresh moves it on); null
     * for none. Absent from deployments older than idle timeouts. */
    idle_ends_at?: string | null;
  };
}

/** One impersonation, as the lifecycle routes show it. */
export interface ImpersonationView {
  id: string;
  actor: Person;
  target: Person;
  tenant: string | null;
  reason: string | null;
  ticket: string | null;
  status: 'pending' | 'active' | 'ended' | 'failed';
  active: boolean;
  started_at: string;
  ends_at: string;
  ended_at: string | null;
  /** When its session is over unless it is refreshed before; null without an idle timeout.
   * Absent from deployments older than idle timeouts. */
  idle_ends_at?: string | null;
  /** Absent from deployments older than read-only mode. */
  mode?: ImpersonationMode;
}

/** `GET /auth/token`: whether a token is still good, and its impersonation. */
export interface TokenStatus {
  /** False once the token's impersonation is stopped, reverted or over, or its session went idle. */
  valid: boolean;
  sub: string;
  username: string;
  token_use: 'id' | 'access';
  client_id: string;
  expires_at: string;
  impersonation: ImpersonationView | null;
}

export interface StopResult {
  status: 'ended';
  impersonation: ImpersonationView;
}

export interface ImpersonationList {
  impersonations: ImpersonationView[];
  next_token: string | null;
  page_size: number;
}

export interface Profile {
  Id: string;
  Username: string;
  FullName: string;
  Email: string | null;
  TeamId: string | null;
  TenantId: string | null;
  Role: 'User' | 'Team Admin' | 'Operator' | 'Admin' | 'Super Admin';
  IsCurrent: boolean;
  CanImpersonate: boolean;
}

export interface ProfilesPage {
  Profiles: Profile[];
  NextToken: string | null;
  PageSize: number;
}

/** `GET /auth/me`: the signed-in user, their role and what they may start. */
export interface Me {
  sub: string;
  username: string;
  role: 'user' | 'team-admin' | 'operator' | 'admin' | 'super-admin';
  /** The role for people: `User`, `Team Admin`, `Operator`, `Admin`, `Super Admin`. */
  role_name: string;
  tenant: string | null;
  team: string | null;
  /** The token is itself an impersonated session's (which may start nothing). */
  impersonated: boolean;
  /** Whether the user may start impersonations at all. */
  may_act_as: boolean;
  /** The modes the user may start (empty when they may not act as anyone). */
  modes: ImpersonationMode[];
  default_mode: ImpersonationMode;
}

/** What the audit trail records. */
export type AuditEventName =
  | 'started'
  | 'token_issued'
  | 'exchanged'
  | 'reverted'
  | 'stopped'
  | 'expired'
  | 'denied'
  | 'settings_changed'
  | 'approval_requested'
  | 'approval_approved'
  | 'approval_denied'
  | 'consent_given'
  | 'consent_declined'
  | 'protection_changed';

/** An audit filter: one event, or `starts` for every start whatever dialect made it
 * (`started` and `exchanged`). */
export type AuditEventFilter = AuditEventName | 'starts';

/** Someone an audit record names; a refusal may know only one of the two. */
export interface RecordedPerson {
  sub: string | null;
  username: string | null;
}

/** One record of `GET /auth/audit`. */
export interface AuditRecord {
  id: string;
  /** RFC 3339. */
  at: string;
  event: AuditEventName;
  outcome: 'success' | 'denied' | 'failed';
  /** How many refusals the record counts (anonymous refusals are counted per source and minute). */
  count: number;
  /** Why a refusal or failure happened. */
  cause: string | null;
  actor: RecordedPerson | null;
  target: RecordedPerson | null;
  tenant: string | null;
  reason: string | null;
  ticket: string | null;
  mode: ImpersonationMode | null;
  impersonation_id: string | null;
}

export interface AuditPage {
  records: AuditRecord[];
  next_token: string | null;
  page_size: number;
}

export interface AuditQuery {
  /** A username or sub. */
  actor?: string;
  /** `me`, a username or a sub. */
  target?: string;
  event?: AuditEventFilter;
  /** RFC 3339, epoch milliseconds, or a Date; inclusive. */
  since?: string | number | Date;
  /** RFC 3339, epoch milliseconds, or a Date; exclusive. */
  until?: string | number | Date;
  nextToken?: string;
}

/** A role, as the governance settings name it. */
export type RoleSlug = 'user' | 'team-admin' | 'operator' | 'admin' | 'super-admin';

/** `GET /auth/settings`: a tenant's impersonation governance. */
export interface Settings {
  tenant: string;
  approval: {
    /** Every start needs approval. */
    always: boolean;
    /** Full-mode starts need approval. */
    full_mode: boolean;
    /** Starts on protected accounts need approval (when `protected_accounts` is `approval`). */
    protected_accounts: boolean;
    /** Starts on targets of these roles need approval. */
    target_roles: Array<Exclude<RoleSlug, 'super-admin'>>;
  };
  /** Whose consent a start needs: nobody's, the target's for full mode, the target's always. */
  consent: 'never' | 'full' | 'always';
  /** The target gets an email on start and on end. */
  notify_target: boolean;
  /** A start on a protected account needs approval, or is refused (403). */
  protected_accounts: 'approval' | 'refuse';
  /** 300 ..= the deployment's ImpersonationMaxSeconds. */
  max_duration_seconds: number;
  /** How long an impersonated session may go unused (not refreshed) before it is over: the token
   * horizon (mint window plus token validity) ..= the deployment's ImpersonationIdleSeconds. */
  idle_seconds: number;
  /** A subset of the deployment's FullModeRoles. */
  full_mode_roles: RoleSlug[];
  /** Step-up: how recent the actor's sign-in must be to start (full, break-glass; read-only
   * unless left out) and to approve; 0 is off. */
  step_up: { max_age_seconds: number; read_only_starts: boolean };
  /** RFC 3339, or null before the first change. */
  updated_at: string | null;
  /** Who changed them last (a person, or their username), or null. */
  updated_by: Person | string | null;
}

/** What `PUT /auth/settings` takes: any of the settable keys; the keys given replace theirs. */
export type SettingsChanges = Partial<Omit<Settings, 'tenant' | 'updated_at' | 'updated_by'>>;

/** `pending` (waiting), `approved` (the next matching start redeems it, once), `denied`, `expired`, `used`. */
export type RequestStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'used';

/** A start that needs approval and/or the target's consent. */
export interface ImpersonationRequest {
  id: string;
  status: RequestStatus;
  approval: 'pending' | 'approved' | 'denied' | 'not_required';
  consent: 'pending' | 'given' | 'declined' | 'not_required';
  requester: Person;
  target: Person;
  tenant: string | null;
  mode: ImpersonationMode;
  reason: string | null;
  ticket: string | null;
  /** RFC 3339. */
  created_at: string;
  /** RFC 3339: when the request lapses (15 minutes by default). */
  expires_at: string;
  /** Who approved or denied it (a person, or their username), or null. */
  decided_by: Person | string | null;
  /** The decider's comment, or null. */
  comment: string | null;
  /** The approver's terms: the mode the session gets when they narrowed it (`read_only`), or null. */
  approved_mode: ImpersonationMode | null;
  /** The approver's terms: the longest the session may last when they shortened it, or null. */
  approved_duration_seconds: number | null;
}

/** What an approver may set: a shorter session, and `read_only` for a `full` request; never more (400). */
export interface ApprovalTerms {
  duration_seconds?: number;
  mode?: ImpersonationMode;
}

/**
 * A start answered 202: it needs approval and/or consent first, and no session was made. The
 * same start (target, mode, reason, ticket) asked again once the request is `approved` redeems it.
 */
export interface PendingStart {
  pending: true;
  request: ImpersonationRequest;
}

/** Whether a start's answer is a pending request rather than a session or token. */
export function isPending(value: unknown): value is PendingStart {
  return typeof value === 'object' && value !== null && (value as { pending?: unknown }).pending === true &&
    typeof (value as { request?: unknown }).request === 'object';
}

export interface RequestList {
  requests: ImpersonationRequest[];
}

export interface RequestQuery {
  /** The caller's own requests (as requester). */
  mine?: boolean;
  /** `me`: requests about the caller (for their consent). */
  target?: string;
}

/** `GET /auth/users/{id}/protection`: whether starts on the account need approval (or are refused). */
export interface Protection {
  sub: string;
  username: string;
  protected: boolean;
}

/** Where and how `refresh` asks: by default the user pool's sign-in client at Cognito. */
export interface RefreshOptions {
  /**
   * Cognito's protocol endpoint: an actas session payload's `endpointUrl` for an impersonated
   * session (its refresh token works only there), Cognito's for an ordinary one (the default).
   */
  endpointUrl?: string;
  /** The app client: the payload's `clientId`; defaults to `signInClientId`. */
  clientId?: string;
}

/** Cognito's answer to a password sign-in. */
export interface SignInResult extends TokenSet {
  idToken: string;
  accessToken: string;
  refreshToken: string;
  /** Seconds the id and access tokens live. */
  expiresIn: number;
}

/** Why and how: every start takes these (the reason may be required by the deployment). */
export interface StartOptions {
  /** `read_only` (the usual default) or `full`; a role not allowed `full` gets 403. */
  mode?: ImpersonationMode;
  reason?: string;
  ticket?: string;
}

/** Seeds 000 and 001: name the target by `username` (with the tenant's `apiKey`) or by `uuid`. */
export interface ImpersonateOptions extends StartOptions {
  username?: string;
  uuid?: string;
  apiKey?: string;
}

export interface ListQuery {
  active?: boolean;
  actor?: string;
  /** `me`, a username or a sub. */
  target?: string;
  /** RFC 3339, epoch milliseconds, or a Date. */
  since?: string | number | Date;
  nextToken?: string;
}

export interface ActasClientOptions {
  /** The API's base URL, e.g. `https://<api>.execute-api.<region>.amazonaws.com/v1`. */
  apiUrl: string;
  /** Cognito's endpoint for `signIn`; defaults to `https://cognito-idp.{region}.amazonaws.com/`. */
  cognitoEndpoint?: string;
  region?: string;
  /** The user pool's sign-in app client (no secret), for `signIn`. */
  signInClientId?: string;
  /** A fetch to use instead of the global one. */
  fetch?: typeof fetch;
}

type Query = Record<string, string | undefined>;

interface Answer {
  status: number;
  json: unknown;
}

interface Call {
  op: string;
  method: string;
  path: string;
  token?: string;
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * The actas API. Methods that act for someone take that person's token (id or access, with or
 * without `Bearer `) as their last argument, so one client can serve many users.
 *
 * Error messages name the operation and the server's message, never a URL (a seed 002 exchange
 * URL holds its token) and never a token.
 */
export class ActasClient {
  private readonly apiUrl: string;
  private readonly cognitoEndpoint: string | undefined;
  private readonly signInClientId: string | undefined;
  private readonly fetchImpl: typeof fetch;

  constructor(options: ActasClientOptions) {
    if (!options.apiUrl) throw new TypeError('ActasClient: apiUrl is required');
    this.apiUrl = options.apiUrl.replace(/\/+$/, '');
    this.cognitoEndpoint =
      options.cognitoEndpoint ??
      (options.region ? `https://cognito-idp.${options.region}.amazonaws.com/` : undefined);
    this.signInClientId = options.signInClientId;
    // Bound late so a test or polyfill can replace the global after construction.
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /** Cognito `InitiateAuth` with `USER_PASSWORD_AUTH` on the sign-in client. */
  async signIn(username: string, password: string): Promise<SignInResult> {
    if (!this.cognitoEndpoint || !this.signInClientId) {
      throw new TypeError('ActasClient: signIn needs signInClientId and cognitoEndpoint or region');
    }
    return this.initiateAuth('signIn', this.cognitoEndpoint, this.signInClientId, 'USER_PASSWORD_AUTH', {
      USERNAME: username,
      PASSWORD: password,
    });
  }

  /**
   * Cognito `InitiateAuth` with `REFRESH_TOKEN_AUTH`: fresh id and access tokens. An ordinary
   * session refreshes at Cognito on the sign-in client (the default); an impersonated one at its
   * payload's `endpointUrl` with its `clientId`, and only while the impersonation lives. Cognito
   * does not rotate refresh tokens here: `refreshToken` is the one given, unless a new one came.
   */
  async refresh(refreshToken: string, options: RefreshOptions = {}): Promise<SignInResult> {
    const endpoint = options.endpointUrl ?? this.cognitoEndpoint;
    const clientId = options.clientId ?? this.signInClientId;
    if (!endpoint || !clientId) {
      throw new TypeError('ActasClient: refresh needs an endpoint and a client id');
    }
    const result = await this.initiateAuth('refresh', endpoint, clientId, 'REFRESH_TOKEN_AUTH', {
      REFRESH_TOKEN: refreshToken,
    });
    return { ...result, refreshToken: result.refreshToken || refreshToken };
  }

  private async initiateAuth(
    op: string,
    endpoint: string,
    clientId: string,
    flow: string,
    parameters: Record<string, string>,
  ): Promise<SignInResult> {
    const { json: answer } = await this.send(op, endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth',
      },
      body: JSON.stringify({ AuthFlow: flow, ClientId: clientId, AuthParameters: parameters }),
    });
    const result = (answer as { AuthenticationResult?: Record<string, unknown> }).AuthenticationResult;
    if (!result || typeof result['IdToken'] !== 'string' || typeof result['AccessToken'] !== 'string') {
      const challenge = (answer as { ChallengeName?: unknown }).ChallengeName;
      throw new ActasApiError(
        200,
        op,
        typeof challenge === 'string'
          ? `${op}: Cognito asks for a ${challenge} challenge, which this client does not answer`
          : `${op}: Cognito returned no tokens`,
        typeof challenge === 'string' ? challenge : undefined,
      );
    }
    return {
      idToken: result['IdToken'],
      accessToken: result['AccessToken'],
      refreshToken: typeof result['RefreshToken'] === 'string' ? result['RefreshToken'] : '',
      expiresIn: typeof result['ExpiresIn'] === 'number' ? result['ExpiresIn'] : 0,
    };
  }

  /**
   * Seeds 000/001: `POST /auth/impersonate`. With `uuid` the target goes in the query (seed 000),
   * with `username` in the body next to the tenant's `apiKey` (seed 001).
   *
   * A start that needs approval or the target's consent answers 202: that comes back as a
   * `PendingStart` (`isPending(result)`), not a session. Once its request is approved, the same
   * start again (same target, mode, reason, ticket) returns the session.
   */
  async impersonate(options: ImpersonateOptions, idToken: string): Promise<SessionPayload | PendingStart> {
    const { username, uuid, apiKey, mode, reason, ticket } = options;
    if ((username === undefined) === (uuid === undefined)) {
      throw new TypeError('impersonate: give exactly one of username and uuid');
    }
    const { status, json } = await this.request({
      op: 'impersonate',
      method: 'POST',
      path: '/auth/impersonate',
      token: idToken,
      query: { uuid },
      body: { username, mode, reason, ticket },
      headers: apiKey ? { 'x-api-key': apiKey } : {},
    });
    return status === 202 ? pendingStart('impersonate', json) : (json as SessionPayload);
  }

  /**
   * Seed 002: `GET /api/public/coworkers/{id}/impersonate` → a short-lived token to exchange, or
   * a `PendingStart` when the start needs approval or consent first (202; see `impersonate`).
   */
  async requestCoworkerToken(coworkerId: string, options: StartOptions, idToken: string): Promise<string | PendingStart> {
    const { status, json } = await this.request({
      op: 'requestCoworkerToken',
      method: 'GET',
      path: `/api/public/coworkers/${encodeURIComponent(coworkerId)}/impersonate`,
      token: idToken,
      query: startQuery(options),
    });
    return status === 202 ? pendingStart('requestCoworkerToken', json) : startToken('requestCoworkerToken', json);
  }

  /** Seed 002: `POST /api/public/auth/login/{token}`, once, → the session. */
  exchangeToken(token: string): Promise<SessionPayload> {
    if (typeof token !== 'string') {
      // Most likely a PendingStart passed on unchecked: it has no token until it is approved.
      return Promise.reject(new TypeError('exchangeToken: expected a token string (a pending request has none; check isPending first)'));
    }
    return this.call({ op: 'exchangeToken', method: 'POST', path: `/api/public/auth/login/${encodeURIComponent(token)}` });
  }

  /**
   * Seed 003: `GET /api/sys/users/impersonate?coworkerId=` → a short-lived token to exchange, or
   * a `PendingStart` when the start needs approval or consent first (202; see `impersonate`).
   */
  async sysImpersonate(coworkerId: string, options: StartOptions, idToken: string): Promise<string | PendingStart> {
    const { status, json } = await this.request({
      op: 'sysImpersonate',
      method: 'GET',
      path: '/api/sys/users/impersonate',
      token: idToken,
      query: { coworkerId, ...startQuery(options) },
    });
    return status === 202 ? pendingStart('sysImpersonate', json) : startToken('sysImpersonate', json);
  }

  /** Seed 003: `POST /api/sys/users/exchange` `{"token"}`, once, → the session. */
  sysExchange(token: string): Promise<SessionPayload> {
    return this.call({ op: 'sysExchange', method: 'POST', path: '/api/sys/users/exchange', body: { token } });
  }

  /** `DELETE /auth/impersonations/{id}`: the impersonator (or an admin above them) ends it. */
  stop(impersonationId: string, idToken: string): Promise<StopResult> {
    return this.call({
      op: 'stop',
      method: 'DELETE',
      path: `/auth/impersonations/${encodeURIComponent(impersonationId)}`,
      token: idToken,
    });
  }

  /** `DELETE /auth/impersonate`: the impersonated session ends itself (seed 000's sign out). */
  signOut(impersonatedToken: string): Promise<StopResult> {
    return this.call({ op: 'signOut', method: 'DELETE', path: '/auth/impersonate', token: impersonatedToken });
  }

  /**
   * Seed 000: `POST /auth/impersonate/revert` ends the impersonation and returns the
   * impersonator's own session. It needs both the revert token and the impersonated session
   * (a revert token alone gets 401): pass the session payload, or the two separately.
   */
  revert(payload: SessionPayload): Promise<SessionPayload>;
  revert(revertToken: string, impersonatedToken: string): Promise<SessionPayload>;
  async revert(first: SessionPayload | string, impersonatedToken?: string): Promise<SessionPayload> {
    const revertToken = typeof first === 'string' ? first : first.impersonator_revert_token;
    const token = typeof first === 'string' ? impersonatedToken : first.session.accessToken;
    if (!revertToken || !token) {
      throw new TypeError('revert: needs the revert token and the impersonated session');
    }
    return this.call({
      op: 'revert',
      method: 'POST',
      path: '/auth/impersonate/revert',
      token,
      body: { impersonator_revert_token: revertToken },
    });
  }

  /**
   * `GET /auth/token`: whether a token is valid now. `valid` turns false the moment its
   * impersonation is stopped, before the token expires. A malformed or expired token throws
   * (401); a revoked one answers `valid: false`.
   */
  checkToken(token: string): Promise<TokenStatus> {
    return this.call({ op: 'checkToken', method: 'GET', path: '/auth/token', token });
  }

  /** `GET /auth/impersonations`: one page, newest first; continue with `next_token`. */
  listImpersonations(query: ListQuery, idToken: string): Promise<ImpersonationList> {
    return this.call({
      op: 'listImpersonations',
      method: 'GET',
      path: '/auth/impersonations',
      token: idToken,
      query: {
        active: query.active === undefined ? undefined : String(query.active),
        actor: query.actor,
        target: query.target,
        since: timeParam(query.since),
        nextToken: query.nextToken,
      },
    });
  }

  /** `GET /api/public/coworkers/profiles`: the caller and whom they may act as, one page. */
  profiles(query: { nextToken?: string }, idToken: string): Promise<ProfilesPage> {
    return this.call({
      op: 'profiles',
      method: 'GET',
      path: '/api/public/coworkers/profiles',
      token: idToken,
      query: { nextToken: query.nextToken },
    });
  }

  /** `GET /auth/me`: the caller, their role, and whether and how they may act as others. */
  me(idToken: string): Promise<Me> {
    return this.call({ op: 'me', method: 'GET', path: '/auth/me', token: idToken });
  }

  /** `GET /auth/audit`: one page of the audit trail in the caller's scope, newest first. */
  audit(query: AuditQuery, idToken: string): Promise<AuditPage> {
    return this.call({
      op: 'audit',
      method: 'GET',
      path: '/auth/audit',
      token: idToken,
      query: {
        actor: query.actor || undefined,
        target: query.target || undefined,
        event: query.event || undefined,
        since: timeParam(query.since),
        until: timeParam(query.until),
        nextToken: query.nextToken,
      },
    });
  }

  /**
   * `GET /auth/settings`: a tenant's governance settings. Readers: the tenant's admins and
   * operators; super-admins for any tenant (`tenant`; without it, their own).
   */
  settings(idToken: string): Promise<Settings>;
  settings(tenant: string | null | undefined, idToken: string): Promise<Settings>;
  settings(first: string | null | undefined, second?: string): Promise<Settings> {
    const [tenant, token] = second === undefined ? [undefined, first] : [first, second];
    return this.call({ op: 'settings', method: 'GET', path: '/auth/settings', token: token ?? undefined, query: { tenant: tenant || undefined } });
  }

  /**
   * `PUT /auth/settings`: the keys given replace the current values, the others keep theirs.
   * An unknown key or a value out of range is a 422 whose message names the key. Writers: the
   * tenant's admins, super-admins (any tenant via `tenant`).
   */
  updateSettings(changes: SettingsChanges, idToken: string): Promise<Settings>;
  updateSettings(changes: SettingsChanges, tenant: string | null | undefined, idToken: string): Promise<Settings>;
  updateSettings(changes: SettingsChanges, first: string | null | undefined, second?: string): Promise<Settings> {
    const [tenant, token] = second === undefined ? [undefined, first] : [first, second];
    return this.call({
      op: 'updateSettings',
      method: 'PUT',
      path: '/auth/settings',
      token: token ?? undefined,
      query: { tenant: tenant || undefined },
      body: changes,
    });
  }

  /**
   * `GET /auth/requests`: by default the pending requests the caller may decide (never their
   * own); `{mine: true}` the caller's own; `{target: 'me'}` those about the caller (consent).
   */
  requests(query: RequestQuery, idToken: string): Promise<RequestList> {
    return this.call({
      op: 'requests',
      method: 'GET',
      path: '/auth/requests',
      token: idToken,
      query: { mine: query.mine ? 'true' : undefined, target: query.target || undefined },
    });
  }

  /**
   * `POST /auth/requests/{id}/approve`: 403 for one's own or out of scope, 409 when decided or
   * expired; `terms` may shorten the session and narrow `full` to `read_only` (400 for wider).
   */
  approve(requestId: string, comment: string | null | undefined, idToken: string, terms: ApprovalTerms = {}): Promise<ImpersonationRequest> {
    return this.decide('approve', requestId, comment, idToken, terms);
  }

  /** `POST /auth/requests/{id}/deny`: as `approve`. */
  deny(requestId: string, comment: string | null | undefined, idToken: string): Promise<ImpersonationRequest> {
    return this.decide('deny', requestId, comment, idToken);
  }

  private decide(
    op: 'approve' | 'deny',
    requestId: string,
    comment: string | null | undefined,
    idToken: string,
    terms: ApprovalTerms = {},
  ): Promise<ImpersonationRequest> {
    return this.call({
      op,
      method: 'POST',
      path: `/auth/requests/${encodeURIComponent(requestId)}/${op}`,
      token: idToken,
      body: { comment: comment ? comment : undefined, duration_seconds: terms.duration_seconds, mode: terms.mode },
    });
  }

  /** `POST /auth/requests/{id}/consent`: the target accepts or declines; 409 when answered or expired. */
  consent(requestId: string, accept: boolean, idToken: string): Promise<ImpersonationRequest> {
    return this.call({
      op: 'consent',
      method: 'POST',
      path: `/auth/requests/${encodeURIComponent(requestId)}/consent`,
      token: idToken,
      body: { accept },
    });
  }

  /** `GET /auth/users/{id}/protection`: `me`, or a username or sub of someone the caller may act as. */
  protection(userId: string, idToken: string): Promise<Protection> {
    return this.call({ op: 'protection', method: 'GET', path: `/auth/users/${encodeURIComponent(userId)}/protection`, token: idToken });
  }

  /** `PUT /auth/users/{id}/protection` `{"protected"}`. */
  setProtection(userId: string, isProtected: boolean, idToken: string): Promise<Protection> {
    return this.call({
      op: 'setProtection',
      method: 'PUT',
      path: `/auth/users/${encodeURIComponent(userId)}/protection`,
      token: idToken,
      body: { protected: isProtected },
    });
  }

  private async call<T>(c: Call): Promise<T> {
    return (await this.request(c)).json as T;
  }

  /** One API call: the status and JSON of a 2xx answer; anything else throws `ActasApiError`. */
  private request(c: Call): Promise<Answer> {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(c.query ?? {})) {
      if (value !== undefined) search.set(key, value);
    }
    const headers: Record<string, string> = { accept: 'application/json', ...c.headers };
    if (c.token !== undefined) headers['authorization'] = `Bearer ${stripBearer(c.token)}`;
    let body: string | undefined;
    if (c.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(c.body); // undefined fields drop out
    }
    const qs = search.toString();
    return this.send(c.op, `${this.apiUrl}${c.path}${qs ? `?${qs}` : ''}`, { method: c.method, headers, body });
  }

  private async send(op: string, url: string, init: RequestInit): Promise<Answer> {
    let response: Response;
    try {
      response = await this.fetchImpl(url, init);
    } catch (cause) {
      // The cause is kept for debugging; the message names no URL (it may hold a token).
      throw new ActasApiError(0, op, `${op}: could not reach the server`, undefined, { cause });
    }
    const text = await response.text().catch(() => '');
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const fields = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {};
      const message = fields['message'] ?? fields['Message']; // Cognito uses either
      const code = typeof fields['__type'] === 'string' ? fields['__type'] : undefined;
      const reason = typeof fields['reason'] === 'string' ? fields['reason'] : undefined;
      const maxAge = typeof fields['max_age_seconds'] === 'number' ? fields['max_age_seconds'] : undefined;
      throw new ActasApiError(
        response.status,
        op,
        typeof message === 'string' && message
          ? message
          : `${op}: HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}` +
              (json === undefined ? ' (not a JSON answer)' : ''),
        code,
        { reason, maxAgeSeconds: maxAge },
      );
    }
    if (json === undefined) {
      throw new ActasApiError(response.status, op, `${op}: the answer is not JSON (HTTP ${response.status})`);
    }
    return { status: response.status, json };
  }
}

function startQuery(options: StartOptions): Query {
  return { reason: options.reason, ticket: options.ticket, mode: options.mode };
}

function timeParam(value: string | number | Date | undefined): string | undefined {
  return value instanceof Date ? value.toISOString() : value === undefined || value === '' ? undefined : String(value);
}

/** A 202 start's body as a `PendingStart`; a body that is not a request is an error. */
function pendingStart(op: string, json: unknown): PendingStart {
  const r = json as Partial<ImpersonationRequest> | null;
  if (!r || typeof r !== 'object' || typeof r.id !== 'string' || typeof r.status !== 'string') {
    throw new ActasApiError(202, op, `${op}: the start is pending, but the answer is not a request`);
  }
  return { pending: true, request: r as ImpersonationRequest };
}

/** A 200 start's `{"token"}`. */
function startToken(op: string, json: unknown): string {
  const token = (json as { token?: unknown } | null)?.token;
  if (typeof token !== 'string' || !token) throw new ActasApiError(200, op, `${op}: the answer has no token`);
  return token;
}
