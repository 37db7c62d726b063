// Where quick-connect lives on this desktop, said on the first-run card: the tray menu when
// there is a tray, the launcher's right-click actions (the desktop entry Podterm writes with one
// action per favourite) either way.
import type { AppSettings } from "./ipc/generated";

/** A piece of the note: words, or a path shown as code. */
export type NotePart = string | { code: string };

/** The card's note for `settings` (the `tray` and `launcherEntry` it reports). */
export function quickConnectNote(settings: Pick<AppSettings, "tray" | "launcherEntry">): NotePart[] {
  const parts: NotePart[] = [
    settings.tray
      ? "Quick-connect from anywhere: the Podterm icon in the tray lists your favourites and recent sessions, one click from a shell"
      : "This desktop shows no tray icon for Podterm",
  ];
  if (settings.launcherEntry) {
    parts.push(
      settings.tray ? "; so does a right-click on Podterm in your launcher (" : ": right-click Podterm in your launcher for your favourites (",
      { code: settings.launcherEntry },
      ").",
    );
  } else {
    parts.push(settings.tray ? "." : ": star a pod, and its workload appears when you right-click Podterm in your launcher.");
  }
  return parts;
}
