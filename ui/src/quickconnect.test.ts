import { describe, expect, it } from "vitest";
import { quickConnectNote, type NotePart } from "./quickconnect";

const text = (parts: NotePart[]) => parts.map((p) => (typeof p === "string" ? p : p.code)).join("");
const codes = (parts: NotePart[]) => parts.filter((p): p is { code: string } => typeof p !== "string").map((p) => p.code);

describe("the first-run card's quick-connect note", () => {
  const entry = "/home/u/.local/share/applications/Podterm.desktop";

  it("names the tray and the launcher entry when both exist", () => {
    const n = quickConnectNote({ tray: true, launcherEntry: entry });
    expect(text(n)).toMatch(/^Quick-connect from anywhere: the Podterm icon in the tray/);
    expect(text(n)).toContain("right-click on Podterm in your launcher");
    expect(codes(n)).toEqual([entry]);
    expect(text(quickConnectNote({ tray: true, launcherEntry: null }))).toMatch(/shell\.$/);
  });

  it("without a tray points to the launcher", () => {
    const n = quickConnectNote({ tray: false, launcherEntry: entry });
    expect(text(n)).toMatch(/^This desktop shows no tray icon for Podterm: right-click Podterm in your launcher/);
    expect(codes(n)).toEqual([entry]);
    const none = quickConnectNote({ tray: false, launcherEntry: null });
    expect(text(none)).toContain("star a pod");
    expect(codes(none)).toEqual([]);
  });
});
