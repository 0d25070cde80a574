/* Korea-NATO quizzes without a kernel: checks answers in the page, with the bank's own feedback.
   Each question's root is a div of class kn-quiz with data-question-id and data-kn-payload; the
   payload (answers, feedback, explanation) is XOR-encoded so the key is not plain text in the page.
   In JupyterLab a live ipywidgets quiz for the same question hides this copy; a widget output that
   could not be restored ("model not found") is hidden instead. No request leaves the page. */
(function () {
  "use strict";
  var KN = window.knQuiz;
  if (!KN || KN.version !== 1) {
    KN = window.knQuiz = { version: 1 };

    KN.decode = function (payload, seed) {
      var raw = atob(payload), key = "kn:" + seed, bytes = new Uint8Array(raw.length);
      for (var i = 0; i < raw.length; i++) {
        bytes[i] = raw.charCodeAt(i) ^ key.charCodeAt(i % key.length);
      }
      return JSON.parse(new TextDecoder("utf-8").decode(bytes));
    };

    var esc = function (text) {
      var div = document.createElement("div");
      div.textContent = text;
      return div.innerHTML;
    };
    var quoted = function (text, feedback) { return "\u201c" + text + "\u201d: " + feedback; };

    KN.normalise = function (text) {
      var folded = text.normalize("NFKC").toLowerCase().split(/\s+/).filter(Boolean).join(" ");
      while (folded && /\p{P}$/u.test(folded)) { folded = folded.slice(0, -1).trimEnd(); }
      return folded;
    };
    KN.parseNumber = function (text, unit) {
      var cleaned = text.split(/\s+/).filter(Boolean).join(" ");
      if (unit && cleaned.toLowerCase().endsWith(unit.toLowerCase())) {
        cleaned = cleaned.slice(0, -unit.length).trimEnd();
      }
      if (/^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(cleaned)) { cleaned = cleaned.replace(/,/g, ""); }
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(cleaned)) { return null; }
      var value = parseFloat(cleaned);
      return isFinite(value) ? value : null;
    };
    var near = function (given, expected, tolerance) {
      return Math.abs(given - expected) <= tolerance + 1e-9 * Math.max(1, Math.abs(expected));
    };

    var unanswered = function (headline, hint) { return { status: "unanswered", headline: headline, notes: [hint] }; };
    var parts = function (right, total, summary, notes) {
      if (right === total) { return { status: "correct", headline: "Correct.", notes: [] }; }
      if (right === 0) { return { status: "wrong", headline: "Not quite.", notes: [summary].concat(notes) }; }
      return { status: "partial", headline: "Partly right: " + right + " of " + total + ".", notes: [summary].concat(notes) };
    };

    /* One grader per type: (data, response) -> verdict. Same rules and words as grading.py. */
    KN.graders = {
      single: function (d, choice) {
        if (choice === null) { return unanswered("No answer selected yet.", "Choose one of the options, then press \u201cCheck answer\u201d."); }
        if (d.ok[choice]) { return { status: "correct", headline: "Correct.", notes: [d.fb[choice]] }; }
        return { status: "wrong", headline: "Not quite.", notes: [d.fb[choice], "Try another option."] };
      },
      multiple: function (d, ticked) {
        if (!ticked.some(Boolean)) { return unanswered("Nothing ticked yet.", "Tick every option you think is right, then press \u201cCheck answer\u201d."); }
        var notes = [], right = 0;
        for (var i = 0; i < d.ok.length; i++) {
          if (ticked[i] === d.ok[i]) { right++; } else { notes.push(quoted(d.texts[i], d.fb[i])); }
        }
        return parts(right, d.ok.length, right + " of " + d.ok.length + " options are judged correctly (ticked when right, left blank when wrong).", notes);
      },
      true_false: function (d, answer) {
        if (answer === null) { return unanswered("No answer selected yet.", "Choose True or False, then press \u201cCheck answer\u201d."); }
        var feedback = answer ? d.ft : d.ff;
        return answer === d.answer ? { status: "correct", headline: "Correct.", notes: [feedback] }
                                   : { status: "wrong", headline: "Not quite.", notes: [feedback] };
      },
      ordering: function (d, order) {
        var right = 0, first = null;
        for (var p = 0; p < order.length; p++) {
          if (d.pos[order[p]] === p) { right++; }
          if (first === null && p + 1 < order.length && d.pos[order[p]] > d.pos[order[p + 1]]) { first = p; }
        }
        if (first === null) { return { status: "correct", headline: "Correct.", notes: [] }; }
        var total = order.length;
        var summary = right + " of " + total + " items are in the right place.";
        var pair = "The first pair out of order: \u201c" + d.texts[order[first]] + "\u201d should come after \u201c" + d.texts[order[first + 1]] + "\u201d.";
        return right === 0 ? { status: "wrong", headline: "Not quite.", notes: [summary, pair] }
                           : { status: "partial", headline: "Partly right: " + right + " of " + total + ".", notes: [summary, pair] };
      },
      classification: function (d, chosen) {
        var missing = chosen.filter(function (c) { return c === null; }).length;
        if (missing) { return unanswered("Not every item has a category yet.", missing + (missing === 1 ? " item has" : " items have") + " none: choose one for each."); }
        var notes = [], right = 0;
        for (var i = 0; i < chosen.length; i++) {
          if (chosen[i] === d.cats[i]) { right++; } else { notes.push(quoted(d.texts[i], d.fb[i])); }
        }
        return parts(right, chosen.length, right + " of " + chosen.length + " items are sorted into the right category.", notes);
      },
      short_answer: function (d, typed) {
        typed = typed.trim();
        if (!typed) { return unanswered("No answer typed yet.", "Type your answer in the box, then press \u201cCheck answer\u201d."); }
        var i;
        if (d.kind === "number") {
          var value = KN.parseNumber(typed, d.unit);
          if (value === null) {
            return unanswered("\u201c" + typed + "\u201d is not a number.", "Type digits only, such as 42 or 3.5" + (d.unit ? ", optionally followed by " + d.unit : "") + ". This did not count as a try.");
          }
          if (near(value, d.answer, d.tol)) { return { status: "correct", headline: "Correct.", notes: [] }; }
          for (i = 0; i < d.wrong.length; i++) {
            if (near(value, d.wrong[i][0], d.tol)) { return { status: "wrong", headline: "Not quite.", notes: [d.wrong[i][1]] }; }
          }
          return { status: "wrong", headline: "Not quite.", notes: [d.fb] };
        }
        var given = KN.normalise(typed);
        if (d.accepted.indexOf(given) >= 0) { return { status: "correct", headline: "Correct.", notes: [] }; }
        for (i = 0; i < d.wrong.length; i++) {
          if (KN.normalise(d.wrong[i][0]) === given) { return { status: "wrong", headline: "Not quite.", notes: [d.wrong[i][1]] }; }
        }
        return { status: "wrong", headline: "Not quite.", notes: [d.fb] };
      }
    };

    /* The student's current answer, read from the controls, in the shape the grader takes. */
    var response = function (root, d) {
      var inputs;
      switch (d.t) {
        case "single":
          inputs = root.querySelectorAll("input.kn-choice");
          for (var i = 0; i < inputs.length; i++) { if (inputs[i].checked) { return i; } }
          return null;
        case "multiple":
          return Array.prototype.map.call(root.querySelectorAll("input.kn-choice"), function (box) { return box.checked; });
        case "true_false":
          var picked = root.querySelector("input.kn-choice:checked");
          return picked ? picked.value === "true" : null;
        case "ordering":
          return Array.prototype.map.call(root.querySelectorAll(".kn-order-row"), function (row) { return Number(row.dataset.item); });
        case "classification":
          return Array.prototype.map.call(root.querySelectorAll(".kn-classify-row"), function (row) {
            var checked = row.querySelector("input:checked");
            return checked ? checked.value : null;
          });
        default:
          return root.querySelector("input.kn-typed").value;
      }
    };

    var showVerdict = function (root, d, verdict, tries) {
      var notes = verdict.notes.slice(), lead = notes.length ? notes.shift() : "";
      var html = "<p><strong>" + esc(verdict.headline) + "</strong> " + esc(lead) + "</p>";
      if (notes.length) { html += "<ul>" + notes.map(function (n) { return "<li>" + esc(n) + "</li>"; }).join("") + "</ul>"; }
      var attempt = verdict.status !== "unanswered";
      if (attempt && verdict.status !== "correct") { html += "<p>Change your answer and press \u201cCheck answer\u201d again.</p>"; }
      if (verdict.status === "correct" || (attempt && tries >= 3)) {
        var label = verdict.status === "correct" ? "Explanation." : "Explanation (shown after three tries).";
        html += "<p><strong>" + label + "</strong> " + esc(d.ex) + "</p>";
      }
      var area = root.querySelector(".kn-feedback");
      area.innerHTML = '<div class="kn-verdict kn-verdict-' + verdict.status + '">' + html + "</div>";
    };

    var renumber = function (root) {
      var rows = root.querySelectorAll(".kn-order-row");
      Array.prototype.forEach.call(rows, function (row, place) {
        var select = row.querySelector("select");
        select.value = String(place + 1);
      });
    };

    KN.mount = function (root) {
      if (root.dataset.knReady) { return; }
      root.dataset.knReady = "1";
      var d = KN.decode(root.dataset.knPayload, root.dataset.questionId);
      var tries = 0, lastChecked = null;
      var clear = function () { root.querySelector(".kn-feedback").innerHTML = ""; };
      root.addEventListener("change", function (event) {
        var select = event.target.closest && event.target.closest(".kn-order-row select");
        if (select) {
          var row = select.closest(".kn-order-row"), list = row.parentNode;
          list.removeChild(row);
          var target = Number(select.value) - 1, rest = list.querySelectorAll(".kn-order-row");
          list.insertBefore(row, rest[target] || null);
          renumber(root);
        }
        clear();
      });
      root.addEventListener("input", function (event) { if (event.target.classList.contains("kn-typed")) { clear(); } });
      root.querySelector(".kn-check").addEventListener("click", function () {
        var answer = response(root, d), verdict = KN.graders[d.t](d, answer), key = JSON.stringify(answer);
        if (verdict.status !== "unanswered" && key !== lastChecked) { tries++; lastChecked = key; }
        showVerdict(root, d, verdict, tries);
      });
    };

    /* In JupyterLab or Notebook 7: show the live widget when it renders, else this copy. */
    KN.pair = function (fallback) {
      var area = fallback.closest(".jp-OutputArea");
      if (!area || fallback.dataset.knPaired) { return; }
      fallback.dataset.knPaired = "1";
      var live = fallback.dataset.knLive;
      var sync = function () {
        var hasLive = area.querySelector("." + live) !== null;
        fallback.style.display = hasLive ? "none" : "";
        Array.prototype.forEach.call(area.querySelectorAll(".jp-OutputArea-child"), function (child) {
          var failed = !child.contains(fallback) && !child.querySelector(".kn-quiz, .kn-score-panel") &&
            /^\s*Error displaying widget/.test(child.textContent);
          if (failed) { child.style.display = "none"; }
        });
      };
      sync();
      new MutationObserver(sync).observe(area, { childList: true, subtree: true, characterData: true });
    };

    KN.start = function () {
      Array.prototype.forEach.call(document.querySelectorAll(".kn-quiz[data-kn-payload]"), KN.mount);
      Array.prototype.forEach.call(document.querySelectorAll("[data-kn-live]"), KN.pair);
    };
  }
  var script = document.currentScript, host = script && script.parentNode;
  if (host) {
    Array.prototype.forEach.call(host.querySelectorAll(".kn-quiz[data-kn-payload]"), KN.mount);
    Array.prototype.forEach.call(host.querySelectorAll("[data-kn-live]"), KN.pair);
    if (host.matches && host.matches("[data-kn-live]")) { KN.pair(host); }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", KN.start); } else { KN.start(); }
})();
