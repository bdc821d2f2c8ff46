/** ObjectError: its message names the object, queue and message with the cause; it carries the context, the cause and the poison verdict. */
import { describe, expect, it } from "vitest";
import { ObjectError } from "../../src/pipeline/errors.ts";

const where = { queue: "logs-queue", messageId: "m-123", bucket: "logs-bucket", key: "app/x.log" };

describe("ObjectError", () => {
  it("says which object, queue and message failed, and why", () => {
    const cause = Object.assign(new Error("Access Denied"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } });
    const err = new ObjectError("cannot get object", where, cause);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe("ObjectError");
    expect(err.message).toBe("cannot get object (s3://logs-bucket/app/x.log, queue logs-queue, message m-123): AccessDenied: Access Denied");
    expect(err.cause).toBe(cause);
    expect(err.context).toBe(where);
    expect(err.poison).toBeUndefined();
  });

  it("describes a cause that is not an Error as text", () => {
    expect(new ObjectError("cannot read object after 3 events", where, "boom").message).toBe(
      "cannot read object after 3 events (s3://logs-bucket/app/x.log, queue logs-queue, message m-123): boom",
    );
  });

  it("carries the poison verdict", () => {
    const poison = { reason: "corrupt gzip data", offset: 42, events: 7 };
    const err = new ObjectError("cannot read object after 7 events", where, new Error("bad"), poison);
    expect(err.poison).toEqual(poison);
    expect(String(err)).toBe("ObjectError: cannot read object after 7 events (s3://logs-bucket/app/x.log, queue logs-queue, message m-123): bad");
  });
});
