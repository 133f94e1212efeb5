/* Course book: two fixes to Sphinx's search page (searchtools.js); nothing else.
 *
 * 1. Opened from disk (file://), the search page cannot fetch the pages it found to show
 *    a snippet of each (browsers refuse fetch() of file: URLs, and log an error per
 *    result). There the results are listed with their titles only.
 * 2. Snippets are cut from the pages' HTML before MathJax has run, so a formula shows as
 *    its TeX source, e.g. "\(28 \times 28\)". Here it reads "28 × 28".
 *
 * Solutions are folded by myst-nb (code cells tagged hide-cell) and sphinx-design
 * (markdown cells, see book/_ext/course.py), without JavaScript.
 */
(function () {
  "use strict";

  // DOCUMENTATION_OPTIONS and Search are global constants of Sphinx's scripts, not
  // properties of window.
  if (window.location.protocol === "file:" && typeof DOCUMENTATION_OPTIONS !== "undefined") {
    DOCUMENTATION_OPTIONS.SHOW_SEARCH_SUMMARY = false;
  }

  const SYMBOLS = {
    times: "×", cdot: "·", le: "≤", leq: "≤", ge: "≥", geq: "≥", ne: "≠", neq: "≠",
    to: "→", rightarrow: "→", in: "∈", ldots: "…", dots: "…", cdots: "⋯", approx: "≈",
    sum: "Σ", infty: "∞", sigma: "σ", mu: "μ", alpha: "α", beta: "β", lambda: "λ",
  };

  /* Plain text for the TeX of one formula: delimiters, commands and braces dropped. */
  function plainMath(tex) {
    return tex
      .replace(/^\s*\\[([]/, "")
      .replace(/\\[)\]]\s*$/, "")
      .replace(/\\(begin|end)\{[^}]*\}/g, " ")
      .replace(/\\\\/g, "; ")
      .replace(/&/g, ", ")
      .replace(/\\([a-zA-Z]+)/g, (match, name) => (name in SYMBOLS ? SYMBOLS[name] : ""))
      .replace(/\\[,;:! ]/g, " ")
      .replace(/[{}]/g, "")
      .replace(/\s+/g, " ")
      .trim();
  }

  function patchSearch() {
    const search = typeof Search !== "undefined" ? Search : null;
    if (!search || typeof search.htmlToText !== "function" || search.coursePatched) {
      return;
    }
    const htmlToText = search.htmlToText;
    search.htmlToText = function (htmlString, anchor) {
      const doc = new DOMParser().parseFromString(htmlString, "text/html");
      doc.querySelectorAll(".math").forEach((el) => {
        el.textContent = " " + plainMath(el.textContent) + " ";
      });
      return htmlToText(doc.documentElement.outerHTML, anchor);
    };
    search.coursePatched = true;
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", patchSearch);
  } else {
    patchSearch();
  }
})();
