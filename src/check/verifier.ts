import { randomUUID } from "node:crypto";
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { Logger } from "pino";
import { AwsAccess, type QueueAccess } from "../aws/access.ts";
import type { S3BeatSettings } from "../config/settings.ts";
import { describeCause } from "../aws/sdkErrors.ts";
import { parseQueueEntry, queueDisplayName } from "../config/queueEntry.ts";
import { queueArn, resolveQueueUrl } from "../sqs/sqsQueue.ts";
import { splitFix, type StepResult } from "./report.ts";

export interface CheckOptions {
  buckets: string[];
  write: boolean;
}

type Emit = (r: StepResult) => void;

/**
 * Runs one step: ok with the detail it returns, or FAILED with the (already explained) cause and
 * its fix. `fix` is what to do when the error names no fix of its own, so no FAILED line lacks one.
 */
async function step(emit: Emit, name: string, fix: string, run: () => Promise<string>): Promise<boolean> {
  try {
    emit({ status: "ok", step: name, detail: await run() });
    return true;
  } catch (err) {
    const explained = splitFix(describeCause(err));
    emit({ status: "FAILED", step: name, cause: explained.cause, fix: explained.fix ?? fix });
    return false;
  }
}

const STS_FIX = "check that STS is reachable (endpoints.sts, the network, any proxy), then run s3beat check again";
const sqsFix = (entry: string) => `check the sqsQueues entry "${entry}" (queue name and region, or its URL), endpoints.sqs and the network path to SQS`;
const s3Fix = (bucket: string) => `check the bucket name "${bucket}" and its region, endpoints.s3 and the network path to S3`;

/** The S3 steps of one bucket, by name, for skipped lines. */
const READ_STEPS = ["s3:HeadBucket", "s3:ListObjectsV2", "s3:GetObject"];
const WRITE_STEPS = ["s3:PutObject", "s3:CopyObject", "s3:GetObject (read back)", "presigned GET", "s3:DeleteObject"];

/**
 * The access verifier (DESIGN §1): assumes each role, then checks each queue without receiving
 * (a ReceiveMessage would count against the messages' maxReceiveCount), then each bucket given.
 * A step that cannot run is listed as skipped with the reason, never left out. Returns true when
 * no step failed.
 */
