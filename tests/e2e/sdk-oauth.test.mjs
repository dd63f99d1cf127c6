// The official SDK against the emulator: @bitrix24/b24jssdk's OAuth client (B24OAuth,
// as a server-side app uses it) calls every vote method, `batch` and `profile`, and
// refreshes its token through /oauth/token/ after an `expired_token`. The SDK builds
// `/rest//method` URLs from the `client_endpoint` and reads `time.operating` from
// every answer, so these pass only if the emulator behaves like a portal there too.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { B24OAuth } from "@bitrix24/b24jssdk";
import { DEMO_POLL, IM_ENTITY_TYPE, startPortal } from "./helpers.mjs";

let portal;

before(async () => {
  portal = await startPortal();
});

after(() => portal?.stop());

/** A B24OAuth client for a user, with tokens from the emulator. */
async function client(user = 1, ttlSeconds = 3600) {
  const t = await portal.admin("/_emulator/tokens", { user, ttlSeconds, refreshTtlSeconds: 3600 });
  const b24 = new B24OAuth(
    {
      applicationToken: "app-token",
      userId: user,
      memberId: "b24portal0000000000000000000000e",
      accessToken: t.accessToken,
      refreshToken: t.refreshToken,
      expires: t.expiresAt,
      expiresIn: t.expiresIn,
      scope: "vote,im",
      domain: new URL(portal.url).host,
      clientEndpoint: t.clientEndpoint,
      serverEndpoint: `${portal.url}/rest/`,
      status: "L",
    },
    { clientId: "local.test", clientSecret: "secret" },
  );
  const call = async (method, params = {}) => {
    const result = await b24.actions.v2.call.make({ method, params });
    assert.ok(result.isSuccess, `${method}: ${result.getErrorMessages().join("; ")}`);
    return result.getData();
  };
  return { b24, call, tokens: t };
}

const byEntity = (created) => ({ moduleId: "im", entityType: IM_ENTITY_TYPE, entityId: created.entityId });

test("B24OAuth calls every vote method against the emulator", async () => {
  const { call } = await client(1);
  const created = await portal.admin("/_emulator/polls", DEMO_POLL);
  const [q] = created.questions;

  const got = await call("vote.AttachedVote.get", { attachId: created.attachId });
  assert.equal(got.result.attach.ID, created.attachId);
  assert.equal(typeof got.time.operating, "number");
  assert.equal(Object.keys(got.result.attach.QUESTIONS[q.id].ANSWERS).length, q.answers.length);

  const many = await call("vote.AttachedVote.getMany", { moduleId: "im", entityType: IM_ENTITY_TYPE, entityIds: [created.entityId, 13] });
  assert.deepEqual(many.result.items.map((i) => i.entityId).sort((a, b) => a - b), [13, created.entityId]);

  const voted = await call("vote.AttachedVote.vote", { ...byEntity(created), ballot: { [q.id]: [q.answers[2]] } });
  assert.equal(voted.result.attach.isVoted, true);
  let state = await portal.admin(`/_emulator/polls/${created.attachId}`);
  assert.deepEqual(state.ballots.find((b) => b.user === 1).answers, { [q.id]: [q.answers[2]] });

  const withVoted = await call("vote.AttachedVote.getWithVoted", { attachId: created.attachId });
  assert.ok(withVoted.result.voted, "getWithVoted names the voters");
  const voters = await call("vote.AttachedVote.getAnswerVoted", { signedAttachId: created.signedAttachId, answerId: q.answers[2] });
  assert.ok(voters.result.items.some((u) => u.ID === 1));

  const recalled = await call("vote.AttachedVote.recall", { attachId: created.attachId });
  assert.equal(recalled.result.attach.isVoted, false);
  await call("vote.AttachedVote.stop", { attachId: created.attachId });
  assert.equal((await portal.admin(`/_emulator/polls/${created.attachId}`)).isFinished, true);
  await call("vote.AttachedVote.resume", { attachId: created.attachId });
  state = await portal.admin(`/_emulator/polls/${created.attachId}`);
  assert.equal(state.isFinished, false);
  assert.equal(state.ballots.some((b) => b.user === 1), false);

  const sent = await call("vote.Integration.Im.send", {
    chatId: created.chatId,
    IM_MESSAGE_VOTE_DATA: {
      QUESTIONS: [{ QUESTION: "Lunch?", FIELD_TYPE: 0, ANSWERS: [{ MESSAGE: "Pizza" }, { MESSAGE: "Sushi" }] }],
      ANONYMITY: 1,
      OPTIONS: 1,
    },
  });
  const lunch = await call("vote.AttachedVote.get", { moduleId: "im", entityType: IM_ENTITY_TYPE, entityId: sent.result.messageId });
  assert.deepEqual(Object.values(Object.values(lunch.result.attach.QUESTIONS)[0].ANSWERS).map((a) => a.MESSAGE), ["Pizza", "Sushi"]);

  // A portal error reaches the SDK as its code.
  await assert.rejects(
    () => call("vote.AttachedVote.get", { attachId: 999999 }),
    (e) => e.code === "ATTACH_NOT_FOUND" && e.status === 400,
  );
});

