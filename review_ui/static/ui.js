// Keyboard shortcuts and the SLA countdown. The pages work without this file.
(function () {
  "use strict";

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" && target.type !== "radio" && target.type !== "checkbox" ||
      tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  function toggleHelp() {
    var help = document.getElementById("shortcuts");
    if (!help) { return; }
    help.classList.toggle("open");
    if (help.classList.contains("open")) {
      help.setAttribute("tabindex", "-1");
      help.focus();
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var key = event.key;
    if (key === "?") { event.preventDefault(); toggleHelp(); return; }
    if (key === "Escape") {
      var help = document.getElementById("shortcuts");
      if (help) { help.classList.remove("open"); }
      return;
    }
    if (!/^[a-z\/]$/.test(key)) { return; }
    var el = document.querySelector('[data-key="' + key + '"]');
    if (!el) { return; }
    event.preventDefault();
    if (el.type === "radio") {
      el.checked = true;
      el.focus();
    } else if (el.tagName === "SELECT" || el.tagName === "INPUT") {
      el.focus();
    } else {
      el.click();
    }
  });

  // Touchpoint chips: pressing one highlights its sentences in the text and in the list.
  var chips = document.querySelectorAll("button.chip[data-sentences]");
  if (chips.length) {
    var hint = document.querySelector(".js-hint");
    if (hint) { hint.hidden = false; }
    var clear = function () {
      document.querySelectorAll(".hl").forEach(function (el) { el.classList.remove("hl"); });
      chips.forEach(function (c) { c.setAttribute("aria-pressed", "false"); });
    };
    chips.forEach(function (chip) {
      chip.addEventListener("click", function () {
        var on = chip.getAttribute("aria-pressed") !== "true";
        clear();
        if (!on) { return; }
        chip.setAttribute("aria-pressed", "true");
        chip.getAttribute("data-sentences").split(" ").forEach(function (n) {
          if (!/^[0-9]+$/.test(n)) { return; }
          document.querySelectorAll('[data-sentence="' + n + '"]').forEach(function (el) {
            el.classList.add("hl");
          });
        });
      });
    });
  }

  // Refresh "due in ..." every 30 s from the server-rendered due time.
  var due = document.querySelector("[data-due]");
  if (due) {
    var html = document.documentElement;
    var de = html.lang === "de";
    var at = Date.parse(due.getAttribute("data-due"));
    var words = function (ms) {
      var m = Math.max(0, Math.floor(ms / 60000));
      var d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60), mm = m % 60;
      return d ? d + " d " + h + " h" : h ? h + " h " + mm + " min" : mm + " min";
    };
    var tick = function () {
      var left = at - Date.now();
      due.textContent = left >= 0
        ? (de ? "fällig in " : "due in ") + words(left)
        : (de ? "seit " + words(-left) + " überfällig" : "overdue by " + words(-left));
      due.classList.toggle("over", left < 0);
    };
    setInterval(tick, 30000);
  }
})();
