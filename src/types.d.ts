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
  /** The portal's code as sent, or one of ours: NETWORK_ERROR, TIMEOUT, ABORTED, DECODE_ERROR, UNEXPECTED_RESULT, INVALID_ARGUMENT, AUTH_REFRESH_FAILED. */
  code: string;
  /** HTTP status, 0 when there was no response. */
  status: number;
  description: string;
  /** Whether trying again later may succeed. */
  retryable: boolean;
  /** The REST method, when the error came from a call. */
  method: string | null;
}
