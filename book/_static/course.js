/* Course book: fold each exercise's solution behind a "Show solution" button.
 *
 * Solution cells carry the class tag_solution (myst-nb adds it to code cells, our
 * extension book/_ext/course.py to markdown cells). Consecutive solution cells are one
 * solution: they are moved together into a <details> element, closed by default.
 * Without JavaScript the solutions simply stay visible.
 */
(function () {
  "use strict";

  function label(details) {
    return details.open ? "Hide solution" : "Show solution";
  }

  function foldSolutions() {
    const seen = new Set();
    document.querySelectorAll(".tag_solution").forEach(function (cell) {
      if (seen.has(cell) || cell.closest("details.solution")) {
        return;
      }
      const group = [cell];
      let next = cell.nextElementSibling;
      while (next && next.classList.contains("tag_solution")) {
        group.push(next);
        next = next.nextElementSibling;
      }
      group.forEach(function (c) { seen.add(c); });

      const details = document.createElement("details");
      details.className = "solution";
      const summary = document.createElement("summary");
      summary.className = "solution-toggle";
      summary.textContent = label(details);
      const body = document.createElement("div");
      body.className = "solution-body";
      details.appendChild(summary);
      details.appendChild(body);
      cell.parentNode.insertBefore(details, cell);
      group.forEach(function (c) { body.appendChild(c); });
      details.addEventListener("toggle", function () {
        summary.textContent = label(details);
      });
    });
    // A link to an anchor inside a solution opens that solution.
    if (window.location.hash) {
      let target = null;
      try {
        target = document.querySelector(window.location.hash);
      } catch (e) {
        target = null;
      }
      const details = target && target.closest("details.solution");
      if (details) {
        details.open = true;
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", foldSolutions);
  } else {
    foldSolutions();
  }
})();
