// A Backend for unit tests that fake only the commands they use.
import type { Backend } from "./index";

/**
 * The members given, and every other command rejecting with its name: a test that calls one it
 * did not fake fails saying which, and a new command in the contract needs no edit here.
 */
export function fakeBackend(members: Partial<Backend>): Backend {
  const target = { kind: "mock", ...members } as Backend;
  return new Proxy(target, {
    get(t, prop, receiver) {
      if (prop in t) return Reflect.get(t, prop, receiver);
      // Not a thenable; anything else is a command the test did not fake.
      if (typeof prop !== "string" || prop === "then") return undefined;
      return async () => {
        throw new Error(`the fake backend has no ${prop}`);
      };
    },
  });
}
