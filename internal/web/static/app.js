// Tongban progressive enhancement: everything works without this file.
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    var t = e.target;
    if (t.matches && t.matches("[data-print]")) { window.print(); }
    if (t.matches && t.matches("[data-add-row]")) {
      // Clone the last row of a repeated group, renumbering its fields.
      var set = t.closest("[data-rows]");
      var rows = set.querySelectorAll("[data-row]");
      var last = rows[rows.length - 1];
      var next = last.cloneNode(true);
      var n = rows.length;
      next.querySelectorAll("input, select, textarea").forEach(function (el) {
        el.name = el.name.replace(/\.(\d+)\./, "." + n + ".");
        if (el.type === "checkbox") { el.checked = el.name.slice(-9) === ".required"; }
        // A list with an empty choice starts empty; one without keeps the
        // last row's choice.
        else if (el.tagName !== "SELECT" || el.querySelector('option[value=""]')) { el.value = ""; }
      });
      last.after(next);
      var first = next.querySelector("input, select, textarea");
      if (first) { first.focus(); }
    }
  });
  document.querySelectorAll("[data-rows]").forEach(function (set) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "secondary";
    b.setAttribute("data-add-row", "");
    b.textContent = document.documentElement.lang === "en" ? "Add a row" : "再加一行";
    set.appendChild(b);
  });
  // A file input shows its button and "no file chosen" in the browser's
  // language, which need not be the page's: the page's own words stand in
  // for them, with the names of the files chosen. Without this script the
  // browser's input shows.
  document.querySelectorAll("input[type=file][data-pick]").forEach(function (input) {
    var pick = document.createElement("label");
    pick.className = "file-pick";
    pick.htmlFor = input.id;
    var button = document.createElement("span");
    button.className = "file-pick-button";
    button.textContent = input.getAttribute("data-pick");
    var chosen = document.createElement("span");
    chosen.className = "file-pick-chosen";
    // The input is named by its own label or aria-label; this one only
    // shows, for eyes, what the browser's control would.
    pick.setAttribute("aria-hidden", "true");
    pick.append(button, chosen);
    var show = function () {
      var names = Array.prototype.map.call(input.files || [], function (f) { return f.name; });
      chosen.textContent = names.length ? names.join(document.documentElement.lang === "en" ? ", " : "、") : input.getAttribute("data-none");
      pick.classList.toggle("has-file", names.length > 0);
    };
    input.classList.add("file-picked");
    input.after(pick);
    input.addEventListener("change", show);
    // Files dropped on it go to the input, as they would on the browser's.
    pick.addEventListener("dragover", function (e) { e.preventDefault(); });
    pick.addEventListener("drop", function (e) {
      e.preventDefault();
      var files = e.dataTransfer && e.dataTransfer.files;
      if (!files || !files.length) { return; }
      if (!input.multiple && files.length > 1 && window.DataTransfer) {
        var one = new DataTransfer();
        one.items.add(files[0]);
        files = one.files;
      }
      input.files = files;
      show();
    });
    show();
  });
  // After a refused post the page opens at its top, where the summary of
  // its errors is: the focus goes there too, so a screen reader reads it.
  var summary = document.querySelector("[data-focus-on-load]");
  if (summary) { summary.focus(); }
  // On a draft an upload, or the removal of a file, reloads the page with
  // the draft as saved: what was typed into the form since is saved first,
  // as its "save draft" button would, so nothing typed is lost. When the
  // save is refused (a number that does not parse, a save from another
  // tab) the form's own save shows why, with everything typed still there.
  // Without this script the page says to save first.
  var draft = document.getElementById("app-form");
  var saveButton = draft && draft.querySelector('button[name="save"]');
  if (saveButton && window.fetch && window.URLSearchParams && window.FormData) {
    var typed = function () { return new URLSearchParams(new FormData(draft)).toString(); };
    // A page shown again after a refused save (data-unsaved) holds text
    // that was never saved: it counts as changed from the start.
    var asLoaded = draft.hasAttribute("data-unsaved") ? null : typed();
    var saving = false;
    document.querySelectorAll(".save-first-hint").forEach(function (p) { p.hidden = true; });
    document.querySelectorAll("form[data-save-first]").forEach(function (f) {
      f.addEventListener("submit", function (e) {
        // A second tap while the draft is being saved would save it twice
        // from the same revision, the second refused as stale.
        if (saving) { e.preventDefault(); return; }
        if (typed() === asLoaded) { return; }
        e.preventDefault();
        saving = true;
        var body = new URLSearchParams(new FormData(draft));
        body.set("save", "1");
        fetch(draft.action, { method: "POST", body: body, credentials: "same-origin", redirect: "manual" }).then(function (r) {
          // Saved, the draft's save answers with a redirect to the page.
          if (r.type !== "opaqueredirect") { throw new Error("not saved"); }
          asLoaded = typed();
          f.submit();
        }).catch(function () {
          if (draft.requestSubmit) { draft.requestSubmit(saveButton); } else { saveButton.click(); }
        });
      });
    });
  }
  // On a phone the main menu folds to messages, the other language and a
  // button that opens the rest; without this script every item shows.
  var nav = document.querySelector("nav[data-menu]");
  if (nav && window.matchMedia) {
    var list = nav.querySelector("ul");
    var item = document.createElement("li");
    item.className = "menu-item";
    var toggle = document.createElement("button");
    toggle.type = "button";
    toggle.setAttribute("aria-controls", list.id);
    item.appendChild(toggle);
    var narrow = window.matchMedia("(max-width: 39.99rem)");
    var show = function (open) {
      nav.classList.toggle("open", open);
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      toggle.textContent = nav.getAttribute(open ? "data-menu-close" : "data-menu");
    };
    var fit = function () {
      if (narrow.matches) {
        nav.classList.add("folded");
        list.appendChild(item);
        show(false);
      } else {
        nav.classList.remove("folded", "open");
        if (item.parentNode) { item.remove(); }
      }
    };
    toggle.addEventListener("click", function () { show(!nav.classList.contains("open")); });
    if (narrow.addEventListener) { narrow.addEventListener("change", fit); }
    fit();
  }
})();
