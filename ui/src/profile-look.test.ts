import { describe, expect, it } from "vitest";
import { COLOURS, COLOUR_HUES, profileLook } from "./profile-look";
import { profileHue } from "./terminal/tabs";

describe("profileLook", () => {
  it("uses the chosen colour, else the name's own hue", () => {
    expect(profileLook("prod", { colour: "red", production: true })).toEqual({ hue: 0, production: true });
    expect(profileLook("staging", { colour: null })).toEqual({ hue: profileHue("staging"), production: false });
    expect(profileLook("unknown")).toEqual({ hue: profileHue("unknown"), production: false });
  });

  it("offers every palette colour with a distinct hue", () => {
    expect(COLOURS).toContain("blue");
    expect(new Set(COLOURS.map((c) => COLOUR_HUES[c])).size).toBe(COLOURS.length);
  });
});
