/** A poll attached to a chat message or a feed post. */
export interface AttachedVote {
  id: number;
  voteId: number;
  entityId: number;
  /** Ballots cast (the attach COUNTER). */
  ballots: number;
  /** ANONYMITY as sent: 0 undefined, 1 public, 2 anonymous. */
  anonymity: number;
  /** anonymity === 2 */
  anonymous: boolean;
  /** OPTIONS bitmask. */
  options: number;
  /** options & 1 */
  allowRevote: boolean;
  /** options & 2 */
  hideResult: boolean;
  canEdit: boolean;
  canVote: boolean;
  canRevote: boolean;
  isVoted: boolean;
  isFinished: boolean;
  signedAttachId: string;
  resultUrl: string;
  downloadUrl: string;
  /** Ordered by sort, then id. */
  questions: Question[];
}

/** One question of a poll. */
export interface Question {
  id: number;
  /** QUESTION */
  text: string;
  /** QUESTION_TYPE: "text" | "html" */
  textType: string;
  /** C_SORT */
  sort: number;
  /** FIELD_TYPE: 0 radio, 1 checkbox, 2 dropdown, 3 multiselect, 99999 compatibility */
  fieldType: number;
  /** fieldType is 1 or 3 */
  multiple: boolean;
  active: boolean;
  required: boolean;
  /** Ballots that answered this question (question COUNTER). */
  voters: number;
  /** The caller's chosen answers (from userAnswerMap), ascending. */
  myAnswerIds: number[];
  /** Ordered by sort, then id. */
  answers: Answer[];
}

/** One answer, with its share of the votes. */
export interface Answer {
  id: number;
  /** MESSAGE */
  text: string;
  /** MESSAGE_TYPE */
  textType: string;
  /** C_SORT */
  sort: number;
  /** Ballots that chose this answer (answer COUNTER). */
  votes: number;
  /** What the portal's poll widget displays. */
  percent: number;
  /** votes * 100 / base, unrounded (single choice: base = sum of votes; multiple: base = voters); 0 when base is 0. */
  exactPercent: number;
  /** PERCENT as sent, when present (may be stale right after a write). */
  serverPercent: number | null;
  votedByMe: boolean;
  color: string;
  reaction: string;
}

/** Options of `percentages`. */
export interface PercentagesOptions {
  /** Multiple choice: percent per voter, may sum over 100. */
  multiple?: boolean;
  /** Ballots that answered the question; required when multiple is true. */
  voters?: number;
  /** 0, 1 or 2 (default 0). */
  decimals?: 0 | 1 | 2;
}

/** Every error the library throws or rejects with: a real `Error`. */
export interface B24VoteError extends Error {
  name: "B24VoteError";
  /** The portal's code as sent, or one of ours: NETWORK_ERROR, TIMEOUT, ABORTED, DECODE_ERROR, UNEXPECTED_RESULT, INVALID_ARGUMENT, AUTH_REFRESH_FAILED, REDIRECT_REFUSED, RESPONSE_TOO_LARGE. */
  code: string;
  /** HTTP status, 0 when there was no response. */
  status: number;
  description: string;
  /** Whether trying again later may succeed. */
  retryable: boolean;
  /** The REST method, when the error came from a call. */
  method: string | null;
}

/** Addresses one poll: by attach id, by the entity it is attached to, or by its signed id. */
export type PollRef =
  | { attachId: number; moduleId?: never; entityType?: never; entityId?: never; signedAttachId?: never }
  | { moduleId: string; entityType: string; entityId: number; attachId?: never; signedAttachId?: never }
  | { signedAttachId: string; attachId?: never; moduleId?: never; entityType?: never; entityId?: never };

/** Per-call options. */
export interface CallOptions {
  /** Sent to the portal so its push events can be matched to this action; generated for writes when absent. */
  actionUuid?: string;
  /** Aborts the call (rejects with code ABORTED). */
  signal?: AbortSignal;
  /** Bounds the whole call, retries and waits included (default: the client's, 30000). Rejects with TIMEOUT. */
  timeoutMs?: number;
}

/** Per-client options. */
export interface ClientOptions {
  /** Default per-call timeout in ms (30000). */
  timeoutMs?: number;
  /** Retries after a retryable failure (3). */
  retries?: number;
  /** Client-side leaky bucket (default { burst: 50, perSecond: 2 }), or false for none. */
  rateLimit?: { burst: number; perSecond: number } | false;
  /** Allow http:// portals other than loopback. */
  allowInsecureHttp?: boolean;
  /** Called before every HTTP request, retries included. */
  onRequest?: (info: { method: string; attempt: number }) => void;
  /** The largest response body read (default 8388608, 8 MiB); a larger one rejects with RESPONSE_TOO_LARGE. */
  maxResponseBytes?: number;
}

/** A user who voted. */
export interface Voter {
  id: number;
  name: string;
  image: string | null;
  workPosition: string | null;
}

/** OAuth credentials of an app (Node or a browser app with its own tokens). */
export interface OAuthCredentials {
  /** The portal, with or without scheme: "portal.bitrix24.com" or "https://portal.bitrix24.com". */
  domain: string;
  accessToken: string;
  refreshToken?: string;
  /** Unix seconds. */
  expiresAt?: number;
  /** Called (once, however many calls wait) when the portal says the token expired. */
  refresh?: (refreshToken: string) => Promise<{ accessToken: string; refreshToken?: string; expiresAt?: number }>;
}