export async function verifyAccess(settings: S3BeatSettings, opts: CheckOptions, log: Logger, emit: Emit): Promise<boolean> {
  const access = new AwsAccess(settings, log);
  // The verdict is whether any line said FAILED: derived from what is emitted, not kept by hand.
  let failed = false;
  const record: Emit = (r) => {
    if (r.status === "FAILED") failed = true;
    emit(r);
  };
  try {
    // Roles first: nothing else can work for a queue whose role cannot be assumed.
    const queues: { entry: string; ref: ReturnType<typeof parseQueueEntry>; qa: QueueAccess }[] = [];
    const roleOk = new Map<string, boolean>();
    for (const [i, entry] of settings.sqsQueues.entries()) {
      const ref = parseQueueEntry(entry, settings.region);
      const qa = access.forQueue(i, ref.region);
      if (qa.provider && qa.roleArn && !roleOk.has(qa.roleArn)) {
        const provider = qa.provider;
        const ok = await step(record, `sts:AssumeRole ${qa.roleArn}`, STS_FIX, async () => {
          const id = await provider();
          return `session ${settings.roleSessionName}${settings.externalId ? ", with externalId" : ""}, expires ${id.expiration?.toISOString() ?? "never"}`;
        });
        roleOk.set(qa.roleArn, ok);
      }
      queues.push({ entry, ref, qa });
    }
    if (!settings.assumeRoleFlag) {
      record({
        status: "ok",
        step: "credentials",
        detail: settings.awsFlag || !settings.accessKeyId ? "AWS default credential chain (no assume-role)" : "base access keys (no assume-role)",
      });
    }
    const notAssumed = (roleArn: string) => `because the role could not be assumed (${roleArn}: see its FAILED sts:AssumeRole line)`;

    for (const { entry, ref, qa } of queues) {
      const name = queueDisplayName(ref);
      const sqsSteps = ref.kind === "name" ? "sqs:GetQueueUrl, sqs:GetQueueAttributes" : "sqs:GetQueueAttributes";
      if (qa.roleArn && !roleOk.get(qa.roleArn)) {
        record({ status: "skipped", step: `${sqsSteps} ${name}`, reason: notAssumed(qa.roleArn) });
        continue;
      }
      let url = ref.kind === "url" ? ref.url : undefined;
      if (ref.kind === "name") {
        const ok = await step(
          record,
          `sqs:GetQueueUrl ${name}`,
          sqsFix(entry),
          async () => (url = await resolveQueueUrl(qa.sqs, ref.name, ref.region, qa.caller)),
        );
        if (!ok) {
          record({ status: "skipped", step: `sqs:GetQueueAttributes ${name}`, reason: "because sqs:GetQueueUrl failed: there is no queue URL to ask" });
          continue;
        }
      }
      const queueUrl = url!;
      await step(record, `sqs:GetQueueAttributes ${name}`, sqsFix(entry), async () => {
        const out = await qa.caller({ operation: "GetQueueAttributes", resourceArn: queueArn(queueUrl, ref.region) }, () =>
          qa.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["All"] })),
        );
        const a = out.Attributes ?? {};
        const redrive = a.RedrivePolicy ? (JSON.parse(a.RedrivePolicy) as { deadLetterTargetArn?: string; maxReceiveCount?: number }) : undefined;
        const dlq = redrive
          ? `dead-letter queue ${String(redrive.deadLetterTargetArn).split(":").pop()} after ${redrive.maxReceiveCount} receives`
          : "NO dead-letter queue: a message that keeps failing is retried forever; add a redrive policy";
        return `${a.ApproximateNumberOfMessages ?? "?"} messages waiting, ${a.ApproximateNumberOfMessagesNotVisible ?? "?"} in flight, ${dlq}`;
      });
    }

    if (opts.buckets.length === 0) {
      record({ status: "skipped", step: READ_STEPS.join(", "), reason: "no --bucket given (s3beat check --bucket NAME checks a bucket)" });
    }
    // Each bucket is checked with every distinct set of credentials the queues use.
    const seen = new Set<string>();
    const accesses = queues.map((q) => q.qa).filter((qa) => !seen.has(qa.roleArn ?? "") && seen.add(qa.roleArn ?? ""));
    const bucketSteps = [...READ_STEPS, ...(opts.write ? WRITE_STEPS : [])].join(", ");
    for (const bucket of opts.buckets) {
      for (const qa of accesses) {
        const as = qa.roleArn ? ` as ${qa.roleArn}` : "";
        if (qa.roleArn && !roleOk.get(qa.roleArn)) {
          record({ status: "skipped", step: `${bucketSteps} ${bucket}${as}`, reason: notAssumed(qa.roleArn) });
          continue;
        }
        await checkBucket(qa, bucket, settings.region, as, opts.write, record);
      }
    }
    return !failed;
  } finally {
    access.destroy();
  }
}

