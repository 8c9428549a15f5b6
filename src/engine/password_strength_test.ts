import assert from "node:assert/strict";
import {
  estimateStrength,
  isCommonPassword,
  MIN_PASSWORD_LENGTH,
  passwordProblems,
} from "./password_strength.ts";

Deno.test("the policy asks for 12 characters, not the user name, not a common password", () => {
  assert.equal(MIN_PASSWORD_LENGTH, 12);
  assert.deepEqual(passwordProblems("j8Fh3kLq9zXw", "ada"), []);
  assert.match(passwordProblems("j8Fh3kLq9zX", "ada")[0]!, /at least 12 characters \(it has 11\)/);
  assert.deepEqual(passwordProblems("AdaLovelace1815", "adalovelace1815"), [
    "It must not be the user name",
  ]);
  assert.match(passwordProblems("x".repeat(1025), "a")[0]!, /at most 1024 characters/);
  // Counted in characters, not UTF-16 units.
  assert.match(passwordProblems("𝄞a𝄞b𝄞c𝄞d𝄞e𝄞", "ada")[0]!, /it has 11/);
});

Deno.test("common passwords are found however they are dressed up", () => {
  for (
    const p of [
      "password1234",
      "Password2024!",
      "P@ssw0rd!!!!",
      "qwertyuiop12",
      "!!!letmein!!!",
      "adminadminadmin",
      "Sunshine12345",
      "123456789012",
      "111111111111",
      "abcdefghijkl",
    ]
  ) {
    assert.ok(passwordProblems(p, "ada").length > 0, p);
  }
  assert.equal(isCommonPassword("correct horse battery staple"), false);
});

Deno.test("the estimate ranks passwords as people would", () => {
  const order = [
    "password1234",
    "summer2024summer",
    "ada-lovelace-1815",
    "xK9#mQ2$vL7@pR",
    "correct horse battery staple",
  ].map((p) => estimateStrength(p, "ada").bits);
  assert.deepEqual([...order].sort((a, b) => a - b), order);
  assert.equal(estimateStrength("password1234").score, 0);
  assert.equal(estimateStrength("correct horse battery staple").label, "Strong");
  // A refused password never shows better than weak.
  assert.ok(estimateStrength("ada".repeat(5), "ada").score <= 1);
  assert.match(estimateStrength("abc").hints[0]!, /at least 12/);
});
