// Consumer 5: TypeScript (tsc --noEmit --strict) over every exported function
// and type, written as an app would. Lines after `// @ts-expect-error` must
// fail to typecheck; if one typechecks, tsc reports the unused directive and
// the test fails, so the types cannot silently widen to `any`.
import init, {
  initSync,
  parseVoteResponse,
  percentages,
  VoteClient,
  type Answer,
  type AttachedVote,
  type B24VoteError,
  type CallOptions,
  type ClientOptions,
  type InitInput,
  type InitOutput,
  type OAuthCredentials,
  type PercentagesOptions,
  type PollRef,
  type Question,
  type SyncInitInput,
  type Voter,
} from "b24-vote";

// --- start-up ---------------------------------------------------------------
const wasmUrl: InitInput = new URL("b24_vote_bg.wasm", "https://example.com/");
const output: Promise<InitOutput> = init({ module_or_path: wasmUrl });
void output.then((exports) => exports.memory.buffer.byteLength);
const bytes: SyncInitInput = new Uint8Array(8);
const started: InitOutput = initSync({ module: bytes });
void started;

// --- model --------------------------------------------------------------------
function describe(poll: AttachedVote): string {
  const questions: Question[] = poll.questions;
  return questions
    .map((q) => {
      const answers: Answer[] = q.answers;
      const mine: number[] = q.myAnswerIds;
      const rows = answers.map((a) => {
        const server: number | null = a.serverPercent;
        return `${a.text}: ${a.votes} (${a.percent.toFixed(0)} %, exact ${a.exactPercent}, server ${server ?? "-"})${a.votedByMe ? " *" : ""}`;
      });
      return `${q.text} [${q.multiple ? "multiple" : "single"}, ${q.voters} voters, mine ${mine.join(",")}]\n${rows.join("\n")}`;
    })
    .join("\n");
}

const parsed: AttachedVote = parseVoteResponse('{"result":{}}');
const flags: boolean[] = [parsed.anonymous, parsed.allowRevote, parsed.hideResult, parsed.canVote, parsed.isFinished];
void flags;
void describe(parsed);

// --- percentages ----------------------------------------------------------------
const shown: number[] = percentages([1, 1, 1]);
const options: PercentagesOptions = { multiple: true, voters: 3, decimals: 1 };
const multiple: number[] = percentages([3, 1], options);
void shown, multiple;

// --- polls --------------------------------------------------------------------
const byAttach: PollRef = { attachId: 42 };
const byEntity: PollRef = { moduleId: "im", entityType: "Bitrix\\Vote\\Attachment\\ImMessageConnector", entityId: 7 };
const bySigned: PollRef = { signedAttachId: "42.abc" };

// --- clients ------------------------------------------------------------------
const clientOptions: ClientOptions = {
  timeoutMs: 10_000,
  retries: 2,
  rateLimit: { burst: 50, perSecond: 2 },
  allowInsecureHttp: false,
  onRequest: ({ method, attempt }) => console.log(method.toUpperCase(), attempt + 1),
};
const credentials: OAuthCredentials = {
  domain: "portal.bitrix24.com",
  accessToken: "a",
  refreshToken: "r",
  expiresAt: 1_800_000_000,
  refresh: async (refreshToken: string) => ({ accessToken: refreshToken + "!", expiresAt: 1_800_003_600 }),
};
declare const BX24: { getAuth(): unknown; refreshAuth(callback: (auth: unknown) => void): void };

const webhook: VoteClient = VoteClient.webhook("https://portal.bitrix24.com/rest/1/abc/");
const oauth: VoteClient = VoteClient.oauth(credentials, { rateLimit: false });
const frame: VoteClient = VoteClient.frame(BX24, clientOptions);

function isB24VoteError(e: unknown): e is B24VoteError {
  return e instanceof Error && e.name === "B24VoteError";
}

async function everyMethod(client: VoteClient): Promise<void> {
  const call: CallOptions = { signal: new AbortController().signal, timeoutMs: 5_000, actionUuid: "u-1" };
  const got: AttachedVote = await client.get(byAttach);
  const many: AttachedVote[] = await client.getMany({ moduleId: "im", entityType: "x", entityIds: [1, 2] }, call);
  const voted: AttachedVote = await client.vote(byEntity, { [got.questions[0].id]: [got.questions[0].answers[0].id] }, call);
  const recalled: AttachedVote = await client.recall(bySigned);
  const stopped: void = await client.stop(byAttach, call);
  const resumed: void = await client.resume(byAttach);
  const withVoted = await client.getWithVoted(byAttach, { pageSize: 10, timeoutMs: 1_000 });
  const attach: AttachedVote = withVoted.attach;
  const votersOfFirst: Voter[] = withVoted.voted[got.questions[0].answers[0].id] ?? [];
  const page = await client.getAnswerVoted(byAttach, 21, { start: 50 });
  const voters: Voter[] = page.items;
  const total: number = page.total;
  const next: number | null = page.next;
  const names: string[] = voters.concat(votersOfFirst).map((v) => `${v.id} ${v.name} ${v.image ?? ""} ${v.workPosition ?? ""}`);
  void [many, voted, recalled, stopped, resumed, attach, total, next, names];
  try {
    await client.recall(byAttach, { timeoutMs: 1 });
  } catch (e) {
    if (isB24VoteError(e)) {
      const code: string = e.code;
      const status: number = e.status;
      const retryable: boolean = e.retryable;
      const method: string | null = e.method;
      console.log(code, status, retryable, method, e.description, e.message);
    }
  }
}

void Promise.all([webhook, oauth, frame].map(everyMethod));
webhook.free();

// --- what must not typecheck ----------------------------------------------------
// @ts-expect-error a PollRef has exactly one form, not two
const twoForms: PollRef = { attachId: 42, signedAttachId: "42.abc" };
// @ts-expect-error an entity ref needs all three of its fields
const halfEntity: PollRef = { moduleId: "im", entityId: 7 };
// @ts-expect-error attachId is a number
const stringId: PollRef = { attachId: "42" };
// @ts-expect-error percent is a number, not a string
const percentText: Answer["percent"] = "33";
// @ts-expect-error votes are numbers
percentages(["1", "2"], {});
// @ts-expect-error decimals is 0, 1 or 2
const threeDecimals: PercentagesOptions = { decimals: 3 };
// @ts-expect-error rateLimit is { burst, perSecond } or false, not true
const rateTrue: ClientOptions = { rateLimit: true };
// @ts-expect-error timeoutMs is a number
const slowText: CallOptions = { timeoutMs: "100" };
// @ts-expect-error the error's name is always "B24VoteError"
const plainError: B24VoteError = Object.assign(new Error("x"), { name: "Error" as const, code: "X", status: 0, description: "", retryable: false, method: null });
// @ts-expect-error the model is read as given: no field invented
void parsed.questions[0].answers[0].percentage;
// @ts-expect-error answerId is a number
void webhook.getAnswerVoted(byAttach, "21", {});
// @ts-expect-error a ballot maps question ids to arrays of answer ids
void webhook.vote(byAttach, { 1: "2" }, {});
// @ts-expect-error there is no public constructor: use webhook(), oauth() or frame()
new VoteClient();
void [twoForms, halfEntity, stringId, percentText, threeDecimals, rateTrue, slowText, plainError];
