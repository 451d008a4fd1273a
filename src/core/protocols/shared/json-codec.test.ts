import { describe, expect, it } from "vitest";
import { memberText } from "./json-codec.js";

describe("memberText", () => {
  it("answers the exact text of a top-level object member, wherever it sits and however spaced", () => {
    const sdk = '{"Item":{"pk":{"N":"1"},"m":{"M":{"Item":{"S":"{not a brace}"}}},"l":{"L":[{"S":"]"}]}},"TableName":"bench"}';
    expect(memberText(sdk, "Item")).toBe('{"pk":{"N":"1"},"m":{"M":{"Item":{"S":"{not a brace}"}}},"l":{"L":[{"S":"]"}]}}');
    const boto = '{"TableName": "bench", "Item" : {"pk": {"S": "a"}, "x": {"BOOL": true}}, "ReturnValues": "NONE"}';
    expect(memberText(boto, "Item")).toBe('{"pk": {"S": "a"}, "x": {"BOOL": true}}');
    expect(JSON.parse(memberText(boto, "Item")!)).toEqual(JSON.parse(boto).Item);
  });

  it("declines escapes, a repeated member, a missing one, a non-object value and a name only seen as a value or deeper", () => {
    expect(memberText('{"Item":{"a":{"S":"q\\"}"}}}', "Item")).toBeUndefined();
    expect(memberText('{"Item":{"a":{"S":"1"}},"Item":{"b":{"S":"2"}}}', "Item")).toBeUndefined();
    expect(memberText('{"TableName":"Item"}', "Item")).toBeUndefined();
    expect(memberText('{"Item":"x"}', "Item")).toBeUndefined();
    expect(memberText('{"Item":[1]}', "Item")).toBeUndefined();
    expect(memberText('{"Key":{"Item":{"S":"x"}}}', "Item")).toBeUndefined();
    expect(memberText('{"Items":{"a":{"S":"x"}}}', "Item")).toBeUndefined();
  });
});
