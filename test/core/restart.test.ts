// Nothing acknowledged is lost: state written before a stop is there after a restart.
import { CreateBucketCommand, ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { freshAccount, sdkConfig, startNimbus } from "../support/nimbus.js";

describe("restart", () => {
  it("keeps buckets and the advanced clock across a restart on the same data dir", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "nimbus-restart-"));
    const account = freshAccount();
    try {
      const a = await startNimbus({ dataDir });
      const s3a = new S3Client(sdkConfig(a.endpoint, { accountId: account }));
      await s3a.send(new CreateBucketCommand({ Bucket: "survivor-bucket" }));
      await fetch(`${a.endpoint}/_nimbus/clock`, { method: "POST", body: JSON.stringify({ advance: "P30D" }) });
      await a.stop();

      const b = await startNimbus({ dataDir });
      const s3b = new S3Client(sdkConfig(b.endpoint, { accountId: account }));
      const list = await s3b.send(new ListBucketsCommand({}));
      expect(list.Buckets!.map((x) => x.Name)).toEqual(["survivor-bucket"]);
      const clock = await (await fetch(`${b.endpoint}/_nimbus/clock`)).json();
      expect(clock.offsetMillis).toBe(30 * 24 * 3600 * 1000);
      await b.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
