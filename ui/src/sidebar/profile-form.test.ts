import { describe, expect, it } from "vitest";
import { emptyFields, fieldsFromDetails, profileInput } from "./profile-form";

describe("profile form", () => {
  it("a new profile: trimmed fields; an empty namespace, CA or token is null", () => {
    const f = { ...emptyFields(), name: " staging ", server: " https://10.0.0.1:6443 ", namespace: "  ", caPem: "\n", token: "" };
    expect(profileInput(f, null)).toEqual({
      original: null,
      name: "staging",
      server: "https://10.0.0.1:6443",
      namespace: null,
      caPem: null,
      insecure: false,
      token: null,
    });
    expect(emptyFields().server).toBe("https://");
  });

  it("editing keeps the original name (a rename), and the token box starts empty: unchanged", () => {
    const details = {
      name: "staging",
      server: "https://10.0.0.1:6443",
      namespace: null,
      caPem: "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n",
      insecure: true,
      authKind: "token",
      hasToken: true,
    };
    const f = fieldsFromDetails(details);
    expect(f).toMatchObject({ name: "staging", namespace: "", insecure: true, token: "" });
    const input = profileInput({ ...f, name: "prod", namespace: "apps" }, details.name);
    expect(input).toEqual({
      original: "staging",
      name: "prod",
      server: "https://10.0.0.1:6443",
      namespace: "apps",
      caPem: "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----",
      insecure: true,
      token: null,
    });
    expect(profileInput({ ...f, token: " abc " }, "staging").token).toBe("abc");
  });
});
