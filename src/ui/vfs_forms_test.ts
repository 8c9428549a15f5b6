import assert from "node:assert/strict";
import { isVfsOption } from "../engine/mod.ts";
import { BACKEND_FORMS } from "./vfs_forms.ts";

Deno.test("every field of a backend's form is an option its type reads (the forms and the option rules agree)", () => {
  for (const form of BACKEND_FORMS) {
    for (const o of form.options) {
      assert.ok(isVfsOption(form.type, o.key), `${form.type}: ${o.key}`);
    }
  }
});
