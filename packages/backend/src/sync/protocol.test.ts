import { describe, expect, test } from "vitest";
import { BackendError } from "../errors/backend-error.js";
import {
  decodeTs,
  encodeServerMessage,
  encodeTs,
  parseClientMessage,
} from "./protocol.js";

describe("encodeTs / decodeTs", () => {
  test("encodes timestamps as base64 of little-endian u64, as the client's longToU64 does", () => {
    expect(encodeTs(0n)).toBe("AAAAAAAAAAA=");
    expect(encodeTs(1732200000000000000n)).toBe("AIDu77gCChg=");
    expect(encodeTs(1732200000123000000n)).toBe("wFRD97gCChg=");
  });

  test("round-trips the largest u64", () => {
    const max = (1n << 64n) - 1n;
    expect(decodeTs(encodeTs(max))).toBe(max);
  });

  test("rejects strings that are not exactly 8 bytes of base64", () => {
    expect(() => decodeTs("AAAA")).toThrow(BackendError);
    expect(() => decodeTs("not base64!")).toThrow(BackendError);
  });
});

describe("parseClientMessage", () => {
  test("parses a Connect frame as sent by the 1.48 client", () => {
    const msg = parseClientMessage(
      JSON.stringify({
        type: "Connect",
        sessionId: "d111797e",
        connectionCount: 1,
        lastCloseReason: "InternalServerError",
        maxObservedTimestamp: "AIDu77gCChg=",
        clientTs: 1732200000000,
      }),
    );
    expect(msg).toEqual({
      type: "Connect",
      sessionId: "d111797e",
      connectionCount: 1,
      lastCloseReason: "InternalServerError",
      maxObservedTimestamp: 1732200000000000000n,
      clientTs: 1732200000000,
    });
  });

  test("parses ModifyQuerySet with Add (journal, componentPath) and Remove", () => {
    const msg = parseClientMessage(
      JSON.stringify({
        type: "ModifyQuerySet",
        baseVersion: 0,
        newVersion: 1,
        modifications: [
          {
            type: "Add",
            queryId: 0,
            udfPath: "messages:list",
            args: [{}],
            journal: "j",
            componentPath: "",
          },
          { type: "Remove", queryId: 3 },
        ],
      }),
    );
    expect(msg).toEqual({
      type: "ModifyQuerySet",
      baseVersion: 0,
      newVersion: 1,
      modifications: [
        {
          type: "Add",
          queryId: 0,
          udfPath: "messages:list",
          args: [{}],
          journal: "j",
          componentPath: "",
        },
        { type: "Remove", queryId: 3 },
      ],
    });
  });

  test("parses every Authenticate token type", () => {
    expect(
      parseClientMessage(
        '{"type":"Authenticate","tokenType":"None","baseVersion":0}',
      ),
    ).toEqual({
      type: "Authenticate",
      tokenType: "None",
      baseVersion: 0,
    });
    expect(
      parseClientMessage(
        '{"type":"Authenticate","tokenType":"Admin","value":"k","baseVersion":2,"impersonating":{"subject":"u"}}',
      ),
    ).toEqual({
      type: "Authenticate",
      tokenType: "Admin",
      value: "k",
      baseVersion: 2,
      impersonating: { subject: "u" },
    });
  });

  test.each([
    ["invalid JSON", "{"],
    ["a non-object", "[1]"],
    ["an unknown type", '{"type":"Nope"}'],
    [
      "a negative request id",
      '{"type":"Mutation","requestId":-1,"udfPath":"a:b","args":[{}]}',
    ],
    [
      "args that are not an array",
      '{"type":"Action","requestId":1,"udfPath":"a:b","args":{}}',
    ],
    [
      "a bad modification",
      '{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":[{"type":"X"}]}',
    ],
    [
      "a bad token type",
      '{"type":"Authenticate","tokenType":"Bearer","baseVersion":0}',
    ],
    [
      "a bad timestamp",
      '{"type":"Connect","sessionId":"s","connectionCount":0,"lastCloseReason":null,"maxObservedTimestamp":"x"}',
    ],
  ])("rejects %s with BadRequest", (_name, text) => {
    try {
      parseClientMessage(text);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(BackendError);
      expect((e as BackendError).code).toBe("BadRequest");
    }
  });
});

describe("encodeServerMessage", () => {
  test("encodes a Transition's versions with base64 timestamps", () => {
    const text = encodeServerMessage({
      type: "Transition",
      startVersion: { querySet: 0, identity: 0, ts: 0n },
      endVersion: { querySet: 1, identity: 0, ts: 1732200000000000000n },
      modifications: [
        {
          type: "QueryUpdated",
          queryId: 0,
          value: [],
          logLines: [],
          journal: null,
        },
      ],
    });
    expect(JSON.parse(text)).toEqual({
      type: "Transition",
      startVersion: { querySet: 0, identity: 0, ts: "AAAAAAAAAAA=" },
      endVersion: { querySet: 1, identity: 0, ts: "AIDu77gCChg=" },
      modifications: [
        {
          type: "QueryUpdated",
          queryId: 0,
          value: [],
          logLines: [],
          journal: null,
        },
      ],
    });
  });

  test("encodes a failed MutationResponse without a ts and a successful one with it", () => {
    expect(
      JSON.parse(
        encodeServerMessage({
          type: "MutationResponse",
          requestId: 1,
          success: false,
          result: "boom",
          logLines: [],
          errorData: { code: "EMPTY" },
        }),
      ),
    ).toEqual({
      type: "MutationResponse",
      requestId: 1,
      success: false,
      result: "boom",
      logLines: [],
      errorData: { code: "EMPTY" },
    });
    expect(
      JSON.parse(
        encodeServerMessage({
          type: "MutationResponse",
          requestId: 0,
          success: true,
          result: "x",
          ts: 0n,
          logLines: [],
        }),
      ),
    ).toEqual({
      type: "MutationResponse",
      requestId: 0,
      success: true,
      result: "x",
      ts: "AAAAAAAAAAA=",
      logLines: [],
    });
  });
});