test("batch: a list with halt, named commands, per-command errors; profile", async () => {
  const { b24 } = await client(1);
  const created = await portal.admin("/_emulator/polls", DEMO_POLL);
  const [q] = created.questions;

  const list = await b24.actions.v2.batch.make({
    calls: [
      ["vote.AttachedVote.get", { attachId: created.attachId }],
      ["vote.AttachedVote.vote", { attachId: created.attachId, ballot: { [q.id]: [q.answers[1]] } }],
      ["vote.AttachedVote.get", { attachId: 999999 }],
      ["vote.AttachedVote.recall", { attachId: created.attachId }],
    ],
    options: { isHaltOnError: true, returnAjaxResult: true },
  });
  const rows = list.getData();
  assert.equal(rows.length, 3, "halt: nothing after the failed command");
  assert.equal(rows[0].getData().result.attach.ID, created.attachId);
  assert.equal(rows[1].getData().result.attach.isVoted, true);
  assert.equal(rows[2].isSuccess, false);
  assert.match(rows[2].getErrorMessages().join(), /Attach not found/);
  let state = await portal.admin(`/_emulator/polls/${created.attachId}`);
  assert.deepEqual(state.ballots.find((b) => b.user === 1).answers, { [q.id]: [q.answers[1]] }, "the recall after the halt did not run");

  const named = await b24.actions.v2.batch.make({
    calls: {
      first: { method: "vote.AttachedVote.recall", params: { attachId: created.attachId } },
      voters: { method: "vote.AttachedVote.getAnswerVoted", params: { attachId: created.attachId, answerId: q.answers[0] } },
      me: { method: "profile", params: {} },
    },
    options: { isHaltOnError: false },
  });
  assert.equal(named.isSuccess, true, named.getErrorMessages().join());
  const data = named.getData();
  assert.equal(data.first.attach.isVoted, false);
  assert.equal(data.voters.items.length, 3);
  assert.equal(data.me.ID, "1");
  state = await portal.admin(`/_emulator/polls/${created.attachId}`);
  assert.equal(state.ballots.some((b) => b.user === 1), false);

  await b24.initIsAdmin();
  assert.equal(b24.auth.isAdmin, true);
  const { b24: maria } = await client(2);
  await maria.initIsAdmin();
  assert.equal(maria.auth.isAdmin, false);
});

test("expired_token: the SDK refreshes through /oauth/token/ and retries; faults still carry time", async () => {
  const { call, tokens } = await client(1);
  const before = (await portal.admin("/_emulator/stats")).refreshes;
  await portal.admin("/_emulator/faults", { kind: "expired_token", method: "vote.AttachedVote.get" });
  const got = await call("vote.AttachedVote.get", { attachId: 1 });
  assert.equal(got.result.attach.ID, 1);
  assert.equal((await portal.admin("/_emulator/stats")).refreshes, before + 1);

  // The old refresh token was rotated away by that refresh.
  const reused = await fetch(`${portal.url}/oauth/token/?grant_type=refresh_token&refresh_token=${tokens.refreshToken}`);
  assert.equal(reused.status, 400);

  // empty_result is a 200 the SDK accepts: it carries `time` like every answer.
  await portal.admin("/_emulator/faults", { kind: "empty_result", method: "vote.AttachedVote.get" });
  const empty = await call("vote.AttachedVote.get", { attachId: 1 });
  assert.deepEqual(empty.result, []);
  assert.equal(typeof empty.time.operating, "number");
});
