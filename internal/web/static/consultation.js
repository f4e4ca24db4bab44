// Consultations: comment on a passage by selecting it in the draft's text.
// Progressive enhancement: without this file, people choose the section in
// the form and paste the passage; the server checks it either way.
(function () {
  "use strict";
  var text = document.querySelector(".draft-text");
  var form = document.getElementById("comment-form");
  if (!text || !form) { return; }
  var section = form.querySelector("#section");
  var passage = form.querySelector("#passage");
  var comment = form.querySelector("#text");
  var button = document.createElement("button");
  button.type = "button";
  button.className = "quote-btn";
  button.textContent = text.getAttribute("data-select-hint");
  button.hidden = true;
  var chosen = null;

  function clauseOf(node) {
    var el = node && (node.nodeType === 1 ? node : node.parentElement);
    var body = el && el.closest(".clause .body");
    return body ? body.closest(".clause") : null;
  }

  function check() {
    var sel = window.getSelection();
    if (!sel || sel.isCollapsed || sel.rangeCount === 0) { return; }
    var c = clauseOf(sel.anchorNode);
    var s = sel.toString().trim();
    if (!c || c !== clauseOf(sel.focusNode) || s === "" || s.length > 500) {
      button.hidden = true;
      return;
    }
    chosen = { section: c.getAttribute("data-section"), passage: s };
    c.querySelector(".body").after(button);
    button.hidden = false;
  }

  document.addEventListener("mouseup", function () { setTimeout(check, 0); });
  document.addEventListener("keyup", function (e) { if (e.shiftKey) { check(); } });
  document.addEventListener("touchend", function () { setTimeout(check, 0); });

  button.addEventListener("click", function () {
    if (!chosen) { return; }
    section.value = chosen.section;
    passage.value = chosen.passage;
    button.hidden = true;
    form.scrollIntoView({ behavior: "smooth", block: "start" });
    comment.focus();
  });
})();
