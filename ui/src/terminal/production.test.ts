import { describe, expect, it } from "vitest";
import { ProductionGate, productionQuestion, shownName } from "./production";

/** A gate over `production` profiles whose questions wait until the test answers them. */
function gate(production: Set<string>) {
  const asked: { profile: string; answer(yes: boolean): void }[] = [];
  const g = new ProductionGate(
    (p) => production.has(p),
    (profile) => new Promise<boolean>((resolve) => asked.push({ profile, answer: resolve })),
  );
  return { g, asked };
}

describe("the production question", () => {
  it("never asks for a profile that is not production", async () => {
    const { g, asked } = gate(new Set(["prod"]));
    expect(g.allows("demo")).toBe(true);
    expect(await g.check("demo")).toBe(true);
    expect(asked).toEqual([]);
  });

  it("asks once per profile and run: sessions waiting together share one question, later ones pass", async () => {
    const { g, asked } = gate(new Set(["prod", "prod-eu"]));
    expect(g.allows("prod")).toBe(false);
    const first = g.check("prod");
    const second = g.check("prod");
    expect(asked.map((a) => a.profile)).toEqual(["prod"]);
    asked[0]!.answer(true);
    expect(await first).toBe(true);
    expect(await second).toBe(true);
    expect(g.allows("prod")).toBe(true);
    expect(await g.check("prod")).toBe(true);
    expect(asked).toHaveLength(1);
    // Another production profile has its own question.
    const eu = g.check("prod-eu");
    expect(asked.map((a) => a.profile)).toEqual(["prod", "prod-eu"]);
    asked[1]!.answer(true);
    expect(await eu).toBe(true);
  });

  it("a no opens none of the waiting sessions, and the next session asks again", async () => {
    const { g, asked } = gate(new Set(["prod"]));
    const a = g.check("prod");
    const b = g.check("prod");
    asked[0]!.answer(false);
    expect([await a, await b]).toEqual([false, false]);
    expect(g.allows("prod")).toBe(false);
    const again = g.check("prod");
    expect(asked).toHaveLength(2);
    asked[1]!.answer(true);
    expect(await again).toBe(true);
  });

  it("a profile marked production while the app runs asks from then on", async () => {
    const production = new Set<string>();
    const { g, asked } = gate(production);
    expect(await g.check("staging")).toBe(true);
    production.add("staging");
    expect(g.allows("staging")).toBe(false);
    void g.check("staging");
    expect(asked.map((a) => a.profile)).toEqual(["staging"]);
  });

  it("names the profile, escaped and cut", () => {
    expect(productionQuestion("prod").title).toBe("Open a shell in production cluster prod?");
    const hostile = `evil\x1b]0;pwned\x07\u202e${"x".repeat(200)}`;
    const shown = shownName(hostile);
    expect(shown).not.toMatch(/[\x00-\x1f\u202e]/);
    expect(shown.startsWith("evil\\u{1b}]0;pwned\\u{7}\\u{202e}x")).toBe(true);
    expect([...shown]).toHaveLength(81);
    expect(productionQuestion(hostile).title).toContain(shown);
  });
});
