/**
 * A fake HTTP layer for sts:AssumeRole in unit tests: it replaces NodeHttpHandler.handle (the
 * handler s3beat gives every SDK client), records each AssumeRole request as the SDK built and
 * signed it, and answers with STS's XML. No socket is opened; any other request fails the test.
 */
import { Readable } from "node:stream";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { vi } from "vitest";

export interface StsRequest {
  /** Where the request went. */
  protocol: string;
  host: string;
  port: number | undefined;
  /** The AssumeRole form parameters (RoleArn, RoleSessionName, DurationSeconds, ExternalId). */
  params: Record<string, string>;
  /** The access key id that signed the request, and the region and service of its scope. */
  signedWith: string;
  signingRegion: string;
  /** The timeouts of the handler that sent it. */
  handler: { connectionTimeout?: number; socketTimeout?: number };
}

/** Answers AssumeRole n with `ASIAFAKE<n>EXAMPLE` credentials expiring at `expiration`. */
export function fakeStsHttp(expiration = "2099-01-01T00:00:00Z") {
  const requests: StsRequest[] = [];
  const spy = vi.spyOn(NodeHttpHandler.prototype, "handle").mockImplementation(async function (this: NodeHttpHandler, req) {
    const params = Object.fromEntries(new URLSearchParams(String(req.body)));
    if (params.Action !== "AssumeRole") throw new Error(`fakeStsHttp: unexpected request to ${req.hostname}${req.path}`);
    const scope = /Credential=([^/]+)\/\d+\/([^/]+)\/sts\//.exec(String(req.headers.authorization));
    // The handler's settings (the SDK resolves them lazily; `configProvider` holds them).
    const config = (await (this as unknown as { configProvider: Promise<StsRequest["handler"]> }).configProvider) ?? {};
    requests.push({
      protocol: req.protocol,
      host: req.hostname,
      port: req.port,
      params,
      signedWith: scope?.[1] ?? "",
      signingRegion: scope?.[2] ?? "",
      handler: { connectionTimeout: config.connectionTimeout, socketTimeout: config.socketTimeout },
    });
    const n = requests.length;
    const xml =
      `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>` +
      `<AccessKeyId>ASIAFAKE${n}EXAMPLE</AccessKeyId><SecretAccessKey>fake-secret-${n}</SecretAccessKey><SessionToken>fake-token-${n}</SessionToken>` +
      `<Expiration>${expiration}</Expiration></Credentials>` +
      `<AssumedRoleUser><Arn>arn:aws:sts::111111111111:assumed-role/fake/s3beat</Arn><AssumedRoleId>AROAFAKE:s3beat</AssumedRoleId></AssumedRoleUser>` +
      `</AssumeRoleResult><ResponseMetadata><RequestId>fake-${n}</RequestId></ResponseMetadata></AssumeRoleResponse>`;
    const response = { statusCode: 200, headers: { "content-type": "text/xml" }, body: Readable.from([Buffer.from(xml)]) };
    return { response } as unknown as Awaited<ReturnType<NodeHttpHandler["handle"]>>;
  });
  return { requests, restore: () => spy.mockRestore() };
}
