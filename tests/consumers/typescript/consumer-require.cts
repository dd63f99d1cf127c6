// Consumer 5, CommonJS side: a .cts file of a Node app (module nodenext)
// loads the package with require; the same index.d.ts types it. (Projects
// still on "module": "node16" get TS1479 here: the types are ES-module ones.)
import b24 = require("b24-vote");

const client: b24.VoteClient = b24.VoteClient.webhook("https://portal.bitrix24.com/rest/1/abc/");
const shown: number[] = b24.percentages([1, 2]);
void client.get({ attachId: 1 }).then((poll: b24.AttachedVote) => poll.ballots + shown.length);
// @ts-expect-error the CommonJS view has the same types: attachId is a number
void client.get({ attachId: "1" });
