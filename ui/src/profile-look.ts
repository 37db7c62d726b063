// How a profile looks wherever it appears (tab stripes, the tab list, the sidebar): its colour
// and the production marking. The palette's names come from the engine (`ProfileColour` in
// podterm-core's profiles.rs); the shade of each is the UI's.
import type { ProfileColour } from "./ipc/types";
import { profileHue } from "./terminal/tabs";

/** The hue of each palette colour (every name the engine knows must have one). */
export const COLOUR_HUES: Record<ProfileColour, number> = {
  red: 0,
  orange: 28,
  yellow: 48,
  green: 130,
  teal: 178,
  blue: 215,
  purple: 275,
  pink: 325,
};

/** The palette, in the order the form offers it. */
export const COLOURS = Object.keys(COLOUR_HUES) as ProfileColour[];

export interface ProfileLook {
  hue: number;
  production: boolean;
}

/** What the UI knows of a profile's look (a listed profile; fields absent: the defaults). */
export interface LookSource {
  colour?: ProfileColour | null;
  production?: boolean;
}

/**
 * A profile's look: its chosen colour, else one derived from its name (the same every time);
 * `production` as saved. An unknown profile (not listed yet) gets the derived colour.
 */
export function profileLook(name: string, source?: LookSource | null): ProfileLook {
  const chosen = source?.colour ? COLOUR_HUES[source.colour] : undefined;
  return { hue: chosen ?? profileHue(name), production: source?.production === true };
}
