import { describe, expect, it } from "vitest";
import { commandError, crashingOf, errorKind, errorMessage, isCommandError } from "./errors";

describe("errors from commands", () => {
  it("an error object shows its message, then its hint", () => {
    expect(errorMessage({ kind: "notFound", message: 'no saved cluster named "x"', hint: null })).toBe('no saved cluster named "x"');
    expect(
      errorMessage({ kind: "local", message: "cannot read /k: no file access", hint: "run the Podterm app to import a kubeconfig" }),
    ).toBe("cannot read /k: no file access: run the Podterm app to import a kubeconfig");
    expect(errorMessage({ kind: "local", message: "m", hint: "" })).toBe("m");
  });

  it("plain strings, Errors and other objects are still shown, never as [object Object]", () => {
    expect(errorMessage("session 3 has ended")).toBe("session 3 has ended");
    expect(errorMessage(new Error("boom"))).toBe("boom");
    expect(errorMessage({ message: "only a message" })).toBe("only a message");
    expect(errorMessage({ error: "an error field" })).toBe("an error field");
    expect(errorMessage({ code: 7 })).toBe('{"code":7}');
    expect(errorMessage(42)).toBe("42");
  });

  it("a crashing pod named by an error is read only when whole", () => {
    const crashing = { namespace: "prod", pod: "api-1", container: "app" };
    const err = { kind: "notFound", message: "no Ready pod", hint: null, crashing };
    expect(crashingOf(err)).toEqual(crashing);
    expect(commandError(err)?.crashing).toEqual(crashing);
    expect(crashingOf({ kind: "notFound", message: "m", hint: null, crashing: null })).toBeNull();
    expect(crashingOf({ kind: "notFound", message: "m", hint: null })).toBeNull();
    expect(crashingOf({ kind: "notFound", message: "m", hint: null, crashing: { pod: "api-1" } })).toBeNull();
    expect(crashingOf({ kind: "notFound", message: "m", hint: null, crashing: { namespace: "p", pod: "", container: "app" } })).toBeNull();
    expect(crashingOf("no Ready pod")).toBeNull();
  });

  it("the kind is read from an error object only", () => {
    expect(errorKind({ kind: "credentialsRefused", message: "the cluster refused the token", hint: "edit the cluster" })).toBe(
      "credentialsRefused",
    );
    expect(errorKind({ kind: "sessionEnded", message: "session 3 has ended" })).toBe("sessionEnded");
    expect(errorKind("credentialsRefused: the cluster refused the token")).toBeNull();
    expect(errorKind(new Error("x"))).toBeNull();
    expect(isCommandError({ kind: "local", message: 3, hint: null })).toBe(false);
    expect(isCommandError({ kind: "local", message: "m", hint: 3 })).toBe(false);
  });
});