async function checkBucket(qa: QueueAccess, bucket: string, region: string, as: string, write: boolean, emit: Emit): Promise<void> {
  let s3: S3Client = qa.s3For(region);
  const call = qa.caller;
  const run = (name: string, fn: () => Promise<string>) => step(emit, `${name}${as}`, s3Fix(bucket), fn);
  const skip = (steps: string[], target: string, reason: string) => emit({ status: "skipped", step: `${steps.join(", ")} ${target}${as}`, reason });
  const bucketArn = `arn:aws:s3:::${bucket}`;
  const headed = await run(`s3:HeadBucket ${bucket}`, async () => {
    const out = await call({ operation: "HeadBucket", resourceArn: bucketArn }, () => s3.send(new HeadBucketCommand({ Bucket: bucket })));
    // The rest (a presigned URL above all) must be signed for the bucket's own region.
    if (out.BucketRegion && out.BucketRegion !== region) s3 = qa.s3For(out.BucketRegion);
    return `reachable${out.BucketRegion ? ` (${out.BucketRegion})` : ""}`;
  });
  if (!headed) {
    skip([...READ_STEPS.slice(1), ...(write ? WRITE_STEPS : [])], bucket, "because s3:HeadBucket failed: fix that first");
    return;
  }
  let sample: string | undefined;
  const listed = await run(`s3:ListObjectsV2 ${bucket}`, async () => {
    const out = await call({ operation: "ListObjectsV2", resourceArn: bucketArn }, () => s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 50 })));
    // Zero-byte "folder/" markers cannot be range-read: sample a real object.
    sample = out.Contents?.find((o) => (o.Size ?? 0) > 0)?.Key;
    return sample ? `sample key ${sample}` : "no non-empty object among the first keys";
  });
  if (sample) {
    const key = sample;
    await run(`s3:GetObject s3://${bucket}/${key}`, async () => {
      const out = await call({ operation: "GetObject", resourceArn: `${bucketArn}/${key}` }, () =>
        s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: "bytes=0-0" })),
      );
      await out.Body?.transformToByteArray();
      return "readable";
    });
  } else {
    skip(
      ["s3:GetObject"],
      bucket,
      listed ? "because there is no non-empty object among the first 50 keys to read" : "because s3:ListObjectsV2 failed: there is no sample key to read",
    );
  }
  if (!write) return;

  const key = `s3beat-check/${randomUUID()}.txt`;
  const copy = key.replace(/\.txt$/, "-copy.txt");
  const objArn = (k: string) => `${bucketArn}/${k}`;
  const put = await run(`s3:PutObject s3://${bucket}/${key}`, async () => {
    await call({ operation: "PutObject", resourceArn: objArn(key) }, () => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "x" })));
    return "1 byte written";
  });
  if (!put) {
    skip(WRITE_STEPS.slice(1), `s3://${bucket}/s3beat-check/`, "because s3:PutObject failed: there is no test object to copy, read or delete");
    return;
  }
  const copied = await run(`s3:CopyObject to s3://${bucket}/${copy}`, async () => {
    await call({ operation: "CopyObject", resourceArn: objArn(copy) }, () =>
      s3.send(new CopyObjectCommand({ Bucket: bucket, Key: copy, CopySource: `${bucket}/${encodeURIComponent(key).replace(/%2F/g, "/")}` })),
    );
    return "copied";
  });
  if (copied) {
    await run(`s3:GetObject s3://${bucket}/${copy}`, async () => {
      const out = await call({ operation: "GetObject", resourceArn: objArn(copy) }, () => s3.send(new GetObjectCommand({ Bucket: bucket, Key: copy })));
      const body = await out.Body?.transformToString();
      if (body !== "x") throw new Error(`read back ${JSON.stringify(body)} instead of "x"`);
      return "read back";
    });
  } else {
    skip(["s3:GetObject (read back)"], `s3://${bucket}/${copy}`, "because s3:CopyObject failed: there is no copy to read");
  }
  await step(
    emit,
    `presigned GET s3://${bucket}/${key}${as}`,
    "check that the system clock is in sync (NTP) and that endpoints.s3 and s3ForcePathStyle address the bucket the way S3 expects",
    async () => {
      const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 60 });
      const res = await fetch(url);
      const body = await res.text();
      if (res.status !== 200 || body !== "x") throw new Error(`HTTP ${res.status} (${body.slice(0, 200)})`);
      return "HTTP 200";
    },
  );
  for (const k of copied ? [copy, key] : [key]) {
    await run(`s3:DeleteObject s3://${bucket}/${k}`, async () => {
      await call({ operation: "DeleteObject", resourceArn: objArn(k) }, () => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: k })));
      return "deleted";
    });
  }
}
