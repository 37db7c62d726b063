import { describe, expect, it } from "vitest";
import type { MadeCopy } from "../ipc/types";
import { deleteByHand, deletedNote, leftCopiesTitle, leftCopyLine } from "./left-copies";

const copy: MadeCopy = { profile: "ops", namespace: "demo", name: "crashy-debug-x2k9p", of: "crashy" };
const inProfileNamespace: MadeCopy = { ...copy, namespace: "" };

describe("copies a run before left", () => {
  it("the card counts them and names each with its original, namespace and cluster", () => {
    expect(leftCopiesTitle(1)).toBe("Podterm's last run did not delete a pod it made for a tab:");
    expect(leftCopiesTitle(3)).toBe("Podterm's last run did not delete 3 pods it made for tabs:");
    expect(leftCopyLine(copy)).toBe("crashy-debug-x2k9p, a copy of crashy (namespace demo, cluster ops)");
    // A tab that asked for the profile's namespace says none.
    expect(leftCopyLine(inProfileNamespace)).toBe("crashy-debug-x2k9p, a copy of crashy (cluster ops)");
    // A shell on a node's pod.
    expect(leftCopyLine({ ...copy, name: "node-debugger-n1-x2k9p", of: "node/n1" })).toBe("node-debugger-n1-x2k9p, a shell on node n1 (namespace demo, cluster ops)");
  });

  it("a kept copy says how to delete it by hand, in its namespace when it has one", () => {
    expect(deleteByHand(copy)).toBe("kubectl delete pod -n demo crashy-debug-x2k9p");
    expect(deleteByHand(inProfileNamespace)).toBe("kubectl delete pod crashy-debug-x2k9p");
  });

  it("what a deletion found: nothing to say when deleted; gone, or another pod's name, said", () => {
    expect(deletedNote(copy, "deleted")).toBeNull();
    expect(deletedNote(copy, "gone")).toBe("crashy-debug-x2k9p was already gone.");
    expect(deletedNote(copy, "notOurs")).toBe("crashy-debug-x2k9p is now another pod (not Podterm's copy of crashy): left alone.");
  });
});
