import { describe, expect, it } from "vitest";
import { fakeBackend } from "./fake";

describe("fakeBackend", () => {
  it("answers with the members given and rejects, by name, any command not faked", async () => {
    const b = fakeBackend({ listNamespaces: async () => ["demo"] });
    expect(b.kind).toBe("mock");
    expect(await b.listNamespaces("p")).toEqual(["demo"]);
    await expect(b.configDir()).rejects.toThrow("the fake backend has no configDir");
    // Not mistaken for a promise when awaited.
    expect(await Promise.resolve(b)).toBe(b);
  });
});
