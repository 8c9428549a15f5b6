/// <reference lib="dom" />
/**
 * CodeMirror's own styles without an inline `<style>` element. CodeMirror keeps its CSS in
 * style modules (npm `style-mod`), which a document gets as a `<style>` element it creates
 * (constructed stylesheets only for shadow roots); the console's Content-Security-Policy
 * (`style-src 'self'`) blocks that element. `adoptStyleModules()` makes modules mount into one
 * constructed stylesheet adopted by the document instead, which the policy allows, keeping
 * the order style-mod keeps: a module is placed where the mounted list puts it, and one seen
 * before a module it now follows is moved after it. The rules sit in the cascade layer
 * `codemirror`, so the console's stylesheet (unlayered) themes the editor whatever the order of
 * the sheets and the specificity of CodeMirror's generated selectors.
 *
 * @module
 */

import { StyleModule } from "style-mod";

/** The document's modules, in order, and the sheet that holds their rules. */
interface Mounted {
  modules: StyleModule[];
  sheet: CSSStyleSheet;
}

const mounted = new WeakMap<Document | ShadowRoot, Mounted>();

/** Merges `list` into `current` the way style-mod orders modules; true if anything moved. */
export function mergeModules<T>(current: T[], list: readonly T[]): boolean {
  let changed = false;
  let j = 0;
  for (const m of list) {
    let index = current.indexOf(m);
    if (index > -1 && index < j) {
      current.splice(index, 1);
      j--;
      index = -1;
      changed = true;
    }
    if (index === -1) {
      current.splice(j++, 0, m);
      changed = true;
    } else {
      j = index + 1;
    }
  }
  return changed;
}

/** Makes every later `StyleModule.mount` use a constructed, adopted stylesheet. */
export function adoptStyleModules(): void {
  StyleModule.mount = (root, modules) => {
    const target = root as Document | ShadowRoot;
    let m = mounted.get(target);
    if (!m) {
      m = { modules: [], sheet: new CSSStyleSheet() };
      mounted.set(target, m);
    }
    const list = Array.isArray(modules) ? modules : [modules as StyleModule];
    if (mergeModules(m.modules, list)) {
      m.sheet.replaceSync(
        `@layer codemirror {\n${m.modules.map((x) => x.getRules()).join("\n")}\n}`,
      );
    }
    if (!target.adoptedStyleSheets.includes(m.sheet)) {
      target.adoptedStyleSheets = [m.sheet, ...target.adoptedStyleSheets];
    }
  };
}
